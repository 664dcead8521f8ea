"""The sweeper: acts on the clocks whose warning or due time has passed, each exactly once,
however many sweepers run, and is the only caller of the clock reactions below (the LRV mark,
the 48-hour and three-month breaches, the end of an exemption or of compulsory education, the
cyclical review of a pupil reported sick).

It works in batches of at most SWEEP_BATCH rows, each batch one transaction: it selects only
rows whose time has passed (partial indexes), skips rows another sweeper holds (PostgreSQL
`FOR UPDATE SKIP LOCKED`), locks the batch's cases in one query, claims the rows with one
conditional UPDATE per kind of mark (the guard on SQLite too, where transactions run one at a
time), writes the clock events in one INSERT and reacts per row; notifications are pushed after
the batch commits. Every time comes from the caller or `timezone.now()`."""

import datetime as dt
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from casework import clocks
from casework.clocks import (
    MARKS,
    RUNNING,
    Kind,
    clock_event,
    lrv_days,
    of_compulsory_school_age,
    record_clock_event,
    setting,
)
from casework.models import (
    Case,
    CaseParticipant,
    Deadline,
    MonitorTally,
    Route,
    RouteRun,
    Vrijstelling,
    events,
)
from casework.responsibility import forget_case, region_team
from casework.selectors.steps import running_routes
from casework.services.ladder import (
    after_exemption,
    change_registration_to,
    escalate,
    join,
    join_directors,
    route_teams,
)
from casework.signals import (
    consult_needed,
    escalation_needed,
    offer_start_due,
    review_needed,
)
from casework.step import Step
from notifications.models import Notification
from notifications.services import notify, notify_many
from teams.models import (
    Sector,
    Team,
)

SWEEP_LIMIT = 10_000
SWEEP_BATCH = 100


@dataclass
class SweepResult:
    warned: int = 0
    breached: int = 0
    passed: int = 0  # lrv_4_weeks marks reached

    @property
    def total(self) -> int:
        return self.warned + self.breached + self.passed


class _Contended(Exception):
    """A row of the batch was handled by another sweeper after all: the batch is rolled back and
    read again (only possible without row locks)."""


def sweep_due(now=None) -> SweepResult:
    """Act on every warning and breach whose time has passed, each exactly once."""
    now = now or timezone.now()
    result = SweepResult()
    warn_due = Deadline.objects.filter(RUNNING, warned_at__isnull=True, warn_at__isnull=False, warn_at__lte=now,
                                       due_at__gt=now)
    _in_batches(warn_due, "warn_at", now, lambda step, batch: _warn(step, batch, now, result))
    _in_batches(Deadline.objects.filter(RUNNING, due_at__lte=now), "due_at", now,
                lambda step, batch: _act(step, batch, now, result))
    return result


def _in_batches(due: QuerySet[Deadline], order: str, now, act) -> None:
    """Hand `act` the due rows, oldest first, SWEEP_BATCH at a time, each batch one step (one
    transaction, no actor, the reference rows read once) with its rows and their cases locked and
    held; at most SWEEP_LIMIT rows per sweep (the beat comes back for the rest)."""
    handled = 0
    while handled < SWEEP_LIMIT:
        try:
            with Step.begin(None, now=now, rows={}) as step:
                batch = list(due.select_for_update(skip_locked=True, of=("self",))
                             .order_by(order, "pk")[:min(SWEEP_BATCH, SWEEP_LIMIT - handled)])
                if not batch:
                    return
                cases = {case.pk: case for case in Case.objects.select_for_update(of=("self",)).filter(
                    pk__in={deadline.case_id for deadline in batch if deadline.case_id}).order_by("pk")}
                for deadline in batch:
                    if deadline.case_id:
                        deadline.case = cases[deadline.case_id]
                step.hold(*cases.values())
                act(step, batch)
        except _Contended:
            continue
        handled += len(batch)


def _mark(rows: list[Deadline], unhandled: Q, **marks) -> None:
    """Mark the batch's rows handled in one UPDATE (guarded: none may have been handled meanwhile)."""
    if rows and Deadline.objects.filter(RUNNING, unhandled, pk__in=[row.pk for row in rows]).update(**marks) != len(rows):
        raise _Contended
    for row in rows:
        for field, value in marks.items():
            setattr(row, field, value)


def _warn(step: Step, batch: list[Deadline], now, result: SweepResult) -> None:
    _mark(batch, Q(warned_at__isnull=True), warned_at=now)
    step.record_many([clock_event(deadline, events.DeadlineWarning, now)
                           for deadline in batch if deadline.case_id])
    notify_many([_notice(deadline, "deadline_warning") for deadline in batch if deadline.case_id], step=step)
    result.warned += len(batch)


