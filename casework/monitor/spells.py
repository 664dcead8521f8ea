"""The monitor's state intervals (`MonitorSpell`): for each case, the spells in which everything a
count on a peildatum filters or groups on stayed the same, computed from a case's facts.

A case's spells are rebuilt from its dated facts whenever one of them is recorded, in the same
transaction (`refresh`, called for the recorded events by `casework.monitor.derived.write`, and by
the services that create a fact without an event of its own). Rebuilding the whole case, not
patching one spell, is what makes a back-dated fact right: it splits the spells it cuts and every
later spell follows from it.

The state on day D (the rules; `tests/monitor_replay.py`'s `state_on` is the obvious per-day
reading that the property test holds these rows to):

- open: signalled on or before D and not closed on or before D; spells also cover the days an
  exemption runs after the case closed (it is counted as long as it runs);
- registration: the `to` of the `registration_changed` with the greatest (since, at, id) among
  those with since <= D; before the first one, the case's current registration;
- taking part (level, setting): the same from `participation_changed`; before it, "geen";
- where the pupil is enrolled (school, sector, region): the same from the moves: the intake's
  first registration, every change to or from `av` (unenrolment, enrolment) and every
  `school_changed`; before the first, the first; without any, the case's current values;
- absent since: the first day out of school, or the day after an exemption ended (when it ended
  before D): a new spell of absence;
- the exemption running on D (granted, from its start to its end date or revocation), by ground;
- without offer: a three-month clock was due on or before D and neither met nor stopped by then.
"""

from collections.abc import Iterable
from datetime import date, timedelta

from django.db.models import F, Q
from django.utils import timezone

from casework.models import Case, CaseEvent, Deadline, MonitorSpell, Vrijstelling

FIELDS = ("is_open", "registration", "level", "setting", "region_id", "sector", "school_id", "category",
          "absent_since", "birth_date", "startkwalificatie_on", "exemption_ground", "without_offer")
# The events whose dated facts the spells are built from.
DATED_KINDS = (CaseEvent.Kind.REGISTRATION_CHANGED, CaseEvent.Kind.PARTICIPATION_CHANGED,
               CaseEvent.Kind.SCHOOL_CHANGED, CaseEvent.Kind.EXEMPTION_ENDED)


def _date(value) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def _latest(facts: list[tuple], day: date):
    """The last fact (sorted by since, at, id) with since <= day, or None."""
    found = None
    for fact in facts:
        if fact[0] > day:
            break
        found = fact
    return found


def build(case: dict, events: list[dict], clocks: list[dict], exemptions: list[dict]) -> list[dict]:
    """The spells of one case from its facts (plain values, as `load` reads them)."""
    registrations, participations, moves, restarts = [], [], [], []
    first_registration = None
    for event in sorted(events, key=lambda e: (e["at"], e["pk"])):
        data = event["data"] if isinstance(event["data"], dict) else {}
        since = _date(data.get("since"))
        kind = event["kind"]
        if kind == CaseEvent.Kind.EXEMPTION_ENDED:
            last = _date(data.get("last_day"))
            if last is not None:
                restarts.append(last + timedelta(days=1))
            continue
        if since is None:
            continue
        key = (since, event["at"], event["pk"])
        if kind == CaseEvent.Kind.REGISTRATION_CHANGED:
            registrations.append((*key, data.get("to")))
            is_first = first_registration is None
            first_registration = first_registration or event
            if "sector" in data and (is_first or "av" in (data.get("from"), data.get("to"))):
                moves.append((*key, (data.get("region", case["region_id"]), data["sector"], data.get("school"))))
        elif kind == CaseEvent.Kind.PARTICIPATION_CHANGED:
            participations.append((*key, (data.get("level") or Case.Participation.GEEN, data.get("setting") or "")))
        elif kind == CaseEvent.Kind.SCHOOL_CHANGED and "sector" in data:
            moves.append((*key, (data.get("region", case["region_id"]), data["sector"], data.get("school"))))
    registrations.sort()
    participations.sort()
    moves.sort()
    signalled_on = timezone.localdate(case["signalled_at"])
    closed_on = timezone.localdate(case["closed_at"]) if case["closed_at"] else None
    overdue = []
    for clock in clocks:
        ends = [timezone.localdate(moment) for moment in (clock["met_at"], clock["stopped_at"]) if moment]
        overdue.append((timezone.localdate(clock["due_at"]), min(ends) if ends else None))
    running = []
    for exemption in exemptions:
        first = exemption["starts_on"] or timezone.localdate(exemption["decided_at"])
        ends = [day for day in (exemption["until"], exemption["ended_on"]) if day]
        last = min(ends) if ends else None
        if last is not None and first <= last:
            running.append((first, last, exemption["decided_at"], exemption["pk"], exemption["grounds"]))
    bounds = {signalled_on, *(fact[0] for fact in registrations + participations + moves), *restarts}
    bounds |= {day for due, end in overdue for day in (due, end) if day}
    bounds |= {day for first, last, *_ in running for day in (first, last + timedelta(days=1))}
    if closed_on:
        bounds.add(closed_on)
    current_move = (case["region_id"], case["sector"], case["school_id"])
    spells: list[dict] = []
    ordered = sorted(bounds)
    for index, day in enumerate(ordered):
        is_open = signalled_on <= day and (closed_on is None or day < closed_on)
        ground = ""
        live = [entry for entry in running if entry[0] <= day <= entry[1]]
        if live:
            ground = max(live, key=lambda entry: (entry[2], entry[3]))[4]
        if not is_open and not ground:
            continue
        registration = _latest(registrations, day)
        participation = _latest(participations, day)
        move = _latest(moves, day) or (moves[0] if moves else None)
        region_id, sector, school_id = move[3] if move else current_move
        state = {
            "is_open": is_open,
            "registration": registration[3] if registration else case["registration"],
            "level": participation[3][0] if participation else Case.Participation.GEEN,
            "setting": participation[3][1] if participation else "",
            "region_id": region_id, "sector": sector, "school_id": school_id,
            "category": case["category"],
            "absent_since": max([case["absent_since"], *(restart for restart in restarts if restart <= day)]),
            "birth_date": case["birth_date"], "startkwalificatie_on": case["startkwalificatie_on"],
            "exemption_ground": ground,
            "without_offer": any(due <= day and (end is None or day < end) for due, end in overdue),
        }
        until = ordered[index + 1] if index + 1 < len(ordered) else None
        previous = spells[-1] if spells else None
        if previous and previous["valid_to"] == day and all(previous[name] == state[name] for name in FIELDS):
            previous["valid_to"] = until
        else:
            spells.append({"case_id": case["pk"], "valid_from": day, "valid_to": until, **state})
    return spells


