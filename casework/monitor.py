"""The monitor: counts at any peildatum and over any period, computed from the CaseEvent
history, so that a report for a past date shows what each case was on that date.

- the registration a case had on date D: its latest `signalled` or `registration_changed`
  event up to the end of D; the case is open on D when it was signalled and not yet closed;
- its status on D: closed, else the later of `placed`/`escalated`, else active after its first
  team review, else signalled;
- period counts come from the events in the period; clock compliance from the clocks' own
  events (`deadline_met`, `deadline_breached`, `deadline_stopped`).

Everything is aggregated in the database (correlated subqueries over the (case, at) index), so
the cost grows with the cases in scope, not with all events. Aggregates only: no names.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Case as DbCase
from django.db.models import CharField, Count, F, Min, OuterRef, Q, Subquery, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from casework.models import Case, CaseEvent, Deadline, Route
from teams.models import Membership, Region, RegionRole

REGISTRATIONS = ["lrv", "av", "vrij", "ziek", "dreigend"]
BUCKETS = [("lt_4_weeks", 0, 28), ("4_weeks_3_months", 28, 91), ("3_6_months", 91, 182), ("gt_6_months", 182, None)]
SECTORS = ["po", "vo", "so", "vso", "mbo"]
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

    def cases(self):
        cases = Case.objects.filter(region_id__in=self.regions)
        if self.sector:
            cases = cases.filter(sector=self.sector)
        if self.school:
            cases = cases.filter(school_id=self.school)
        return cases

    def events(self):
        events = CaseEvent.objects.all()
        if not set(Region.objects.values_list("pk", flat=True)) <= set(self.regions):
            events = events.filter(case__region_id__in=self.regions)  # else every case is in scope: no join
        if self.sector:
            events = events.filter(case__sector=self.sector)
        if self.school:
            events = events.filter(case__school_id=self.school)
        return events


def cases_open_on(scope: Scope, day: dt.date):
    """The cases open at the end of `day`, annotated with the registration they had then.

    A case is open on D when it was signalled before the end of D and not closed by then
    (`closed_at` is written once, by the closing service). Its registration on D is its current
    one unless it has `registration_changed` events; only those (few) cases read their history.
    """
    moment = end_of(day)
    changed = CaseEvent.objects.filter(kind="registration_changed").values("case_id")
    registration = CaseEvent.objects.filter(
        case=OuterRef("pk"), at__lt=moment, kind__in=["signalled", "registration_changed"],
    ).order_by("-at", "-pk").values(value=KT("data__registration"))[:1]
    open_then = scope.cases().filter(signalled_at__lt=moment).filter(Q(closed_at__isnull=True)
                                                                      | Q(closed_at__gte=moment))
    unchanged = open_then.exclude(pk__in=changed).annotate(registration_then=F("registration"))
    with_history = open_then.filter(pk__in=changed).annotate(
        registration_then=Coalesce(Subquery(registration, output_field=CharField()), F("registration"),
                                   output_field=CharField()))
    return unchanged, with_history


def bucket_expression(day: dt.date):
    whens = [When(absent_since__gt=day - dt.timedelta(days=low), then=Value(previous))
             for (previous, _, _), (_, low, _) in zip(BUCKETS, BUCKETS[1:], strict=False)]
    return DbCase(*whens, default=Value(BUCKETS[-1][0]), output_field=CharField())


def counts_on(scope: Scope, day: dt.date) -> dict:
    """Registrations and duration buckets of the open cases on the peildatum (one grouped query)."""
    groups = [row for cases in cases_open_on(scope, day)
              for row in cases.annotate(bucket=bucket_expression(day))
              .values("registration_then", "sector", "bucket", "region_id", "school_id")
              .annotate(n=Count("pk")).order_by()]
    per_registration = dict.fromkeys(REGISTRATIONS, 0)
    buckets = dict.fromkeys([name for name, _, _ in BUCKETS], 0)
    by_sector = {sector: dict.fromkeys(REGISTRATIONS, 0) for sector in SECTORS}
    by_region: dict[int, int] = {}
    by_school: dict[int, int] = {}
    for row in groups:
        registration, n = row["registration_then"], row["n"]
        per_registration[registration] = per_registration.get(registration, 0) + n
        by_sector.setdefault(row["sector"], dict.fromkeys(REGISTRATIONS, 0))[registration] += n
        buckets[row["bucket"]] += n
        if registration in ("lrv", "av"):
            by_region[row["region_id"]] = by_region.get(row["region_id"], 0) + n
            if row["school_id"]:
                by_school[row["school_id"]] = by_school.get(row["school_id"], 0) + n
    return {
        "peildatum": day.isoformat(),
        "thuiszitters": per_registration["lrv"] + per_registration["av"],
        "lrv": per_registration["lrv"], "av": per_registration["av"], "vrij": per_registration["vrij"],
        "ziek": per_registration["ziek"], "dreigend": per_registration["dreigend"],
        "open_cases": sum(per_registration.values()),
        "durations": buckets,
        "by_sector": by_sector,
        "thuiszitters_by_region": {str(k): v for k, v in sorted(by_region.items())},
        "thuiszitters_by_school": {str(k): v for k, v in sorted(by_school.items())},
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
    """Days from the first day out of school to each placement in the period."""
    begin, end = start_of(first), end_of(last)
    if connection.vendor == "postgresql":
        where, params = _scope_sql(scope)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT {PERCENTILES} FROM (
                        SELECT ((e.at AT TIME ZONE %s)::date - c.absent_since) AS d
                        FROM casework_caseevent e JOIN casework_case c ON c.id = e.case_id
                        WHERE e.kind = 'placed' AND e.at >= %s AND e.at < %s AND {where}) t""",  # noqa: S608
                [settings.TIME_ZONE, begin, end, *params])
            return _stats_row(cursor.fetchone())
    rows = scope.events().filter(kind="placed", at__gte=begin, at__lt=end).values_list("at", "case__absent_since")
    days = [(timezone.localtime(at).date() - absent).days for at, absent in rows]
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


