"""The reference: what happened in a period, replayed from every `CaseEvent`.

The monitor reads its summaries (`casework.monitor.period`, written by `casework.monitor.derived`);
this is the slow, obvious replay of the events that the property test (tests/test_monitor_rollup.py)
holds the summaries to, answer for answer. An event counts by the case's sector and school at
the time of the event: the `school`/`sector` of the case's latest `registration_changed` or
`school_changed` up to it, by (at, pk) (before the first one: that first one's; without any: the case's current ones).
Timings are per case and count by the case's current region, sector and school."""

import datetime as dt

from django.db import connection
from django.db.models import (
    Count,
    Min,
    Q,
)
from django.utils import timezone

from casework.clocks import of_compulsory_school_age
from casework.models import Case, CaseEvent, Deadline, Route, Vrijstelling
from casework.monitor.counts import (
    BUCKETS,
    COMPLIANCE_CLOCKS,
    Scope,
    end_of,
    lrv_line,
    start_of,
    tally,
    text,
)
from casework.monitor.period import PERCENTILES, _scope_sql, _stats_row, percentile

# The events that move a case to a school (and sector): they carry where it is from then on.
MOVE_KINDS = ("registration_changed", "school_changed")


def events_then(scope: Scope):
    """The events of cases in the scope's regions whose case was in the scope's sector and school
    at the time of the event."""
    events = CaseEvent.objects.filter(case__region_id__in=scope.regions)
    if not scope.sector and not scope.school:
        return events
    rows = events.order_by("case_id", "at", "pk").values_list("pk", "case_id", "kind", "data", "case__sector",
                                                              "case__school_id")
    by_case: dict[int, list] = {}
    for row in rows:
        by_case.setdefault(row[1], []).append(row)
    keep = []
    for case_rows in by_case.values():
        moves = [(data["sector"], data.get("school")) for _, _, kind, data, _, _ in case_rows
                 if kind in MOVE_KINDS and isinstance(data, dict) and "sector" in data]
        where = moves[0] if moves else (case_rows[0][4], case_rows[0][5])
        for pk, _, kind, data, _, _ in case_rows:
            if kind in MOVE_KINDS and isinstance(data, dict) and "sector" in data:
                where = (data["sector"], data.get("school"))
            if (not scope.sector or where[0] == scope.sector) and (not scope.school or where[1] == scope.school):
                keep.append(pk)
    return CaseEvent.objects.filter(pk__in=keep)


