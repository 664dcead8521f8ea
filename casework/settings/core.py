"""The project itself: the installed apps, the middleware, authentication backends, urls,
templates, the user model and its passwords."""

from casework.settings.environment import BASE_DIR, PRODUCTION, env_bool

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
    "knox",  # API tokens (the model is signin.ApiToken: KNOX_TOKEN_MODEL in casework.settings.api)
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
    "oauth2_provider",  # machine clients: OAuth 2.0 client credentials (systems.ConnectedSystem)
    "systems",
    "chain",  # absence reports and enrolments read from the chain (DUO's Verzuimloket, BRON)
]

# The benchmark suite (`make bench`) adds its baseline flow and views; never in production.
BENCH = env_bool("CASEWORK_BENCH", False) and not PRODUCTION
if BENCH:
    INSTALLED_APPS.append("bench")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The API's version header, Cache-Control, CORS on the document, Deprecation and Sunset on the old
    # paths, problem+json for every /api/v1/ error.
    "casework.api.middleware.ApiVersionMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "casework.http.middleware.SessionRenewalMiddleware",  # renews the idle session at most once a minute
    "casework.http.middleware.ChosenLanguageMiddleware",  # Dutch unless the user chose English
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified() (django-otp's devices)
    # The session's absolute lifetime, then: no page without the second factor (signin.factors).
    "signin.middleware.SessionLifetimeMiddleware",
    "signin.middleware.SecondFactorRequiredMiddleware",
    # Version 1's requests: unknown parameters refused, Idempotency-Key, the RateLimit-* headers.
    "casework.api.middleware.ApiRequestMiddleware",
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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
