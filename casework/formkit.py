"""Form pieces that the case pages (casework.web) and the task forms (workflows.forms) share: a
date input, the mixin that puts a service's field errors back on the form's fields, and the rule
for a period (monitor, access log). Below both, so that the task forms need not import a page module."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ServiceErrorsMixin:
    def add_service_errors(self, error) -> None:
        """Put the service's field errors on the fields they belong to."""
        for field, messages in (error.message_dict if hasattr(error, "error_dict")
                                else {None: error.messages}).items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


def period_errors(since, until, *, today=None, since_field: str = "since", until_field: str = "until") -> dict:
    """A period that makes sense: no date in the future, and "from" not after "until"
    (field -> messages; empty when fine). Shared by the monitor and the access log, pages and API."""
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    for name, value in ((since_field, since), (until_field, until)):
        if value is not None and value > today:
            errors.setdefault(name, []).append(_("Choose a date that is not in the future."))
    if since is not None and until is not None and since > until and not errors:
        errors.setdefault(since_field, []).append(_("The start of the period must not be after its end."))
    return errors


def reported_until(first, last, *, field: str, today=None) -> tuple:
    """A fixed period (a quarter) reported as far as it has gone: (until, errors). Its end is clamped
    to today; one that starts in the future is refused on `field` by the same rule as any period
    (`period_errors`), so nothing is computed for it."""
    today = today or timezone.localdate()
    until = min(last, today)
    if period_errors(first, until, today=today, since_field=field, until_field=field):
        return until, {field: [_("This quarter has not started yet: choose one up to today.")]}
    return until, {}


class PeriodFormMixin:
    """A filter form with a period (`period_fields`: the from and until fields)."""

    period_fields: tuple[str, str] = ("since", "until")

    def clean(self):
        cleaned = super().clean()
        since_field, until_field = self.period_fields
        errors = period_errors(cleaned.get(since_field), cleaned.get(until_field), since_field=since_field,
                               until_field=until_field)
        for name, messages in errors.items():
            for message in messages:
                self.add_error(name, message)
        return cleaned