def _act(step: Step, batch: list[Deadline], now, result: SweepResult) -> None:
    """The batch's due clocks: marked in one UPDATE per kind of mark, the ECT joined to the cases
    whose 48 hours ran out in one INSERT, each clock's event and reaction in due order (the events
    go out in one INSERT at the end of the batch), the breach notices in one outbox INSERT."""
    marks = [deadline for deadline in batch if deadline.kind in MARKS]
    breaches = [deadline for deadline in batch if deadline.kind not in MARKS]
    _mark(marks, Q(), met_at=now)
    _mark(breaches, Q(), breached_at=now)
    _join_ect(step, [deadline.case for deadline in breaches if deadline.kind == Kind.TEAM_ACTION_48H], now)
    for deadline in batch:  # in due order: each clock's event, then what follows from it
        if deadline.kind in MARKS:
            _passed(step, deadline, now)
            result.passed += 1
        else:
            _breached(step, deadline, now, tell=False, ect_joined=True)
            result.breached += 1
    notify_many([_notice(deadline, "deadline_breached") for deadline in breaches if deadline.case_id], step=step)


def _join_ect(step: Step, cases: list[Case], at) -> None:
    """`involve_ect_for_breach` for many cases at once: the region's ECT joins each open case it
    is not on yet (one SELECT of who is on already, one INSERT)."""
    wanted = {(case.pk, team.pk): case for case in cases if case.is_open
              for team in [region_team(case, Team.Kind.ECT, step.rows)] if team is not None}
    if not wanted:
        return
    on_already = set(CaseParticipant.objects.filter(case_id__in={case for case, _ in wanted},
                                                    team_id__in={team for _, team in wanted})
                     .values_list("case_id", "team_id"))
    joining = [(case_id, team_id) for case_id, team_id in wanted if (case_id, team_id) not in on_already]
    CaseParticipant.objects.bulk_create([CaseParticipant(case_id=case_id, team_id=team_id,
                                                         reason=CaseParticipant.Reason.ESCALATION, since=at)
                                         for case_id, team_id in joining])
    for case_id, _team_id in joining:
        forget_case(step.rows, case_id)


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


def act_on_overdue(step: Step, case: Case, now, *, started: list[Deadline] | None = None) -> None:
    """A case signalled late (e.g. 100 days out of school) starts with clocks already run out:
    act on them at once, as the sweeper would (without an actor). `started`: the case's clocks, all
    running, when the caller has just started them (a new case: none is read back)."""
    step = step.by_the_clocks()
    due = (_due(Deadline.objects.filter(RUNNING, case=case, due_at__lte=now), "due_at") if started is None
           else [(c.pk, c.kind) for c in sorted(started, key=lambda c: (c.due_at, c.pk)) if c.due_at <= now])
    for pk, kind in due:
        _act_on_due(step, pk, kind, now)


def _act_on_due(step: Step, pk: int, kind: str, now) -> str | None:
    """The clock's time has passed: breach it (and climb the ladder), or, for the LRV mark,
    change the registration. Returns what happened, or None when another sweeper had it."""
    if kind in MARKS:
        claimed = _claim(pk, Q(), met_at=now)
        if claimed is None:
            return None
        _passed(step, claimed, now)
        return "passed"
    claimed = _claim(pk, Q(), breached_at=now)
    if claimed is None:
        return None
    _breached(step, claimed, now)
    return "breached"


def _passed(step: Step, deadline: Deadline, now) -> None:
    record_clock_event(step, deadline, events.DeadlineMet, now, passed=True)
    _pass_mark(step, deadline, now)


def _breached(step: Step, deadline: Deadline, now, *, tell: bool = True, ect_joined: bool = False) -> None:
    """The clock's event and what follows from it; the breach notice too unless the caller writes
    the batch's notices together (`tell=False`), the ECT's joining unless the caller did it."""
    record_clock_event(step, deadline, events.DeadlineBreached, now)
    if deadline.kind == Kind.OFFER_3_MONTHS:
        escalate_for_breach(step=step, case=deadline.case, at=now, deadline_id=deadline.pk)
    elif deadline.kind == Kind.TEAM_ACTION_48H and not ect_joined:
        involve_ect_for_breach(step=step, case=deadline.case, at=now)
    if tell:
        _tell(step, deadline, "deadline_breached")


