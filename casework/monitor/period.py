"""What happened in a period: signals, returns, routes, the ladder, clock compliance and timings;
the report of a peildatum with its period, and the monthly trend. Read from the summaries (the
daily rollup `MonitorTally` and the cases' milestones, written by `casework.monitor.derived`); the
replay of every event that they must equal is `tests/monitor_replay.py`."""

import datetime as dt

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils.formats import date_format

from casework.models import Case, MonitorTally, Route, Thuiswerkplan
from casework.monitor.counts import (
    COMPLIANCE_CLOCKS,
    Scope,
    compulsory_school_age,
    counts_on,
    end_of,
    spells_on,
    start_of,
)
from casework.monitor.derived import RUNGS


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    index = share * (len(values) - 1)
    low, high = int(index), min(int(index) + 1, len(values) - 1)
    return round(values[low] + (values[high] - values[low]) * (index - low), 1)


def tallies(scope: Scope, first: dt.date, last: dt.date):
    """The rollup's rows of the period in scope (by the case's region, sector and school at the
    time of each event)."""
    rows = MonitorTally.objects.filter(day__gte=first, day__lte=last, region_id__in=scope.regions)
    if scope.sector:
        rows = rows.filter(sector=scope.sector)
    if scope.school:
        rows = rows.filter(school_id=scope.school)
    return rows


def period_counts(scope: Scope, first: dt.date, last: dt.date) -> dict:
    """What happened between `first` and `last` (inclusive), from the daily rollup: one grouped
    query for the counts, one for the distinct cases of the ladder, one for the cases' first
    reviews (identical to the replay of the events, `tests/monitor_replay.py`)."""
    rows = tallies(scope, first, last)
    sums = dict(rows.exclude(measure__startswith="rung:").values("measure").annotate(n=Sum("n")).order_by()
                .values_list("measure", "n"))
    rungs = dict(rows.filter(measure__startswith="rung:").values("measure")
                 .annotate(n=Count("case_ref", distinct=True)).order_by().values_list("measure", "n"))
    routes = {route: sums.get(f"route:{route}", 0) for route in Route.values}
    return {
        "from": first.isoformat(), "until": last.isoformat(),
        "new_signals": sums.get("signalled", 0),
        "returns": sums.get(f"closed:{Case.Outcome.TERUG_NAAR_SCHOOL}", 0),
        "offers_with_place": sums.get("placed", 0),
        "closed": {outcome: sums.get(f"closed:{outcome}", 0) for outcome in Case.Outcome.values},
        "exemptions_advised": sums.get("vrijstelling_advised", 0),
        "exemptions_granted": sums.get("vrijstelling_granted", 0),
        "ect_consults": routes[Route.ECT_CONSULT],
        "routes": routes,
        "doorbraak_decisions": sums.get("doorbraak:plaatsing", 0) + sums.get("director_decided", 0),
        "doorbraak_no_agreement": sums.get("doorbraak:geen_overeenstemming", 0),
        "ladder": {rung: rungs.get(f"rung:{rung}", 0) for rung in RUNGS},
        "compliance": compliance(sums),
        "days_signal_to_team_action": timing_signal_to_action(scope, first, last),
        "days_absent_to_placement": _absent_to_placement(sums),
    }


def compliance(sums: dict) -> dict:
    result = {}
    for clock in COMPLIANCE_CLOCKS:
        met, breached, stopped = (sums.get(f"compliance:{clock}:{outcome}", 0)
                                  for outcome in ("met", "breached", "stopped"))
        total = met + breached + stopped
        result[clock] = {"met": met, "breached": breached, "stopped": stopped,
                         "met_share": round(met / total, 3) if total else None,
                         "breached_share": round(breached / total, 3) if total else None,
                         "stopped_share": round(stopped / total, 3) if total else None}
    return result


