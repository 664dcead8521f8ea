"""Dates as every list says them: the day and month, with the year only when it is not this year
("22 januari 14:05", "22 januari 2025 14:05"), in the local time zone."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.formats import date_format

register = template.Library()


def short_datetime(value: datetime, now: datetime | None = None) -> str:
    """`value` as a list shows it: without the year in the current (local) year, with it otherwise."""
    local = timezone.localtime(value)
    this_year = timezone.localtime(now or timezone.now()).year
    day = date_format(local, "MONTH_DAY_FORMAT" if local.year == this_year else "DATE_FORMAT")
    return f"{day} {date_format(local, 'TIME_FORMAT')}"


@register.filter
def when(value):
    """`{{ notification.created_at|when }}`: see `short_datetime`; empty for no date."""
    return short_datetime(value) if value else ""
