"""Reading the environment: the helpers every settings module reads variables with, which
environment this is (CASEWORK_ENV), the secret key, debug, the hosts, and Redis."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent

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

REDIS_URL = os.environ.get("REDIS_URL", "")
