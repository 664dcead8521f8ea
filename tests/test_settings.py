"""Production settings refuse the embedded defaults and pass `check --deploy`."""

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
}


def manage(*args, **env_changes):
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION}
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
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION}
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
