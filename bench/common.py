"""What the benchmark modules share: the paths, the percentile, the benchmark database and
Django's set-up once that database is chosen."""

import os
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent


def p95(values):
    values = sorted(values)
    return values[max(0, int(round(0.95 * len(values))) - 1)]


def demo_users():
    from teams.models import User  # after django_setup(): the benchmark chooses its database first

    return {u.username: u for u in User.objects.all()}


def setup_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def django_setup(migrate: bool = True):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casework.settings")
    os.environ["CASEWORK_BENCH"] = "1"
    os.environ["DEBUG"] = "0"
    import django

    django.setup()
    from django.core.management import call_command

    if migrate:
        call_command("migrate", verbosity=0)
        call_command("seed_demo", "--no-cases", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
