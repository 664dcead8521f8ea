from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigninConfig(AppConfig):
    name = "signin"
    verbose_name = _("Signing in")

    def ready(self):
        # Connects the signal receivers: the sign-in events (login, failure, logout -> the access
        # log) and the end of a user's API tokens (a password change, a deactivation).
        from signin import receivers, tokens  # noqa: F401
