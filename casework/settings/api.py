"""The API and client addresses: trusted proxies, the server's access log, API tokens
(django-rest-knox), Django REST framework and the OpenAPI documents (drf-spectacular)."""

import os
from datetime import date, timedelta

from django.core.exceptions import ImproperlyConfigured

from casework.settings.environment import PRODUCTION, env_bool

# --- Client addresses --------------------------------------------------------------------------
# How many reverse proxies of our own stand before the server. 0 (the default): X-Forwarded-For is
# ignored and the address is the connection's. N: the N-th address from the right of
# X-Forwarded-For (the one our outermost proxy saw). One rule for the access log, the API
# throttles, the login lock-out and the public form's limit (casework.http.addresses).
CASEWORK_TRUSTED_PROXIES = int(os.environ.get("CASEWORK_TRUSTED_PROXIES", "0"))
# The application writes the server's access log (casework.http.serverlog, redacted like every log
# line) when this is on; bin/serve turns it on, the ASGI server's own access log stays off.
CASEWORK_ACCESS_LOG = env_bool("CASEWORK_ACCESS_LOG", False)

# --- API -------------------------------------------------------------------------------------
# API tokens (django-rest-knox; signin.tokens): a new one per sign-in, stored as a digest, expiring
# CASEWORK_API_TOKEN_HOURS after it was issued however much it is used (the session's absolute
# limit); ended earlier by the API's logout, the account page, a password change, a second-factor
# reset and deactivation.
CASEWORK_API_TOKEN_HOURS = float(os.environ.get("CASEWORK_API_TOKEN_HOURS", "10"))
if CASEWORK_API_TOKEN_HOURS <= 0:
    raise ImproperlyConfigured("CASEWORK_API_TOKEN_HOURS must be a positive number of hours")
KNOX_TOKEN_MODEL = "signin.ApiToken"  # noqa: S105 - a model's name, no secret
# knox's own token model is swapped out: its migrations would make a table nothing uses (and that a
# test's flush, not knowing it, could not truncate on PostgreSQL). They do not run.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=CASEWORK_API_TOKEN_HOURS),
    "AUTO_REFRESH": False,  # expiry is absolute from creation
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_PREFIX": "",
}
# The deprecated paths under /api/ answer until this day (the `Sunset` header on their answers,
# RFC 8594; docs/api.md). An ISO date.
try:
    CASEWORK_API_SUNSET = date.fromisoformat(os.environ.get("CASEWORK_API_SUNSET", "2027-06-01"))
except ValueError:
    raise ImproperlyConfigured("CASEWORK_API_SUNSET must be a date, YYYY-MM-DD") from None

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "signin.tokens.ApiTokenAuthentication",
        "systems.auth.SystemBearerAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated", "casework.api.scopes.SystemScopes"],
    "DEFAULT_PAGINATION_CLASS": "casework.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # DRF's throttles, each telling the answer its state (the RateLimit-* headers; casework.api.throttling).
    "DEFAULT_THROTTLE_CLASSES": [
        "casework.api.throttling.AnonRateThrottle",
        "casework.api.throttling.UserRateThrottle",
        "casework.api.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("CASEWORK_THROTTLE_ANON", "60/min"),
        "user": os.environ.get("CASEWORK_THROTTLE_USER", "1200/min"),
        "auth": os.environ.get("CASEWORK_THROTTLE_AUTH", "10/min"),
    },
    "EXCEPTION_HANDLER": "casework.api.errors.exception_handler",
    # The API reads JSON bodies (a form cannot say null, a nested object or a list of one); the
    # document upload and the token login name their own parsers. JSON nested deeper than
    # casework.http.parsers.MAX_DEPTH levels is a 400, never a RecursionError.
    "DEFAULT_PARSER_CLASSES": ["casework.http.parsers.DepthLimitedJSONParser"],
    # The throttles' client address: X-Forwarded-For only behind CASEWORK_TRUSTED_PROXIES proxies.
    "NUM_PROXIES": CASEWORK_TRUSTED_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "casework API",
    "DESCRIPTION": "Cases of children out of school (thuiszitters): signal intake, case file, timeline.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "casework.models.Case.Status",
        "TaskStatusEnum": "viewflow.workflow.status.STATUS",
        "DocumentKindEnum": "casework.models.Document.Kind",
        "ParticipationLevelEnum": "casework.models.Case.Participation",
        "ParticipationSettingEnum": "casework.models.Case.Setting",
        "SectorEnum": "teams.models.Sector",
        "RegionSectorEnum": "teams.models.Region.RegionSector",
        "CaseEventKindEnum": "casework.models.CaseEvent.Kind",
        "OutcomeEnum": "casework.models.Case.Outcome",  # the closing outcome (named before the imports came)
        "ImportOutcomeEnum": "chain.models.Outcome",
        "DeliveryStatusEnum": "systems.models.Delivery.Status",
        "SubscriptionStatusEnum": [("active", "active"), ("ended", "ended")],
    },
}

