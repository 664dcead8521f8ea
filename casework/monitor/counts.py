"""The monitor's counts on a peildatum, by the pact's rules (see the package docstring), and
who may see which region's numbers."""

import datetime as dt
from dataclasses import dataclass

from django.db import connections
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    ExpressionWrapper,
    Q,
    Value,
    When,
)
from django.db.models import Case as DbCase
from django.db.models.fields.json import KT
from django.http import Http404
from django.utils import timezone

from casework.clocks import add_years, lrv_days
from casework.models import Case, CaseEvent, Deadline, MonitorSpell, Vrijstelling, spell_until
from casework.monitor.compiled import ValuesStatement
from systems.clients import system_of
from teams.models import Membership, Region, RegionRole

REGISTRATIONS = ["lrv", "av", "vrij", "ziek", "dreigend"]
BUCKETS = [("lt_4_weeks", 0, 28), ("4_weeks_3_months", 28, 91), ("3_6_months", 91, 182), ("gt_6_months", 182, None)]
SECTORS = ["po", "vo", "so", "vso", "mbo"]
CATEGORIES = list(Case.Category.values)
GROUNDS = list(Vrijstelling.Grounds.values)
SETTINGS = list(Case.Setting.values)
TRAJECT_LEVELS = [Case.Participation.GEDEELTELIJK, Case.Participation.VOLLEDIG]
THUISZITTER_REGISTRATIONS = ("lrv", "av")
COMPLIANCE_CLOCKS = [Deadline.Kind.TEAM_ACTION_48H, Deadline.Kind.OFFER_3_MONTHS]


def end_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    if quarter not in (1, 2, 3, 4):
        raise ValueError("quarter")
    first = dt.date(year, 3 * quarter - 2, 1)
    last = (dt.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1) - dt.timedelta(days=1))
    return first, last


# --- who may see which numbers ---------------------------------------------------------------


def monitor_regions(user) -> list[int]:
    """Regions whose numbers the user may see: as SWV director (or privacy officer), or as a
    coordinator or chair of a team in the region; a connected system, its regions (the monitor's
    numbers hold no personal data; the API asks for the system's `monitor:read` scope)."""
    if not user.is_authenticated:
        return []
    system = system_of(user)
    if system is not None:
        return sorted(system.region_ids())
    by_role = RegionRole.objects.filter(user=user).values_list("region_id", flat=True)
    by_team = Membership.objects.filter(
        user=user, role__in=Membership.LEAD_ROLES).values_list("team__region_id",
                                                                                            flat=True)
    return sorted(set(by_role) | set(by_team))


def ensure_monitor_access(user, region_id: int | None = None) -> list[int]:
    regions = monitor_regions(user)
    if not regions or (region_id is not None and region_id not in regions):
        raise Http404
    return regions


# --- the computation ---------------------------------------------------------------------------


@dataclass
class Scope:
    regions: list[int]
    sector: str = ""
    school: int | None = None

    def q(self, prefix: str = "") -> Q:
        """The scope as a condition on the case (reached through `prefix`, e.g. "case__")."""
        condition = Q(**{f"{prefix}region_id__in": self.regions})
        if self.sector:
            condition &= Q(**{f"{prefix}sector": self.sector})
        if self.school:
            condition &= Q(**{f"{prefix}school_id": self.school})
        return condition

    def cases(self):
        return Case.objects.filter(self.q())

    def spell_q(self) -> Q:
        """The scope as a condition on a spell: where the pupil was enrolled on its days."""
        condition = Q(region_id__in=self.regions)
        if self.sector:
            condition &= Q(sector=self.sector)
        if self.school:
            condition &= Q(school_id=self.school)
        return condition

    def events(self):
        events = CaseEvent.objects.all()
        if not set(Region.objects.values_list("pk", flat=True)) <= set(self.regions):
            events = events.filter(case__region_id__in=self.regions)  # else every case is in scope: no join
        if self.sector:
            events = events.filter(case__sector=self.sector)
        if self.school:
            events = events.filter(case__school_id=self.school)
        return events


def compulsory_school_age(day: dt.date, prefix: str = "") -> Q:
    """The child (its `birth_date` and `startkwalificatie_on`, reached through `prefix`, e.g.
    "child__"; a spell has both on its row) is of compulsory school age on `day`: 5 or older and
    younger than 18; at 16 and 17 only without a startkwalificatie by then."""
    return school_age(day_values(day), prefix)


