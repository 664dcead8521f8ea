"""The clocks of a case: their rules, and the one sweeper that acts on them.

Clocks (every period a setting):
- team_action_48h: from the signal, due after CASEWORK_TEAM_ACTION_HOURS (48), warning after
  CASEWORK_TEAM_ACTION_WARN_HOURS (24); met by the first team review.
- lrv_4_weeks: for a `dreigend` registration; LRV needs MORE than CASEWORK_LRV_DAYS (28) days out
  of school, so it passes at the start of day 29; with the case open and still dreigend the
  registration becomes lrv from that day. A mark, not a failure: the clock is then `met`.
- offer_3_months: due CASEWORK_OFFER_MONTHS (3) calendar months after the first day out of
  school (or after an exemption ended), warning CASEWORK_OFFER_WARN_DAYS (28) before; met on the
  day the child starts in an offered place (start confirmation) or takes part fully, or when the
  case closes terug_naar_school / passend_aanbod; stopped by an exemption, the end of compulsory
  education or another closure. A breach climbs the escalation ladder (see
  services.escalate_for_breach for the pupils who do not climb it).
- arrangement_evaluation: each evaluation moment of an arrangement (warning at the moment),
  breached when not evaluated within CASEWORK_EVALUATION_GRACE_DAYS (7) after it.
- Marks (met when they pass; the sweeper acts once): offer_start (an offered place's start date:
  the flow asks for the start confirmation), exemption_end (the day after `until`, warning
  CASEWORK_EXEMPTION_WARN_DAYS (42) before; runs on after the case closes), leerplicht_end (the
  18th birthday or a startkwalificatie at 16/17) and ziek_review (every CASEWORK_ZIEK_REVIEW_DAYS
  (42) for a pupil reported sick).

`sweep_due(now)` acts on every warning and breach exactly once, however many sweepers run:
it selects only rows whose time has passed (partial indexes), skips rows another sweeper holds
(PostgreSQL `FOR UPDATE SKIP LOCKED`) and claims each with a conditional update (the guard
on SQLite too). Every time comes from the caller or `timezone.now()`.
"""

import calendar
import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from casework.models import Arrangement, Case, CaseEvent, Deadline, Offer, Plan, Vrijstelling
from casework.signals import offer_start_due

Kind = Deadline.Kind
# Clocks whose due time is a mark, not a failure: when it passes the sweeper acts and the clock is met.
MARKS = (Kind.LRV_4_WEEKS, Kind.OFFER_START, Kind.EXEMPTION_END, Kind.LEERPLICHT_END, Kind.ZIEK_REVIEW)
RUNNING = Q(met_at__isnull=True, breached_at__isnull=True, stopped_at__isnull=True)
SWEEP_LIMIT = 10_000


def setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day`, local time (Europe/Amsterdam)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _record(deadline: Deadline, kind: str, at, **extra) -> CaseEvent | None:
    """A CaseEvent for a case's clock; a data-breach clock keeps its state on its own row."""
    if deadline.case_id is None:
        return None
    return CaseEvent.record(deadline.case, None, kind, at=at, deadline_id=deadline.pk, deadline_kind=deadline.kind,
                            due_at=deadline.due_at.isoformat(), **extra)


# --- starting, meeting and stopping clocks (called by the services, inside their transaction) --


def start_case_clocks(case: Case, now) -> list[Deadline]:
    """The clocks of a newly signalled case (then `act_on_overdue` for a late signal)."""
    from casework.services import leerplicht_ends_on  # the age rules live with the intake rules

    hours = setting("CASEWORK_TEAM_ACTION_HOURS", 48)
    clocks = [Deadline(case=case, kind=Kind.TEAM_ACTION_48H, due_at=case.signalled_at + dt.timedelta(hours=hours),
                       warn_at=case.signalled_at + dt.timedelta(hours=setting("CASEWORK_TEAM_ACTION_WARN_HOURS", 24)))]
    if case.registration == Case.Registration.DREIGEND:
        # LRV after MORE than four weeks: from the day after the 28th day.
        clocks.append(Deadline(case=case, kind=Kind.LRV_4_WEEKS, due_at=start_of_day(
            case.absent_since + dt.timedelta(days=setting("CASEWORK_LRV_DAYS", 28) + 1))))
    for clock in clocks:
        clock.save()
    if case.registration != Case.Registration.VRIJ:  # an exempted child has no three-month clock
        clocks.append(start_offer_clock(case, case.absent_since))
    clocks.append(Deadline.objects.create(case=case, kind=Kind.LEERPLICHT_END,
                                          due_at=start_of_day(leerplicht_ends_on(case.child))))
    if case.registration == Case.Registration.ZIEK:
        clocks.append(start_ziek_review_clock(case, timezone.localdate(now)))
    return clocks


def _next_sequence(case: Case, kind: str) -> int:
    last = Deadline.objects.filter(case=case, kind=kind).order_by("-sequence").values_list("sequence", flat=True)
    return (last.first() or 0) + 1


def start_offer_clock(case: Case, since: dt.date) -> Deadline:
    """Three months from the first day out of school (or from the day an exemption ended)."""
    offer_due = start_of_day(add_months(since, setting("CASEWORK_OFFER_MONTHS", 3)))
    return Deadline.objects.create(
        case=case, kind=Kind.OFFER_3_MONTHS, sequence=_next_sequence(case, Kind.OFFER_3_MONTHS), due_at=offer_due,
        warn_at=offer_due - dt.timedelta(days=setting("CASEWORK_OFFER_WARN_DAYS", 28)))


def start_exemption_clock(exemption: Vrijstelling) -> Deadline:
    """The exemption holds through `until`; the clock passes the next morning (warning 6 weeks before)."""
    due = start_of_day(exemption.until + dt.timedelta(days=1))
    return Deadline.objects.create(
        case=exemption.case, kind=Kind.EXEMPTION_END, vrijstelling=exemption,
        sequence=_next_sequence(exemption.case, Kind.EXEMPTION_END), due_at=due,
        warn_at=due - dt.timedelta(days=setting("CASEWORK_EXEMPTION_WARN_DAYS", 42)))


def start_ziek_review_clock(case: Case, since: dt.date) -> Deadline:
    """The next cyclical review of a pupil reported sick (every CASEWORK_ZIEK_REVIEW_DAYS, 42)."""
    return Deadline.objects.create(
        case=case, kind=Kind.ZIEK_REVIEW, sequence=_next_sequence(case, Kind.ZIEK_REVIEW),
        due_at=start_of_day(since + dt.timedelta(days=setting("CASEWORK_ZIEK_REVIEW_DAYS", 42))))


def start_offer_start_clock(offer: Offer) -> Deadline:
    """The flow waits for the offered place's start date, then asks the team to confirm the start."""
    return Deadline.objects.create(case=offer.case, kind=Kind.OFFER_START, offer=offer,
                                   sequence=_next_sequence(offer.case, Kind.OFFER_START),
                                   due_at=start_of_day(offer.start_date))


def pass_offer_start(offer: Offer, at, *, reason: str) -> None:
    """The offer's start needs no more waiting (confirmed, or replaced by a later offer)."""
    for deadline in Deadline.objects.filter(offer=offer, kind=Kind.OFFER_START).filter(RUNNING):
        Deadline.objects.filter(pk=deadline.pk).update(stopped_at=at, stop_reason=reason)
        _record(deadline, "deadline_stopped", at, reason=reason)


def restart_leerplicht_end_clock(case: Case, end: dt.date, now) -> None:
    """A startkwalificatie moved the end of compulsory education forward."""
    stop(case, Kind.LEERPLICHT_END, now, reason="startkwalificatie")
    Deadline.objects.create(case=case, kind=Kind.LEERPLICHT_END, sequence=_next_sequence(case, Kind.LEERPLICHT_END),
                            due_at=start_of_day(end))
    act_on_overdue(case, now)


def meet_offer_clock(case: Case, on: dt.date, now) -> None:
    """The place is there and the child takes part from `on`: the three-month clock is met that day.
    A start after the due date is a breach (as it is for the child); a start on time that is
    confirmed after the sweeper breached the clock corrects that breach."""
    met_at = start_of_day(on)
    for deadline in Deadline.objects.filter(case=case, kind=Kind.OFFER_3_MONTHS, met_at__isnull=True,
                                            stopped_at__isnull=True):
        late = met_at >= deadline.due_at
        if late and deadline.breached_at is None:
            Deadline.objects.filter(pk=deadline.pk).update(breached_at=deadline.due_at)
            _record(deadline, "deadline_breached", now, on_confirmation=True)
        corrected = not late and deadline.breached_at is not None
        Deadline.objects.filter(pk=deadline.pk).update(met_at=met_at, **({"breached_at": None} if corrected else {}))
        _record(deadline, "deadline_met", now, late=late, met_on=on.isoformat(), corrected_breach=corrected)


def act_on_overdue(case: Case, now) -> None:
    """A case signalled late (e.g. 100 days out of school) starts with clocks already run out:
    act on them at once, as the sweeper would."""
    for pk, kind in _due(Deadline.objects.filter(RUNNING, case=case, due_at__lte=now), "due_at"):
        _act_on_due(pk, kind, now)


def start_evaluation_clock(arrangement: Arrangement, moment: dt.date, sequence: int) -> Deadline:
    grace = setting("CASEWORK_EVALUATION_GRACE_DAYS", 7)
    return Deadline.objects.create(
        case=arrangement.case, kind=Kind.ARRANGEMENT_EVALUATION, sequence=sequence, arrangement=arrangement,
        warn_at=start_of_day(moment), due_at=start_of_day(moment + dt.timedelta(days=grace)),
    )


def next_evaluation_clock(arrangement: Arrangement) -> Deadline | None:
    """After an evaluation that continues the arrangement, the clock of the next moment."""
    last = arrangement.deadlines.order_by("-sequence").first()
    if last is None:
        return start_evaluation_clock(arrangement, arrangement.start_date
                                      + dt.timedelta(weeks=arrangement.evaluation_weeks), 1)
    moment = timezone.localdate(last.warn_at) + dt.timedelta(weeks=arrangement.evaluation_weeks)
    return start_evaluation_clock(arrangement, moment, last.sequence + 1)


def running(case: Case, kind: str) -> QuerySet[Deadline]:
    return Deadline.objects.filter(case=case, kind=kind).filter(RUNNING)


def mark_met(case: Case, kind: str, at) -> int:
    """Mark the case's running clocks of this kind met (late clocks keep their breach too)."""
    met = 0
    for deadline in Deadline.objects.filter(case=case, kind=kind, met_at__isnull=True, stopped_at__isnull=True):
        Deadline.objects.filter(pk=deadline.pk).update(met_at=at)
        _record(deadline, "deadline_met", at, late=deadline.breached_at is not None)
        met += 1
    return met


def stop(case: Case, kind: str, at, *, reason: str) -> int:
    stopped = 0
    for deadline in running(case, kind):
        Deadline.objects.filter(pk=deadline.pk).update(stopped_at=at, stop_reason=reason)
        _record(deadline, "deadline_stopped", at, reason=reason)
        stopped += 1
    return stopped


def on_case_closed(case: Case, outcome: str, at) -> None:
    """Closing stops the case's clocks, except the end of a running exemption: an exemption is
    registered (and counted) for as long as it runs, whether or not a case is open."""
    if outcome in (Case.Outcome.TERUG_NAAR_SCHOOL, Case.Outcome.PASSEND_AANBOD):
        mark_met(case, Kind.OFFER_3_MONTHS, at)
    for kind in Kind.values:
        if kind != Kind.EXEMPTION_END:
            stop(case, kind, at, reason=f"closed:{outcome}")


# --- task due dates --------------------------------------------------------------------------

DECISIONS = {"vrijstelling_decision", "doorbraak_decision", "doe_advice", "director_decision"}
# Tasks decided in a team's case meeting: due at the team's next meeting when it has a rhythm.
MEETING_STEPS = {"team_review", "ect_draft", "ect_approve", "vrijstelling_advice", "doorbraak_decision"}


def task_due_at(case: Case, step: str, now) -> dt.datetime:
    """When a new task of this step is due: the 48-hour clock for the first team review, the
    evaluation clock for an arrangement evaluation, else the weekly meeting rhythm (7 days)
    or, for decisions, 14 days."""
    if step == "team_review" and not Plan.objects.filter(case=case).exists():
        clock = Deadline.objects.filter(case=case, kind=Kind.TEAM_ACTION_48H).first()
        if clock is not None:
            return clock.due_at
    if step == "arrangement_evaluation":
        clock = running(case, Kind.ARRANGEMENT_EVALUATION).order_by("-sequence").first()
        if clock is not None:
            return clock.due_at
    if step in MEETING_STEPS:
        from casework.responsibility import responsible
        from teams.models import next_meeting

        meeting = next_meeting(responsible(case, step)[0], now)
        if meeting is not None:
            return meeting
    days = setting("CASEWORK_DECISION_DAYS", 14) if step in DECISIONS else setting("CASEWORK_TASK_DAYS", 7)
    return now + dt.timedelta(days=days)


# --- reading -----------------------------------------------------------------------------------


def in_state(state: str, now) -> Q:
    """A filter on Deadline rows in `state` at `now` (the same rule as Deadline.state_at)."""
    unresolved = Q(met_at__isnull=True, stopped_at__isnull=True)
    return {
        Deadline.State.BREACHED: Q(breached_at__isnull=False) | (unresolved & Q(due_at__lte=now)),
        Deadline.State.WARNING: unresolved & Q(breached_at__isnull=True, due_at__gt=now, warn_at__lte=now),
        Deadline.State.MET: Q(breached_at__isnull=True, met_at__isnull=False),
        Deadline.State.STOPPED: Q(breached_at__isnull=True, met_at__isnull=True, stopped_at__isnull=False),
        Deadline.State.OPEN: unresolved & Q(breached_at__isnull=True, due_at__gt=now)
        & (Q(warn_at__isnull=True) | Q(warn_at__gt=now)),
    }[state]


# --- the sweeper -------------------------------------------------------------------------------


@dataclass
class SweepResult:
    warned: int = 0
    breached: int = 0
    passed: int = 0  # lrv_4_weeks marks reached

    @property
    def total(self) -> int:
        return self.warned + self.breached + self.passed


def sweep_due(now=None) -> SweepResult:
    """Act on every warning and breach whose time has passed, each exactly once."""
    now = now or timezone.now()
    result = SweepResult()
    warn_due = Deadline.objects.filter(RUNNING, warned_at__isnull=True, warn_at__isnull=False, warn_at__lte=now,
                                       due_at__gt=now)
    for pk, _kind in _due(warn_due, "warn_at"):
        with transaction.atomic():
            deadline = _claim(pk, Q(warned_at__isnull=True), warned_at=now)
            if deadline is not None:
                _record(deadline, "deadline_warning", now)
                _tell(deadline, "deadline_warning")
                result.warned += 1
    for pk, kind in _due(Deadline.objects.filter(RUNNING, due_at__lte=now), "due_at"):
        with transaction.atomic():
            outcome = _act_on_due(pk, kind, now)
        if outcome == "breached":
            result.breached += 1
        elif outcome == "passed":
            result.passed += 1
    return result


def _due(queryset: QuerySet[Deadline], order: str) -> list[tuple[int, str]]:
    """(id, kind) of the rows due, oldest first; at most SWEEP_LIMIT per sweep (the loop and the
    beat schedule come back for the rest)."""
    return list(queryset.order_by(order, "pk").values_list("pk", "kind")[:SWEEP_LIMIT])


def _claim(pk: int, unhandled: Q, **marks) -> Deadline | None:
    """Lock the row unless another sweeper holds it, and mark it handled; None if not ours."""
    deadline = (Deadline.objects.select_for_update(skip_locked=True, of=("self",)).select_related("case")
                .filter(RUNNING, unhandled, pk=pk).first())
    if deadline is None or not Deadline.objects.filter(RUNNING, unhandled, pk=pk).update(**marks):
        return None
    for field, value in marks.items():
        setattr(deadline, field, value)
    return deadline


def _act_on_due(pk: int, kind: str, now) -> str | None:
    """The clock's time has passed: breach it (and climb the ladder), or, for the LRV mark,
    change the registration. Returns what happened, or None when another sweeper had it."""
    from casework import (
        services,  # services call these clock rules; the sweeper calls services back
    )

    if kind in MARKS:
        claimed = _claim(pk, Q(), met_at=now)
        if claimed is None:
            return None
        _record(claimed, "deadline_met", now, passed=True)
        _pass_mark(claimed, now)
        return "passed"
    claimed = _claim(pk, Q(), breached_at=now)
    if claimed is None:
        return None
    _record(claimed, "deadline_breached", now)
    if claimed.kind == Kind.OFFER_3_MONTHS:
        services.escalate_for_breach(case=claimed.case, at=now, deadline_id=claimed.pk)
    elif claimed.kind == Kind.TEAM_ACTION_48H:
        services.involve_ect_for_breach(case=claimed.case, at=now)
    _tell(claimed, "deadline_breached")
    return "breached"


def _pass_mark(deadline: Deadline, now) -> None:
    from casework import services  # see _act_on_due

    case = deadline.case
    if deadline.kind == Kind.LRV_4_WEEKS:
        services.mark_lrv(case=case, at=now, deadline_id=deadline.pk)
    elif deadline.kind == Kind.OFFER_START:
        offer_start_due.send(sender=Deadline, case=case, offer_id=deadline.offer_id)
    elif deadline.kind == Kind.EXEMPTION_END:
        services.end_exemption(case=case, vrijstelling_id=deadline.vrijstelling_id, at=now)
    elif deadline.kind == Kind.LEERPLICHT_END:
        services.end_leerplicht(case=case, at=now)
    elif deadline.kind == Kind.ZIEK_REVIEW and case.is_open and case.registration == Case.Registration.ZIEK:
        services.review_sick_pupil(case=case, at=now)
        Deadline.objects.create(case=case, kind=Kind.ZIEK_REVIEW, sequence=deadline.sequence + 1,
                                due_at=deadline.due_at + dt.timedelta(days=setting("CASEWORK_ZIEK_REVIEW_DAYS", 42)))


def _tell(deadline: Deadline, kind: str) -> None:
    """Warnings and breaches reach people through the notification service (one set per clock,
    since the sweeper acts on each exactly once). Data-breach clocks tell the privacy officers."""
    from notifications.services import notify

    if deadline.case_id is None:
        return
    notify(kind=kind, case=deadline.case, data={"deadline_id": deadline.pk, "deadline_kind": deadline.kind})
