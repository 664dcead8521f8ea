"""Who may read the chain's reports into casework, and for which regions: Leerplicht (its team's
region), the SWV's director and deelverband coordinator (their regions), and a connected system
with the import scope (its regions; the API checks the scope). Unmatched reports are seen by the
same people only."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from systems.clients import system_of
from teams.models import Membership, RegionRole, Team

IMPORT_REGION_ROLES = (RegionRole.Role.SWV_DIRECTOR, RegionRole.Role.COORDINATOR_DEELVERBAND)


def import_regions(user) -> list[int]:
    """The regions whose reports `user` may import and reconcile (empty: none)."""
    if not user.is_authenticated or not user.is_active:
        return []
    system = system_of(user)
    if system is not None:
        return sorted(system.region_ids())
    by_team = Membership.objects.filter(user=user, team__kind=Team.Kind.LEERPLICHT).values_list("team__region_id",
                                                                                                 flat=True)
    by_role = RegionRole.objects.filter(user=user, role__in=IMPORT_REGION_ROLES).values_list("region_id", flat=True)
    return sorted(set(by_team) | set(by_role))


def ensure_can_import(user) -> list[int]:
    regions = import_regions(user)
    if not regions:
        raise PermissionDenied(_("Only Leerplicht and the SWV's director or coordinator import absence reports "
                                 "and enrolments."))
    return regions
