"""Passkeys (django-otp-webauthn) for this deployment: the relying party is the host the user
reached (validated by ALLOWED_HOSTS), and that host's own origin is always allowed, so a
deployment needs no extra setting (CASEWORK_WEBAUTHN_ORIGINS adds others)."""

from django_otp_webauthn.helpers import WebAuthnHelper


def rp_id(request) -> str:
    """The host name without port (a relying party id is a domain; `localhost` in development)."""
    return request.get_host().rsplit(":", 1)[0] if not request.get_host().startswith("[") else request.get_host()


class Helper(WebAuthnHelper):
    def get_allowed_origins(self) -> list[str]:
        own = f"{self.request.scheme}://{self.request.get_host()}"
        return [own, *(origin for origin in super().get_allowed_origins() if origin != own)]
