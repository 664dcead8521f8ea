"""Who may signal a case: anyone who works in a team or holds a region role, and a connected system
for a child of its own regions (and schools), as its own organisation."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from systems.clients import system_of
from teams.models import Membership, RegionRole


def ensure_can_signal(actor) -> set[int]:
    """Anyone who works in a team or holds a region role may report a (threatened) thuiszitter, and
    so may a connected system with the signal scope (the API checks the scope; here its account).
    Returns the ids of the signaller's teams (whether the signaller is on the case team)."""
    if system_of(actor) is not None and actor.is_active:
        return set()
    teams = set(Membership.objects.filter(user=actor).values_list("team_id", flat=True)) if actor.is_authenticated \
        else set()
    if not actor.is_authenticated or not (teams or RegionRole.objects.filter(user=actor).exists()):
        raise PermissionDenied(_("Only members of a team can signal a case."))
    return teams


def check_system_signal(system, data, region) -> None:
    """A connected system signals as its own organisation, for a child of its regions (and schools):
    the case must be one it may see afterwards (`data`: the intake's SignalInput). ValidationError with
    field errors otherwise."""
    errors: dict[str, list[str]] = {}
    if data.signaller_role != system.organisation:
        errors["signaller_role"] = [_("This system signals as its organisation: %(role)s.")
                                    % {"role": system.organisation}]
    allowed_schools = system.school_ids()
    if data.school is not None and allowed_schools and data.school.pk not in allowed_schools:
        errors["school"] = [_("This school is not one of the schools this system works for.")]
    elif region is not None and region.pk not in system.region_ids():
        errors["school" if data.school is not None else "region"] = [
            _("This is not a region this system works for.")]
    elif data.school is None and allowed_schools:
        errors["school"] = [_("This system works for given schools only: name the school.")]
    if errors:
        raise ValidationError(errors)
