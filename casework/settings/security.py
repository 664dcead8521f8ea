"""Signing in and staying safe: single sign-on, sessions (idle and absolute end), two factors,
the login lock-out, the Content-Security-Policy, cookies and HTTPS."""

import os
from datetime import timedelta

from casework.settings.environment import PRODUCTION, env_bool

# --- Single sign-on (sso): the providers are rows (admin: Identity providers), not settings --------
# mozilla-django-oidc's own settings that still apply with a provider per request.
OIDC_TIMEOUT = float(os.environ.get("CASEWORK_SSO_TIMEOUT", "10"))  # seconds per request to a provider
OIDC_STATE_SIZE = 32
OIDC_NONCE_SIZE = 32
OIDC_MAX_STATES = 10  # sign-ins started and not finished, per browser session
SSO_CLOCK_SKEW_SECONDS = int(os.environ.get("CASEWORK_SSO_CLOCK_SKEW_SECONDS", "60"))
SSO_DISCOVERY_SECONDS = int(os.environ.get("CASEWORK_SSO_DISCOVERY_SECONDS", "3600"))

# --- Security -------------------------------------------------------------------------------
# Sessions end after CASEWORK_SESSION_IDLE_MINUTES without a request (to the minute), and with the
# browser. A request renews the session only when its last save is more than
# SESSION_RENEW_AFTER_SECONDS old (casework.http.middleware.SessionRenewalMiddleware), not on every
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
# production (casework.settings.production).
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
AXES_CLIENT_IP_CALLABLE = "casework.http.addresses.client_address"  # the same address as everywhere
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
# so no redirect to HTTPS, no HSTS, and cookies without Secure. Refused in production
# (casework.settings.production) unless every entry of ALLOWED_HOSTS is a loopback address.
CASEWORK_PLAIN_HTTP_ON_LOOPBACK = env_bool("CASEWORK_PLAIN_HTTP_ON_LOOPBACK", False)
if PRODUCTION and not CASEWORK_PLAIN_HTTP_ON_LOOPBACK:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
