"""Every row the monitor derives from recorded events, written by one function, `write`, in the
transaction that records them:

- `MonitorTally`: the daily rollup, day x region x sector x school x measure -> count, as
  append-only deltas: every recorded event adds its rows in the same INSERT (no row is ever
  updated while a step runs, so there is no hot row); the sweeper compacts the rows of a key
  into one (`compact_tallies`). A few "ladder" measures count distinct cases over a period,
  which a daily count cannot answer; their rows carry the case's id (`case_ref`, a number, no
  personal data) and are compacted per case and day.
- The milestone columns on the case (`first_reviewed_at`, `escalated_at`, `offer_started_at`):
  the first time it happened, written once.
- `MonitorSpell`: the cases' state intervals, rebuilt for every case whose dated facts the events
  change (`casework.monitor.spells`).

Region, sector and school are the case's at the time of the event (when it was built: the
school a registration change moves the case to counts for that change and what follows).
Timings come from the milestones and the case's current region, sector and school.

`tallies_for` is the single mapping from an event to its rollup rows, `changes_spells` says which
events change a case's spells; both are keyed on `CaseEvent.Kind`.
"""

from collections.abc import Iterable
from datetime import date, timedelta
from datetime import datetime as _datetime

from django.db.models import Q
from django.utils import timezone

from casework.models import Case, CaseEvent, Deadline, MonitorTally, Route
from casework.monitor import spells

Kind = CaseEvent.Kind

# Events counted per kind in a period (the measure is named by the kind's value).
KIND_MEASURES = frozenset({Kind.SIGNALLED, Kind.PLACED, Kind.VRIJSTELLING_ADVISED, Kind.DIRECTOR_DECIDED})
# An exemption counts as granted by Leerplicht's decision, by its record with the signal (5b, 5c,
# 15), or, for a 5a recorded with the signal, by the SWV's advice on it: every such event says
# `granted: true`.
GRANTING_KINDS = frozenset({Kind.VRIJSTELLING_DECIDED, Kind.VRIJSTELLING_RECORDED, Kind.VRIJSTELLING_ADVISED})
# The MPL's doorbraak decision, by its decision: a place (`plaatsing`) or no agreement
# (`geen_overeenstemming`, the case goes on to the SWV director).
DOORBRAAK_DECISIONS = ("plaatsing", "geen_overeenstemming")
CLOCK_OUTCOMES = {Kind.DEADLINE_MET: "met", Kind.DEADLINE_BREACHED: "breached", Kind.DEADLINE_STOPPED: "stopped"}
COMPLIANCE_CLOCKS = (Deadline.Kind.TEAM_ACTION_48H, Deadline.Kind.OFFER_3_MONTHS)
# Measures counted as distinct cases over a period (rows carry the case).
RUNGS = ("team", "ect", "mpl_doe", "director")
# The milestone columns: event kind -> the case's column holding its first moment.
MILESTONES = {Kind.TEAM_REVIEW: "first_reviewed_at", Kind.ESCALATED: "escalated_at",
              Kind.OFFER_STARTED: "offer_started_at"}

# The kinds of events that change a case's spells.
FACT_KINDS = frozenset({
    Kind.SIGNALLED, Kind.REGISTRATION_CHANGED, Kind.PARTICIPATION_CHANGED, Kind.SCHOOL_CHANGED,
    Kind.STARTKWALIFICATIE_RECORDED, Kind.CLOSED, Kind.EXEMPTION_ENDED, Kind.VRIJSTELLING_DECIDED,
    Kind.VRIJSTELLING_RECORDED, Kind.VRIJSTELLING_ADVISED, Kind.OFFER_STARTED,
})
# The facts a case is opened with (the intake's events). A new case whose first events hold any other
# fact (a clock met or stopped, an exemption decided or ended, a closure, a move) may have rows that
# changed after the step created them: its spells are read back (`spells.refresh`) instead.
OPENING_KINDS = frozenset({Kind.SIGNALLED, Kind.REGISTRATION_CHANGED, Kind.STARTKWALIFICATIE_RECORDED,
                           Kind.VRIJSTELLING_RECORDED})
# A three-month clock changes the spells when it is met or stopped; its start comes with another fact
# (the intake, the end of an exemption), and its breach changes nothing its due date had not said.
SPELL_CLOCK_KINDS = frozenset({Kind.DEADLINE_MET, Kind.DEADLINE_STOPPED})


def write(events: list, opened: dict | None = None) -> None:
    """Write every derived row of these recorded events, in the caller's transaction: their rollup
    rows (one INSERT), the milestones they reach (one UPDATE per case and milestone, only the
    first time) and the spells of the cases whose facts they change. `opened`: the cases the
    writing step created (`casework.step.Step.opened`), whose spells come from what it holds."""
    summarise(events)
    case_ids = {event.case_id for event in events if changes_spells(event)}
    new = opened_here(events, opened or {}, case_ids)
    if new:
        spells.write_opened(new, events)
    if case_ids - new.keys():
        spells.refresh(case_ids - new.keys())


def opened_here(events: list, opened: dict, case_ids: set[int]) -> dict:
    """Of `case_ids`, the cases the step created (`opened`) whose first events these are (their
    `signalled`) and that hold no fact but the intake's (`OPENING_KINDS`): their spells come from what
    the step holds. Each is taken out of `opened` at its first events: later events of the case
    refresh its spells as any other's."""
    found = {}
    for pk in case_ids & opened.keys():
        own = [event for event in events if event.case_id == pk]
        if not any(event.kind == Kind.SIGNALLED for event in own):
            continue
        new = opened.pop(pk)
        if all(event.kind in OPENING_KINDS for event in own if changes_spells(event)):
            found[pk] = new
    return found