def _pass_mark(step: Step, deadline: Deadline, now) -> None:
    case = deadline.case
    if deadline.kind == Kind.LRV_4_WEEKS:
        mark_lrv(step=step, case=case, at=now, deadline_id=deadline.pk)
    elif deadline.kind == Kind.OFFER_START:
        offer_start_due.send(sender=Deadline, case=case, offer_id=deadline.offer_id)
    elif deadline.kind == Kind.EXEMPTION_END:
        end_exemption(step=step, case=case, vrijstelling_id=deadline.vrijstelling_id, at=now)
    elif deadline.kind == Kind.LEERPLICHT_END:
        end_leerplicht(step=step, case=case, at=now)
    elif deadline.kind == Kind.ZIEK_REVIEW and case.is_open and case.registration == Case.Registration.ZIEK:
        if clocks.review_pending(case, Kind.ZIEK_REVIEW, besides=deadline):
            review_overdue(step, deadline, now)
            return
        review_sick_pupil(step=step, case=case, at=now)
        # the moment the review is overdue if not done; doing it replans from that day
        Deadline.objects.create(case=case, kind=Kind.ZIEK_REVIEW, sequence=deadline.sequence + 1,
                                due_at=deadline.due_at + dt.timedelta(days=setting("CASEWORK_ZIEK_REVIEW_DAYS", 42)))


def review_overdue(step: Step, deadline: Deadline, now) -> None:
    """The next periodic review is due while the last one is still open: no second review, the
    clock is breached (the open review is late) and its owner or team is told, once: no next clock
    runs until the review is done (services.record_case_review plans it from that day)."""
    Deadline.objects.filter(pk=deadline.pk).update(breached_at=now)
    deadline.breached_at = now
    record_clock_event(step, deadline, events.DeadlineBreached, now, review_open=True)
    _tell(step, deadline, "deadline_breached")


def _notice(deadline: Deadline, kind: Notification.Kind) -> dict:
    return {"kind": kind, "case": deadline.case, "data": {"deadline_id": deadline.pk, "deadline_kind": deadline.kind}}


def _tell(step: Step, deadline: Deadline, kind: str) -> None:
    """Warnings and breaches reach people through the notification service (one set per clock,
    since the sweeper acts on each exactly once). Data-breach clocks tell the privacy officers."""
    if deadline.case_id is None:
        return
    notify(step=step, **_notice(deadline, kind))


def mark_lrv(*, step: Step, case: Case, at, deadline_id: int) -> None:
    """More than four weeks out of school: a dreigend thuiszitter is LRV from day 29 (the first day
    absent is day 1), whenever the sweeper gets to it (the monitor counts it as LRV from that day
    in any case)."""
    case = step.locked(case)
    if case.is_open and case.registration == Case.Registration.DREIGEND:
        change_registration_to(step, case, Case.Registration.LRV, at, trigger="lrv_4_weeks",
                             since=case.absent_since + timedelta(days=lrv_days()))


def involve_ect_for_breach(*, step: Step, case: Case, at) -> None:
    """No team action within 48 hours: the region's ECT joins the case (the next rung), so that
    its consultants can see it and help."""
    if case.is_open:
        join(step, case, region_team(case, Team.Kind.ECT, step.rows), CaseParticipant.Reason.ESCALATION, at)


def escalate_for_breach(*, step: Step, case: Case, at, deadline_id: int) -> None:
    """Three months without an offer and a place: the case climbs the escalation ladder. If no
    doorbraak route runs yet, one starts (MPL for VO, DOE for PO) and the SWV director joins.

    Not for every child: a young person past compulsory school age is not escalated; a pupil
    reported sick goes to the ECT, which discusses sick pupils with the school (Evaluatie 1ste jaar
    Thuiszitterspact Groningen, statement 4, item 3); an MBO student has no doorzettingsmacht
    (Thuiszitterspact 2.0 gemeente Groningen: evaluatie 1ste jaar, A.1): the region's
    Leerplicht/RMC joins and is told (the breach notification), and the escalation goes to the
    institution's own stagnatiemeldpunt (then its management), not to the MPL."""
    case = step.locked(case)
    if not case.is_open or not of_compulsory_school_age(case.child, timezone.localdate(at)):
        return
    if case.registration == Case.Registration.ZIEK:
        join(step, case, region_team(case, Team.Kind.ECT, step.rows), CaseParticipant.Reason.CONSULT, at)
        if Route.ECT_CONSULT not in running_routes(case):
            RouteRun.objects.create(case=case, plan=None, route=Route.ECT_CONSULT, started_at=at)
            step.record(case, None, events.EctConsultStarted, at=at, trigger="offer_3_months")
            consult_needed.send(sender=Case, case=case, step=step)
        return
    if case.sector == Sector.MBO:
        join(step, case, region_team(case, Team.Kind.LEERPLICHT, step.rows), CaseParticipant.Reason.ESCALATION, at)
        escalate(step, case, at, trigger="offer_3_months")
        escalation_needed.send(sender=Case, case=case, step=step)
        return
    if Route.DOORBRAAK in running_routes(case):
        return
    try:
        joining = route_teams(step, case, Route.DOORBRAAK)
    except ValidationError:  # the region lacks the commission: the case still escalates, visibly
        joining = []
    for team, reason in joining:
        join(step, case, team, reason, at)
    join_directors(step, case, at)
    RouteRun.objects.create(case=case, plan=None, route=Route.DOORBRAAK, started_at=at)
    escalate(step, case, at, trigger="offer_3_months")
    escalation_needed.send(sender=Case, case=case, step=step)


