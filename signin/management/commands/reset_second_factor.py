"""`manage.py reset_second_factor USERNAME`: removes the user's authenticator apps, passkeys and
backup codes (a lost phone) and ends their API tokens; the next sign-in enrols anew. Logged as
`factor_reset` (and the tokens as `logout`)."""

from django.core.management.base import BaseCommand, CommandError

from signin.devices import reset_devices
from signin.events import log_signin
from signin.tokens import end_all_tokens
from teams.models import User


class Command(BaseCommand):
    help = "Reset a user's second factor (lost phone or passkey) and end their API tokens; logged in the access log."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        removed = reset_devices(user)
        log_signin(None, "factor_reset", user=user, detail=f"by manage.py: {removed} device(s)")
        ended = end_all_tokens(user, why="second factor reset by manage.py")
        self.stdout.write(f"{username}: {removed} device(s) removed, {ended} API token(s) ended; "
                          "the next sign-in sets up a new second factor.")
