"""The client's address, one rule for the whole project: the access log, the API throttles (DRF's
NUM_PROXIES is the same setting), the login lock-out (django-axes calls `client_address`) and the
public form's rate limit.

Without trusted proxies (CASEWORK_TRUSTED_PROXIES=0, the default) X-Forwarded-For is ignored: anyone
can send it. Behind N proxies of our own, each appends the address it saw, so the N-th address
from the right is the one our outermost proxy saw (what the client wrote to the left is not trusted).
"""

import ipaddress

from django.conf import settings
from django.core.cache import cache


def _address(text) -> str | None:
    try:
        return str(ipaddress.ip_address(str(text).strip()))
    except ValueError:
        return None


def client_address(request) -> str | None:
    """The client's IP address as the trusted proxies report it, else the connection's."""
    if request is None:
        return None
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    proxies = settings.CASEWORK_TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
    if not addresses:
        return remote
    return _address(addresses[-min(proxies, len(addresses))]) or remote


class AddressLimit:
    """At most `limit` counted events per client address per `seconds` (in the cache).

    `exceeded(request)` before acting; `count(request)` only after what is limited really
    happened (a stored signal, not an invalid submission)."""

    def __init__(self, name: str, limit: int, seconds: int):
        self.name, self.limit, self.seconds = name, limit, seconds

    def key(self, request) -> str:
        return f"limit:{self.name}:{client_address(request) or '-'}"

    def exceeded(self, request) -> bool:
        return cache.get(self.key(request), 0) >= self.limit

    def count(self, request) -> None:
        key = self.key(request)
        if cache.add(key, 1, self.seconds):
            return
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, self.seconds)


# The public signal form (casework.web.participation): 5 stored signals per address per hour.
PUBLIC_SIGNALS = AddressLimit("public-signal", 5, 60 * 60)
