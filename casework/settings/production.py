"""Production refuses settings that work but are unsafe, each refusal naming its variable (the
embedded defaults are refused where they are read: casework.settings.database)."""

import ipaddress
import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from casework.settings.environment import ALLOWED_HOSTS, PRODUCTION, env_bool
from casework.settings.product import CASEWORK_BASE_URL, EMAIL_BACKEND, smtp_email_backend
from casework.settings.security import (
    CASEWORK_PLAIN_HTTP_ON_LOOPBACK,
    CASEWORK_REQUIRE_TWO_FACTOR,
    CASEWORK_TWO_FACTOR_DEMO_EXEMPT,
)

# --- Production: refuse what is unsafe ---------------------------------------------------------
# The embedded defaults are refused where they are read (casework.settings.database); these are
# settings that work but would expose children's data or lose work in production. Each refusal names the variable.
unsafe_email_backends = {
    "django.core.mail.backends.console.EmailBackend": "would print every e-mail (recipient, case) into the log",
    "django.core.mail.backends.locmem.EmailBackend": "would keep the e-mails in memory and send none",
    "django.core.mail.backends.dummy.EmailBackend": "would drop every e-mail",
    "django.core.mail.backends.filebased.EmailBackend": "would write every e-mail to a file",
}


def is_loopback(host: str) -> bool:
    """`localhost` or a loopback address (127.0.0.0/8, ::1), as ALLOWED_HOSTS or a URL names it."""
    host = host.strip().lower().removeprefix("[").removesuffix("]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def unsafe_production_settings() -> list[str]:
    unsafe = []
    if CASEWORK_TWO_FACTOR_DEMO_EXEMPT:
        unsafe.append("CASEWORK_TWO_FACTOR_DEMO_EXEMPT is for the demo only, never in production")
    if not CASEWORK_REQUIRE_TWO_FACTOR:
        unsafe.append("CASEWORK_REQUIRE_TWO_FACTOR=0 would let a password alone open children's data: "
                      "two factors are required in production")
    if env_bool("CASEWORK_CELERY_EAGER", False):
        unsafe.append("CASEWORK_CELERY_EAGER=1 would run the background work inside the web requests, "
                      "with no retry: run a Celery worker and beat instead")
    if EMAIL_BACKEND in unsafe_email_backends:
        unsafe.append(f"e-mail backend {EMAIL_BACKEND} {unsafe_email_backends[EMAIL_BACKEND]}: set EMAIL_HOST "
                      "(SMTP), or EMAIL_BACKEND to a backend that delivers")
    elif EMAIL_BACKEND == smtp_email_backend and not os.environ.get("EMAIL_HOST"):
        unsafe.append("EMAIL_HOST must name the SMTP server")
    base = urlsplit(CASEWORK_BASE_URL)
    if not CASEWORK_BASE_URL:
        unsafe.append("CASEWORK_BASE_URL must be set to the public https:// address (the links in e-mails)")
    elif not base.hostname or (base.scheme != "https" and not (
            CASEWORK_PLAIN_HTTP_ON_LOOPBACK and base.scheme == "http" and is_loopback(base.hostname))):
        unsafe.append(f"CASEWORK_BASE_URL must be an https:// address, not {CASEWORK_BASE_URL!r}")
    if CASEWORK_PLAIN_HTTP_ON_LOOPBACK:
        elsewhere = [host for host in ALLOWED_HOSTS if not is_loopback(host)]
        if elsewhere or not ALLOWED_HOSTS:
            unsafe.append("CASEWORK_PLAIN_HTTP_ON_LOOPBACK=1 (plain HTTP, no HSTS, cookies without Secure) is only "
                          "for an instance that serves loopback addresses, and ALLOWED_HOSTS names "
                          + (", ".join(elsewhere) or "none"))
    return unsafe


if PRODUCTION and (unsafe := unsafe_production_settings()):
    raise ImproperlyConfigured("CASEWORK_ENV=production refuses unsafe settings: " + "; ".join(unsafe))
