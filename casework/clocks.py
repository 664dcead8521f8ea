"""The clocks of a case: their rules (starting, meeting, stopping, due dates), and the dates of
compulsory education they follow. The sweeper that acts on due clocks is casework.services.sweeper.

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

Periodic clocks never pile up work: at most one open review per case and reason. The next
ziek_review is planned from the day the team did the review; one that passes while the last
review is still open asks for no new one but is breached (the owner or team is told once). The
next arrangement evaluation is planned from the day of the evaluation.

"""

import calendar
import datetime as dt
from datetime import date

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from casework.models import Arrangement, Case, CaseEvent, Child, Deadline, Offer, Plan, Vrijstelling
from casework.models.events import DeadlineBreached, DeadlineMet, DeadlineStopped, EventData
from casework.step import Step
from teams.models import next_meeting

Kind = Deadline.Kind


# Clocks whose due time is a mark, not a failure: when it passes the sweeper acts and the clock is met.
MARKS = (Kind.LRV_4_WEEKS, Kind.OFFER_START, Kind.EXEMPTION_END, Kind.LEERPLICHT_END, Kind.ZIEK_REVIEW)


RUNNING = Q(met_at__isnull=True, breached_at__isnull=True, stopped_at__isnull=True)


def setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day`, local time (Europe/Amsterdam)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def clock_event(deadline: Deadline, kind: type[EventData], at, **extra) -> CaseEvent:
    """The (unsaved) CaseEvent of a case's clock; `kind` is one of the clock events' classes."""
    return kind.build(deadline.case, None, at=at, deadline_id=deadline.pk, deadline_kind=deadline.kind,
                      due_at=deadline.due_at.isoformat(), **extra)


def record_clock_event(step: Step, deadline: Deadline, kind: type[EventData], at, **extra) -> CaseEvent | None:
    """A CaseEvent for a case's clock; a data-breach clock keeps its state on its own row."""
    if deadline.case_id is None:
        return None
    return step.record_many([clock_event(deadline, kind, at, **extra)])[0]


def start_case_clocks(case: Case, now) -> list[Deadline]:
    """The clocks of a newly signalled case, written in one INSERT (each the first of its kind: the
    case is new); the intake then lets the sweeper act on those already run out, for a late signal."""
    hours = setting("CASEWORK_TEAM_ACTION_HOURS", 48)
    clocks = [Deadline(case=case, kind=Kind.TEAM_ACTION_48H, due_at=case.signalled_at + dt.timedelta(hours=hours),
                       warn_at=case.signalled_at + dt.timedelta(hours=setting("CASEWORK_TEAM_ACTION_WARN_HOURS", 24)))]
    if case.registration == Case.Registration.DREIGEND:
        # LRV after MORE than four weeks: from day 29, the first day absent being day 1.
        clocks.append(Deadline(case=case, kind=Kind.LRV_4_WEEKS, due_at=start_of_day(
            case.absent_since + dt.timedelta(days=setting("CASEWORK_LRV_DAYS", 28)))))
    if case.registration != Case.Registration.VRIJ:  # an exempted child has no three-month clock
        clocks.append(_offer_clock(case, case.absent_since, sequence=1))
    clocks.append(Deadline(case=case, kind=Kind.LEERPLICHT_END, due_at=start_of_day(leerplicht_ends_on(case.child))))
    if case.registration == Case.Registration.ZIEK:
        clocks.append(_ziek_review_clock(case, timezone.localdate(now), sequence=1))
    return Deadline.objects.bulk_create(clocks)


def _next_sequence(case: Case, kind: str) -> int:
    last = Deadline.objects.filter(case=case, kind=kind).order_by("-sequence").values_list("sequence", flat=True)
    return (last.first() or 0) + 1


def start_offer_clock(case: Case, since: dt.date) -> Deadline:
    """Three months from the first day out of school (or from the day an exemption ended)."""
    clock = _offer_clock(case, since, sequence=_next_sequence(case, Kind.OFFER_3_MONTHS))
    clock.save(force_insert=True)
    return clock


def _offer_clock(case: Case, since: dt.date, *, sequence: int) -> Deadline:
    offer_due = start_of_day(add_months(since, setting("CASEWORK_OFFER_MONTHS", 3)))
    return Deadline(case=case, kind=Kind.OFFER_3_MONTHS, sequence=sequence, due_at=offer_due,
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
    clock = _ziek_review_clock(case, since, sequence=_next_sequence(case, Kind.ZIEK_REVIEW))
    clock.save(force_insert=True)
    return clock


def _ziek_review_clock(case: Case, since: dt.date, *, sequence: int) -> Deadline:
    return Deadline(case=case, kind=Kind.ZIEK_REVIEW, sequence=sequence,
                    due_at=start_of_day(since + dt.timedelta(days=setting("CASEWORK_ZIEK_REVIEW_DAYS", 42))))


def start_offer_start_clock(offer: Offer) -> Deadline:
    """The flow waits for the offered place's start date, then asks the team to confirm the start."""
    return Deadline.objects.create(case=offer.case, kind=Kind.OFFER_START, offer=offer,
                                   sequence=_next_sequence(offer.case, Kind.OFFER_START),
                                   due_at=start_of_day(offer.start_date))


def pass_offer_start(step: Step, offer: Offer, at, *, reason: str) -> None:
    """The offer's start needs no more waiting (confirmed, or replaced by a later offer)."""
    _stop(step, Deadline.objects.filter(offer=offer, kind=Kind.OFFER_START), at, reason=reason)


def restart_leerplicht_end_clock(step: Step, case: Case, end: dt.date, now) -> None:
    """A startkwalificatie moved the end of compulsory education forward."""
    stop(step, case, Kind.LEERPLICHT_END, now, reason="startkwalificatie")
    Deadline.objects.create(case=case, kind=Kind.LEERPLICHT_END, sequence=_next_sequence(case, Kind.LEERPLICHT_END),
                            due_at=start_of_day(end))


def meet_offer_clock(step: Step, case: Case, on: dt.date, now) -> None:
    """The place is there and the child takes part from `on`: the three-month clock is met that day.
    A start after the due date is a breach (as it is for the child); a start on time that is
    confirmed after the sweeper breached the clock corrects that breach."""
    met_at = start_of_day(on)
    events = []
    for deadline in _with_case(list(Deadline.objects.filter(case=case, kind=Kind.OFFER_3_MONTHS, met_at__isnull=True,
                                                            stopped_at__isnull=True)), case):
        late = met_at >= deadline.due_at
        marks = {"met_at": met_at}
        if late and deadline.breached_at is None:
            marks["breached_at"] = deadline.due_at
            events.append(clock_event(deadline, DeadlineBreached, now, on_confirmation=True))
        corrected = not late and deadline.breached_at is not None
        if corrected:
            marks["breached_at"] = None
        Deadline.objects.filter(pk=deadline.pk).update(**marks)
        events.append(clock_event(deadline, DeadlineMet, now, late=late, met_on=on.isoformat(),
                                  corrected_breach=corrected))
    step.record_many(events)


def start_evaluation_clock(arrangement: Arrangement, moment: dt.date, sequence: int) -> Deadline:
    grace = setting("CASEWORK_EVALUATION_GRACE_DAYS", 7)
    return Deadline.objects.create(
        case=arrangement.case, kind=Kind.ARRANGEMENT_EVALUATION, sequence=sequence, arrangement=arrangement,
        warn_at=start_of_day(moment), due_at=start_of_day(moment + dt.timedelta(days=grace)),
    )


def start_thuiswerkplan_review(case: Case, starts_on: dt.date, sequence: int) -> Deadline:
    """The review of a thuiswerkplan, CASEWORK_THUISWERKPLAN_REVIEW_DAYS (42) after it starts; a
    warning a week before. Met when the team records the next plan (its review)."""
    due = start_of_day(starts_on + dt.timedelta(days=setting("CASEWORK_THUISWERKPLAN_REVIEW_DAYS", 42)))
    return Deadline.objects.create(case=case, kind=Kind.THUISWERKPLAN_REVIEW, sequence=sequence,
                                   warn_at=due - dt.timedelta(days=7), due_at=due)


def next_evaluation_clock(arrangement: Arrangement, done_on: dt.date | None = None) -> Deadline | None:
    """The clock of the arrangement's next evaluation moment: the first one `evaluation_weeks` after
    the start; after an evaluation (on `done_on`) that continues it, `evaluation_weeks` after the
    day it was done, not after the previous moment (a late evaluation does not pile up)."""
    last = arrangement.deadlines.order_by("-sequence").first()
    if last is None:
        return start_evaluation_clock(arrangement, arrangement.start_date
                                      + dt.timedelta(weeks=arrangement.evaluation_weeks), 1)
    since = done_on if done_on is not None else timezone.localdate(last.warn_at)
    return start_evaluation_clock(arrangement, since + dt.timedelta(weeks=arrangement.evaluation_weeks),
                                  last.sequence + 1)


def review_pending(case: Case, reason: str, *, besides: Deadline | None = None) -> bool:
    """Whether a periodic review the clock of `reason` asked for is still open: a clock of that kind
    passed (other than `besides`) after the team last recorded that review."""
    last_review = (CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.CASE_REVIEWED, data__trigger=reason)
                   .order_by("-at").values_list("at", flat=True).first())
    asked = Deadline.objects.filter(case=case, kind=reason, met_at__isnull=False)
    if besides is not None:
        asked = asked.exclude(pk=besides.pk)
    if last_review is not None:
        asked = asked.filter(met_at__gt=last_review)
    return asked.exists()


def replan_ziek_review(step: Step, case: Case, on: dt.date, at) -> None:
    """The team did the cyclical review of a pupil reported sick on `on`: the next one is
    CASEWORK_ZIEK_REVIEW_DAYS after that day, not after the original rhythm."""
    stop(step, case, Kind.ZIEK_REVIEW, at, reason="reviewed")
    if case.is_open and case.registration == Case.Registration.ZIEK:
        start_ziek_review_clock(case, on)


def running(case: Case, kind: str) -> QuerySet[Deadline]:
    return Deadline.objects.filter(case=case, kind=kind).filter(RUNNING)


def mark_met(step: Step, case: Case, kind: str, at) -> int:
    """Mark the case's running clocks of this kind met (late clocks keep their breach too): one
    UPDATE and one INSERT of their events, after the read of the clocks concerned."""
    return _met(step, case, list(Deadline.objects.filter(case=case, kind=kind, met_at__isnull=True,
                                                        stopped_at__isnull=True)), at)


def _met(step: Step, case: Case, clocks: list[Deadline], at) -> int:
    if clocks:
        Deadline.objects.filter(pk__in=[deadline.pk for deadline in clocks]).update(met_at=at)
        step.record_many([clock_event(deadline, DeadlineMet, at, late=deadline.breached_at is not None)
                               for deadline in _with_case(clocks, case)])
    return len(clocks)


def _with_case(clocks: list[Deadline], case: Case) -> list[Deadline]:
    for deadline in clocks:
        deadline.case = case  # the caller's row (no read per clock)
    return clocks


def _stop(step: Step, clocks: QuerySet[Deadline], at, *, reason: str, case: Case | None = None) -> int:
    """Stop the running clocks of `clocks`: one read, one UPDATE, one INSERT of their events."""
    return _stopped(step, list(clocks.filter(RUNNING) if case is not None else clocks.filter(RUNNING).select_related("case")),
                    at, reason=reason, case=case)


def _stopped(step: Step, running_clocks: list[Deadline], at, *, reason: str, case: Case | None = None) -> int:
    if not running_clocks:
        return 0
    Deadline.objects.filter(pk__in=[deadline.pk for deadline in running_clocks]).update(stopped_at=at, stop_reason=reason)
    if case is not None:
        _with_case(running_clocks, case)
    step.record_many([clock_event(deadline, DeadlineStopped, at, reason=reason)
                           for deadline in running_clocks if deadline.case_id is not None])
    return len(running_clocks)


def stop(step: Step, case: Case, kind: str, at, *, reason: str) -> int:
    """Stop the case's running clocks of this kind."""
    return stop_kinds(step, case, [kind], at, reason=reason)


def stop_kinds(step: Step, case: Case, kinds, at, *, reason: str) -> int:
    """Stop the case's running clocks of these kinds (one read, one UPDATE, one INSERT)."""
    return _stop(step, Deadline.objects.filter(case=case, kind__in=list(kinds)), at, reason=reason, case=case)


def on_case_closed(step: Step, case: Case, outcome: str, at) -> None:
    """Closing stops the case's clocks, except the end of a running exemption: an exemption is
    registered (and counted) for as long as it runs, whether or not a case is open."""
    # one read: the clocks neither met nor stopped (a late one is met all the same, `mark_met`; only
    # a running one is stopped, `stop_kinds`)
    open_clocks = list(Deadline.objects.filter(case=case, met_at__isnull=True, stopped_at__isnull=True)
                       .exclude(kind=Kind.EXEMPTION_END))
    met = ([deadline for deadline in open_clocks if deadline.kind == Kind.OFFER_3_MONTHS]
           if outcome in (Case.Outcome.TERUG_NAAR_SCHOOL, Case.Outcome.PASSEND_AANBOD) else [])
    _met(step, case, met, at)
    _stopped(step, [deadline for deadline in open_clocks if deadline not in met and deadline.breached_at is None],
             at, reason=f"closed:{outcome}", case=case)


DECISIONS = {"vrijstelling_decision", "doorbraak_decision", "doe_advice", "director_decision", "stagnatie",
             "stagnatie_escalation"}


# Tasks decided in a team's case meeting: due at the team's next meeting when it has a rhythm.
MEETING_STEPS = {"team_review", "ect_draft", "ect_approve", "vrijstelling_advice", "doorbraak_decision"}


def task_due_at(case: Case, step: str, now, team, *, started: list[Deadline] | None = None) -> dt.datetime:
    """When a new task of this step is due: the 48-hour clock for the first team review, the
    evaluation clock for an arrangement evaluation, else the weekly meeting rhythm (7 days) of
    `team` (the one responsible for the step) or, for decisions, 14 days. `started`: the clocks of a
    case opened in the caller's step (it has no plan yet; they are not read back). A case reviewed
    before (`first_reviewed_at`: every team review records a plan) has a plan without a read."""
    if step == "team_review" and case.first_reviewed_at is None and (
            started is not None or not Plan.objects.filter(case=case).exists()):
        clock = (next((clock for clock in started if clock.kind == Kind.TEAM_ACTION_48H), None) if started is not None
                 else Deadline.objects.filter(case=case, kind=Kind.TEAM_ACTION_48H).first())
        if clock is not None:
            return clock.due_at
    if step == "arrangement_evaluation":
        clock = running(case, Kind.ARRANGEMENT_EVALUATION).order_by("-sequence").first()
        if clock is not None:
            return clock.due_at
    if step in MEETING_STEPS:
        meeting = next_meeting(team, now)
        if meeting is not None:
            return meeting
    days = setting("CASEWORK_DECISION_DAYS", 14) if step in DECISIONS else setting("CASEWORK_TASK_DAYS", 7)
    return now + dt.timedelta(days=days)


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


# Compulsory school age (Thuiszitterspact Groningen, §8): from 5 until 16, and at 16 and 17 under the qualification
# duty (no startkwalificatie yet); from the 18th birthday out of every count.
MIN_AGE = 5


QUALIFICATION_AGE = 16


MAX_AGE = 18  # exclusive


def lrv_days() -> int:
    """An absence of MORE than this many days makes a pupil LRV (4 weeks); before that: dreigend.
    The first day absent is day 1, so a pupil is LRV from `absent_since + lrv_days()`."""
    return int(getattr(settings, "CASEWORK_LRV_DAYS", 28))


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def of_compulsory_school_age(child: Child, day: date) -> bool:
    """5 up to 16, and 16 and 17 while the qualification duty runs (no startkwalificatie yet)."""
    age = age_on(child.birth_date, day)
    if age < MIN_AGE or age >= MAX_AGE:
        return False
    return age < QUALIFICATION_AGE or not (child.startkwalificatie_on and child.startkwalificatie_on <= day)


def leerplicht_ends_on(child: Child) -> date:
    """The day compulsory education ends: the 18th birthday, or the day a startkwalificatie was
    obtained at 16 or 17 (from the 16th birthday on, when it was obtained earlier)."""
    end = add_years(child.birth_date, MAX_AGE)
    if child.startkwalificatie_on is not None:
        end = min(end, max(child.startkwalificatie_on, add_years(child.birth_date, QUALIFICATION_AGE)))
    return end