def school_age(values: dict, prefix: str = "") -> Q:
    """`compulsory_school_age` on the day of `values` (`day_values`)."""
    birth, diploma = f"{prefix}birth_date", f"{prefix}startkwalificatie_on"
    return (Q(**{f"{birth}__lte": values["born_by"], f"{birth}__gt": values["born_after"]})
            & (Q(**{f"{birth}__gt": values["sixteen"]}) | Q(**{f"{diploma}__isnull": True})
               | Q(**{f"{diploma}__gt": values["day"]})))


def day_values(day: dt.date) -> dict:
    """The dates a count on `day` compares with (the statement's parameters): the day, the
    lrv line, the duration buckets' lower bounds, and the birth dates of the school-age limits."""
    values = {"day": day, "line": lrv_line(day), "born_by": add_years(day, -5),
              "born_after": add_years(day, -18), "sixteen": add_years(day, -16)}
    values.update({f"bucket_{low}": day - dt.timedelta(days=low) for _, low, _ in BUCKETS[1:]})
    return values


def text(key: str):
    """The event's `data[key]` as text (compared as a string: ISO dates sort as text)."""
    return ExpressionWrapper(KT(f"data__{key}"), output_field=CharField())


def lrv_line(day: dt.date) -> dt.date:
    """The last first-day-out-of-school that makes a pupil out for more than 4 weeks on `day`:
    with the first day absent as day 1, day 29 is `absent_since + 28 days`."""
    return day - dt.timedelta(days=lrv_days())


def spells_on(scope: Scope, day: dt.date):
    """The spells in scope that hold on `day` (one per case at most): where each pupil was
    enrolled then, with its `bucket` (duration) and `past_line` (out for more than 4 weeks)."""
    return spells_held(scope, day_values(day))


def spells_held(scope: Scope, values: dict):
    """`spells_on` on the day of `values` (`day_values`).

    On PostgreSQL the day's spells are looked up as `until > day` (the day after the spell,
    infinity while it runs), the key of the btree `monitorspell_until`, which includes every
    column the count reads: an index-only range scan over the spells ending after the day (for
    today the running ones), whatever the closed history before it. SQLite compares the two
    dates, with the same answers."""
    day = values["day"]
    spells = MonitorSpell.objects.filter(scope.spell_q(), valid_from__lte=day)
    if connections[spells.db].vendor == "postgresql":
        spells = spells.alias(until=spell_until()).filter(until__gt=day)
    else:
        spells = spells.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
    return spells.annotate(
        bucket=buckets(values),
        past_line=DbCase(When(absent_since__lte=values["line"], then=Value(True)), default=Value(False),
                         output_field=BooleanField()))


def bucket_expression(day: dt.date):
    return buckets(day_values(day))


def buckets(values: dict):
    whens = [When(absent_since__gt=values[f"bucket_{low}"], then=Value(previous))
             for (previous, _, _), (_, low, _) in zip(BUCKETS, BUCKETS[1:], strict=False)]
    return DbCase(*whens, default=Value(BUCKETS[-1][0]), output_field=CharField())


def effective_registration(registration: str, past_line: bool) -> str:
    """A threatened thuiszitter out for more than 4 weeks is LRV on that day, whether or not the
    sweep has recorded the change yet (Thuiszitterspact Groningen, §8)."""
    return Case.Registration.LRV if registration == Case.Registration.DREIGEND and past_line else registration


def counts_on(scope: Scope, day: dt.date) -> dict:
    """The counts on the peildatum, in one query over the spells that hold on that day: grouped by
    ROW_FIELDS, each group with `n`, its pupils of compulsory school age then (what the counts
    count), and `open`, its open cases of any age (`open_cases`), both as `COUNT(*) FILTER`. The
    statement is compiled once per process and scope shape (`COUNTS`), the day's values put in."""
    groups = COUNTS.rows(scope, day) if scope.regions else []
    return tally(day, [row for row in groups if row["n"]], open_cases=sum(row["open"] for row in groups))


def counts_query(slots: dict):
    """The grouped counts of `counts_on` for the values of `slots` (see `COUNTS`): the scope's
    (`region_0`, `region_1`, ..., maybe `sector` and `school`) and the day's (`day_values`)."""
    regions = [value for name, value in slots.items() if name.startswith("region_")]  # in their order
    scope = Scope(regions=regions, sector=slots.get("sector", ""), school=slots.get("school"))
    # counted on `valid_from` (never null), a column of the index, not the pk, which it lacks
    return spells_held(scope, slots).values(*ROW_FIELDS).annotate(
        n=Count("valid_from", filter=school_age(slots)), open=Count("valid_from", filter=Q(is_open=True))).order_by()


