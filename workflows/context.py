"""What a task's decision needs, shown above its form: the read path for the task page.

`decision_context(task)` gives the sections to show for the task's node: the team's question and
plan for the ECT drafter (and a rejected advice with its reason), the advice for the approver,
the request and the advice for the exemption, the plan, the ECT advice, the pupil's preference
and the clocks for the placement decisions, what came back from the routes for the team's review.
`recorded_events(task)` gives what a completed task recorded. Read only, a fixed number of
queries per node; the task page has already logged the case read.
"""

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from casework.clocks import RUNNING
from casework.models import (
    Arrangement,
    Case,
    CaseEvent,
    Deadline,
    EctAdvice,
    Offer,
    PlacementDecision,
    Plan,
    Vrijstelling,
)
from workflows.flows import ConsultFlow
from workflows.gateways import offer_sources
from workflows.inbox import open_tasks_of_case
from workflows.models import CaseTask

PLACEMENT_NODES = ("doorbraak_decision", "doe_advice", "director_decision")
# What the routes bring back to the team's review (the timeline's other events stay on the case page).
ROUTE_RESULT_KINDS = (
    CaseEvent.Kind.ECT_ADVICE_APPROVED, CaseEvent.Kind.VRIJSTELLING_DECIDED, CaseEvent.Kind.EXEMPTION_ENDED,
    CaseEvent.Kind.DOORBRAAK_DECIDED, CaseEvent.Kind.DOE_ADVISED, CaseEvent.Kind.DIRECTOR_DECIDED,
    CaseEvent.Kind.MENTOR_ASSIGNED, CaseEvent.Kind.ARRANGEMENT_EVALUATED, CaseEvent.Kind.OFFER_STARTED,
    CaseEvent.Kind.OFFER_FAILED, CaseEvent.Kind.REGISTRATION_CHANGED, CaseEvent.Kind.PARTICIPATION_CHANGED,
    CaseEvent.Kind.CASE_REVIEWED, CaseEvent.Kind.LEERPLICHT_ENDED,
)


@dataclass
class Section:
    """One block of context: a heading, facts (label, value) and optionally events."""

    title: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    events: list[CaseEvent] = field(default_factory=list)
    empty: str = ""
    note: str = ""  # a sentence under the facts (what to do now)
    alert: bool = False  # e.g. a rejected advice: shown as something to act on

    def add(self, label, value) -> "Section":
        if value not in (None, ""):
            self.facts.append((str(label), str(value)))
        return self


def when(moment) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT", use_l10n=True) if moment else ""


def day(value) -> str:
    return date_format(value, "DATE_FORMAT", use_l10n=True) if value else ""