def load(case_ids: Iterable[int]) -> list[list[dict]]:
    """The spells of these cases, computed from their facts (four queries)."""
    case_ids = list(case_ids)
    by_case: dict[int, tuple[list, list, list]] = {pk: ([], [], []) for pk in case_ids}
    for event in CaseEvent.objects.filter(
            case_id__in=case_ids, kind__in=DATED_KINDS).values("case_id", "pk", "kind", "at", "data"):
        by_case[event["case_id"]][0].append(event)
    for clock in Deadline.objects.filter(case_id__in=case_ids, kind=Deadline.Kind.OFFER_3_MONTHS).values(
            "case_id", "due_at", "met_at", "stopped_at"):
        by_case[clock["case_id"]][1].append(clock)
    for exemption in Vrijstelling.objects.filter(case_id__in=case_ids, granted=True).filter(
            Q(starts_on__isnull=False) | Q(decided_at__isnull=False)).values(
            "case_id", "pk", "grounds", "starts_on", "decided_at", "until", "ended_on"):
        by_case[exemption["case_id"]][2].append(exemption)
    cases = Case.objects.filter(pk__in=case_ids).values(
        "pk", "signalled_at", "closed_at", "registration", "region_id", "sector", "school_id", "category",
        "absent_since", birth_date=F("child__birth_date"), startkwalificatie_on=F("child__startkwalificatie_on"))
    return [build(case, *by_case[case["pk"]]) for case in cases]


def write_opened(opened: dict, events: list) -> None:
    """Write the spells of new cases from what the step that created them holds (`opened`: case id ->
    `casework.step.Opened`, its row with the child, its three-month clocks and granted exemption)
    and its first events, `events`: no read, and no DELETE (a new case has no spells yet)."""
    rows = []
    for pk, new in opened.items():
        case = new.case
        facts = {"pk": pk, "signalled_at": case.signalled_at, "closed_at": case.closed_at,
                 "registration": case.registration, "region_id": case.region_id, "sector": case.sector,
                 "school_id": case.school_id, "category": case.category, "absent_since": case.absent_since,
                 "birth_date": case.child.birth_date, "startkwalificatie_on": case.child.startkwalificatie_on}
        dated = [{"case_id": pk, "pk": event.pk, "kind": event.kind, "at": event.at, "data": event.data}
                 for event in events if event.case_id == pk and event.kind in DATED_KINDS]
        clocks = [{"case_id": pk, "due_at": clock.due_at, "met_at": clock.met_at, "stopped_at": clock.stopped_at}
                  for clock in new.clocks if clock.kind == Deadline.Kind.OFFER_3_MONTHS]
        exemptions = [{"case_id": pk, "pk": exemption.pk, "grounds": exemption.grounds,
                       "starts_on": exemption.starts_on, "decided_at": exemption.decided_at,
                       "until": exemption.until, "ended_on": exemption.ended_on}
                      for exemption in new.exemptions
                      if exemption.granted and (exemption.starts_on or exemption.decided_at)]
        rows += [MonitorSpell(**spell) for spell in build(facts, dated, clocks, exemptions)]
    MonitorSpell.objects.bulk_create(rows)


def refresh(case_ids: Iterable[int]) -> None:
    """Replace the spells of these cases by the ones their facts give now."""
    case_ids = sorted(set(case_ids))
    rows = [MonitorSpell(**spell) for spells in load(case_ids) for spell in spells]
    MonitorSpell.objects.filter(case_id__in=case_ids).delete()
    MonitorSpell.objects.bulk_create(rows)


def refresh_range(first: int, last: int, batch: int = 1000) -> None:
    """Rebuild the spells of the cases with ids first..last, a batch at a time (for history
    written in bulk past the services, e.g. the benchmarks)."""
    for start in range(first, last + 1, batch):
        refresh(Case.objects.filter(pk__gte=start, pk__lt=min(start + batch, last + 1)).values_list("pk", flat=True))
