import datetime as dt
import json
import os
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.auth.signals import user_logged_in
from django.core.management import call_command
from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import override_settings
from django.test.client import ClientMixin
from psycopg.types.json import Jsonb

from signin import events
from signin.factors import FACTOR_AT, FACTOR_METHOD
from tests import testdb
from tests.factories import MembershipFactory, SchoolFactory, TeamFactory, UserFactory
from tests.flowkit import api_client, users


def pytest_configure(config):
    """Under pytest-xdist (`-n`), each worker process gets its own Redis database and channel
    prefix (Redis pub/sub ignores the database number), here and in the servers it starts: tests
    clear the cache and push to users' groups, and the workers' user ids overlap. Django's cache
    and channel layer are made on first use, after this."""
    worker, url = os.environ.get("PYTEST_XDIST_WORKER"), os.environ.get("REDIS_URL")
    if not worker or not url:
        return
    base, _, number = url.rpartition("/")
    own = f"{base}/{(int(number or 0) - int(worker.removeprefix('gw'))) % 16}"
    prefix = f"{os.environ.get('CHANNELS_PREFIX', 'casework')}-{worker}"
    os.environ.update(REDIS_URL=own, CHANNELS_PREFIX=prefix)
    django_settings.REDIS_URL = django_settings.CELERY_BROKER_URL = own
    django_settings.CACHES["default"]["LOCATION"] = own
    layer = django_settings.CHANNEL_LAYERS["default"]["CONFIG"]
    layer["hosts"][0]["address"], layer["prefix"] = own, prefix


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgresql` are deselected (not skipped) when the suite runs elsewhere. Tests
    marked `browser` or `own_redis` run on one database, PostgreSQL + Redis (the production
    set-up): `bin/test-all` sets BROWSER_TESTS=postgresql for its SQLite run when the PostgreSQL
    run follows; run on their own (`pytest tests/test_browser_journey.py`) they run on SQLite too."""
    same = [nodeid for nodeid, n in Counter(item.nodeid for item in items).items() if n > 1]
    if same:  # pytest-xdist schedules by id: of tests that share one, it would run one
        raise pytest.UsageError(f"{len(same)} test ids are not unique, e.g. {same[0]}")
    if connection.vendor == "postgresql":
        _long_files_first(items)
        return
    browser_elsewhere = os.environ.get("BROWSER_TESTS") == "postgresql"

    def elsewhere(item) -> bool:
        return item.get_closest_marker("postgresql") is not None or (browser_elsewhere and any(
            item.get_closest_marker(name) is not None for name in ("browser", "own_redis")))

    deselected = [item for item in items if elsewhere(item)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not elsewhere(item)]


def _long_files_first(items) -> None:
    """For `bin/test-all`'s PostgreSQL run (`pytest -n 2 --dist loadfile`, a file at a time): the
    files that drive Chromium, the longest ones, are handed out first, so that no worker is left
    with a long file while the other has nothing more to do (a long browser walk is split over
    files of its own: tests/test_role_walk_wcag_*.py). Stable: the order inside a file and
    between files of a kind is the collection's."""
    browser_files = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("browser") is not None}
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in browser_files)


_seconds_per_test: dict[str, float] = defaultdict(float)
SLOWEST = 15


_scheduled: set[str] = set()
_finished: set[str] = set()


def pytest_runtest_logreport(report):
    """Set-up, call and tear-down of each test, summed (also for reports from xdist workers)."""
    _seconds_per_test[report.nodeid] += report.duration
    if report.when == "teardown":
        _finished.add(report.nodeid)


def pytest_xdist_node_collection_finished(node, ids):
    """What the workers will run (each collects the whole selection)."""
    _scheduled.update(ids)


def pytest_sessionfinish(session, exitstatus):
    """A run whose workers stopped before every selected test ran (a worker interrupted, a lost
    process) fails, whatever the tests that did run say."""
    missing = _scheduled - _finished
    if missing and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.INTERRUPTED
        session.config.get_terminal_writer().line(
            f"ERROR: {len(missing)} of {len(_scheduled)} tests never ran (e.g. {sorted(missing)[0]})", red=True)


def pytest_terminal_summary(terminalreporter):
    """The slowest tests of the run, whole (pytest's --durations lists the phases apart): the
    suite must stay fast, and this is where a slow newcomer shows first."""
    if not _seconds_per_test:
        return
    slowest = sorted(_seconds_per_test.items(), key=lambda item: item[1], reverse=True)[:SLOWEST]
    terminalreporter.write_sep("=", f"slowest {len(slowest)} tests (set-up + call + tear-down)")
    for nodeid, seconds in slowest:
        terminalreporter.write_line(f"{seconds:8.2f} s  {nodeid}")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """SQLite tests use a file, so that a live server in another process (browser tests) sees the
    same database; PostgreSQL tests use pytest-django's test database as usual."""
    database = django_settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker, django_db_modify_db_settings):
    """pytest-django's set-up, but the migrated database is cloned from a template when an earlier
    run made one for the same migrations (tests.testdb), and dropped at the end as before."""
    with django_db_blocker.unblock():
        old_name = testdb.set_up()
    yield
    with django_db_blocker.unblock():
        testdb.tear_down(old_name)


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
def _second_factor_passed_at_test_login(request, monkeypatch):
    """In this process a sign-in (the test client's `login`/`force_login`, or a POST to /login/)
    also counts as having passed the second factor (signin.factors), so the hundreds of tests that
    are about something else need no code; the test client's shortcut (`login`, `force_login`) is
    set-up, not a sign-in event, and writes no `login` row to the access log. Tests of signing in
    itself are marked `real_second_factor` and pass it through the real pages with generated
    codes; browser tests type the code of the user's app (tests.browser.log_in)."""
    if request.node.get_closest_marker("real_second_factor") is not None:
        yield
        return
    def mark(sender, request, user, **kwargs):  # after signin.receivers forgot any earlier factor
        if request is not None and hasattr(request, "session"):
            request.session[FACTOR_METHOD] = "test"
            request.session[FACTOR_AT] = time.time()

    original_login, original_alogin, log_signin = ClientMixin._login, ClientMixin._alogin, events.log_signin

    def quiet(*args, **kwargs):
        return None

    def login_unlogged(self, user, backend=None):
        events.log_signin = quiet
        try:
            original_login(self, user, backend)
        finally:
            events.log_signin = log_signin

    async def alogin_unlogged(self, user, backend=None):
        events.log_signin = quiet
        try:
            await original_alogin(self, user, backend)
        finally:
            events.log_signin = log_signin

    monkeypatch.setattr(ClientMixin, "_login", login_unlogged)
    monkeypatch.setattr(ClientMixin, "_alogin", alogin_unlogged)
    user_logged_in.connect(mark, dispatch_uid="tests-second-factor")
    yield
    user_logged_in.disconnect(dispatch_uid="tests-second-factor")


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters and rate limits live in the cache (Redis in the production run)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@dataclass
class DemoSnapshot:
    """What `seed_demo --json --no-cases` wrote, captured once per test session: its JSON and
    the rows it added, table by table, in the order they can be inserted again."""

    result: dict
    tables: list[tuple[str, list[str], list[tuple]]] = field(default_factory=list)


def _table_rows(cursor, table: str) -> tuple[list[str], set[tuple]]:
    cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - a table name of ours
    return [column[0] for column in cursor.description], set(cursor.fetchall())


def _seeded_tables_in_insert_order(added: dict[str, tuple]) -> list[str]:
    """The tables with added rows, each after the tables its foreign keys point to, so that the
    rows can be inserted again in autocommit (transactional tests) as well as in a transaction."""
    by_table = {model._meta.db_table: model for model in apps.get_models(include_auto_created=True)}
    ordered: list[str] = []

    def visit(table: str, seen: frozenset = frozenset()) -> None:
        if table in ordered or table in seen or table not in added:
            return
        model = by_table.get(table)
        for field_ in (model._meta.concrete_fields if model else ()):
            if field_.remote_field is not None and field_.related_model is not model:
                visit(field_.related_model._meta.db_table, seen | {table})
        ordered.append(table)

    for table in sorted(added):
        visit(table)
    return ordered


@pytest.fixture(scope="session")
def _demo_snapshot(django_db_setup, django_db_blocker) -> DemoSnapshot:
    """Seeds the demo once per session (per xdist worker), the same command the `demo` fixture
    ran per test before, captures every row it added, and rolls it back. Passwords are hashed as
    the tests hash them (`_fast_passwords`). Afterwards each table's id sequence is moved past the
    captured ids, so that rows a test makes before asking for the demo never take those ids."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        with transaction.atomic(), connection.cursor() as cursor:
            tables = connection.introspection.table_names(cursor)
            before = {table: _table_rows(cursor, table)[1] for table in tables}
            out = StringIO()
            call_command("seed_demo", "--json", "--no-cases", stdout=out)
            added = {}
            for table in tables:
                columns, rows = _table_rows(cursor, table)
                if rows - before[table]:
                    added[table] = (columns, sorted(rows - before[table], key=repr))
            transaction.set_rollback(True)
        snapshot = DemoSnapshot(result=json.loads(out.getvalue()))
        for table in _seeded_tables_in_insert_order(added):
            columns, rows = added[table]
            snapshot.tables.append((table, columns, rows))
        _move_sequences_past(snapshot)
    return snapshot


def _move_sequences_past(snapshot: DemoSnapshot) -> None:
    """PostgreSQL's sequences are not rolled back (nothing to do); SQLite's are (sqlite_sequence).
    (Inserting the rows again moves SQLite's past them by itself; on PostgreSQL `demo` does it.)"""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for table, columns, rows in snapshot.tables:
            if "id" in columns:
                top = top_id(columns, rows)
                cursor.execute("UPDATE sqlite_sequence SET seq = MAX(seq, %s) WHERE name = %s", [top, table])
                if cursor.rowcount == 0:
                    cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, top])


def _database_value(value):
    """psycopg adapts no dict or list by itself: JSON columns go back as JSON. sqlite3 reads a TIME
    column as a `datetime.time` (Django's converter) but has no adapter to write one back."""
    if connection.vendor == "postgresql" and isinstance(value, dict | list):
        return Jsonb(value)
    if connection.vendor == "sqlite" and isinstance(value, dt.time):
        return value.isoformat()
    return value


@pytest.fixture
def demo(db, _demo_snapshot):
    """The demo data, as `seed_demo --json` describes it (users by role, school ids): the rows the
    session's one `seed_demo --no-cases` wrote, inserted again for this test (and rolled back with
    it, or flushed after a transactional test)."""
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        for table, columns, rows in _demo_snapshot.tables:
            cursor.executemany(
                f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608 - our tables
                f"VALUES ({', '.join(['%s'] * len(columns))})",
                [[_database_value(value) for value in row] for row in rows])
        if connection.vendor == "postgresql":  # an explicit id leaves the sequence where it was
            for table, columns, rows in _demo_snapshot.tables:
                if "id" in columns:
                    cursor.execute(
                        "SELECT setval(seq, %s) FROM (SELECT pg_get_serial_sequence(%s, 'id')::regclass AS seq) s "
                        "WHERE coalesce(pg_sequence_last_value(seq), 0) < %s",
                        [top_id(columns, rows), quote(table), top_id(columns, rows)])
    return json.loads(json.dumps(_demo_snapshot.result))  # a copy: a test may change its dict


def top_id(columns: list[str], rows: list[tuple]) -> int:
    return max(row[columns.index("id")] for row in rows)


@pytest.fixture
def api():
    """`api(user)`: a DRF test client signed in as `user` (or anonymous with None)."""
    return api_client


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
