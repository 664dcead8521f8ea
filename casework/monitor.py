"""The monitor: counts at any peildatum and over any period, computed from the dated history,
so that a report for a past date shows what each case was on that date.

Counting rules on peildatum D (the contract of issue 14):

- a case is open on D when it was signalled before the end of D and not closed by then;
- its registration on D is the `to` of its `registration_changed` event with the greatest
  (since, at, pk) among those with since <= D (every case has one from its intake; a case
  without that history falls back to its current registration);
- its level of taking part on D comes from `participation_changed` the same way ("geen" when
  none); lrv, av and dreigend count only while the level is not "volledig";
- only children of compulsory school age on D count (5 up to 18; at 16 and 17 only while they
  have no startkwalificatie), except in `open_cases`;
- vrij counts the cases with an exemption running on D (`Vrijstelling` rows), open or closed;
- period counts come from the events in the period; clock compliance from the clocks' own
  events (`deadline_met`, `deadline_breached`, `deadline_stopped`).

Everything is aggregated in the database (correlated subqueries per case, grouped counts), so the
cost grows with the cases in scope, not with the events per case. Aggregates only: no names.
"""

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from django.db import connection
from django.db.models import Case as DbCase
from django.db.models import (
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, TruncDate
from django.http import Http404
from django.utils import timezone

from casework.models import Case, CaseEvent, Deadline, Route, Vrijstelling
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


def add_years(day: dt.date, years: int) -> dt.date:
    """The same as `casework.services.add_years` (the monitor does not import the services)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    if quarter not in (1, 2, 3, 4):
        raise ValueError("quarter")
    first = dt.date(year, 3 * quarter - 2, 1)
    last = (dt.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1) - dt.timedelta(days=1))
    return first, last


# --- who may see which numbers ---------------------------------------------------------------


def monitor_regions(user) -> list[int]:
    """Regions whose numbers the user may see: as SWV director (or privacy officer), or as a
    coordinator or chair of a team in the region."""
    if not user.is_authenticated:
        return []
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
    """The child (reached through `prefix`, e.g. "child__") is of compulsory school age on `day`:
    5 or older and younger than 18; at 16 and 17 only without a startkwalificatie by then."""
    birth, diploma = f"{prefix}birth_date", f"{prefix}startkwalificatie_on"
    sixteen = add_years(day, -16)
    return (Q(**{f"{birth}__lte": add_years(day, -5), f"{birth}__gt": add_years(day, -18)})
            & (Q(**{f"{birth}__gt": sixteen}) | Q(**{f"{diploma}__isnull": True}) | Q(**{f"{diploma}__gt": day})))


def open_on(day: dt.date) -> Q:
    moment = end_of(day)
    return Q(signalled_at__lt=moment) & (Q(closed_at__isnull=True) | Q(closed_at__gte=moment))


def text(key: str):
    """The event's `data[key]` as text (compared as a string: ISO dates sort as text)."""
    return ExpressionWrapper(KT(f"data__{key}"), output_field=CharField())


def _dated(kind: str, day: dt.date, field: str):
    """The `field` of the case's latest `kind` event by (since, at, pk) with since <= day."""
    return Subquery(
        CaseEvent.objects.filter(case=OuterRef("pk"), kind=kind)
        .annotate(since=text("since")).filter(since__lte=day.isoformat())
        .order_by("-since", "-at", "-pk").values(value=KT(f"data__{field}"))[:1],
        output_field=CharField())


def cases_on(scope: Scope, day: dt.date):
    """The cases in scope open on `day`, annotated with what they were then: `registration_then`,
    `level_then`, `setting_then`, the duration `bucket` and `without_offer` (the three-month clock
    ran out by then, not met and not stopped)."""
    moment = end_of(day)
    overdue = Deadline.objects.filter(
        case=OuterRef("pk"), kind=Deadline.Kind.OFFER_3_MONTHS, due_at__lt=moment,
    ).filter(Q(met_at__isnull=True) | Q(met_at__gte=moment)).filter(Q(stopped_at__isnull=True)
                                                                     | Q(stopped_at__gte=moment))
    return scope.cases().filter(open_on(day)).annotate(
        registration_then=Coalesce(_dated("registration_changed", day, "to"), F("registration"),
                                   output_field=CharField()),
        level_then=Coalesce(_dated("participation_changed", day, "level"), Value(Case.Participation.GEEN),
                            output_field=CharField()),
        setting_then=_dated("participation_changed", day, "setting"),
        bucket=bucket_expression(day),
        without_offer=Exists(overdue),
    )


def exemptions_on(scope: Scope, day: dt.date):
    """The exemptions running on `day` for cases in scope (open or closed) of children of
    compulsory school age then."""
    return (Vrijstelling.objects.filter(scope.q("case__"), compulsory_school_age(day, "case__child__"),
                                        granted=True, until__gte=day)
            .annotate(from_day=Coalesce("starts_on", TruncDate("decided_at")))
            .filter(from_day__lte=day).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=day)))


