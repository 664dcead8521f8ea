"""Reference reads for API clients that need ids: schools, regions, teams and colleagues.

Schools and regions are public reference data (names, no people). Teams: the user's own teams and
the teams of the regions they work in (by a membership or a region role). Colleagues: the members
of the user's own teams, with their roles there.
"""

from django.db.models import Prefetch, Q, QuerySet

from teams.models import Membership, Region, School, Team, User


def schools(*, name: str = "", sector: str = "", region: int | None = None) -> QuerySet[School]:
    rows = School.objects.order_by("name", "pk")
    if name:
        rows = rows.filter(name__icontains=name)
    if sector:
        rows = rows.filter(sector=sector)
    if region is not None:
        rows = rows.filter(region_id=region)
    return rows


def regions(*, name: str = "", sector: str = "") -> QuerySet[Region]:
    rows = Region.objects.order_by("name", "pk")
    if name:
        rows = rows.filter(name__icontains=name)
    if sector:
        rows = rows.filter(sector=sector)
    return rows


def regions_of(user) -> QuerySet[Region]:
    """The regions a user works in: those of their teams and of their region roles."""
    return Region.objects.filter(Q(teams__memberships__user=user) | Q(roles__user=user)).distinct()


def visible_teams(user, *, name: str = "", kind: str = "", region: int | None = None,
                  sector: str = "") -> QuerySet[Team]:
    own = Membership.objects.filter(user=user).values("team_id")
    worked_in = list(regions_of(user).values_list("pk", flat=True))
    rows = Team.objects.filter(Q(pk__in=own) | Q(region_id__in=worked_in)).select_related("school").order_by(
        "name", "pk")
    if name:
        rows = rows.filter(name__icontains=name)
    if kind:
        rows = rows.filter(kind=kind)
    if region is not None:
        rows = rows.filter(region_id=region)
    if sector:
        rows = rows.filter(school__sector=sector)
    return rows


def colleagues_of(user, *, name: str = "", team: int | None = None) -> QuerySet[User]:
    """Active members of the user's teams (the user included), each with their memberships in those teams."""
    own_teams = list(Membership.objects.filter(user=user).values_list("team_id", flat=True))
    if team is not None:
        own_teams = [team] if team in own_teams else []
    shared = Membership.objects.filter(team_id__in=own_teams).select_related("team").order_by("team__name", "pk")
    rows = User.objects.filter(is_active=True, memberships__team_id__in=own_teams).distinct().order_by(
        "username", "pk").prefetch_related(Prefetch("memberships", queryset=shared, to_attr="shared_memberships"))
    if name:
        rows = rows.filter(Q(username__icontains=name) | Q(first_name__icontains=name)
                           | Q(last_name__icontains=name))
    return rows
