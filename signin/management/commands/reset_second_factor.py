"""`manage.py reset_second_factor USERNAME`: removes the user's authenticator apps, passkeys and
backup codes (a lost phone); the next sign-in enrols anew. Logged as `factor_reset`."""

from django.core.management.base import BaseCommand, CommandError

from signin.devices import reset_devices
from signin.events import log_signin
from teams.models import User


class Command(BaseCommand):
    help = "Reset a user's second factor (lost phone or passkey); logged in the access log."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        removed = reset_devices(user)
        log_signin(None, "factor_reset", user=user, detail=f"by manage.py: {removed} device(s)")
        self.stdout.write(f"{username}: {removed} device(s) removed; the next sign-in sets up a new second factor.")
