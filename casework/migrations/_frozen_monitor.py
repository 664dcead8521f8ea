"""Frozen copies of the monitor's rules for the data migrations 0019, 0021 and 0022 (they must not
import live code, which changes: a migration computes what the rules said when it was written).
Django's migration loader skips modules whose name starts with "_", so this is no migration.

- The rollup's mapping from an event to its `MonitorTally` rows and the milestones (as in
  `casework.monitor.derived` at 0022): `tallies_for`, `MILESTONES`.
- The spells of a case from its facts (as in `casework.monitor.spells` at 0021): `load_spells`.

Every function reads through the historical models it is given.
"""

from datetime import date, timedelta
from datetime import datetime as _datetime

from django.db.models import F, Q
from django.utils import timezone

TEAM_ACTION_48H = "team_action_48h"
OFFER_3_MONTHS = "offer_3_months"
ROUTES = ("ect_consult", "vrijstelling_advies", "doorbraak", "jim", "arrangement")
ECT_CONSULT = "ect_consult"
GEEN = "geen"

# --- the rollup --------------------------------------------------------------------------------

KIND_MEASURES = ("signalled", "placed", "vrijstelling_advised", "director_decided")
GRANTING_KINDS = ("vrijstelling_decided", "vrijstelling_recorded", "vrijstelling_advised")
DOORBRAAK_DECISIONS = ("plaatsing", "geen_overeenstemming")
CLOCK_OUTCOMES = {"deadline_met": "met", "deadline_breached": "breached", "deadline_stopped": "stopped"}
COMPLIANCE_CLOCKS = (TEAM_ACTION_48H, OFFER_3_MONTHS)
MILESTONES = {"team_review": "first_reviewed_at", "escalated": "escalated_at", "offer_started": "offer_started_at"}


def _day(moment) -> date:
    return timezone.localdate(moment) if isinstance(moment, _datetime) else moment


def measures_of(kind: str, data: dict) -> list[tuple[str, date | None, bool]]:
    found: list[tuple[str, date | None, bool]] = []
    if kind in KIND_MEASURES:
        found.append((kind, None, False))
    if kind == "closed" and isinstance(data.get("outcome"), str):
        found.append((f"closed:{data['outcome']}", None, False))
    if kind in GRANTING_KINDS and data.get("granted") is True:
        found.append(("vrijstelling_granted", None, False))
    if kind == "doorbraak_decided" and data.get("decision") in DOORBRAAK_DECISIONS:
        found.append((f"doorbraak:{data['decision']}", None, False))
    if kind == "team_review":
        chosen = data.get("routes")
        for route in ROUTES:
            if chosen and route in chosen:
                found.append((f"route:{route}", None, False))
        found.append(("rung:team", None, True))
        if chosen and ECT_CONSULT in chosen:
            found.append(("rung:ect", None, True))
    if kind in CLOCK_OUTCOMES and data.get("deadline_kind") in COMPLIANCE_CLOCKS:
        if kind != "deadline_met" or ("late" in data and data["late"] is not True):
            found.append((f"compliance:{data['deadline_kind']}:{CLOCK_OUTCOMES[kind]}", None, False))
    if kind == "deadline_breached" and data.get("deadline_kind") == TEAM_ACTION_48H:
        found.append(("rung:ect", None, True))
    if kind == "escalated":
        found.append(("rung:mpl_doe", None, True))
    if kind == "director_decided" or (kind == "deadline_breached" and data.get("deadline_kind") == OFFER_3_MONTHS):
        found.append(("rung:director", None, True))
    return found


def absent_to_start(event) -> tuple[str, date] | None:
    try:
        started = date.fromisoformat((event.data or {}).get("started_on") or "")
    except (TypeError, ValueError):
        return None
    counted = event.case.absent_since
    ends = type(event).objects.filter(case_id=event.case_id, kind="exemption_ended", pk__lt=event.pk) \
        .values_list("data", flat=True)
    for data in ends:
        try:
            last_day = date.fromisoformat((data or {}).get("last_day") or "")
        except (TypeError, ValueError):
            continue
        if last_day < started:
            counted = max(counted, last_day + timedelta(days=1))
    return f"absent_to_start:{(started - counted).days}", started


