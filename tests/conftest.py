import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
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


def _only_the_test_wrapper_is_open(connection) -> bool:
    """Inside pytest-django's rolled-back test transaction, with no atomic block of the code under
    test open: outside the test, the code would be in autocommit here."""
    blocks = connection.atomic_blocks
    return bool(blocks) and all(getattr(block, "_from_testcase", False) for block in blocks)


def _run_commit_hooks(connection) -> None:
    """What Django does after a real COMMIT (run_and_clear_commit_hooks), in order."""
    while connection.run_on_commit:
        _, hook, robust = connection.run_on_commit.pop(0)
        if robust:
            try:
                hook()
            except Exception:  # noqa: BLE001, S110 - a robust hook's failure is logged by Django too
                pass
        else:
            hook()


@pytest.fixture(autouse=True)
def _work_after_commit_runs_at_the_codes_commit(monkeypatch):
    """A `django_db` test runs inside a transaction that is rolled back at its end, so nothing the
    code under test does ever commits, and what it defers to after commit (the notification
    fan-out, file removals) would never run. Here it runs where the code's own outermost atomic
    block ends, which outside the test is the COMMIT; a rolled-back block drops its hooks, as
    Django does. Transactional tests commit for real and are left alone (the wrapper is absent)."""
    exit_atomic = transaction.Atomic.__exit__
    on_commit = BaseDatabaseWrapper.on_commit

    def exit_then_commit_hooks(self, exc_type, exc_value, traceback):
        result = exit_atomic(self, exc_type, exc_value, traceback)
        connection = transaction.get_connection(self.using)
        if exc_type is None and _only_the_test_wrapper_is_open(connection) and not connection.needs_rollback:
            _run_commit_hooks(connection)
        return result

    def on_commit_now_if_autocommit(self, func, robust=False):
        on_commit(self, func, robust)
        if _only_the_test_wrapper_is_open(self) and not self.needs_rollback:
            _run_commit_hooks(self)

    monkeypatch.setattr(transaction.Atomic, "__exit__", exit_then_commit_hooks)
    monkeypatch.setattr(BaseDatabaseWrapper, "on_commit", on_commit_now_if_autocommit)


@pytest.fixture(autouse=True)
def _celery_in_process():
    """Celery tasks run in-process in the tests, also in the PostgreSQL + Redis run, where no
    worker consumes the broker (`make prod-smoke` runs a real worker).

    Each test starts with results joinable: an eager task marks the process as "inside a task"
    (result.get() refused) in a global flag, not per thread, so eager tasks in several threads at
    once (the concurrency tests on PostgreSQL) can leave it set for every later test."""
    from celery.result import allow_join_result

    from casework.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    with allow_join_result():
        yield
    app.conf.task_always_eager = eager


@pytest.fixture(autouse=True)
def _second_factor_passed_at_test_login(request):
    """In this process a sign-in (the test client's `login`/`force_login`, or a POST to /login/)
    also counts as having passed the second factor (signin.factors), so the hundreds of tests that
    are about something else need no code. Tests of signing in itself are marked
    `real_second_factor` and pass it through the real pages with generated codes; browser tests
    type the code of the user's app (tests.browser.log_in)."""
    if request.node.get_closest_marker("real_second_factor") is not None:
        yield
        return
    import time

    from django.contrib.auth.signals import user_logged_in

    from signin.factors import FACTOR_AT, FACTOR_METHOD

    def mark(sender, request, user, **kwargs):  # after signin.events forgot any earlier factor
        if request is not None and hasattr(request, "session"):
            request.session[FACTOR_METHOD] = "test"
            request.session[FACTOR_AT] = time.time()

    user_logged_in.connect(mark, dispatch_uid="tests-second-factor")
    yield
    user_logged_in.disconnect(dispatch_uid="tests-second-factor")


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