# --- exports that leave the SWV -----------------------------------------------------------------


def suppress(value):
    """Small numbers (1-4) as "< 5" in exports that leave the SWV (CASEWORK_SUPPRESS_SMALL_NUMBERS)."""
    if getattr(settings, "CASEWORK_SUPPRESS_SMALL_NUMBERS", True) and isinstance(value, int) and 0 < value < 5:
        return "< 5"
    return value


INSPECTIE_ROWS = [("lrv", "Langdurig relatief verzuim (LRV)"), ("av", "Absoluut verzuim (AV)"),
                  ("vrij", "Vrijstelling 5a"), ("ziek", "Ziekgemeld"), ("dreigend", "Dreigend thuiszitter")]


def quarter_csv_rows(scope: Scope, year: int, quarter: int) -> list[list]:
    """The Inspectie's categories per sector at the quarter's end, plus the period's returns."""
    first, last = quarter_bounds(year, quarter)
    data = report(scope, last, first)
    counts, period = data["counts"], data["period"]
    rows = [["peildatum", last.isoformat()], ["categorie", "totaal", *SECTORS]]
    for key, label in INSPECTIE_ROWS:
        rows.append([label, suppress(counts[key]), *[suppress(counts["by_sector"][s][key]) for s in SECTORS]])
    rows.append(["Thuiszitters (LRV + AV)", suppress(counts["thuiszitters"]),
                 *[suppress(counts["by_sector"][s]["lrv"] + counts["by_sector"][s]["av"]) for s in SECTORS]])
    rows.append(["Teruggeleid naar onderwijs in het kwartaal", suppress(period["returns"])])
    rows.append(["Nieuwe meldingen in het kwartaal", suppress(period["new_signals"])])
    return rows


