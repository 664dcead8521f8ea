"""The database (DATABASE_URL: SQLite by default, PostgreSQL in production), and production's
refusal of the embedded defaults read so far (the secret key, debug, SQLite, no Redis, no hosts)."""

import os

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from casework.settings.environment import (
    ALLOWED_HOSTS,
    BASE_DIR,
    DEBUG,
    DEV_SECRET_KEY,
    PRODUCTION,
    REDIS_URL,
    SECRET_KEY,
)

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
