"""The cache on Redis, forgiving: when Redis cannot be reached the cache behaves as an empty cache
that keeps nothing, and the request goes on.

What reads the cache on the request path (the API's throttles, the public form's limit per
address, the SSO discovery document) then works without it: a read is a miss, a write is dropped,
`add`, `touch` and `delete` answer False, `incr` raises ValueError as for a missing key. The API
is not throttled while Redis is away; counting starts again when it is back.

One line is logged when Redis goes away (the operation and the error's class, never a key: a key
may hold a client's address) and one when it answers again. After a failure the cache is not
tried for `PAUSE_SECONDS`, in every thread of the process, so that a Redis that does not answer
costs a request at most one connection timeout instead of one per cache call. Errors other than
an unreachable Redis (a bad value, a wrong type) are not swallowed.
"""

import logging
import threading
import time
from functools import partial

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

# What "Redis is away" looks like to redis-py: refused, reset, timed out, still loading its data.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


class _Pause:
    """Until when the cache at one location is left alone, shared by the process: Django makes a
    cache object per thread and per request context, so the state cannot live on the object."""

    def __init__(self):
        self._lock = threading.Lock()
        self._until: dict[str, float] = {}

    def paused(self, location: str) -> bool:
        return time.time() < self._until.get(location, 0.0)

    def start(self, location: str, seconds: float) -> bool:
        """Pause; True when the cache was not already known to be away (log it then)."""
        with self._lock:
            was_away = location in self._until
            self._until[location] = time.time() + seconds
            return not was_away

    def end(self, location: str) -> bool:
        """Redis answered; True when it had been away (log it then)."""
        if location not in self._until:  # the common case, without the lock
            return False
        with self._lock:
            return self._until.pop(location, None) is not None


_pause = _Pause()
_MISSING = object()


class ForgivingRedisCache(RedisCache):
    """Django's Redis cache that degrades to "nothing cached" while Redis is unreachable."""

    PAUSE_SECONDS = 5.0

    def __init__(self, server, params):
        super().__init__(server, params)
        self._location = ",".join(self._servers)

    def reachable(self) -> bool:
        """Whether Redis answers now (a PING, for the health check)."""
        try:
            self._cache.get_client(write=True).ping()
        except UNREACHABLE:
            return False
        return True

    def _guard(self, operation: str, call, fallback):
        """`call()`, or `fallback` when Redis is unreachable (or was, less than a pause ago)."""
        if _pause.paused(self._location):
            return fallback
        try:
            result = call()
        except UNREACHABLE as error:
            if _pause.start(self._location, self.PAUSE_SECONDS):
                log.warning("the cache is unreachable (%s: %s); requests go on without it",
                            operation, type(error).__name__)
            return fallback
        if _pause.end(self._location):
            log.warning("the cache is reachable again")
        return result

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("add", partial(super().add, key, value, timeout, version), False)

    def get(self, key, default=None, version=None):
        return self._guard("get", partial(super().get, key, default, version), default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("set", partial(super().set, key, value, timeout, version), None)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("touch", partial(super().touch, key, timeout, version), False)

    def delete(self, key, version=None):
        return self._guard("delete", partial(super().delete, key, version), False)

    def get_many(self, keys, version=None):
        return self._guard("get_many", partial(super().get_many, keys, version), {})

    def has_key(self, key, version=None):
        return self._guard("has_key", partial(super().has_key, key, version), False)

    def incr(self, key, delta=1, version=None):
        result = self._guard("incr", partial(super().incr, key, delta, version), _MISSING)
        if result is _MISSING:
            raise ValueError("Key not found (the cache is unreachable)")
        return result

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("set_many", partial(super().set_many, data, timeout, version), list(data))

    def delete_many(self, keys, version=None):
        return self._guard("delete_many", partial(super().delete_many, keys, version), None)

    def clear(self):
        return self._guard("clear", super().clear, False)
