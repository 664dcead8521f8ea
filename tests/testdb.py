"""The test database, migrated once and then copied: a run clones a template made by an earlier
run with the same migrations instead of migrating again.

The template is keyed by the contents of every migration file of the installed apps, the
project modules those migrations import, and the Django version; a change to any of them makes a
new one. On PostgreSQL the template is a database (`CREATE DATABASE ... TEMPLATE ...`, a file
copy inside the server); on SQLite it is a file in the user's cache directory, copied with
SQLite's backup API (a consistent copy, whatever is still in the write-ahead log). The newest
few templates are kept (checkouts of other branches, with other migrations, share the server and
the cache); a template that goes away while a run wants it only makes that run migrate.
"""

import hashlib
import os
import re
import sqlite3
import sys
import time
from importlib.util import find_spec
from pathlib import Path

import django
from django.conf import settings
from django.db import DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from psycopg import errors

FIRST_PARTY = ("casework", "workflows", "teams", "notifications", "signin", "sso")
IMPORT = re.compile(rf"^\s*(?:from|import)\s+((?:{'|'.join(FIRST_PARTY)})(?:\.\w+)*)", re.MULTILINE)
TEMPLATE_PREFIX = "casework_tmpl_"
KEEP = 4  # templates kept (other branches' migrations), newest first
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "casework" / "test-databases"


def _migration_files() -> list[Path]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    files = {Path(sys.modules[type(migration).__module__].__file__) for migration in loader.disk_migrations.values()}
    for path in list(files):  # the project code a migration imports shapes its result too
        for module in IMPORT.findall(path.read_text()):
            spec = find_spec(module)
            if spec is not None and spec.origin:
                files.add(Path(spec.origin))
    return sorted(files)


def schema_key() -> str:
    digest = hashlib.sha256(django.__version__.encode())
    for path in _migration_files():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def set_up(alias: str = "default") -> str:
    """Make the test database of `alias` (migrated), pointing the connection at it; returns the
    name to give back to `tear_down`."""
    connection = connections[alias]
    old_name = connection.settings_dict["NAME"]
    if connection.vendor == "postgresql":
        _postgresql(connection)
    elif connection.vendor == "sqlite" and not connection.creation.is_in_memory_db(connection.creation._get_test_db_name()):
        _sqlite(connection)
    else:
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return old_name


def tear_down(old_name: str, alias: str = "default") -> None:
    connections[alias].creation.destroy_test_db(old_name, verbosity=0)


def _point_at(connection, name: str) -> None:
    """What create_test_db does once the database exists."""
    connection.close()
    settings.DATABASES[connection.alias]["NAME"] = name
    connection.settings_dict["NAME"] = name
    connection.ensure_connection()


def _postgresql(connection) -> None:
    template = f"{TEMPLATE_PREFIX}{schema_key()}"
    test_name = connection.creation._get_test_db_name()
    quote = connection.ops.quote_name
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
        cloned = cursor.fetchone() is not None and _cloned(cursor, quote(test_name), quote(template))
    if cloned:
        _point_at(connection, test_name)
        return
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    connection.close()
    with connection._nodb_cursor() as cursor:
        try:
            cursor.execute(f"CREATE DATABASE {quote(template)} TEMPLATE {quote(test_name)}")
        except DatabaseError as error:
            # (two at the same instant: the catalog's unique index answers instead of DuplicateDatabase)
            if not _caused_by(error, errors.DuplicateDatabase, errors.UniqueViolation, errors.ObjectInUse):
                raise  # else another run or worker made it at the same moment: theirs serves as well
        # Keep the newest few (checkouts of other branches share the server); drop older ones.
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s ORDER BY oid DESC",
                       [f"{TEMPLATE_PREFIX}%", template])
        for (stale,) in cursor.fetchall()[KEEP - 1:]:
            try:
                cursor.execute(f"DROP DATABASE IF EXISTS {quote(stale)}")
            except DatabaseError as error:
                if not _caused_by(error, errors.ObjectInUse):
                    raise  # else a run is cloning it right now
    _point_at(connection, test_name)


def _cloned(cursor, test_name: str, template: str) -> bool:
    """The test database made from the template; False when the template went away meanwhile."""
    cursor.execute(f"DROP DATABASE IF EXISTS {test_name} WITH (FORCE)")
    for _ in range(60):  # another run may be cloning the same template at this moment
        try:
            cursor.execute(f"CREATE DATABASE {test_name} TEMPLATE {template}")
            return True
        except DatabaseError as error:
            if _caused_by(error, errors.InvalidCatalogName):
                return False
            if not _caused_by(error, errors.ObjectInUse):
                raise
            time.sleep(0.5)
    return False


def _caused_by(error: DatabaseError, *kinds) -> bool:
    """Django wraps the driver's error; psycopg's own class says what happened."""
    return isinstance(error.__cause__, kinds)


def _sqlite(connection) -> None:
    test_name = connection.creation._get_test_db_name()
    template = CACHE / f"sqlite-{schema_key()}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{test_name}{suffix}").unlink(missing_ok=True)
    try:
        _copy_sqlite(template, test_name, must_exist=True)
    except (OSError, sqlite3.Error):  # no template yet (or it went away meanwhile): migrate
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        connection.close()
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = template.with_suffix(f".{os.getpid()}.partial")
        _copy_sqlite(test_name, partial)
        os.replace(partial, template)  # whole or not at all, also beside a concurrent run
        older = sorted(CACHE.glob("sqlite-*.sqlite3"), key=lambda path: path.stat().st_mtime, reverse=True)
        for stale in older[KEEP:]:
            stale.unlink(missing_ok=True)
    _point_at(connection, test_name)


def _copy_sqlite(source, target, *, must_exist: bool = False) -> None:
    if must_exist and not Path(source).exists():
        raise FileNotFoundError(source)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