def changes_spells(event) -> bool:
    if event.kind in FACT_KINDS:
        return True
    return event.kind in SPELL_CLOCK_KINDS and (event.data or {}).get("deadline_kind") == Deadline.Kind.OFFER_3_MONTHS


def _day(moment) -> date:
    return timezone.localdate(moment) if isinstance(moment, _datetime) else moment


def measures_of(kind: str, data: dict) -> list[tuple[str, date | None, bool]]:
    """The rollup's measures an event of `kind` with `data` counts for: (measure, the day it
    counts on when not the event's own day, whether it counts distinct cases)."""
    found: list[tuple[str, date | None, bool]] = []
    if kind in KIND_MEASURES:
        found.append((str(kind), None, False))
    if kind == Kind.CLOSED and isinstance(data.get("outcome"), str):
        found.append((f"closed:{data['outcome']}", None, False))
    if kind in GRANTING_KINDS and data.get("granted") is True:
        found.append(("vrijstelling_granted", None, False))
    if kind == Kind.DOORBRAAK_DECIDED and data.get("decision") in DOORBRAAK_DECISIONS:
        found.append((f"doorbraak:{data['decision']}", None, False))
    if kind == Kind.TEAM_REVIEW:
        chosen = data.get("routes")
        for route in Route.values:
            if chosen and route in chosen:
                found.append((f"route:{route}", None, False))
        found.append(("rung:team", None, True))
        if chosen and Route.ECT_CONSULT in chosen:
            found.append(("rung:ect", None, True))
    if kind in CLOCK_OUTCOMES and data.get("deadline_kind") in COMPLIANCE_CLOCKS:
        # a met clock counts as met when it says it was not late (a "passed" mark says nothing)
        if kind != Kind.DEADLINE_MET or ("late" in data and data["late"] is not True):
            found.append((f"compliance:{data['deadline_kind']}:{CLOCK_OUTCOMES[kind]}", None, False))
    if kind == Kind.DEADLINE_BREACHED and data.get("deadline_kind") == Deadline.Kind.TEAM_ACTION_48H:
        found.append(("rung:ect", None, True))
    if kind == Kind.ESCALATED:
        found.append(("rung:mpl_doe", None, True))
    if kind == Kind.DIRECTOR_DECIDED or (kind == Kind.DEADLINE_BREACHED
                                         and data.get("deadline_kind") == Deadline.Kind.OFFER_3_MONTHS):
        found.append(("rung:director", None, True))
    return found


def absent_to_start(event) -> tuple[str, date] | None:
    """An `offer_started` event's measure: days from the first day out of school to the start,
    counted on the start day (a histogram, so that the percentiles are exact). After an exemption
    the days run from the day after its last day: the latest `exemption_ended` of the case
    recorded before this event whose last day fell before the start."""
    try:
        started = date.fromisoformat((event.data or {}).get("started_on") or "")
    except (TypeError, ValueError):
        return None
    return f"absent_to_start:{(started - counted_from(event, started)).days}", started


def counted_from(event, started: date) -> date:
    """The first day out of school that "days absent to placement" counts from for an
    `offer_started` event: the case's `absent_since`, or the day after the last day of the latest
    exemption that ended (recorded before the event) before `started`."""
    counted = event.case.absent_since
    ends = CaseEvent.objects.filter(case_id=event.case_id, kind=Kind.EXEMPTION_ENDED, pk__lt=event.pk) \
        .values_list("data", flat=True)
    for data in ends:
        try:
            last_day = date.fromisoformat((data or {}).get("last_day") or "")
        except (TypeError, ValueError):
            continue
        if last_day < started:
            counted = max(counted, last_day + timedelta(days=1))
    return counted


def tallies_for(events: Iterable) -> list[MonitorTally]:
    """The rollup's rows for recorded events (one per measure; distinct-case rows once per case,
    day and measure)."""
    rows, seen = [], set()
    for event in events:
        region_id, sector, school_id = getattr(event, "_dims", None) or (
            event.case.region_id, event.case.sector, event.case.school_id)
        day = _day(event.at)
        found = measures_of(event.kind, event.data or {})
        if event.kind == Kind.OFFER_STARTED:
            timing = absent_to_start(event)
            if timing:
                found.append((timing[0], timing[1], False))
        for measure, on, distinct in found:
            key = (measure, on or day, event.case_id, region_id, sector, school_id)
            if distinct and key in seen:
                continue
            seen.add(key)
            rows.append(MonitorTally(day=on or day, region_id=region_id, sector=sector, school_id=school_id,
                                     measure=measure, case_ref=event.case_id if distinct else None, n=1))
    return rows


def summarise(events: list) -> None:
    """Write the recorded events' rollup rows (one INSERT) and the milestones they reach (one
    UPDATE per case and milestone, only the first time)."""
    rows = tallies_for(events)
    if rows:
        MonitorTally.objects.bulk_create(rows)
    for event in events:
        field = MILESTONES.get(event.kind)
        if field is None:
            continue
        case = event.case
        current = getattr(case, field)
        if current is not None and current <= event.at:
            continue
        Case.objects.filter(Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gt": event.at}),
                            pk=event.case_id).update(**{field: event.at})
        setattr(case, field, event.at)
