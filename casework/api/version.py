"""Which version of the API a request speaks: `/api/v1/...` (the current one, by the NL API Design
Rules) or the deprecated paths under `/api/...` that keep answering for this release.

One context variable, set per request by `casework.api.middleware.ApiVersionMiddleware`, so that
the error handler, the serializers and the parsers answer in the version's own shapes without the
version being passed through every call.
"""

import contextvars
import datetime as dt

API_VERSION = "1.0.0"  # the full semantic version, also `info.version` and the API-Version header
V1_PREFIX = "/api/v1/"
LEGACY_PREFIX = "/api/"
# The deprecated paths' `Deprecation` header (RFC 9745: a structured date, `@` and Unix seconds).
LEGACY_DEPRECATED_ON = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
LEGACY_DEPRECATION = f"@{int(LEGACY_DEPRECATED_ON.timestamp())}"

_version: contextvars.ContextVar[str] = contextvars.ContextVar("casework_api_version", default="")


def for_path(path: str) -> str:
    """"v1", "legacy", or "" for a path outside the API."""
    if path.startswith(V1_PREFIX) or path == V1_PREFIX.rstrip("/"):
        return "v1"
    if path.startswith(LEGACY_PREFIX):
        return "legacy"
    return ""


def activate(version: str) -> contextvars.Token:
    return _version.set(version)


def deactivate(token: contextvars.Token) -> None:
    _version.reset(token)


def is_v1() -> bool:
    return _version.get() == "v1"