def _slots(regions: list, sector, school, day_dates: dict) -> dict:
    return {**{f"region_{i}": region for i, region in enumerate(regions)}, **({"sector": sector} if sector else {}),
            **({"school": school} if school else {}), **day_dates}


def _placeholders(scope: Scope, day: dt.date) -> dict:
    """Values no real scope or day has: negative ids, a sector of a control character, dates in
    the year 1000 (one a name, each different)."""
    dates = {name: dt.date(1000, 1, 1) + dt.timedelta(days=i) for i, name in enumerate(day_values(day))}
    return _slots([-1_000_000 - i for i in range(len(scope.regions))], "\x1f" if scope.sector else "",
                  -2_000_000 if scope.school else None, dates)


COUNTS = ValuesStatement(
    counts_query,
    shape=lambda scope, day: (len(scope.regions), bool(scope.sector), bool(scope.school)),
    placeholders=_placeholders,
    real=lambda scope, day: _slots(scope.regions, scope.sector, scope.school, day_values(day)))


# What a count groups the day's spells by (each group a row with its number of pupils, `n`).
ROW_FIELDS = ("registration", "level", "setting", "sector", "category", "bucket", "region_id", "school_id",
              "without_offer", "is_open", "exemption_ground", "past_line")


def tally(day: dt.date, groups, *, open_cases: int) -> dict:
    """The counts on `day` from the pupils of compulsory school age then, grouped by ROW_FIELDS."""
    per_registration = dict.fromkeys(REGISTRATIONS, 0)
    buckets = dict.fromkeys([name for name, _, _ in BUCKETS], 0)
    by_sector = {sector: dict.fromkeys(REGISTRATIONS, 0) for sector in SECTORS}
    by_region: dict[int, int] = {}
    by_school: dict[int, int] = {}
    by_category = dict.fromkeys(CATEGORIES, 0)
    ziek_by_category = dict.fromkeys(CATEGORIES, 0)
    in_traject = {"total": 0, **{level: dict.fromkeys(SETTINGS, 0) for level in TRAJECT_LEVELS}}
    without_offer = 0
    vrij_by_ground = dict.fromkeys(GROUNDS, 0)
    for row in groups:
        level, n = row["level"], row["n"]
        sector = by_sector.setdefault(row["sector"], dict.fromkeys(REGISTRATIONS, 0))
        if row["exemption_ground"]:
            # an exempted child counts as vrij as long as the exemption runs, case open or not
            per_registration["vrij"] += n
            sector["vrij"] += n
            vrij_by_ground[row["exemption_ground"]] = vrij_by_ground.get(row["exemption_ground"], 0) + n
        if not row["is_open"]:
            continue
        registration = effective_registration(row["registration"], row["past_line"])
        fully = level == Case.Participation.VOLLEDIG
        if registration in THUISZITTER_REGISTRATIONS and not fully:
            per_registration[registration] += n
            sector[registration] += n
            buckets[row["bucket"]] += n
            by_region[row["region_id"]] = by_region.get(row["region_id"], 0) + n
            if row["school_id"]:
                by_school[row["school_id"]] = by_school.get(row["school_id"], 0) + n
            by_category[row["category"]] = by_category.get(row["category"], 0) + n
            without_offer += n if row["without_offer"] else 0
        elif registration == "dreigend" and not fully:
            per_registration[registration] += n
            sector[registration] += n
        elif registration == "ziek" and row["past_line"]:  # sick and out for more than 4 weeks
            per_registration[registration] += n
            sector[registration] += n
            ziek_by_category[row["category"]] = ziek_by_category.get(row["category"], 0) + n
        if registration in ("lrv", "av", "dreigend", "ziek") and level in TRAJECT_LEVELS:
            in_traject["total"] += n
            if row["setting"] in in_traject[level]:
                in_traject[level][row["setting"]] += n
    return {
        "peildatum": day.isoformat(),
        "thuiszitters": per_registration["lrv"] + per_registration["av"],
        "lrv": per_registration["lrv"], "av": per_registration["av"], "vrij": per_registration["vrij"],
        "ziek": per_registration["ziek"], "dreigend": per_registration["dreigend"],
        "open_cases": open_cases,
        "durations": buckets,
        "by_sector": by_sector,
        "thuiszitters_by_region": {str(k): v for k, v in sorted(by_region.items())},
        "thuiszitters_by_school": {str(k): v for k, v in sorted(by_school.items())},
        "thuiszitters_by_category": by_category,
        "ziek_by_category": ziek_by_category,
        "vrij_by_ground": vrij_by_ground,
        "in_traject": in_traject,
        "without_offer_over_3_months": without_offer,
    }


