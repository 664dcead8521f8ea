"""The inbox's presentation helpers: a due date in words ("nog 2 dagen", "vandaag", "morgen",
"3 dagen te laat") with its icon and its full date, and the counts on the inbox's tabs."""

from dataclasses import dataclass
from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from workflows.models import OPEN_STATUSES

register = template.Library()


@dataclass(frozen=True)
class Due:
    """A due date as the inbox says it: `state` is overdue, today, tomorrow or later (for the
    icon and the style), `words` the Dutch phrase, `full` the date with its year and time."""

    at: datetime
    state: str
    words: str
    full: str


def due_in_words(due_at: datetime | None, now: datetime | None = None, *, still_open: bool = True) -> Due | None:
    """`due_at` relative to `now`, counted in calendar days of the local time zone. A closed task
    (`still_open` false) is never late: it keeps only its date."""
    if due_at is None:
        return None
    now = now or timezone.now()
    full = date_format(timezone.localtime(due_at), "DATETIME_FORMAT")
    if not still_open:
        return Due(due_at, "closed", date_format(timezone.localtime(due_at), "DATE_FORMAT"), full)
    days = (timezone.localdate(due_at) - timezone.localdate(now)).days
    if due_at < now:
        late = -days
        words = _("overdue since today") if late <= 0 else ngettext(
            "%(days)s day overdue", "%(days)s days overdue", late) % {"days": late}
        return Due(due_at, "overdue", words, full)
    if days == 0:
        return Due(due_at, "today", _("today"), full)
    if days == 1:
        return Due(due_at, "tomorrow", _("tomorrow"), full)
    return Due(due_at, "later", ngettext("%(days)s day left", "%(days)s days left", days) % {"days": days}, full)


@register.inclusion_tag("workflows/_due.html")
def due(task):
    """`{% due task %}`: the task's deadline in words with an icon, the full date on hover and
    for screen readers; a dash without one."""
    return {"due": due_in_words(task.due_at, still_open=task.status in OPEN_STATUSES)}


@register.inclusion_tag("workflows/_tab_count.html")
def tab_count(counts):
    """`{% tab_count counts.mine %}`: "(3)" and, when some are overdue, a marked "1" that a screen
    reader hears as "3, waarvan 1 te laat"."""
    return {"counts": counts}
