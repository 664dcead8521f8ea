"""Saved work lists ("mijn werklijsten"): a user's named inbox filters. Rules and reads in one place."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from casework.access import is_id, parse_id
from workflows import inbox
from workflows.models import SavedWorklist

NAME_MAX_CHARS = 80
MAX_PER_USER = 30


def worklists_of(user) -> QuerySet[SavedWorklist]:
    return SavedWorklist.objects.filter(user=user).order_by("name", "pk")


def clean_filters(filters: dict) -> dict:
    """Only the inbox's own filters, as non-empty strings; unknown keys and values are refused."""
    cleaned = {}
    errors = []
    unknown = sorted(str(key) for key in filters if key not in inbox.FILTER_KEYS)
    if unknown:
        errors.append(_("Unknown filter: %(keys)s.") % {"keys": ", ".join(unknown)})
    for key in inbox.FILTER_KEYS:
        value = filters.get(key, "")
        value = "" if value is None else str(value).strip()
        if not value:
            continue
        if key in ("team", "school") and not is_id(value):
            errors.append(_("%(key)s must be a number.") % {"key": key})
        elif key == "due" and value not in inbox.DUE_FILTERS:
            errors.append(_("Unknown deadline filter."))
        elif key == "followup" and value not in inbox.FOLLOW_UP_FILTERS:
            errors.append(_("Unknown follow-up filter."))
        elif key == "sort" and value not in inbox.SORTS:
            errors.append(_("Unknown sort order."))
        elif key == "node" and value not in dict(inbox.node_choices()):
            errors.append(_("Unknown task."))
        cleaned[key] = value
    if errors:
        raise ValidationError({"filters": errors})
    return cleaned


@transaction.atomic
def save_worklist(*, user, name: str, scope: str, filters: dict) -> SavedWorklist:
    """Save the current inbox view under a name; saving again under the same name replaces it."""
    name = (name or "").strip() if isinstance(name, str) else ""
    errors = {}
    if not name:
        errors["name"] = [_("Give the work list a name.")]
    elif len(name) > NAME_MAX_CHARS:
        errors["name"] = [_("A name is at most %(max)s characters.") % {"max": NAME_MAX_CHARS}]
    if scope not in inbox.SCOPES:
        errors["scope"] = [_("Choose one of: %(scopes)s.") % {"scopes": ", ".join(inbox.SCOPES)}]
    if errors:
        raise ValidationError(errors)
    filters = clean_filters(filters if isinstance(filters, dict) else {})
    existing = worklists_of(user).select_for_update().filter(name=name).first()
    if existing is None and worklists_of(user).count() >= MAX_PER_USER:
        raise ValidationError({"name": [_("You can save at most %(max)s work lists.") % {"max": MAX_PER_USER}]})
    worklist = existing or SavedWorklist(user=user, name=name)
    worklist.scope = scope
    worklist.filters = filters
    worklist.save()
    return worklist


def worklist_of(user, worklist_id) -> SavedWorklist:
    try:
        return worklists_of(user).get(pk=parse_id(worklist_id))
    except (SavedWorklist.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def delete_worklist(*, user, worklist_id) -> None:
    worklist_of(user, worklist_id).delete()
