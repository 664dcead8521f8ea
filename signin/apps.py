from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigninConfig(AppConfig):
    name = "signin"
    verbose_name = _("Signing in")

    def ready(self):
        # Connects the sign-in signal receivers (login, failure, logout -> the access log).
        from signin import events  # noqa: F401
