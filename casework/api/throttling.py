"""DRF's throttles, each leaving its state on the request so that the answer can say it in the
`RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` headers (the IETF draft "RateLimit
header fields for HTTP"; casework.api.middleware writes them). Where several throttles apply (per
user and per scope), the answer names the one with the fewest requests left."""

import math
from dataclasses import dataclass

from rest_framework import throttling


@dataclass(frozen=True)
class Quota:
    limit: int
    remaining: int
    reset: int  # seconds until a request is counted out of the window again


ATTRIBUTE = "casework_quota"


def quota_of(request) -> Quota | None:
    """The tightest quota a request was counted against (None: no throttle counted it)."""
    return getattr(request, ATTRIBUTE, None)


class Reported:
    def allow_request(self, request, view):
        allowed = super().allow_request(request, view)
        if getattr(self, "key", None) is not None and self.rate is not None:
            used = len(self.history)
            oldest = self.history[-1] if self.history else self.now
            quota = Quota(limit=self.num_requests, remaining=max(self.num_requests - used, 0),
                          reset=max(math.ceil(self.duration - (self.now - oldest)), 0))
            django_request = request._request
            known = quota_of(django_request)
            if known is None or quota.remaining < known.remaining:
                setattr(django_request, ATTRIBUTE, quota)
        return allowed


class AnonRateThrottle(Reported, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(Reported, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(Reported, throttling.ScopedRateThrottle):
    pass
