"""Pages of long task lists without counting them whole: a count that stops at a cap
(`AtLeast`, shown as "99+"), a paginator that counts only a few pages ahead, and a list with
the new tasks on top read as two index-ordered queries (`NewFirst`). Used by the inbox's
lists and the API's task list (`workflows.inbox`, `casework.api.tasks`)."""

from django.core.paginator import Paginator
from django.db.models import BooleanField, Q, Value
from django.utils.functional import cached_property


class AtLeast(int):
    """A count that stopped at its cap: compares as the cap, shows as "99+"."""

    def __str__(self):
        return f"{int(self)}+"


def capped_count(queryset, cap: int) -> int:
    """How many rows, reading at most cap + 1 of them: an `AtLeast(cap)` beyond. The list's own
    order is kept: PostgreSQL then reads the first cap + 1 rows from the ordering index and stops
    (without it, it builds bitmaps of every unclaimed task in the database)."""
    found = queryset[: cap + 1].count()
    return AtLeast(cap) if found > cap else found


class CappedPaginator(Paginator):
    """Django's Paginator without the `COUNT(*)` of the whole list: it counts at most LOOK_AHEAD
    pages beyond the one asked for, so a page of a 10,000-task queue reads about 11 pages of ids.
    When there are more, `count` and `num_pages` are `AtLeast` values ("page 1 of 11+")."""

    LOOK_AHEAD = 10
    # No list is this long, so a count up to here is exact; it keeps the count's LIMIT within the
    # databases' 64-bit integers for any page number (page 2**63 - 1 is a 404, not an overflow).
    MOST = 2**62

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit = (1 + self.LOOK_AHEAD) * self.per_page

    def aim_at(self, number) -> None:
        """Count far enough for page `number` and LOOK_AHEAD pages after it ("last": to the end,
        the one page number that needs the whole count)."""
        try:
            wanted = max(1, int(number))
        except (TypeError, ValueError):
            wanted = self.MOST if number == "last" else 1
        self.limit = min((wanted + self.LOOK_AHEAD) * self.per_page, self.MOST)
        self.__dict__.pop("count", None)
        self.__dict__.pop("num_pages", None)

    def get_page(self, number):
        self.aim_at(number)
        return super().get_page(number)

    def page(self, number):
        if "count" not in self.__dict__:
            self.aim_at(number)
        return super().page(number)

    @cached_property
    def count(self):
        counter = getattr(self.object_list, "capped_count", None)
        if counter is not None:
            return counter(self.limit)
        return capped_count(self.object_list, self.limit)

    @cached_property
    def num_pages(self):
        pages = super().num_pages
        return AtLeast(pages) if isinstance(self.count, AtLeast) else pages


class NewFirst:
    """A list with the tasks created since `new_since` on top (newest first) and the others after them
    in the list's own order, as two queries that each follow an index and stop at the page's
    end (one ORDER BY over both would sort the whole queue for every page). Sliceable and
    countable (capped), for CappedPaginator."""

    ordered = True

    def __init__(self, tasks, new_since, order):
        new = Q(created__gte=new_since)
        self.new = tasks.filter(new).annotate(is_new=Value(True, BooleanField())).order_by("-created", *order)
        self.rest = tasks.exclude(new).annotate(is_new=Value(False, BooleanField())).order_by(*order)
        self._new_count = None

    def new_count(self, cap: int) -> int:
        if self._new_count is None or (isinstance(self._new_count, AtLeast) and self._new_count < cap):
            self._new_count = capped_count(self.new, cap)
        return self._new_count

    def capped_count(self, cap: int) -> int:
        new = self.new_count(cap)
        if isinstance(new, AtLeast):
            return new
        rest = capped_count(self.rest, cap - new)
        return AtLeast(new + rest) if isinstance(rest, AtLeast) else new + rest

    def count(self) -> int:
        return self.new.count() + self.rest.count()

    def __len__(self):
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            rows = self[index:index + 1]
            if not rows:
                raise IndexError(index)
            return rows[0]
        start, stop = index.start or 0, index.stop
        new = self.new_count(stop)
        rows = list(self.new[start:min(stop, new)]) if start < new else []
        if stop > new:
            rows += list(self.rest[max(0, start - new):stop - new])
        return rows
