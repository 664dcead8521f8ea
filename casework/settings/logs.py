"""Logging: never a child's name in a log line (ids only, by convention, and a filter)."""

import os

# --- Logging: never a child's name in a log line (ids only, by convention, and a filter) -------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "casework.http.redaction.PersonalDataFilter"}},
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