# --- Connected systems (OAuth 2.0 client credentials, django-oauth-toolkit) --------------------
# A system's access token lives CASEWORK_CLIENT_TOKEN_MINUTES (the NL GOV Assurance profile asks
# for short-lived tokens); it is stored as a digest only. A rotated client secret keeps working
# CASEWORK_CLIENT_SECRET_OVERLAP_HOURS beside the new one.
CASEWORK_CLIENT_TOKEN_MINUTES = float(os.environ.get("CASEWORK_CLIENT_TOKEN_MINUTES", "10"))
if CASEWORK_CLIENT_TOKEN_MINUTES <= 0:
    raise ImproperlyConfigured("CASEWORK_CLIENT_TOKEN_MINUTES must be a positive number of minutes")
CASEWORK_CLIENT_SECRET_OVERLAP_HOURS = float(os.environ.get("CASEWORK_CLIENT_SECRET_OVERLAP_HOURS", "168"))
OAUTH2_PROVIDER = {
    "OAUTH2_VALIDATOR_CLASS": "systems.oauth.SystemOAuth2Validator",
    "OAUTH2_BACKEND_CLASS": "systems.oauth.AbsoluteUriCore",
    "ACCESS_TOKEN_EXPIRE_SECONDS": int(CASEWORK_CLIENT_TOKEN_MINUTES * 60),
    "SCOPES": {"cases:read": "cases:read", "cases:signal": "cases:signal", "tasks:read": "tasks:read",
               "events:read": "events:read", "monitor:read": "monitor:read",
               "subscriptions:manage": "subscriptions:manage", "absence:import": "absence:import",
               "enrolments:import": "enrolments:import"},
    "DEFAULT_SCOPES": [],
    # RFC 9700 (OAuth 2.0 Security Best Current Practice): tokens stored as digests, never read from
    # a query string, no implicit or password grant.
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    # No refresh tokens or redirects are ever used (client credentials only); set strictly anyway.
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
}
# --- Event subscriptions (systems.subscriptions, systems.webhooks) -----------------------------
# The installation's OIN (organisatie-identificatienummer) and the `source` of every CloudEvent it
# sends (NL GOV profile for CloudEvents, "source": a URN in the `nld` namespace naming the
# organisation and the system).
CASEWORK_OIN = os.environ.get("CASEWORK_OIN", "00000000000000000000")
CASEWORK_EVENT_SOURCE = os.environ.get("CASEWORK_EVENT_SOURCE", f"urn:nld:oin:{CASEWORK_OIN}:systeem:casework")
# The sender's name in the webhook handshake and deliveries (`WebHook-Request-Origin`, CloudEvents
# "HTTP 1.1 Web Hooks for Event Delivery" section 4): a DNS name, by default CASEWORK_BASE_URL's host.
CASEWORK_WEBHOOK_ORIGIN = os.environ.get("CASEWORK_WEBHOOK_ORIGIN", "")
# Callback URLs must be https; this allows http too (local receivers in development and tests).
CASEWORK_WEBHOOK_ALLOW_HTTP = env_bool("CASEWORK_WEBHOOK_ALLOW_HTTP", not PRODUCTION)
if PRODUCTION and CASEWORK_WEBHOOK_ALLOW_HTTP:
    raise ImproperlyConfigured("CASEWORK_WEBHOOK_ALLOW_HTTP=1 would send children's case events in plain text: "
                               "production delivers to https callbacks only")

# django-oauth-toolkit's own models (named, so that migrations can depend on them as swappable).
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"  # noqa: S105 - a model name
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"  # noqa: S105 - a model name
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"  # noqa: S105 - a model name
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