def end_exemption(*, step: Step, case: Case, vrijstelling_id: int, at) -> None:
    """The exemption's end date has passed (the sweeper)."""
    case = step.locked(case)
    exemption = Vrijstelling.objects.get(pk=vrijstelling_id)
    if exemption.ended_on is None:
        after_exemption(step, case, exemption, at, last_day=exemption.until, reason="", trigger="exemption_end")


def end_leerplicht(*, step: Step, case: Case, at) -> None:
    """The 18th birthday (or a startkwalificatie): out of every count from today; running clocks stop,
    no escalation starts, and the case team is asked to close the case (outcome achttien)."""
    case = step.locked(case)
    if not case.is_open:
        return
    clocks.stop_kinds(step, case, [kind for kind in Deadline.Kind.values
                             if kind not in (Deadline.Kind.LEERPLICHT_END, Deadline.Kind.EXEMPTION_END)],
                      at, reason="einde_leerplicht")
    step.record(case, None, events.LeerplichtEnded, at=at, on=timezone.localdate(at).isoformat())
    notify(step=step, kind=Notification.Kind.LEERPLICHT_ENDED, case=case, data={})
    review_needed.send(sender=Case, case=case, reason="leerplicht_ended", step=step)


def review_sick_pupil(*, step: Step, case: Case, at) -> None:
    """The cyclical review of a pupil reported sick: the ECT is on the case and the case team
    discusses it (Evaluatie 1ste jaar Thuiszitterspact Groningen, statement 4, item 3)."""
    case = step.locked(case)
    if not case.is_open or case.registration != Case.Registration.ZIEK:
        return
    join(step, case, region_team(case, Team.Kind.ECT, step.rows), CaseParticipant.Reason.CONSULT, at)
    review_needed.send(sender=Case, case=case, reason="ziek_review", step=step)


# --- the monitor's rollup -----------------------------------------------------------------------

TALLY_KEY = ("day", "region_id", "sector", "school_id", "measure", "case_ref")


def compact_tallies(batch: int = 5_000, limit: int = 200_000) -> int:
    """Fold the monitor's fresh deltas into one compacted row per key, a batch per transaction:
    the batch's fresh rows are taken with `SKIP LOCKED` (a step writing new deltas, or another
    sweeper, never waits for this), the compacted rows of their keys locked in id order, all of
    them replaced by the sums. The answers do not change, only the number of rows. Returns the
    number of fresh rows folded in."""
    folded = 0
    while folded < limit:
        with transaction.atomic():
            fresh = list(MonitorTally.objects.select_for_update(skip_locked=True).filter(compacted=False)
                         .order_by("pk")[:batch])
            if not fresh:
                break
            keys = {tuple(getattr(row, name) for name in TALLY_KEY) for row in fresh}
            days = {key[0] for key in keys}
            old = [row for row in MonitorTally.objects.select_for_update().filter(compacted=True, day__in=days)
                   .order_by("pk") if tuple(getattr(row, name) for name in TALLY_KEY) in keys]
            sums: dict[tuple, int] = {}
            for row in (*old, *fresh):
                key = tuple(getattr(row, name) for name in TALLY_KEY)
                sums[key] = sums.get(key, 0) + row.n
            MonitorTally.objects.filter(pk__in=[row.pk for row in (*old, *fresh)]).delete()
            MonitorTally.objects.bulk_create(
                [MonitorTally(**dict(zip(TALLY_KEY, key, strict=True)), n=n if key[-1] is None else 1, compacted=True)
                 for key, n in sums.items() if n])
        folded += len(fresh)
    return folded
