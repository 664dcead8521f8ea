"""Settings for casework.

Twelve-factor: every setting comes from the environment, with embedded defaults
(SQLite file, in-memory channel layer, local-memory cache, eager Celery) so that
`make run` needs no service at all. `CASEWORK_ENV=production` refuses to start
with any of those defaults and switches on the deployment hardening that
`manage.py check --deploy` asks for.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

DEV_SECRET_KEY = "casework-development-only-not-secret"  # noqa: S105 (refused in production)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


CASEWORK_ENV = os.environ.get("CASEWORK_ENV", "development")
PRODUCTION = CASEWORK_ENV == "production"

SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
# Services own their transactions (one per service call); no request-wide atomic block.
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A connection that died (database restart, idle timeout in a proxy) is replaced before use.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Short OLTP queries: JIT compilation cost 250-300 ms on a capped count that runs in 20 ms.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    # A bounded pool per ASGI worker (psycopg_pool, Django 5.2): each concurrent request borrows a
    # connection for the request and gives it back; a request beyond DB_POOL_MAX waits up to
    # DB_POOL_TIMEOUT seconds instead of PostgreSQL refusing "too many clients". Size it so that
    # workers x DB_POOL_MAX + Celery worker processes + beat stays below max_connections. On in
    # production (default 10 per worker), or wherever DB_POOL_MAX is set; DB_POOL_MAX=0 turns it off.
    POOL_MAX = int(os.environ.get("DB_POOL_MAX", "10" if PRODUCTION else "0"))
    if POOL_MAX > 0:
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections, not Django
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": min(POOL_MAX, int(os.environ.get("DB_POOL_MIN", "2"))),
            "max_size": POOL_MAX,
            "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "20")),
        }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite as a real embedded database (the ASGI server, the sweeper and parallel requests share the file):
    # WAL lets readers go on beside the one writer; IMMEDIATE takes the write lock when a transaction
    # begins, so that two transactions never both read and then fail to upgrade ("database is
    # locked" at once, the busy timeout does not apply to that); a writer waits up to 20 s.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    })

REDIS_URL = os.environ.get("REDIS_URL", "")

if PRODUCTION:
    problems = []
    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        problems.append("SECRET_KEY must be set to a random value of at least 50 characters")
    if DEBUG:
        problems.append("DEBUG must be off")
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        problems.append("DATABASE_URL must point to PostgreSQL, not SQLite")
    if not REDIS_URL:
        problems.append("REDIS_URL must be set (channel layer, cache and Celery broker)")
    if not ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS must name the host(s) this instance serves")
    if problems:
        raise ImproperlyConfigured(
            "CASEWORK_ENV=production refuses the embedded defaults: " + "; ".join(problems)
        )

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "csp",
    "axes",
    "rest_framework",
    "knox",  # API tokens (the model is signin.ApiToken: KNOX_TOKEN_MODEL below)
    "drf_spectacular",
    "viewflow",
    "viewflow.workflow",
    "pgtrigger",  # the access log's append-only triggers on PostgreSQL (Meta.triggers)
    "teams",
    "casework",
    "workflows",
    "notifications",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "signin",
    "sso",
]

# The benchmark suite (`make bench`) adds its baseline flow and views; never in production.
BENCH = env_bool("CASEWORK_BENCH", False) and not PRODUCTION
if BENCH:
    INSTALLED_APPS.append("bench")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The API's version header, Deprecation on the old paths, problem+json for every /api/v1/ error.
    "casework.api.middleware.ApiVersionMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "casework.middleware.SessionRenewalMiddleware",  # renews the idle session at most once a minute
    "casework.middleware.ChosenLanguageMiddleware",  # Dutch unless the user chose English
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified() (django-otp's devices)
    # The session's absolute lifetime, then: no page without the second factor (signin.factors).
    "signin.middleware.SessionLifetimeMiddleware",
    "signin.middleware.SecondFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: locks out a username + address after repeated failed logins (django-axes).
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Sign-in through an organisation's OpenID Connect provider (only sso.views calls it).
    "sso.backends.ProviderBackend",
]

ROOT_URLCONF = "casework.urls"
ASGI_APPLICATION = "casework.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "casework.web.context_processors.navigation",
            ],
        },
    },
]

AUTH_USER_MODEL = "teams.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "inbox-default"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["casework.formats"]  # "27 nov. 2026": see casework/formats
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where `collectstatic` puts the files whitenoise serves in production.
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
# The apps' static folders, without viewflow's: its Material front end's assets are unused, and one
# of its stylesheets points to fonts that are not there, which stopped collectstatic with the
# manifest storage (casework/staticfiles.py).
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "casework.staticfiles.AppDirectoriesFinder",
]
# Case documents are never served from a public URL: only the download view reads them.
# File system under CASEWORK_DOCUMENTS_ROOT by default (make run); CASEWORK_DOCUMENT_STORAGE=s3 puts
# them in any S3-compatible store through django-storages (install the `s3` extra), private, with
# the bucket and credentials from the environment.
CASEWORK_DOCUMENT_STORAGE = os.environ.get("CASEWORK_DOCUMENT_STORAGE", "filesystem")
if CASEWORK_DOCUMENT_STORAGE == "s3":
    DOCUMENTS_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("CASEWORK_S3_BUCKET", ""),
            "endpoint_url": os.environ.get("CASEWORK_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("CASEWORK_S3_REGION") or None,
            "access_key": os.environ.get("CASEWORK_S3_ACCESS_KEY_ID", ""),
            "secret_key": os.environ.get("CASEWORK_S3_SECRET_ACCESS_KEY", ""),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
            "location": os.environ.get("CASEWORK_S3_PREFIX", "documents"),
        },
    }
elif CASEWORK_DOCUMENT_STORAGE == "filesystem":
    DOCUMENTS_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": os.environ.get("CASEWORK_DOCUMENTS_ROOT", str(BASE_DIR / "media" / "documents")),
                    "base_url": None, "file_permissions_mode": 0o600, "directory_permissions_mode": 0o700},
    }
else:
    raise ImproperlyConfigured("CASEWORK_DOCUMENT_STORAGE must be 'filesystem' or 's3'.")
if CASEWORK_DOCUMENT_STORAGE == "s3" and not DOCUMENTS_STORAGE["OPTIONS"]["bucket_name"]:
    raise ImproperlyConfigured("CASEWORK_DOCUMENT_STORAGE=s3 needs CASEWORK_S3_BUCKET (and its credentials).")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "documents": DOCUMENTS_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Without collectstatic (make run, tests) whitenoise serves straight from the finders.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis-backed services, or their embedded stand-ins -------------------------------------
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Redis pub/sub: a group message is published once and every worker hands it to its
            # sockets in the group. The list-based RedisChannelLayer lost group messages for all the
            # sockets of a worker while other sockets of that worker connected and disconnected
            # (`make load` with reconnecting clients: 25-100 missed per run, with every server;
            # django/channels#1683), and its default capacity of 100 dropped pushes to sockets
            # that lagged behind a burst. A socket that is closed misses what is published
            # meanwhile; the browser fetches what it missed when it reconnects.
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            # redis-py 8 reads with a 5-second socket timeout by default: an idle layer's blocking
            # read then dies with TimeoutError and the browser sees 1011 (django/channels_redis#422).
            # No read timeout; keepalive finds dead connections.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": None, "socket_keepalive": True}],
                       "prefix": os.environ.get("CHANNELS_PREFIX", "casework")},
        }
    }
    # Throttle counters, rate limits, the SSO discovery document. While Redis is away the cache
    # acts as an empty one and the request goes on (casework.cache, logged once per outage); a
    # Redis that does not answer costs a request at most one connect timeout.
    CACHES = {
        "default": {
            "BACKEND": "casework.cache.ForgivingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "casework",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Without Redis the broker is kombu's in-process transport (tasks run eagerly anyway); it is named
# with a host, or kombu warns "No hostname was supplied" at every start.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
# In-process without Redis; CASEWORK_CELERY_EAGER=1 also with it (the browser tests' live servers
# on PostgreSQL + Redis, where no worker consumes the broker).
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL or env_bool("CASEWORK_CELERY_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_BEAT_SCHEDULE = {
    "sweep-deadlines": {
        "task": "casework.sweep_deadlines",
        "schedule": float(os.environ.get("CASEWORK_SWEEP_SECONDS", "60")),
    },
    "apply-retention": {"task": "casework.apply_retention", "schedule": 24 * 60 * 60.0},
    "email-unread-notifications": {"task": "notifications.email_unread", "schedule": 60.0},
    "send-notification-digests": {"task": "notifications.send_digests", "schedule": 60 * 60.0},
    "push-pending-notifications": {"task": "notifications.push_pending", "schedule": 30.0},
}

# --- Notifications: e-mail fallback -------------------------------------------------------------
# The public address in the e-mails' links; production has no default (refused unless https://).
CASEWORK_BASE_URL = os.environ.get("CASEWORK_BASE_URL", "" if PRODUCTION else "http://127.0.0.1:8000").rstrip("/")
CASEWORK_EMAIL_DELAY_MINUTES = int(os.environ.get("CASEWORK_EMAIL_DELAY_MINUTES", "15"))
# The hour (0-23, Europe/Amsterdam) of the daily digest of notifications, for who chose it per kind.
CASEWORK_DIGEST_HOUR = int(os.environ.get("CASEWORK_DIGEST_HOUR", "7"))
# An outbox entry whose fan-out failed this often is marked failed (notifications.delivery).
CASEWORK_OUTBOX_MAX_ATTEMPTS = int(os.environ.get("CASEWORK_OUTBOX_MAX_ATTEMPTS", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "casework@localhost")
# SMTP with EMAIL_HOST; else the console (make run), which production refuses. EMAIL_BACKEND names
# another backend (a provider's API, e.g.).
smtp_email_backend = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    smtp_email_backend if os.environ.get("EMAIL_HOST") else "django.core.mail.backends.console.EmailBackend")
if os.environ.get("EMAIL_HOST"):
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
# Retention (casework.retention): outcome -> (pseudonymise after, delete after) years from closure;
# the defaults and their legal grounds are in docs/privacy.md. Care under the Jeugdwet: 20 years.
CASEWORK_RETENTION_PERIODS: dict = {}
CASEWORK_RETENTION_CARE_YEARS = int(os.environ.get("CASEWORK_RETENTION_CARE_YEARS", "20"))

# --- Clocks (casework.clocks); periods of the pact, each a setting -------------------------
CASEWORK_TEAM_ACTION_HOURS = int(os.environ.get("CASEWORK_TEAM_ACTION_HOURS", "48"))
CASEWORK_TEAM_ACTION_WARN_HOURS = int(os.environ.get("CASEWORK_TEAM_ACTION_WARN_HOURS", "24"))
CASEWORK_LRV_DAYS = int(os.environ.get("CASEWORK_LRV_DAYS", "28"))
CASEWORK_OFFER_MONTHS = int(os.environ.get("CASEWORK_OFFER_MONTHS", "3"))
CASEWORK_OFFER_WARN_DAYS = int(os.environ.get("CASEWORK_OFFER_WARN_DAYS", "28"))
CASEWORK_EVALUATION_GRACE_DAYS = int(os.environ.get("CASEWORK_EVALUATION_GRACE_DAYS", "7"))
CASEWORK_TASK_DAYS = int(os.environ.get("CASEWORK_TASK_DAYS", "7"))
CASEWORK_DECISION_DAYS = int(os.environ.get("CASEWORK_DECISION_DAYS", "14"))

# The case file: notes and documents.
CASEWORK_NOTE_EDIT_MINUTES = int(os.environ.get("CASEWORK_NOTE_EDIT_MINUTES", "15"))
CASEWORK_DOCUMENT_MAX_MB = int(os.environ.get("CASEWORK_DOCUMENT_MAX_MB", "20"))
# Accepted documents: extension -> MIME type; the content must match the type (magic numbers).
CASEWORK_DOCUMENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
# Uploads above this many bytes go to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Client addresses --------------------------------------------------------------------------
# How many reverse proxies of our own stand before the server. 0 (the default): X-Forwarded-For is
# ignored and the address is the connection's. N: the N-th address from the right of
# X-Forwarded-For (the one our outermost proxy saw). One rule for the access log, the API
# throttles, the login lock-out and the public form's limit (casework.clientaddr).
CASEWORK_TRUSTED_PROXIES = int(os.environ.get("CASEWORK_TRUSTED_PROXIES", "0"))
# The application writes the server's access log (casework.accesslog, redacted like every log
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
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "signin.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "casework.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("CASEWORK_THROTTLE_ANON", "60/min"),
        "user": os.environ.get("CASEWORK_THROTTLE_USER", "1200/min"),
        "auth": os.environ.get("CASEWORK_THROTTLE_AUTH", "10/min"),
    },
    "EXCEPTION_HANDLER": "casework.api.errors.exception_handler",
    # The API reads JSON bodies (a form cannot say null, a nested object or a list of one); the
    # document upload and the token login name their own parsers. JSON nested deeper than
    # casework.parsers.MAX_DEPTH levels is a 400, never a RecursionError.
    "DEFAULT_PARSER_CLASSES": ["casework.parsers.DepthLimitedJSONParser"],
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
    },
}

# --- Single sign-on (sso): the providers are rows (admin: Identity providers), not settings --------
# mozilla-django-oidc's own settings that still apply with a provider per request.
OIDC_TIMEOUT = float(os.environ.get("CASEWORK_SSO_TIMEOUT", "10"))  # seconds per request to a provider
OIDC_STATE_SIZE = 32
OIDC_NONCE_SIZE = 32
OIDC_MAX_STATES = 10  # sign-ins started and not finished, per browser session
SSO_CLOCK_SKEW_SECONDS = int(os.environ.get("CASEWORK_SSO_CLOCK_SKEW_SECONDS", "60"))
SSO_DISCOVERY_SECONDS = int(os.environ.get("CASEWORK_SSO_DISCOVERY_SECONDS", "3600"))

# --- Demo data ---------------------------------------------------------------------------------
CASEWORK_DEMO_PASSWORD = os.environ.get("CASEWORK_DEMO_PASSWORD", "casework-demo-2026")

# --- Security -------------------------------------------------------------------------------
# Sessions end after CASEWORK_SESSION_IDLE_MINUTES without a request (to the minute), and with the
# browser. A request renews the session only when its last save is more than
# SESSION_RENEW_AFTER_SECONDS old (casework.middleware.SessionRenewalMiddleware), not on every
# request: most page views write nothing.
CASEWORK_SESSION_IDLE_MINUTES = int(os.environ.get("CASEWORK_SESSION_IDLE_MINUTES", "30"))
SESSION_COOKIE_AGE = 60 * CASEWORK_SESSION_IDLE_MINUTES
# However active, a session ends CASEWORK_SESSION_MAX_HOURS after its sign-in
# (signin.middleware.SessionLifetimeMiddleware; the keep-alive never reaches past it).
CASEWORK_SESSION_MAX_HOURS = float(os.environ.get("CASEWORK_SESSION_MAX_HOURS", "10"))
SESSION_SAVE_EVERY_REQUEST = False
SESSION_RENEW_AFTER_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# The pages warn CASEWORK_SESSION_WARNING_MINUTES before the session ends ("Ingelogd blijven").
SESSION_WARNING_SECONDS = 60 * int(os.environ.get("CASEWORK_SESSION_WARNING_MINUTES", "5"))
# Set at sign-in, removed at sign-out: a login page seen with it and without a session means the
# session expired (the page says so, and that what was typed is kept).
SIGNED_IN_MARKER_COOKIE = "casework_signed_in"
# Two factors (signin.factors): required for every account that can see a child's data. Switching
# them off, and the demo exemption (make run only; the login page says so), are refused in
# production (at the end of this file).
CASEWORK_REQUIRE_TWO_FACTOR = env_bool("CASEWORK_REQUIRE_TWO_FACTOR", True)
CASEWORK_TWO_FACTOR_DEMO_EXEMPT = env_bool("CASEWORK_TWO_FACTOR_DEMO_EXEMPT", False)
# Exports and changing someone else's membership ask for a second factor younger than this.
CASEWORK_REAUTH_MINUTES = int(os.environ.get("CASEWORK_REAUTH_MINUTES", "5"))
OTP_TOTP_ISSUER = "casework"
OTP_WEBAUTHN_RP_NAME = "casework"
OTP_WEBAUTHN_RP_ID_CALLABLE = "signin.passkeys.rp_id"  # the host the user reached
OTP_WEBAUTHN_HELPER_CLASS = "signin.passkeys.Helper"  # that host's origin is always allowed
OTP_WEBAUTHN_ALLOWED_ORIGINS = [origin for origin in os.environ.get(
    "CASEWORK_WEBAUTHN_ORIGINS", "http://localhost:8000").split(",") if origin.strip()]
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False  # a passkey is the second factor, after the password
# Lock-out after repeated failed logins (django-axes), per username and address.
AXES_FAILURE_LIMIT = int(os.environ.get("CASEWORK_LOGIN_FAILURES", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("CASEWORK_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "casework.clientaddr.client_address"  # the same address as everywhere
# Content-Security-Policy (django-csp): only this origin, no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# A refused form (no or an old CSRF token) gets casework's own Dutch page.
CSRF_FAILURE_VIEW = "casework.web.errors.csrf_failure"
# A production instance that only this machine reaches (make prod-smoke): plain HTTP on loopback,
# so no redirect to HTTPS, no HSTS, and cookies without Secure. Refused below unless every entry
# of ALLOWED_HOSTS is a loopback address.
CASEWORK_PLAIN_HTTP_ON_LOOPBACK = env_bool("CASEWORK_PLAIN_HTTP_ON_LOOPBACK", False)
if PRODUCTION and not CASEWORK_PLAIN_HTTP_ON_LOOPBACK:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Logging: never a child's name in a log line (ids only, by convention, and a filter) -------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "casework.logfilters.PersonalDataFilter"}},
    # Every line passes the filter: secret paths (parent links, calendar feeds) lose their token,
    # query strings are dropped. The server's access log is a logger too (bin/serve).
    # One clock in every line: the local time of TIME_ZONE with the zone's name ("CET"/"CEST"),
    # for the server, the sweeper and Celery alike.
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s",
                             "datefmt": "%Y-%m-%d %H:%M:%S %Z"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["personal_data"],
                             "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Django's own handlers (its console under DEBUG, runserver's request log) print paths
    # unfiltered: these loggers write through the root's filtered handler instead.
    "loggers": {name: {"handlers": [], "propagate": True} for name in ("django", "django.server")},
}

# --- Production: refuse what is unsafe ---------------------------------------------------------
# The embedded defaults are refused above, where they are read; these are settings that work but
# would expose children's data or lose work in production. Each refusal names the variable.
unsafe_email_backends = {
    "django.core.mail.backends.console.EmailBackend": "would print every e-mail (recipient, case) into the log",
    "django.core.mail.backends.locmem.EmailBackend": "would keep the e-mails in memory and send none",
    "django.core.mail.backends.dummy.EmailBackend": "would drop every e-mail",
    "django.core.mail.backends.filebased.EmailBackend": "would write every e-mail to a file",
}


def is_loopback(host: str) -> bool:
    """`localhost` or a loopback address (127.0.0.0/8, ::1), as ALLOWED_HOSTS or a URL names it."""
    import ipaddress

    host = host.strip().lower().removeprefix("[").removesuffix("]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def unsafe_production_settings() -> list[str]:
    from urllib.parse import urlsplit

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