def tallies_for(events, tally_model) -> list:
    """The rollup's rows (unsaved `tally_model` instances) for recorded events."""
    rows, seen = [], set()
    for event in events:
        region_id, sector, school_id = getattr(event, "_dims", None) or (
            event.case.region_id, event.case.sector, event.case.school_id)
        day = _day(event.at)
        found = measures_of(event.kind, event.data or {})
        if event.kind == "offer_started":
            timing = absent_to_start(event)
            if timing:
                found.append((timing[0], timing[1], False))
        for measure, on, distinct in found:
            key = (measure, on or day, event.case_id, region_id, sector, school_id)
            if distinct and key in seen:
                continue
            seen.add(key)
            rows.append(tally_model(day=on or day, region_id=region_id, sector=sector, school_id=school_id,
                                    measure=measure, case_ref=event.case_id if distinct else None, n=1))
    return rows


# --- the spells ----------------------------------------------------------------------------------

FIELDS = ("is_open", "registration", "level", "setting", "region_id", "sector", "school_id", "category",
          "absent_since", "birth_date", "startkwalificatie_on", "exemption_ground", "without_offer")


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


def build_spells(case: dict, events: list[dict], clocks: list[dict], exemptions: list[dict]) -> list[dict]:
    """The spells of one case from its facts (plain values, as `load` reads them)."""
    registrations, participations, moves, restarts = [], [], [], []
    first_registration = None
    for event in sorted(events, key=lambda e: (e["at"], e["pk"])):
        data = event["data"] if isinstance(event["data"], dict) else {}
        since = _date(data.get("since"))
        kind = event["kind"]
        if kind == "exemption_ended":
            last = _date(data.get("last_day"))
            if last is not None:
                restarts.append(last + timedelta(days=1))
            continue
        if since is None:
            continue
        key = (since, event["at"], event["pk"])
        if kind == "registration_changed":
            registrations.append((*key, data.get("to")))
            is_first = first_registration is None
            first_registration = first_registration or event
            if "sector" in data and (is_first or "av" in (data.get("from"), data.get("to"))):
                moves.append((*key, (data.get("region", case["region_id"]), data["sector"], data.get("school"))))
        elif kind == "participation_changed":
            participations.append((*key, (data.get("level") or GEEN, data.get("setting") or "")))
        elif kind == "school_changed" and "sector" in data:
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
            "level": participation[3][0] if participation else GEEN,
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


def load_spells(case_ids, case_model, event_model, clock_model, exemption_model) -> list[list[dict]]:
    """The spells of these cases, computed from their facts, read with the historical models."""
    case_ids = list(case_ids)
    by_case: dict[int, tuple[list, list, list]] = {pk: ([], [], []) for pk in case_ids}
    for event in event_model.objects.filter(
            case_id__in=case_ids,
            kind__in=["registration_changed", "participation_changed", "school_changed", "exemption_ended"],
    ).values("case_id", "pk", "kind", "at", "data"):
        by_case[event["case_id"]][0].append(event)
    for clock in clock_model.objects.filter(case_id__in=case_ids, kind=OFFER_3_MONTHS).values(
            "case_id", "due_at", "met_at", "stopped_at"):
        by_case[clock["case_id"]][1].append(clock)
    for exemption in exemption_model.objects.filter(case_id__in=case_ids, granted=True).filter(
            Q(starts_on__isnull=False) | Q(decided_at__isnull=False)).values(
            "case_id", "pk", "grounds", "starts_on", "decided_at", "until", "ended_on"):
        by_case[exemption["case_id"]][2].append(exemption)
    cases = case_model.objects.filter(pk__in=case_ids).values(
        "pk", "signalled_at", "closed_at", "registration", "region_id", "sector", "school_id", "category",
        "absent_since", birth_date=F("child__birth_date"), startkwalificatie_on=F("child__startkwalificatie_on"))
    return [build_spells(case, *by_case[case["pk"]]) for case in cases]
