"""Where people stop, the ladder climbs: the sweep's part of the escalation flow.

- An MPL `doorbraak_decision` or a DOE `doe_advice` task open longer than
  CASEWORK_DOORBRAAK_STALL_DAYS is cancelled and a `director_decision` task starts (the SWV
  director of the region decides; in PO also the coördinator deelverband).
- An MBO `stagnatie` task still open CASEWORK_MBO_ESCALATION_DAYS after the breach that started
  the escalation is cancelled and a `stagnatie_escalation` task starts for the institution's
  management; the region's Leerplicht/RMC is told.

What happened is recorded by the core services (`casework.services.stagnation`); here the flow
moves on. Each task climbs once, under its process's row lock, however many sweepers run. A late
answer on the cancelled task is a conflict (409): the task says where its decision went
(`workflows.services.stalled_message`).
"""

from datetime import timedelta

from django.utils import timezone
from viewflow.workflow.lock import lock_scope

from casework import selectors, services
from casework.clocks import start_of_day
from casework.models import Note
from workflows.flows import EscalationFlow
from workflows.models import OPEN_STATUSES, AgendaItem, CaseTask

CLIMB_LIMIT = 1_000


def climb_stalled(now=None) -> int:
    """Climb every stalled task of the ladder; returns how many climbed."""
    now = now or timezone.now()
    stalled = CaseTask.objects.filter(
        flow_task__in=[EscalationFlow.doorbraak_decision, EscalationFlow.doe_advice], status__in=OPEN_STATUSES,
        created__lt=more_than_days_ago(selectors.stall_days(), now))
    stagnating = CaseTask.objects.filter(
        flow_task=EscalationFlow.stagnatie, status__in=OPEN_STATUSES,
        process__created__lt=more_than_days_ago(selectors.mbo_escalation_days(), now))
    climbed = 0
    for pk, process_id in list(stalled.order_by("created", "pk").values_list("pk", "process_id")[:CLIMB_LIMIT]):
        climbed += _climb(pk, process_id, now, EscalationFlow.director_decision, _stall)
    for pk, process_id in list(stagnating.order_by("created", "pk").values_list("pk", "process_id")[:CLIMB_LIMIT]):
        climbed += _climb(pk, process_id, now, EscalationFlow.stagnatie_escalation, _stagnate)
    return climbed


def more_than_days_ago(days: int, now):
    """Before this moment means more than `days` calendar days ago: opened on day 0, it climbs on
    day `days + 1` (the start of the local day `days` ago)."""
    return start_of_day(timezone.localdate(now) - timedelta(days=days))


def _climb(pk: int, process_id: int, now, to, record) -> int:
    """Under the process's lock: record why, cancel the open task and start the next rung's."""
    with lock_scope(EscalationFlow.lock_impl, EscalationFlow, process_id):
        task = CaseTask.objects.select_related("case", "owner").filter(pk=pk, status__in=OPEN_STATUSES).first()
        if task is None:  # answered, or another sweeper climbed it
            return 0
        stalled = record(task, now)
        task.data = {**task.data, "stalled": {**stalled, "to": to.name}}
        activation = task.flow_task.activation_class(task)
        activation.cancel()
        following = to.activation_class.create(to, activation, task.token, data={"stalled": stalled})
        if following.activate.can_proceed():
            following.activate()
    return 1


def recorded_so_far(task: CaseTask) -> tuple[dict, str]:
    """What the commission recorded while the task was open: who had claimed it, the minutes of
    its meeting items and the notes its team wrote on the case since. References for the event's
    data, and their text (free text, removed at retention) for its note."""
    items = [item for item in AgendaItem.objects.filter(task=task).order_by("pk") if item.minutes.strip()]
    notes = list(Note.objects.filter(case_id=task.case_id, created_at__gte=task.created,
                                     author__memberships__team_id=task.team_id).order_by("created_at", "pk"))
    recorded = {"claimed_by": task.owner_id, "agenda_items": [item.pk for item in items],
                "notes": [note.pk for note in notes]}
    text = "\n".join([*(item.minutes.strip() for item in items), *(note.text.strip() for note in notes)])
    return recorded, text


def _stall(task: CaseTask, now) -> dict:
    recorded, text = recorded_so_far(task)
    event = services.record_stall(case=task.case, node=task.node_name, opened_at=task.created, recorded=recorded,
                                  note=text, at=now)
    return {"from": task.node_name, "days_open": event.data["days_open"], "event_id": event.pk}


def _stagnate(task: CaseTask, now) -> dict:
    event = services.escalate_stagnatie(case=task.case, since=task.process.created, at=now)
    return {"from": task.node_name, "days_open": event.data["days"], "event_id": event.pk}

