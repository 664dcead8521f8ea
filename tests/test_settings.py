"""Production settings refuse the embedded defaults and unsafe settings, each with a message that
names it, and pass `check --deploy`."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "CASEWORK_ENV": "production",
    "SECRET_KEY": "k3y-" + "a1b2c3d4e5f6g7h8" * 4,
    "DEBUG": "false",
    "DATABASE_URL": "postgres://casework@db.internal:5432/casework",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "ALLOWED_HOSTS": "casework.example.org",
    "CASEWORK_BASE_URL": "https://casework.example.org",
    "EMAIL_HOST": "smtp.example.org",
}
# Variables of the caller's environment that would change what production accepts.
NOT_INHERITED = {*PRODUCTION, "CASEWORK_CELERY_EAGER", "CASEWORK_REQUIRE_TWO_FACTOR", "CASEWORK_TWO_FACTOR_DEMO_EXEMPT",
                 "EMAIL_BACKEND", "CASEWORK_PLAIN_HTTP_ON_LOOPBACK", "STATIC_ROOT", "SECURE_SSL_REDIRECT",
                 "SECURE_HSTS_SECONDS"}


def manage(*args, **env_changes):
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update({k: v for k, v in env_changes.items() if v is not None})
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_in_production():
    done = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout


@pytest.mark.parametrize(("change", "message"), [
    ({"SECRET_KEY": None}, "SECRET_KEY"),
    ({"DEBUG": "true"}, "DEBUG"),
    ({"DATABASE_URL": None}, "PostgreSQL"),
    ({"REDIS_URL": None}, "REDIS_URL"),
    ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS"),
], ids=["default secret", "debug", "sqlite", "no redis", "no hosts"])
def test_production_refuses_embedded_defaults(change, message):
    env = {**PRODUCTION, **change}
    done = manage("check", **env)
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and message in done.stderr


@pytest.mark.parametrize(("change", "message"), [
    ({"CASEWORK_REQUIRE_TWO_FACTOR": "0"}, "CASEWORK_REQUIRE_TWO_FACTOR=0 would let a password alone open"),
    ({"CASEWORK_TWO_FACTOR_DEMO_EXEMPT": "1"}, "CASEWORK_TWO_FACTOR_DEMO_EXEMPT is for the demo only"),
    ({"CASEWORK_CELERY_EAGER": "1"}, "CASEWORK_CELERY_EAGER=1 would run the background work inside the web"),
    ({"EMAIL_HOST": None}, "e-mail backend django.core.mail.backends.console.EmailBackend would print every e-mail"),
    ({"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}, "console.EmailBackend would print"),
    ({"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}, "locmem.EmailBackend would keep"),
    ({"EMAIL_HOST": None, "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend"},
     "EMAIL_HOST must name the SMTP server"),
    ({"CASEWORK_BASE_URL": None}, "CASEWORK_BASE_URL must be set to the public https:// address"),
    ({"CASEWORK_BASE_URL": "http://casework.example.org"}, "CASEWORK_BASE_URL must be an https:// address"),
    ({"CASEWORK_BASE_URL": "casework.example.org"}, "CASEWORK_BASE_URL must be an https:// address"),
    ({"CASEWORK_PLAIN_HTTP_ON_LOOPBACK": "1"},
     "CASEWORK_PLAIN_HTTP_ON_LOOPBACK=1 (plain HTTP, no HSTS, cookies without Secure) is only for an instance that "
     "serves loopback addresses, and ALLOWED_HOSTS names casework.example.org"),
    ({"CASEWORK_PLAIN_HTTP_ON_LOOPBACK": "1", "ALLOWED_HOSTS": "127.0.0.1,*"}, "ALLOWED_HOSTS names *"),
    ({"CASEWORK_PLAIN_HTTP_ON_LOOPBACK": "1", "ALLOWED_HOSTS": "127.0.0.1",
      "CASEWORK_BASE_URL": "http://casework.example.org"},
     "CASEWORK_BASE_URL must be an https:// address, not 'http://casework.example.org'"),
], ids=["one factor", "demo exemption", "eager celery", "no e-mail host", "console e-mail", "locmem e-mail",
        "smtp without host", "no base url", "http base url", "base url without scheme", "loopback switch elsewhere",
        "loopback switch and any host", "loopback switch and a public http base url"])
def test_production_refuses_unsafe_settings(change, message):
    done = manage("check", **{**PRODUCTION, **change})
    assert done.returncode != 0
    last = done.stderr.rstrip().splitlines()[-1]  # the refusal, after the import's traceback
    assert last.startswith("django.core.exceptions.ImproperlyConfigured: CASEWORK_ENV=production refuses unsafe "
                           "settings: "), done.stderr[-2000:]
    assert message in last


def test_every_refusal_at_once():
    """Several unsafe settings: one message that names each."""
    done = manage("check", **{**PRODUCTION, "CASEWORK_REQUIRE_TWO_FACTOR": "0", "CASEWORK_CELERY_EAGER": "1",
                              "EMAIL_HOST": None, "CASEWORK_BASE_URL": None})
    assert done.returncode != 0
    last = done.stderr.rstrip().splitlines()[-1]
    for name in ("CASEWORK_REQUIRE_TWO_FACTOR", "CASEWORK_CELERY_EAGER", "console.EmailBackend", "CASEWORK_BASE_URL"):
        assert name in last


def test_the_loopback_switch_relaxes_only_tls_on_loopback():
    """CASEWORK_PLAIN_HTTP_ON_LOOPBACK=1 with only loopback hosts (make prod-smoke): production
    starts, without the HTTPS redirect, HSTS or Secure cookies; every other refusal still holds."""
    script = ("from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
              "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.DEBUG, s.CASEWORK_BASE_URL)")
    loopback = {**PRODUCTION, "CASEWORK_PLAIN_HTTP_ON_LOOPBACK": "1", "ALLOWED_HOSTS": "127.0.0.1,localhost,[::1]",
                "CASEWORK_BASE_URL": "http://127.0.0.1:8000", "DJANGO_SETTINGS_MODULE": "casework.settings"}
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env={**env, **loopback},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "0", "False", "False", "False", "http://127.0.0.1:8000"]
    assert manage("check", **loopback).returncode == 0
    still = manage("check", **{**loopback, "CASEWORK_REQUIRE_TWO_FACTOR": "0"})
    assert still.returncode != 0 and "CASEWORK_REQUIRE_TWO_FACTOR=0" in still.stderr
    # Without the switch the same instance is held to TLS.
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env={**env, **PRODUCTION,
                          "DJANGO_SETTINGS_MODULE": "casework.settings"}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[:4] == ["True", "31536000", "True", "True"]


def test_embedded_defaults_in_development(settings):
    from django.conf import settings as live

    if os.environ.get("REDIS_URL"):
        assert live.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
        assert live.CELERY_TASK_ALWAYS_EAGER is False
    else:
        assert live.CHANNEL_LAYERS["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"
        assert live.CELERY_TASK_ALWAYS_EAGER is True
    assert live.LANGUAGE_CODE == "nl" and live.TIME_ZONE == "Europe/Amsterdam" and live.USE_TZ
    assert live.DATABASES["default"]["ATOMIC_REQUESTS"] is False


def test_document_storage_settings():
    """File system by default (never under a public URL); S3 through django-storages when asked,
    and refused without a bucket."""
    from django.conf import settings as live

    documents = live.STORAGES["documents"]
    assert documents["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert documents["OPTIONS"]["base_url"] is None
    script = ("from django.conf import settings; "
              "print(settings.STORAGES['documents']['BACKEND'], settings.STORAGES['documents']['OPTIONS']"
              "['default_acl'])")
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**env, "DJANGO_SETTINGS_MODULE": "casework.settings",
                               "CASEWORK_DOCUMENT_STORAGE": "s3", "CASEWORK_S3_BUCKET": "casework-docs"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["storages.backends.s3.S3Storage", "private"]
    refused = manage("check", CASEWORK_DOCUMENT_STORAGE="s3")
    assert refused.returncode != 0 and "CASEWORK_S3_BUCKET" in refused.stderr


def test_the_channel_layer_reads_without_a_socket_timeout():
    """redis-py 8 times reads out after 5 s by default, shorter than the channel layer's blocking reads:
    idle websocket consumers would die with 1011 (django/channels_redis#422)."""
    from channels_redis.utils import create_pool, decode_hosts

    script = ("from django.conf import settings; print(settings.CHANNEL_LAYERS['default']['CONFIG']['hosts'])")
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**env, "DJANGO_SETTINGS_MODULE": "casework.settings",
                               "REDIS_URL": "redis://127.0.0.1:6379/3"})
    assert done.returncode == 0, done.stderr
    import ast

    hosts = ast.literal_eval(done.stdout.strip())
    pool = create_pool(decode_hosts(hosts)[0])
    assert pool.connection_kwargs["socket_timeout"] is None
    assert pool.connection_kwargs["socket_keepalive"] is True