def person(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def yes_no(value) -> str:
    return "" if value is None else _("yes") if value else _("no")


# --- the pieces -----------------------------------------------------------------------------------


def latest_plan(case: Case) -> Plan | None:
    return Plan.objects.filter(case=case).select_related("recorded_by").first()


def plan_section(plan: Plan | None) -> Section:
    section = Section(_("Plan of action"), empty=_("The team has not recorded a plan yet."))
    if plan is not None:
        section.add(_("Plan of action"), plan.text)
        section.add(_("Routes"), ", ".join(plan.route_labels))
        section.add(_("Recorded"), f"{when(plan.recorded_at)}, {person(plan.recorded_by)}")
    return section


def question_section(case: Case, task: CaseTask) -> Section:
    plan = Plan.objects.filter(case=case).exclude(ect_question="").first()
    section = Section(_("The team's question to the ECT"))
    if plan is not None:
        section.add(_("Question"), plan.ect_question)
        section.add(_("Asked in the team review of"), when(plan.recorded_at))
    elif task.flow_task.flow_class is ConsultFlow:
        section.empty = _("A clock started this consult: the pupil has been reported sick for three months. "
                          "Word the question yourself.")
    else:
        section.empty = _("The team asked no question; word it yourself.")
    return section


def rejected_section(advice: EctAdvice) -> Section:
    section = Section(_("Your advice was rejected"), alert=True)
    section.add(_("Reason"), advice.reason)
    section.add(_("Rejected by"), f"{person(advice.reviewed_by)}, {when(advice.reviewed_at)}")
    section.note = _("The form below holds the rejected text: change it and hand it in again.")
    return section


def advice_section(advice: EctAdvice | None, title: str, empty: str) -> Section:
    section = Section(title, empty=empty)
    if advice is not None:
        section.add(_("Question"), advice.question)
        section.add(_("Advice"), advice.advice)
        section.add(_("Drafted by"), f"{person(advice.drafted_by)}, {when(advice.drafted_at)}")
        if advice.reviewed_by_id:
            section.add(_("Approved by"), f"{person(advice.reviewed_by)}, {when(advice.reviewed_at)}")
    return section


def approved_advice(case: Case) -> EctAdvice | None:
    return (EctAdvice.objects.filter(case=case, status=EctAdvice.Status.APPROVED)
            .select_related("drafted_by", "reviewed_by").first())


def exemption_sections(case: Case) -> list[Section]:
    request = (Vrijstelling.objects.filter(case=case, decided_at__isnull=True)
               .select_related("requested_by", "advised_by").order_by("-requested_at", "-pk").first())
    asked = Section(_("The request"), empty=_("There is no open request."))
    advised = Section(_("The SWV's advice"))
    if request is not None:
        asked.add(_("Grounds"), request.get_grounds_display())
        asked.add(_("Motivation"), request.motivation)
        asked.add(_("A doctor's statement is on file"), yes_no(request.medical_statement))
        asked.add(_("Requested"), f"{when(request.requested_at)}, {person(request.requested_by)}")
        if request.advised_at:
            advised.add(_("Advice"), request.get_advice_display())
            advised.add(_("Motivation"), request.advice_motivation)
            advised.add(_("Alternatives"), request.alternatives)
            advised.add(_("Advised"), f"{when(request.advised_at)}, {person(request.advised_by)}")
        elif request.grounds == Vrijstelling.Grounds.ART_5A:
            advised.empty = _("The advice has not been given yet.")
        else:
            advised.empty = _("Not needed: only an exemption under article 5 under a needs the SWV's advice.")
    return [asked, advised]


def clocks_section(case: Case) -> Section:
    section = Section(_("Clocks"), empty=_("No clock is running."))
    for deadline in Deadline.objects.filter(case=case).filter(RUNNING).order_by("due_at", "pk"):
        section.add(deadline.get_kind_display(), _("due %(date)s") % {"date": when(deadline.due_at)})
    return section


def preference_section(case: Case) -> Section:
    plan = Plan.objects.filter(case=case).exclude(pupil_preference="").first()
    section = Section(_("The pupil's preference"), empty=_("The team recorded no preference."))
    if plan is not None:
        section.add(_("Preference"), plan.pupil_preference)
        section.add(_("Recorded in the team review of"), when(plan.recorded_at))
    return section


def ladder_section(case: Case) -> Section:
    """What the commission or the DOE-team concluded before the director decides."""
    section = Section(_("Before the director"), empty=_("Nothing was decided before."))
    earlier = (PlacementDecision.objects.filter(case=case, kind__in=[PlacementDecision.Kind.DOORBRAAK,
                                                                     PlacementDecision.Kind.DOE_ADVICE])
               .select_related("decided_by", "school_board", "school").order_by("-decided_at", "-pk").first())
    if earlier is not None:
        section.add(_("Step"), earlier.get_kind_display())
        section.add(_("Decision"), earlier.get_decision_display() if earlier.decision else "")
        section.add(_("School board"), earlier.school_board or "")
        section.add(_("School"), earlier.school or "")
        section.add(_("Advice"), earlier.advice)
        section.add(_("Motivation"), earlier.motivation)
        section.add(_("Recorded"), f"{when(earlier.decided_at)}, {person(earlier.decided_by)}")
    return section


def stalled_section(task: CaseTask) -> Section | None:
    """A decision handed up because the step below stayed open too long: which step, how long, and
    what was recorded there so far (the `doorbraak_stalled` or `stagnatie_escalated` event)."""
    stalled = (task.data or {}).get("stalled")
    if not stalled:
        return None
    section = Section(_("Handed up: no answer in time"), alert=True)
    step = task.flow_task.flow_class.instance.node(stalled.get("from", ""))
    section.add(_("Step"), step.task_title if step is not None else stalled.get("from", ""))
    section.add(_("Days open"), stalled.get("days_open", ""))
    event = CaseEvent.objects.filter(case_id=task.case_id, pk=stalled.get("event_id")).first()
    if event is not None and event.data.get("note"):
        section.add(_("Recorded so far"), event.data["note"])
    elif event is not None and event.kind == CaseEvent.Kind.DOORBRAAK_STALLED:
        section.note = _("Nothing was recorded on the task.")
    return section


def stagnatie_section(case: Case) -> Section:
    """The steps the MBO institution's stagnatiemeldpunt recorded so far."""
    steps = list(CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.STAGNATIE_RECORDED)
                 .select_related("actor").order_by("at", "pk"))
    return Section(_("Steps taken so far"), events=steps, empty=_("No steps were recorded yet."))