def period_counts(scope: Scope, first: dt.date, last: dt.date) -> dict:
    """What happened between `first` and `last` (inclusive)."""
    events = events_then(scope).filter(at__gte=start_of(first), at__lt=end_of(last))
    kinds = dict(events.values("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    closed = dict(events.filter(kind="closed").values("data__outcome").annotate(n=Count("pk"))
                  .values_list("data__outcome", "n"))
    reviews = list(events.filter(kind="team_review").values_list("case_id", "data__routes"))
    routes = {route: sum(1 for _, chosen in reviews if chosen and route in chosen) for route in Route.values}
    consulted = {case_id for case_id, chosen in reviews if chosen and Route.ECT_CONSULT in chosen}
    # granted: Leerplicht's decision, the record with the signal, or the SWV's advice on a 5a recorded with it
    granted = events.filter(kind__in=["vrijstelling_decided", "vrijstelling_recorded", "vrijstelling_advised"],
                            data__granted=True).count()
    doorbraak = dict(events.filter(kind="doorbraak_decided").values("data__decision").annotate(n=Count("pk"))
                     .values_list("data__decision", "n"))
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
        "doorbraak_decisions": doorbraak.get("plaatsing", 0) + kinds.get("director_decided", 0),
        "doorbraak_no_agreement": doorbraak.get("geen_overeenstemming", 0),
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
    rows = list(events_then(scope).filter(kind="offer_started").annotate(started=text("started_on"))
                .filter(started__gte=first.isoformat(), started__lte=last.isoformat())
                .values_list("pk", "case_id", "started", "case__absent_since"))
    ends: dict[int, list[tuple[int, dt.date]]] = {}
    for pk, case_id, last_day in (CaseEvent.objects.filter(kind="exemption_ended",
                                                           case_id__in={row[1] for row in rows})
                                  .annotate(last_day=text("last_day")).values_list("pk", "case_id", "last_day")):
        if last_day:
            ends.setdefault(case_id, []).append((pk, dt.date.fromisoformat(last_day)))
    days = []
    for pk, case_id, started, absent in rows:
        started = dt.date.fromisoformat(started)
        # after an exemption that ended before the start (recorded before it): from the day after
        after = [day + dt.timedelta(days=1) for end_pk, day in ends.get(case_id, []) if end_pk < pk and day < started]
        days.append((started - max([absent, *after])).days)
    return {"cases": len(days), "median": percentile(days, 0.5), "p90": percentile(days, 0.9)}



# --- a case on one day: the reference for the spells -------------------------------------------


def _since(event: CaseEvent) -> dt.date | None:
    value = event.data.get("since") if isinstance(event.data, dict) else None
    return dt.date.fromisoformat(value) if value else None


def _dated_on(events: list[CaseEvent], day: dt.date) -> CaseEvent | None:
    """The event with the greatest (since, at, id) among those with since <= day."""
    held = [event for event in events if _since(event) is not None and _since(event) <= day]
    return max(held, key=lambda event: (_since(event), event.at, event.pk), default=None)


def state_on(case: Case, day: dt.date) -> dict | None:
    """What the monitor knows of `case` on `day`, read day by day from its events, clocks and
    exemptions (None when the case is neither open nor exempted that day)."""
    local = timezone.localdate
    is_open = local(case.signalled_at) <= day and (case.closed_at is None or local(case.closed_at) > day)
    running = []
    for exemption in Vrijstelling.objects.filter(case=case, granted=True):
        first = exemption.starts_on or (local(exemption.decided_at) if exemption.decided_at else None)
        ends = [end for end in (exemption.until, exemption.ended_on) if end]
        if first and ends and first <= day <= min(ends):
            running.append(exemption)
    ground = max(running, key=lambda e: (e.decided_at, e.pk)).grounds if running else ""
    if not is_open and not ground:
        return None
    events = list(CaseEvent.objects.filter(case=case).order_by("at", "pk"))
    registrations = [e for e in events if e.kind == "registration_changed"]
    participations = [e for e in events if e.kind == "participation_changed"]
    moves = [e for e in events if isinstance(e.data, dict) and "sector" in e.data and (
        e.kind == "school_changed" or (e.kind == "registration_changed" and (
            e is registrations[0] or "av" in (e.data.get("from"), e.data.get("to")))))]
    registration = _dated_on(registrations, day)
    participation = _dated_on(participations, day)
    dated_moves = [e for e in moves if _since(e) is not None]
    move = _dated_on(dated_moves, day) or min(dated_moves, key=lambda e: (_since(e), e.at, e.pk), default=None)
    restarts = [dt.date.fromisoformat(e.data["last_day"]) + dt.timedelta(days=1) for e in events
                if e.kind == "exemption_ended" and e.data.get("last_day")]
    overdue = any(
        local(clock.due_at) <= day
        and not (clock.met_at and local(clock.met_at) <= day) and not (clock.stopped_at and local(clock.stopped_at) <= day)
        for clock in Deadline.objects.filter(case=case, kind=Deadline.Kind.OFFER_3_MONTHS))
    return {
        "is_open": is_open,
        "registration": registration.data["to"] if registration else case.registration,
        "level": (participation.data.get("level") or Case.Participation.GEEN) if participation else Case.Participation.GEEN,
        "setting": (participation.data.get("setting") or "") if participation else "",
        "region_id": move.data.get("region", case.region_id) if move else case.region_id,
        "sector": move.data["sector"] if move else case.sector,
        "school_id": move.data.get("school") if move else case.school_id,
        "category": case.category,
        "absent_since": max([case.absent_since, *(d for d in restarts if d <= day)]),
        "exemption_ground": ground,
        "without_offer": overdue,
    }


def counts_replayed(scope: Scope, day: dt.date) -> dict:
    """`counts_on`, computed case by case from `state_on` (slow and obvious)."""
    rows, open_cases = [], 0
    for case in Case.objects.select_related("child").order_by("pk"):
        state = state_on(case, day)
        if state is None or state["region_id"] not in scope.regions:
            continue
        if (scope.sector and state["sector"] != scope.sector) or (scope.school and state["school_id"] != scope.school):
            continue
        open_cases += state["is_open"]
        if not of_compulsory_school_age(case.child, day):
            continue
        days_out = (day - state["absent_since"]).days
        bucket = next(name for name, low, high in BUCKETS if high is None or days_out < high)
        rows.append({**state, "bucket": bucket, "past_line": state["absent_since"] <= lrv_line(day), "n": 1})
    return tally(day, rows, open_cases=open_cases)
