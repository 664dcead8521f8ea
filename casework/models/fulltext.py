"""The words of a child that the case search looks for, as one expression (`CHILD_DOCUMENT`): the
GIN index in `Child.Meta` is built on it and `casework.search` queries with it, so PostgreSQL
finds the matching children through the index. SQLite has no full-text index: there the index is
nothing and the search a plain lookup."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db.models import F, Func, TextField, Value

from .pg_indexes import PostgresOnlyIndex


def words(field: str) -> Func:
    """The field with every run of other characters made a space ("LL-7001" -> "LL 7001"): the
    parser would otherwise read "-7001" as a negative number."""
    return Func(F(field), Value(r"[^[:alnum:]]+"), Value(" "), Value("g"), function="regexp_replace",
                output_field=TextField())


# Family name, given name and pupil number (`simple` configuration: names are not Dutch words to stem).
CHILD_DOCUMENT = SearchVector("family_name", "given_name", words("pupil_number"), config="simple")


class PostgresGinIndex(PostgresOnlyIndex, GinIndex):
    """A GIN index on PostgreSQL and nothing on other databases (SQLite has no GIN)."""
