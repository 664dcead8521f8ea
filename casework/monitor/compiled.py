"""A `values()` queryset compiled once per shape and run many times with other values.

Building and compiling the peildatum count's queryset costs Django about 2 ms, as much as a
fifth of running it. `ValuesStatement` builds the queryset once per shape (what `shape(args)`
says: e.g. how many regions a scope has, whether it names a sector) with placeholder values
in place of the real ones (`slots`: each a value no real argument takes, e.g. a date in the year
1000 or a negative id), keeps the SQL, finds each placeholder's places among the parameters
(as the database adapter gets them: a date may be passed as its ISO text), and on each run puts
the real values in those places and reads the rows as the queryset would (its converters, its
column names).

The compiled SQL is the queryset's own, so what it selects, filters and groups is exactly what
the queryset says; only the values change.
"""

import datetime as dt
from collections.abc import Callable, Hashable

from django.db import connections
from django.db.models import QuerySet

Slots = dict[str, object]  # name -> value (the placeholders, and on a run the real values)


def _same(value):
    return value


class ValuesStatement:
    """`build(slots)` -> the `values()` queryset for those values; `placeholders(args)` -> its
    slots with placeholder values, `real(args)` -> the same slots with the real ones, `shape(args)`
    -> what makes the SQL differ (the placeholders must give the same shape as the args)."""

    def __init__(self, build: Callable[[Slots], QuerySet], *, shape: Callable[..., Hashable],
                 placeholders: Callable[..., Slots], real: Callable[..., Slots]):
        self.build, self.shape, self.placeholders, self.real = build, shape, placeholders, real
        self._prepared: dict[tuple, tuple] = {}

    def _prepare(self, alias: str, *args):
        slots = self.placeholders(*args)
        queryset = self.build(slots).using(alias)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        places: list[tuple[int, str, Callable]] = []  # (parameter index, slot name, how the value is passed)
        for name, value in slots.items():
            # as the backend passes it: an id maybe wrapped (psycopg's Int4), a date maybe as text
            found = [(i, name, _same if type(param) is type(value) else type(param)) for i, param in enumerate(params)
                     if isinstance(param, type(value)) and param == value]
            if isinstance(value, dt.date):
                found += [(i, name, dt.date.isoformat) for i, param in enumerate(params) if param == value.isoformat()]
            if not found:  # a slot the query does not use would silently ignore its value
                raise ValueError(f"slot {name} ({value!r}) does not occur in the compiled query's parameters")
            places += found
        names = [alias for _, _, alias in compiler.select[:compiler.col_count]]  # as the SQL selects them
        if None in names:
            raise ValueError("every selected column needs its name (a values() queryset gives each one)")
        return sql, list(params), places, compiler, names

    def rows(self, *args, using: str = "default") -> list[dict]:
        """The queryset's rows (dicts, as `values()` gives them) for these arguments."""
        connection = connections[using]
        key = (using, connection.vendor, self.shape(*args))
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = self._prepared[key] = self._prepare(using, *args)
        sql, params, places, compiler, names = prepared
        real = self.real(*args)
        params = list(params)
        for i, name, passed_as in places:
            params[i] = passed_as(real[name])
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return [dict(zip(names, row, strict=True)) for row in compiler.results_iter(results=[rows])]
