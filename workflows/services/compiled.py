"""A queryset compiled once per process and run many times with other values.

Building and compiling a queryset of many joins and EXISTS clauses costs Django more than the
database needs to run it (a task's lock and visibility statement: 2.4 ms to build and 5.6 ms to
compile, 0.3 ms to run). `Compiled` builds the queryset once with placeholder values (`slots`:
integers no row can have, e.g. the pk of a user that cannot exist), keeps the SQL and the
compiler's description of the columns, and on each run puts the real values in the slots'
places among the parameters and turns the rows into models as the queryset would (with its
`select_related` objects and its annotations).

The compiled SQL is the queryset's own, so what it selects, filters and locks is exactly what
the queryset says; only the values change.
"""

from collections.abc import Callable

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators


class Compiled:
    """`build(*slots)` -> the queryset, built with the slot values in place of the real ones."""

    def __init__(self, build: Callable[..., QuerySet], slots: tuple[int, ...]):
        self.build = build
        self.slots = slots
        self._prepared: dict[tuple[str, str], tuple] = {}  # (alias, vendor) -> what `_prepare` made

    def _prepare(self, alias: str):
        queryset = self.build(*self.slots)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        places = {slot: [i for i, value in enumerate(params) if value == slot and type(value) is int]
                  for slot in self.slots}
        missing = [slot for slot, where in places.items() if not where]
        if missing:  # a slot the query does not use would silently ignore its value
            raise ValueError(f"slot values {missing} do not occur in the compiled query's parameters")
        select, klass_info = compiler.select, compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        return (sql, list(params), places, compiler, klass_info["model"], (start, end), init_list,
                get_related_populators(klass_info, select, alias), dict(compiler.annotation_col_map or {}))

    def first(self, *values, using: str = "default", setup: str = ""):
        """The first row's model (with its related objects and annotations), or None. `setup`: a
        statement sent in the same round trip before the query (PostgreSQL's simple query protocol,
        which the client-side binding cursor uses, runs both; the query's rows are the second result)."""
        connection = connections[using]
        key = (using, connection.vendor)
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = self._prepared[key] = self._prepare(using)
        sql, params, places, compiler, model, (start, end), init_list, populators, annotations = prepared
        params = list(params)
        for slot, value in zip(self.slots, values, strict=True):
            for i in places[slot]:
                params[i] = value
        with connection.cursor() as cursor:
            cursor.execute(f"{setup}; {sql}" if setup else sql, params)
            if setup:
                cursor.nextset()
            row = cursor.fetchone()
        if row is None:
            return None
        row = next(iter(compiler.results_iter(results=[[row]])))
        obj = model.from_db(using, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, obj)
        for name, position in annotations.items():
            setattr(obj, name, row[position])
        return obj