def offer_section(task: CaseTask) -> Section:
    sources = offer_sources(task.flow_task.flow_class)
    offer = (Offer.objects.filter(case=task.case, source__in=sources)
             .select_related("placement__school_board", "placement__school", "arrangement")
             .order_by("-recorded_at", "-pk").first())
    section = Section(_("The offered place"), empty=_("No place was offered."))
    if offer is not None:
        section.add(_("Offer from"), offer.get_source_display())
        if offer.placement is not None:
            section.add(_("School board"), offer.placement.school_board or "")
            section.add(_("School"), offer.placement.school or "")
        if offer.arrangement is not None:
            section.add(_("Education (school / OPDC)"), offer.arrangement.education)
            section.add(_("Care provider"), offer.arrangement.care_provider)
        section.add(_("Starts on"), day(offer.start_date))
    return section


def arrangement_section(case: Case) -> Section:
    arrangement = Arrangement.objects.filter(case=case, ended_at__isnull=True).order_by("-set_up_at", "-pk").first()
    section = Section(_("The arrangement"), empty=_("No arrangement is running."))
    if arrangement is not None:
        section.add(_("Education (school / OPDC)"), arrangement.education)
        section.add(_("Care provider"), arrangement.care_provider)
        section.add(_("Funding"), arrangement.get_funding_display())
        section.add(_("Period"), f"{day(arrangement.start_date)} – {day(arrangement.end_date)}")
        section.add(_("Evaluate every (weeks)"), arrangement.evaluation_weeks)
        last = arrangement.evaluations.order_by("-evaluated_at", "-pk").first()
        if last is not None:
            section.add(_("Last evaluation"), f"{when(last.evaluated_at)}: {last.get_result_display()}")
            section.add(_("Notes"), last.notes)
    return section


def since_last_review(case: Case) -> Section:
    """What came back from each route since the team's last review (or the signal, the first time)."""
    last = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.TEAM_REVIEW).order_by("-at", "-pk").first()
    if last is None:
        section = Section(_("The signal"))
        section.add(_("Out of school since"), day(case.absent_since))
        section.add(_("Registration"), case.get_registration_display())
        section.add(_("Category"), case.get_category_display())
        section.add(_("Summary"), case.summary)
        return section
    section = Section(_("Since the last team review (%(date)s)") % {"date": when(last.at)},
                      empty=_("Nothing came back from the routes since the last review."))
    section.events = list(CaseEvent.objects.filter(case=case, kind__in=ROUTE_RESULT_KINDS, pk__gt=last.pk)
                          .select_related("actor").order_by("at", "pk"))
    advice = approved_advice(case)
    if advice is not None and advice.reviewed_at and advice.reviewed_at >= last.at:
        section.add(_("The ECT's advice"), advice.advice)
    return section


