"""A user's personal preferences: the write path (the fields live on `teams.models.User`)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from teams.models import User


def save_inbox_preferences(user: User, *, inbox_landing: str, after_complete: str) -> User:
    """Remember the inbox view to land on and where to go after completing a task; unknown
    choices are refused (ValidationError by field) and nothing changes."""
    errors = {}
    if inbox_landing not in User.InboxLanding.values:
        errors["inbox_landing"] = [_("Choose one of the lists.")]
    if after_complete not in User.AfterComplete.values:
        errors["after_complete"] = [_("Choose where to go after completing a task.")]
    if errors:
        raise ValidationError(errors)
    user.inbox_landing = inbox_landing
    user.after_complete = after_complete
    user.save(update_fields=["inbox_landing", "after_complete"])
    return user