def _absent_to_placement(sums: dict) -> dict:
    days = []
    for measure, n in sums.items():
        if measure.startswith("absent_to_start:"):
            days += [int(measure.split(":", 1)[1])] * n
    return {"cases": len(days), "median": percentile(days, 0.5), "p90": percentile(days, 0.9)}


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
    """Days from signal to the first team review (the case's `first_reviewed_at`), for the cases
    in scope (by their current region, sector and school) whose first review fell in the period."""
    begin, end = start_of(first), end_of(last)
    if connection.vendor == "postgresql":  # aggregated in the database: no rows travel
        where, params = _scope_sql(scope)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT {PERCENTILES} FROM (
                        SELECT extract(epoch FROM c.first_reviewed_at - c.signalled_at) / 86400 AS d
                        FROM casework_case c
                        WHERE c.first_reviewed_at >= %s AND c.first_reviewed_at < %s AND {where}) t""",  # noqa: S608
                [begin, end, *params])
            return _stats_row(cursor.fetchone())
    rows = scope.cases().filter(first_reviewed_at__gte=begin, first_reviewed_at__lt=end) \
        .values_list("first_reviewed_at", "signalled_at")
    days = [(reviewed - signalled).total_seconds() / 86400 for reviewed, signalled in rows]
    return {"cases": len(days), "median": percentile(days, 0.5), "p90": percentile(days, 0.9)}


def timing_absent_to_placement(scope: Scope, first: dt.date, last: dt.date) -> dict:
    """Days from the first day out of school (after an exemption that ended before the start: the
    day after its last day) to each confirmed start of a place (`offer_started`, its `started_on`)
    that fell in the period (the rollup's histogram by start day)."""
    sums = dict(tallies(scope, first, last).filter(measure__startswith="absent_to_start:").values("measure")
                .annotate(n=Sum("n")).order_by().values_list("measure", "n"))
    return _absent_to_placement(sums)


def report(scope: Scope, peildatum: dt.date, first: dt.date | None = None) -> dict:
    """The monitor's numbers: counts on the peildatum and what happened in the period before it
    (by default the quarter that the peildatum ends)."""
    if first is None:
        first = dt.date(peildatum.year, 3 * ((peildatum.month - 1) // 3) + 1, 1)
    counts = counts_on(scope, peildatum)
    counts["thuiswerkplan"] = thuiswerkplan_on(scope, peildatum)
    return {"counts": counts, "period": period_counts(scope, first, peildatum)}


def monthly_trend(scope: Scope, until: dt.date, months: int = 12) -> list[dict]:
    """Counts at the end of each of the last `months` months, and the returns in each month;
    `month` is machine-readable ("2026-11"), `label` the month in the active language ("nov. 2026")."""
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
        returns = tallies(scope, first, last).filter(measure=f"closed:{Case.Outcome.TERUG_NAAR_SCHOOL}") \
            .aggregate(n=Sum("n"))["n"] or 0
        trend.append({"month": first.strftime("%Y-%m"), "label": date_format(first, "YEAR_MONTH_FORMAT"),
                      "thuiszitters": counts["thuiszitters"],
                      "lrv": counts["lrv"], "av": counts["av"], "vrij": counts["vrij"],
                      "dreigend": counts["dreigend"], "returns": returns})
    return trend




def thuiswerkplan_on(scope: Scope, day: dt.date) -> int:
    """A verbijzondering of the thuiszitters (Jaarkalender & jaarplan SWV VO Groningen Stad, KPI 1:
    "met verbijzonderingen ... ziekgemelde leerlingen, thuiswerkplan e.d."): of the pupils the
    peildatum counts as LRV, AV, threatened or sick (of compulsory school age, not taking part
    fully, case open), those with a thuiswerkplan running on `day`."""
    running = Thuiswerkplan.objects.filter(case_id=OuterRef("case_id"), starts_on__lte=day).filter(
        Q(until__isnull=True) | Q(until__gte=day))
    return (spells_on(scope, day).filter(compulsory_school_age(day), is_open=True,
                                         registration__in=["lrv", "av", "dreigend", "ziek"])
            .exclude(level=Case.Participation.VOLLEDIG).filter(Exists(running)).count())