def review_reason_section(task: CaseTask) -> Section:
    reasons = {
        "exemption_ended": _("The exemption ended: check the registration."),
        "leerplicht_ended": _("No longer of compulsory school age: close the case with outcome 18."),
        "ziek_review": _("Cyclical review of a pupil reported sick, with the ECT."),
        "offer_failed": _("The offered place did not start."),
    }
    reason = task.process.data.get("reason", "")
    return Section(_("Why this review"), facts=[(_("Reason"), str(reasons.get(reason, reason)))] if reason else [],
                   empty=_("A clock asked for this review."))


# --- per node -------------------------------------------------------------------------------------


def decision_context(task: CaseTask) -> list[Section]:
    """The sections to show above the task's form, in order (empty for a signal's verification,
    whose page shows the signal itself)."""
    case = task.case
    if case is None:
        return []
    node = task.flow_task.name
    if node == "ect_draft":
        rejected = EctAdvice.objects.filter(case=case).select_related("reviewed_by").first()
        sections = [rejected_section(rejected)] if rejected and rejected.status == EctAdvice.Status.REJECTED else []
        return [*sections, question_section(case, task), plan_section(latest_plan(case))]
    if node == "ect_approve":
        pending = (EctAdvice.objects.filter(case=case, status=EctAdvice.Status.PENDING)
                   .select_related("drafted_by").first())
        return [advice_section(pending, _("The advice to approve"), _("There is no advice awaiting approval.")),
                plan_section(latest_plan(case))]
    if node in ("vrijstelling_advice", "vrijstelling_decision"):
        sections = exemption_sections(case)
        return sections[:1] if node == "vrijstelling_advice" else sections
    if node in PLACEMENT_NODES:
        sections = [plan_section(latest_plan(case)),
                    advice_section(approved_advice(case), _("The ECT's advice"), _("The ECT has given no advice.")),
                    preference_section(case), clocks_section(case)]
        if node != "director_decision":
            return sections
        return [section for section in (stalled_section(task), ladder_section(case)) if section] + sections
    if node in ("stagnatie", "stagnatie_escalation"):
        handed_up = [section for section in (stalled_section(task),) if section]
        return [*handed_up, stagnatie_section(case), plan_section(latest_plan(case)), clocks_section(case)]
    if node == "team_review":
        return [since_last_review(case), plan_section(latest_plan(case)), clocks_section(case)]
    if node == "start_confirmation":
        return [offer_section(task), clocks_section(case)]
    if node == "arrangement_evaluation":
        return [arrangement_section(case)]
    if node == "case_review":
        return [review_reason_section(task), plan_section(latest_plan(case)), clocks_section(case)]
    if node in ("jim_assignment", "arrangement_setup", "vrijstelling_request"):
        return [plan_section(latest_plan(case))]
    return []


def recorded_events(task: CaseTask) -> list[CaseEvent]:
    """The case events a completed task recorded (empty for an open task)."""
    ids = (task.data or {}).get("recorded_events") or []
    if not ids or task.case_id is None:
        return []
    return list(CaseEvent.objects.filter(case_id=task.case_id, pk__in=ids).select_related("actor").order_by("at", "pk"))


def next_step(case: Case) -> str:
    """The case's next step in one sentence, for the notice after a task is completed: its open
    tasks and who holds them, else what it waits for, else that it is closed."""
    tasks = list(open_tasks_of_case(case).order_by("due_at", "created"))
    if tasks:
        steps = ", ".join(
            _("%(title)s (%(who)s)") % {"title": task.title,
                                         "who": person(task.owner) if task.owner_id else holder(task)}
            for task in tasks)
        return _("Next step: %(steps)s.") % {"steps": steps}
    if case.status == Case.Status.CLOSED:
        return _("The case is closed.")
    if Offer.objects.filter(case=case, status=Offer.Status.PENDING).exists():
        return _("The case waits for the start date of the offered place.")
    return _("No task of this case is open now.")


def holder(task: CaseTask) -> str:
    """Who holds an unclaimed task: its team, or its region role (the director, Leerplicht)."""
    return str(task.team) if task.team_id else task.get_region_role_display()