def bucket_expression(day: dt.date):
    whens = [When(absent_since__gt=day - dt.timedelta(days=low), then=Value(previous))
             for (previous, _, _), (_, low, _) in zip(BUCKETS, BUCKETS[1:], strict=False)]
    return DbCase(*whens, default=Value(BUCKETS[-1][0]), output_field=CharField())


def counts_on(scope: Scope, day: dt.date) -> dict:
    """The counts on the peildatum (one grouped query over the open cases, two over the exemptions)."""
    groups = (cases_on(scope, day).filter(compulsory_school_age(day, "child__"))
              .values("registration_then", "level_then", "setting_then", "sector", "category", "bucket",
                      "region_id", "school_id", "without_offer")
              .annotate(n=Count("pk")).order_by())
    per_registration = dict.fromkeys(REGISTRATIONS, 0)
    buckets = dict.fromkeys([name for name, _, _ in BUCKETS], 0)
    by_sector = {sector: dict.fromkeys(REGISTRATIONS, 0) for sector in SECTORS}
    by_region: dict[int, int] = {}
    by_school: dict[int, int] = {}
    by_category = dict.fromkeys(CATEGORIES, 0)
    ziek_by_category = dict.fromkeys(CATEGORIES, 0)
    in_traject = {"total": 0, **{level: dict.fromkeys(SETTINGS, 0) for level in TRAJECT_LEVELS}}
    without_offer = 0
    for row in groups:
        registration, level, n = row["registration_then"], row["level_then"], row["n"]
        sector = by_sector.setdefault(row["sector"], dict.fromkeys(REGISTRATIONS, 0))
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
        elif registration == "ziek":
            per_registration[registration] += n
            sector[registration] += n
            ziek_by_category[row["category"]] = ziek_by_category.get(row["category"], 0) + n
        if registration in ("lrv", "av", "dreigend", "ziek") and level in TRAJECT_LEVELS:
            in_traject["total"] += n
            if row["setting_then"] in in_traject[level]:
                in_traject[level][row["setting_then"]] += n
    exemptions = exemptions_on(scope, day)
    for sector, n in exemptions.values_list("case__sector").annotate(n=Count("case", distinct=True)).order_by():
        by_sector.setdefault(sector, dict.fromkeys(REGISTRATIONS, 0))["vrij"] = n
        per_registration["vrij"] += n
    vrij_by_ground = dict.fromkeys(GROUNDS, 0)
    vrij_by_ground.update(exemptions.values_list("grounds").annotate(n=Count("case", distinct=True)).order_by())
    return {
        "peildatum": day.isoformat(),
        "thuiszitters": per_registration["lrv"] + per_registration["av"],
        "lrv": per_registration["lrv"], "av": per_registration["av"], "vrij": per_registration["vrij"],
        "ziek": per_registration["ziek"], "dreigend": per_registration["dreigend"],
        "open_cases": scope.cases().filter(open_on(day)).count(),
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


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    index = share * (len(values) - 1)
    low, high = int(index), min(int(index) + 1, len(values) - 1)
    return round(values[low] + (values[high] - values[low]) * (index - low), 1)


def period_counts(scope: Scope, first: dt.date, last: dt.date) -> dict:
    """What happened between `first` and `last` (inclusive)."""
    events = scope.events().filter(at__gte=start_of(first), at__lt=end_of(last))
    kinds = dict(events.values("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    closed = dict(events.filter(kind="closed").values("data__outcome").annotate(n=Count("pk"))
                  .values_list("data__outcome", "n"))
    reviews = list(events.filter(kind="team_review").values_list("case_id", "data__routes"))
    routes = {route: sum(1 for _, chosen in reviews if chosen and route in chosen) for route in Route.values}
    consulted = {case_id for case_id, chosen in reviews if chosen and Route.ECT_CONSULT in chosen}
    granted = events.filter(kind="vrijstelling_decided", data__granted=True).count()
    escalated_cases = events.filter(kind="escalated").values("case_id").distinct().count()
    rungs = {
        "team": events.filter(kind="team_review").values("case_id").distinct().count(),
        "ect": len(consulted | set(events.filter(kind="deadline_breached",
                                                 data__deadline_kind=Deadline.Kind.TEAM_ACTION_48H)
                                   .values_list("case_id", flat=True))),
        "mpl_doe": escalated_cases,
        "director": events.filter(Q(kind="director_decided")
                                  | Q(kind="deadline_breached", data__deadline_kind=Deadline.Kind.OFFER_3_MONTHS))
        .values("case_id").distinct().count(),
    }
    return {
        "from": first.isoformat(), "until": last.isoformat(),
        "new_signals": kinds.get("signalled", 0),
        "returns": closed.get(Case.Outcome.TERUG_NAAR_SCHOOL, 0),
        "offers_with_place": kinds.get("placed", 0),
        "closed": {outcome: closed.get(outcome, 0) for outcome in Case.Outcome.values},
        "exemptions_advised": kinds.get("vrijstelling_advised", 0),
        "exemptions_granted": granted,
        "ect_consults": routes[Route.ECT_CONSULT],
        "routes": routes,
        "doorbraak_decisions": kinds.get("doorbraak_decided", 0) + kinds.get("director_decided", 0),
        "ladder": rungs,
        "compliance": compliance(events),
        "days_signal_to_team_action": timing_signal_to_action(scope, first, last),
        "days_absent_to_placement": timing_absent_to_placement(scope, first, last),
    }


def compliance(events) -> dict:
    result = {}
    for clock in COMPLIANCE_CLOCKS:
        rows = events.filter(data__deadline_kind=clock,
                             kind__in=["deadline_met", "deadline_breached", "deadline_stopped"])
        met = rows.filter(kind="deadline_met").exclude(data__late=True).count()
        breached = rows.filter(kind="deadline_breached").count()
        stopped = rows.filter(kind="deadline_stopped").count()
        total = met + breached + stopped
        result[clock] = {"met": met, "breached": breached, "stopped": stopped,
                         "met_share": round(met / total, 3) if total else None,
                         "breached_share": round(breached / total, 3) if total else None,
                         "stopped_share": round(stopped / total, 3) if total else None}
    return result


def _scope_sql(scope: Scope, alias: str = "c") -> tuple[str, list]:
    """The scope as SQL conditions on the case table (for the PostgreSQL aggregates below)."""
    conditions, params = [f"{alias}.region_id = ANY(%s)"], [list(scope.regions)]
    if scope.sector:
        conditions.append(f"{alias}.sector = %s")
        params.append(scope.sector)
    if scope.school:
        conditions.append(f"{alias}.school_id = %s")
        params.append(scope.school)
    return " AND ".join(conditions), params


def _stats_row(row) -> dict:
    count, median, p90 = row
    return {"cases": count, "median": None if median is None else round(median, 1),
            "p90": None if p90 is None else round(p90, 1)}


PERCENTILES = "count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY d), percentile_cont(0.9) WITHIN GROUP (ORDER BY d)"


def timing_signal_to_action(scope: Scope, first: dt.date, last: dt.date) -> dict:
    """Days from signal to the first team review, for the cases whose first review fell in the period."""
    begin, end = start_of(first), end_of(last)
    if connection.vendor == "postgresql":  # aggregated in the database: no rows travel
        where, params = _scope_sql(scope)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""WITH firsts AS (
                        SELECT e.case_id, min(e.at) AS first FROM casework_caseevent e
                        WHERE e.kind = 'team_review' AND e.case_id IN (
                            SELECT r.case_id FROM casework_caseevent r
                            WHERE r.kind = 'team_review' AND r.at >= %s AND r.at < %s)
                        GROUP BY e.case_id)
                    SELECT {PERCENTILES} FROM (
                        SELECT extract(epoch FROM f.first - c.signalled_at) / 86400 AS d
                        FROM firsts f JOIN casework_case c ON c.id = f.case_id
                        WHERE f.first >= %s AND f.first < %s AND {where}) t""",  # noqa: S608 (no user text)
                [begin, end, begin, end, *params])
            return _stats_row(cursor.fetchone())
    reviewed = scope.events().filter(kind="team_review", at__gte=begin, at__lt=end)
    firsts = (CaseEvent.objects.filter(kind="team_review", case_id__in=reviewed.values("case_id"))
              .values("case_id").annotate(first=Min("at")).values_list("case_id", "first"))
    first_review = {case_id: at for case_id, at in firsts if begin <= at < end}
    signalled = dict(Case.objects.filter(pk__in=list(first_review)).values_list("pk", "signalled_at"))
    days = [(first_review[pk] - signalled[pk]).total_seconds() / 86400 for pk in first_review]
    return {"cases": len(days), "median": percentile(days, 0.5), "p90": percentile(days, 0.9)}


def timing_absent_to_placement(scope: Scope, first: dt.date, last: dt.date) -> dict:
    """Days from the first day out of school to each confirmed start of a place (`offer_started`,
    its `started_on`) that fell in the period."""
    if connection.vendor == "postgresql":
        where, params = _scope_sql(scope)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT {PERCENTILES} FROM (
                        SELECT ((e.data ->> 'started_on')::date - c.absent_since) AS d
                        FROM casework_caseevent e JOIN casework_case c ON c.id = e.case_id
                        WHERE e.kind = 'offer_started' AND e.data ->> 'started_on' >= %s
                          AND e.data ->> 'started_on' <= %s AND {where}) t""",  # noqa: S608 (no user text)
                [first.isoformat(), last.isoformat(), *params])
            return _stats_row(cursor.fetchone())
    rows = (scope.events().filter(kind="offer_started").annotate(started=text("started_on"))
            .filter(started__gte=first.isoformat(), started__lte=last.isoformat())
            .values_list("started", "case__absent_since"))
    days = [(dt.date.fromisoformat(started) - absent).days for started, absent in rows]
    return {"cases": len(days), "median": percentile(days, 0.5), "p90": percentile(days, 0.9)}


def report(scope: Scope, peildatum: dt.date, first: dt.date | None = None) -> dict:
    """The monitor's numbers: counts on the peildatum and what happened in the period before it
    (by default the quarter that the peildatum ends)."""
    if first is None:
        first = dt.date(peildatum.year, 3 * ((peildatum.month - 1) // 3) + 1, 1)
    return {"counts": counts_on(scope, peildatum), "period": period_counts(scope, first, peildatum)}


def monthly_trend(scope: Scope, until: dt.date, months: int = 12) -> list[dict]:
    """Counts at the end of each of the last `months` months, and the returns in each month."""
    trend = []
    for back in range(months - 1, -1, -1):
        month_first = dt.date(until.year, until.month, 1)
        year, month = month_first.year, month_first.month - back
        while month < 1:
            month += 12
            year -= 1
        first = dt.date(year, month, 1)
        last = min(until, (dt.date(year + (month == 12), 1 if month == 12 else month + 1, 1) - dt.timedelta(days=1)))
        counts = counts_on(scope, last)
        returns = scope.events().filter(kind="closed", data__outcome=Case.Outcome.TERUG_NAAR_SCHOOL,
                                        at__gte=start_of(first), at__lt=end_of(last)).count()
        trend.append({"month": first.strftime("%Y-%m"), "thuiszitters": counts["thuiszitters"],
                      "lrv": counts["lrv"], "av": counts["av"], "vrij": counts["vrij"],
                      "dreigend": counts["dreigend"], "returns": returns})
    return trend


# --- exports ---------------------------------------------------------------------------------------
#
# Two audiences: the Inspectie gets the exact numbers; a table for the public shows counts from 1
# to 4 as "< 5" (primary suppression) and hides ("x") as many more cells as it takes so that no
# hidden count follows from the published cells and the totals (secondary suppression).

AUDIENCES = ("inspectie", "public")
SMALL = "< 5"
HIDDEN = "x"
COLUMNS = ["total", *SECTORS]

SECTOR_ROWS = [("lrv", "Langdurig relatief verzuim (LRV)"), ("av", "Absoluut verzuim (AV)"),
               ("vrij", "Vrijstelling (alle gronden)"), ("ziek", "Ziekgemeld"),
               ("dreigend", "Dreigend thuiszitter"), ("thuiszitters", "Thuiszitters (LRV + AV)")]
CATEGORY_LABELS = {"schoolweigeraar": "schoolweigeraar", "schoolonthouding": "schoolonthouding",
                   "spijbelaar": "spijbelaar", "medisch_psychosociaal": "medisch, lichamelijk of psychosociaal",
                   "onbekend": "onbekend"}
TRAJECT_LABELS = {"gedeeltelijk": "In traject: gedeeltelijk deelnemend",
                  "volledig": "In traject: volledig deelnemend (naar vermogen)"}


def quarter_rows(counts: dict, period: dict) -> list[dict]:
    """The quarterly table: {key, label, total, by_sector (None for a row without sectors)}."""
    by_sector = counts["by_sector"]
    rows = []
    for key, label in SECTOR_ROWS:
        if key == "thuiszitters":
            per_sector = {s: by_sector[s]["lrv"] + by_sector[s]["av"] for s in SECTORS}
        else:
            per_sector = {s: by_sector[s][key] for s in SECTORS}
        rows.append({"key": key, "label": label, "total": counts[key], "by_sector": per_sector})
    rows += [{"key": f"thuiszitters:{c}", "label": f"Thuiszitters: {label}",
              "total": counts["thuiszitters_by_category"][c], "by_sector": None}
             for c, label in CATEGORY_LABELS.items()]
    rows += [{"key": f"ziek:{c}", "label": f"Ziekgemeld: {label}", "total": counts["ziek_by_category"][c],
              "by_sector": None} for c, label in CATEGORY_LABELS.items()]
    rows += [{"key": f"vrij:{g}", "label": f"Vrijstelling {g}", "total": counts["vrij_by_ground"][g],
              "by_sector": None} for g in GROUNDS]
    rows += [{"key": f"in_traject:{level}", "label": TRAJECT_LABELS[level],
              "total": sum(counts["in_traject"][level].values()), "by_sector": None} for level in TRAJECT_LEVELS]
    rows += [
        {"key": "without_offer_over_3_months", "label": "Zonder aanbod na 3 maanden",
         "total": counts["without_offer_over_3_months"], "by_sector": None},
        {"key": "returns", "label": "Teruggeleid naar onderwijs in het kwartaal", "total": period["returns"],
         "by_sector": None},
        {"key": "new_signals", "label": "Nieuwe meldingen in het kwartaal", "total": period["new_signals"],
         "by_sector": None},
    ]
    return rows


def table_relations() -> list[tuple[tuple, list[tuple]]]:
    """The totals a reader can check in the quarterly table, as (total cell, part cells); a cell
    is (row key, column)."""
    relations = [((key, "total"), [(key, s) for s in SECTORS]) for key, _ in SECTOR_ROWS]
    relations += [(("thuiszitters", column), [("lrv", column), ("av", column)]) for column in COLUMNS]
    relations += [
        (("thuiszitters", "total"), [(f"thuiszitters:{c}", "total") for c in CATEGORIES]),
        (("ziek", "total"), [(f"ziek:{c}", "total") for c in CATEGORIES]),
        (("vrij", "total"), [(f"vrij:{g}", "total") for g in GROUNDS]),  # (a case rarely has two grounds)
    ]
    return relations


def suppress_table(cells: dict, relations: list[tuple]) -> dict:
    """The cells for the public. Counts from 1 to 4 become "< 5". Then, while a relation (a total
    and its parts) has exactly one hidden cell, the smallest other non-zero part is hidden too
    ("x"), or the total when every other part is zero. Zeros stay.

    Then two checks: whether a hidden cell follows from the published cells and the relations
    together (linear algebra: e.g. through a row and a column), and whether it follows from
    what the marks say as well: "< 5" is 1 to 4, an "x" at least 5 (every count from 1 to 4 is
    "< 5" already), so 1 + x = 6 gives both away (bounds propagated over the relations). A cell
    so pinned down makes the smallest published non-zero cell of its relations (or, when they
    have none, of the nearest ones) that frees it hidden as well, and the rules run again.
    Zeros are never hidden, so a relation whose non-zero cells are all hidden already can still
    give them away to a reader of the marks (4 = four times "< 5")."""
    shown = {key: SMALL if isinstance(value, int) and 0 < value < 5 else value for key, value in cells.items()}
    while True:
        changed = True
        while changed:
            changed = False
            for total, parts in relations:
                hidden = [key for key in (total, *parts) if shown[key] in (SMALL, HIDDEN)]
                if len(hidden) != 1:
                    continue
                candidates = [key for key in parts if key not in hidden and cells[key]]
                if not candidates and total not in hidden and cells[total]:
                    candidates = [total]
                if candidates:
                    shown[min(candidates, key=lambda key: cells[key])] = HIDDEN  # the first of equals
                    changed = True
        pinned = _follows_from_totals(shown, relations) or _pinned(shown, relations)
        if not pinned:
            return shown
        candidates = sorted(set(_nearest_published(pinned, cells, shown, relations)), key=lambda key: cells[key])
        if not candidates:
            return shown  # nothing is left to hide (zeros stay)
        for candidate in candidates:  # the smallest that frees the pinned cell, else the smallest
            trial = {**shown, candidate: HIDDEN}
            if pinned not in (_follows_from_totals(trial, relations, every=True)
                              | _pinned(trial, relations, every=True)):
                break
        else:
            candidate = candidates[0]
        shown[candidate] = HIDDEN


def _nearest_published(start, cells: dict, shown: dict, relations: list[tuple]) -> list:
    """The published non-zero cells of the relations nearest to `start`: its own relations, else
    those of the hidden cells in them, and so on."""
    seen, layer = {start}, [start]
    while layer:
        related = [members for total, parts in relations for members in [(total, *parts)]
                   if any(key in members for key in layer)]
        published = [key for members in related for key in members
                     if shown[key] not in (SMALL, HIDDEN) and cells[key]]
        if published:
            return published
        layer = [key for members in related for key in members if key not in seen]
        seen.update(layer)
    return []


def _pinned(shown: dict, relations: list[tuple], every: bool = False):
    """A hidden cell whose value follows from the published cells, the relations and what the
    marks say ("< 5": 1 to 4; "x": 5 or more), by propagating bounds; None when there is none
    (with `every`: the set of all of them)."""
    many = 10**9
    low = {key: 1 if value == SMALL else 5 if value == HIDDEN else value for key, value in shown.items()}
    high = {key: 4 if value == SMALL else many if value == HIDDEN else value for key, value in shown.items()}
    changed = True
    while changed:
        changed = False
        for total, parts in relations:
            bounds = [(total, sum(low[p] for p in parts), sum(high[p] for p in parts))]
            for part in parts:
                others_low = sum(low[p] for p in parts if p != part)
                others_high = sum(high[p] for p in parts if p != part)
                bounds.append((part, low[total] - others_high, high[total] - others_low))
            for key, lo, hi in bounds:
                if lo > low[key]:
                    low[key], changed = lo, True
                if hi < high[key]:
                    high[key], changed = hi, True
    found = [key for key, value in shown.items() if value in (SMALL, HIDDEN) and low[key] >= high[key]]
    return set(found) if every else (found[0] if found else None)


def _follows_from_totals(shown: dict, relations: list[tuple], every: bool = False):
    """A hidden cell whose value follows from the published cells and the relations alone (linear
    algebra, exact: the relations have no solution that changes it); None when there is none
    (with `every`: the set of all of them)."""
    hidden = [key for key, value in shown.items() if value in (SMALL, HIDDEN)]
    column = {key: i for i, key in enumerate(hidden)}
    rows = []
    for total, parts in relations:
        row = [Fraction(0)] * len(hidden)
        for key, sign in ((total, 1), *((p, -1) for p in parts)):
            if key in column:
                row[column[key]] += sign
        if any(row):
            rows.append(row)
    pivots = []  # reduced row echelon form
    for j in range(len(hidden)):
        r = next((i for i in range(len(pivots), len(rows)) if rows[i][j]), None)
        if r is None:
            continue
        rows[len(pivots)], rows[r] = rows[r], rows[len(pivots)]
        pivot_row = rows[len(pivots)]
        pivot_row[:] = [v / pivot_row[j] for v in pivot_row]
        for i, row in enumerate(rows):
            if i != len(pivots) and row[j]:
                factor = row[j]
                row[:] = [a - factor * b for a, b in zip(row, pivot_row, strict=True)]
        pivots.append(j)
    free = set(range(len(hidden))) - set(pivots)
    found = [hidden[j] for i, j in enumerate(pivots) if not any(rows[i][f] for f in free)]
    return set(found) if every else (found[0] if found else None)


def quarter_table(scope: Scope, year: int, quarter: int, audience: str = "inspectie") -> dict:
    """The quarterly report as one table for an audience ("inspectie": exact; "public": suppressed)."""
    if audience not in AUDIENCES:
        raise ValueError(audience)
    first, last = quarter_bounds(year, quarter)
    data = report(scope, last, first)
    rows = quarter_rows(data["counts"], data["period"])
    if audience == "public":
        cells = {}
        for row in rows:
            cells[(row["key"], "total")] = row["total"]
            for sector, value in (row["by_sector"] or {}).items():
                cells[(row["key"], sector)] = value
        shown = suppress_table(cells, table_relations())
        for row in rows:
            row["total"] = shown[(row["key"], "total")]
            if row["by_sector"] is not None:
                row["by_sector"] = {sector: shown[(row["key"], sector)] for sector in SECTORS}
    return {"audience": audience, "year": year, "quarter": quarter, "peildatum": last.isoformat(),
            "from": first.isoformat(), "until": last.isoformat(), "sectors": SECTORS, "rows": rows}


def quarter_csv_rows(scope: Scope, year: int, quarter: int, audience: str = "inspectie") -> list[list]:
    """The quarterly CSV: the Inspectie's categories per sector at the quarter's end, the
    breakdowns, and the quarter's returns and new signals."""
    table = quarter_table(scope, year, quarter, audience)
    rows = [["peildatum", table["peildatum"]], ["categorie", "totaal", *SECTORS]]
    for row in table["rows"]:
        per_sector = [row["by_sector"][s] for s in SECTORS] if row["by_sector"] is not None else []
        rows.append([row["label"], row["total"], *per_sector])
    if audience == "public":
        rows.append(["Toelichting", f"{SMALL}: 1 tot en met 4; {HIDDEN}: afgeschermd, zodat geen klein aantal "
                                    "uit de totalen volgt"])
    return rows
