"""factory_boy factories with traits, reusable by tests and benchmarks."""

from datetime import date, timedelta

import factory
from django.utils import timezone

from casework.models import Case, CaseParticipant, Child
from teams.models import Membership, Region, RegionRole, School, SchoolBoard, Sector, Team, User

PASSWORD = "test-password-123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="nl_NL")
    last_name = factory.Faker("last_name", locale="nl_NL")
    email = factory.LazyAttribute(lambda u: f"{u.username}@casework.invalid")
    password = factory.django.Password(PASSWORD)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    name = factory.Sequence(lambda n: f"SWV Test {n}")
    sector = Region.RegionSector.VO

    class Params:
        po = factory.Trait(sector=Region.RegionSector.PO)


class SchoolBoardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolBoard

    name = factory.Sequence(lambda n: f"Schoolbestuur {n}")


def _brin(n: int) -> str:
    """A unique BRIN for the n-th school of the session, never 9xxx (the demo's schools are 99AA-99AD)."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return f"{n % 90:02d}{letters[(n // 90) % 26]}{letters[(n // 2340) % 26]}"


class SchoolFactory(factory.django.DjangoModelFactory):
    """A school with its own AOJ-team (VO) or kindteam (PO) unless `team=False`."""

    class Meta:
        model = School
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"School {n}")
    brin = factory.Sequence(_brin)
    sector = Sector.VO
    board = factory.SubFactory(SchoolBoardFactory)
    region = factory.SubFactory(RegionFactory)

    class Params:
        po = factory.Trait(sector=Sector.PO, region=factory.SubFactory(RegionFactory, po=True))

    @factory.post_generation
    def team(school, create, extracted, **kwargs):
        """`SchoolFactory(team=False)` makes a school without its team."""
        if create and extracted is not False:
            TeamFactory(kind=school.team_kind, region=school.region, school=school, name=f"Team {school.name}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    kind = Team.Kind.ECT
    region = factory.SubFactory(RegionFactory)
    school = None


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = Membership.Role.MEMBER


class RegionRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegionRole

    user = factory.SubFactory(UserFactory)
    region = factory.SubFactory(RegionFactory)
    role = RegionRole.Role.SWV_DIRECTOR


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Child

    given_name = factory.Faker("first_name", locale="nl_NL")
    family_name = factory.Sequence(lambda n: f"Kind{n}")
    birth_date = factory.LazyFunction(lambda: timezone.localdate().replace(day=1) - timedelta(days=365 * 13))
    match_key = factory.LazyAttribute(lambda c: Child.key_for(c.given_name, c.family_name, c.birth_date))


class CaseFactory(factory.django.DjangoModelFactory):
    """A case written straight to the table (for list and access tests); the school's team
    participates. Flow and service tests use `casework.services.signal_case` instead."""

    class Meta:
        model = Case
        skip_postgeneration_save = True

    child = factory.SubFactory(ChildFactory)
    school = factory.SubFactory(SchoolFactory)
    region = factory.LazyAttribute(lambda c: c.school.region)
    sector = factory.LazyAttribute(lambda c: c.school.sector)
    registration = Case.Registration.LRV
    category = Case.Category.SCHOOLWEIGERAAR
    absent_since = factory.LazyFunction(lambda: timezone.localdate() - timedelta(weeks=5))
    signalled_by = factory.SubFactory(UserFactory)
    signaller_role = Case.SignallerRole.SCHOOL
    summary = "Synthetische testzaak."

    class Params:
        dreigend = factory.Trait(registration=Case.Registration.DREIGEND, absent_since=factory.LazyFunction(
            lambda: timezone.localdate() - timedelta(weeks=2)))

    @factory.post_generation
    def participants(case, create, extracted, **kwargs):
        if create and case.school_id:
            team = Team.objects.get(school=case.school, kind=case.school.team_kind)
            CaseParticipant.objects.create(case=case, team=team, reason=CaseParticipant.Reason.SCHOOL_TEAM)


def signal_payload(at_school: School | None, **overrides) -> dict:
    """A valid JSON signal for `POST /api/cases/` (overrides replace top-level or child keys)."""
    today = timezone.localdate()
    child = {
        "given_name": "Sanne",
        "family_name": "Testkind",
        "birth_date": date(today.year - 14, 5, 17).isoformat(),
        "pupil_number": "L-1001",
    }
    for key in list(overrides):
        if key in child:
            child[key] = overrides.pop(key)
    payload = {
        "child": child,
        "school": at_school.pk if at_school else None,
        "sector": at_school.sector if at_school else Sector.VO,
        "registration": Case.Registration.LRV,
        "category": Case.Category.SCHOOLWEIGERAAR,
        "absent_since": (today - timedelta(weeks=5)).isoformat(),
        "signaller_role": Case.SignallerRole.SCHOOL,
        "summary": "Synthetisch: zit sinds vijf weken thuis.",
    }
    payload.update(overrides)
    return payload
