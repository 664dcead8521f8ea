"""casework's own settings: notifications and their e-mail, retention, the pact's clocks, and the
demo's password."""

import os

from casework.settings.environment import PRODUCTION, env_bool

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
# A thuiswerkplan's review clock runs this many days from the plan's start (casework.clocks).
CASEWORK_THUISWERKPLAN_REVIEW_DAYS = int(os.environ.get("CASEWORK_THUISWERKPLAN_REVIEW_DAYS", "42"))
# The chain's reports and unenrolments of pupils who never got a case (open or set aside) are
# deleted this many days after they were imported (chain.services.expire_unmatched, daily).
CASEWORK_RETENTION_UNMATCHED_DAYS = int(os.environ.get("CASEWORK_RETENTION_UNMATCHED_DAYS", "180"))

# --- Clocks (casework.clocks); periods of the pact, each a setting -------------------------
CASEWORK_TEAM_ACTION_HOURS = int(os.environ.get("CASEWORK_TEAM_ACTION_HOURS", "48"))
CASEWORK_TEAM_ACTION_WARN_HOURS = int(os.environ.get("CASEWORK_TEAM_ACTION_WARN_HOURS", "24"))
CASEWORK_LRV_DAYS = int(os.environ.get("CASEWORK_LRV_DAYS", "28"))
CASEWORK_OFFER_MONTHS = int(os.environ.get("CASEWORK_OFFER_MONTHS", "3"))
CASEWORK_OFFER_WARN_DAYS = int(os.environ.get("CASEWORK_OFFER_WARN_DAYS", "28"))
CASEWORK_EVALUATION_GRACE_DAYS = int(os.environ.get("CASEWORK_EVALUATION_GRACE_DAYS", "7"))
CASEWORK_TASK_DAYS = int(os.environ.get("CASEWORK_TASK_DAYS", "7"))
CASEWORK_DECISION_DAYS = int(os.environ.get("CASEWORK_DECISION_DAYS", "14"))
# KPI 9: how long a satisfaction survey invitation after an ECT consult stays open, and the SWV's
# target for the average score (Jaarkalender & jaarplan SWV VO Groningen Stad, KPI 9).
CASEWORK_SURVEY_DAYS = int(os.environ.get("CASEWORK_SURVEY_DAYS", "28"))
CASEWORK_KPI9_TARGET = float(os.environ.get("CASEWORK_KPI9_TARGET", "8.0"))

# --- Demo data ---------------------------------------------------------------------------------
CASEWORK_DEMO_PASSWORD = os.environ.get("CASEWORK_DEMO_PASSWORD", "casework-demo-2026")
