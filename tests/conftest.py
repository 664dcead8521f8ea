import json
from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.factories import MembershipFactory, SchoolFactory, TeamFactory, UserFactory


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgresql` are deselected (not skipped) when the suite runs elsewhere."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    kept = [item for item in items if item.get_closest_marker("postgresql") is None]
    deselected = [item for item in items if item.get_closest_marker("postgresql") is not None]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """SQLite tests use a file, so that a live server in another process (browser tests) sees the
    same database; PostgreSQL tests use pytest-django's test database as usual."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters and rate limits live in the cache (Redis in the production run)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def demo(db):
    """The demo data, as `seed_demo --json` describes it (users by role, school ids)."""
    out = StringIO()
    call_command("seed_demo", "--json", "--no-cases", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def api():
    """`api(user)`: a DRF test client signed in as `user` (or anonymous with None)."""

    def client_for(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for


@pytest.fixture
def vo_school(db):
    return SchoolFactory(name="Testcollege")


@pytest.fixture
def member(vo_school):
    """A member of the AOJ-team of `vo_school`."""
    user = UserFactory(username="member")
    MembershipFactory(user=user, team=vo_school.teams.get())
    return user


@pytest.fixture
def outsider(db):
    """A member of another school's AOJ-team: sees none of `vo_school`'s cases."""
    other = SchoolFactory(name="Andere school")
    user = UserFactory(username="outsider")
    MembershipFactory(user=user, team=other.teams.get())
    return user


@pytest.fixture
def leerplicht(vo_school):
    team = TeamFactory(kind="leerplicht", region=vo_school.region, name="Leerplicht test")
    user = UserFactory(username="lpa")
    MembershipFactory(user=user, team=team)
    return user



@pytest.fixture
def u(demo):
    """The demo users by role (aoj, aoj_2, kindteam, ect, ect_2, leerplicht, mpl_chair, ...)."""
    from tests.flowkit import users

    return users(demo)


@pytest.fixture(autouse=True)
def _documents_in_tmp(settings, tmp_path):
    """Uploaded documents go to a fresh directory per test (the `documents` storage). The file
    field resolved its storage when the models loaded, so it is pointed at the new one too."""
    from django.core.files.storage import storages

    from casework.models import Document

    settings.STORAGES = {**settings.STORAGES, "documents": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "documents"), "base_url": None}}}
    field = Document._meta.get_field("file")
    loaded = field.storage
    field.storage = storages["documents"]
    yield tmp_path / "documents"
    field.storage = loaded
