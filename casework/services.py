"""The only write path for cases. Each service is one transaction and writes a CaseEvent.

Business rules live here and nowhere else: views, API and commands parse input, call a
service and render what it returns or the errors it raises.
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import deadlines
from casework.models import (
    Arrangement,
    ArrangementEvaluation,
    Case,
    CaseEvent,
    CaseParticipant,
    Child,
    Deadline,
    EctAdvice,
    Mentor,
    PlacementDecision,
    Plan,
    Route,
    RouteRun,
    Vrijstelling,
)
from casework.signals import case_opened, escalation_needed
from notifications.services import notify
from teams.models import (
    Membership,
    Region,
    RegionRole,
    School,
    Team,
    User,
    leerplicht_team,
    team_for_school,
)

MIN_AGE = 4
MAX_AGE = 18  # exclusive: the pact covers children and young people under 18


class DuplicateSignal(Exception):
    """The child already has an open case; the signal was recorded on that case instead."""

    def __init__(self, case_id: int):
        super().__init__(case_id)
        self.case_id = case_id


@dataclass(frozen=True)
class SignalInput:
    given_name: str
    family_name: str
    birth_date: date
    sector: str
    registration: str
    category: str
    absent_since: date
    signaller_role: str
    school: School | None = None
    region: Region | None = None
    pupil_number: str = ""
    summary: str = ""


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def ensure_can_signal(actor) -> None:
    """Anyone who works in a team or holds a region role may report a (threatened) thuiszitter."""
    if not actor.is_authenticated or not (
        Membership.objects.filter(user=actor).exists() or RegionRole.objects.filter(user=actor).exists()
    ):
        raise PermissionDenied(_("Only members of a team can signal a case."))


def validate_signal(data: SignalInput) -> tuple[Region | None, object]:
    """Check the signal's rules; return (region, team) or raise ValidationError with field errors."""
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()

    def add(field, message):
        errors.setdefault(field, []).append(message)

    if not data.given_name.strip():
        add("given_name", _("Enter the child's given name."))
    if not data.family_name.strip():
        add("family_name", _("Enter the child's family name."))
    if data.birth_date > today:
        add("birth_date", _("The birth date cannot be in the future."))
    if data.absent_since > today:
        add("absent_since", _("The first day out of school cannot be in the future."))
    elif data.absent_since < add_years(data.birth_date, MIN_AGE):
        add("absent_since", _("The first day out of school cannot be before the child's 4th birthday."))
    elif age_on(data.birth_date, data.absent_since) >= MAX_AGE:
        add("birth_date", _("The child must be younger than 18 on the first day out of school."))

    region, team = data.region, None
    if data.registration == Case.Registration.AV:
        if data.school is not None:
            add("school", _("An absolute verzuimer is not enrolled at a school: leave the school empty."))
        elif region is None:
            add("region", _("Choose the region (samenwerkingsverband) of an absolute verzuimer."))
        else:
            team = leerplicht_team(region)
            if team is None:
                add("region", _("This region has no Leerplicht team to take the case."))
    elif data.school is None:
        add("school", _("Choose the school the child is enrolled at."))
    else:
        if data.school.sector != data.sector:
            add("sector", _("The sector does not match the school's sector (%(sector)s).")
                % {"sector": data.school.get_sector_display()})
        if region is not None and region.pk != data.school.region_id:
            add("region", _("The school belongs to another region."))
        region = data.school.region
        team = team_for_school(data.school)
        if team is None:
            add("school", _("This school has no AOJ-team or kindteam yet to take the case."))
    if errors:
        raise ValidationError(errors)
    return region, team


def signal_case(*, actor, data: SignalInput) -> Case:
    """Open a case for a (threatened) thuiszitter, or add the signal to the child's open case.

    Raises ValidationError (field errors, nothing written), PermissionDenied, or
    DuplicateSignal(case_id) after the signal has been recorded on the open case.
    """
    ensure_can_signal(actor)
    region, team = validate_signal(data)
    try:
        case, created = _open_or_find_case(actor=actor, data=data, region=region, team=team)
    except IntegrityError:
        # A concurrent signal for the same child won the race for the open case; ours joins it.
        case, created = _open_or_find_case(actor=actor, data=data, region=region, team=team)
    if not created:
        raise DuplicateSignal(case.pk)
    return case


@transaction.atomic
def _open_or_find_case(*, actor, data: SignalInput, region, team) -> tuple[Case, bool]:
    key = Child.key_for(data.given_name, data.family_name, data.birth_date)
    child, _created = Child.objects.get_or_create(
        match_key=key,
        defaults={
            "given_name": data.given_name.strip(),
            "family_name": data.family_name.strip(),
            "birth_date": data.birth_date,
            "pupil_number": data.pupil_number.strip(),
        },
    )
    # Lock the child: concurrent signals for the same child queue up here.
    child = Child.objects.select_for_update().get(pk=child.pk)
    if data.pupil_number and not child.pupil_number:
        Child.objects.filter(pk=child.pk).update(pupil_number=data.pupil_number.strip())

    open_case = Case.objects.filter(child=child).exclude(status=Case.Status.CLOSED).first()
    if open_case is not None:
        CaseEvent.record(
            open_case, actor, "signal_received",
            registration=data.registration, category=data.category,
            school_id=data.school.pk if data.school else None,
            absent_since=data.absent_since.isoformat(), signaller_role=data.signaller_role,
        )
        return open_case, False

    now = timezone.now()
    with transaction.atomic():  # savepoint: a lost race raises IntegrityError cleanly
        case = Case.objects.create(
            child=child,
            region=region,
            school=data.school,
            sector=data.sector,
            registration=data.registration,
            category=data.category,
            absent_since=data.absent_since,
            signalled_at=now,
            signalled_by=actor,
            signaller_role=data.signaller_role,
            summary=data.summary.strip(),
        )
    reason = CaseParticipant.Reason.LEERPLICHT if data.school is None else CaseParticipant.Reason.SCHOOL_TEAM
    CaseParticipant.objects.create(case=case, team=team, reason=reason, since=now)
    if not Membership.objects.filter(user=actor, team=team).exists():
        CaseParticipant.objects.create(case=case, user=actor, reason=CaseParticipant.Reason.SIGNALLER, since=now)
    CaseEvent.record(
        case, actor, "signalled", at=now,
        registration=case.registration, category=case.category, sector=case.sector,
        school_id=case.school_id, region_id=case.region_id, team_id=team.pk,
        absent_since=case.absent_since.isoformat(), signaller_role=case.signaller_role,
    )
    deadlines.start_case_clocks(case, now)
    case_opened.send(sender=Case, case=case, actor=actor)
    deadlines.act_on_overdue(case, now)
    return case, True


# --- The steps of a case (called by the flow's task completion; each one transaction) --------


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def _require(errors: dict, field: str, value, message) -> None:
    if value in (None, "") or (isinstance(value, str) and not value.strip()):
        errors.setdefault(field, []).append(message)


def _raise_if(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def _join(case: Case, team: Team | None, reason: str, at) -> None:
    if team is not None:
        CaseParticipant.objects.get_or_create(case=case, team=team, defaults={"reason": reason, "since": at})


def _join_user(case: Case, user, reason: str, at) -> None:
    CaseParticipant.objects.get_or_create(case=case, user=user, defaults={"reason": reason, "since": at})


def running_routes(case: Case) -> list[str]:
    return list(RouteRun.objects.filter(case=case, ended_at__isnull=True).values_list("route", flat=True))


def _end_route(case: Case, route: str, at) -> None:
    RouteRun.objects.filter(case=case, route=route, ended_at__isnull=True).update(ended_at=at)


def _route_teams(case: Case, route: str) -> list[tuple[Team, str]]:
    """Teams that join the case when the route starts; ValidationError if one is missing."""
    from casework.responsibility import is_po_case, region_team

    needs = {
        Route.ECT_CONSULT: [Team.Kind.ECT],
        Route.VRIJSTELLING_ADVIES: [Team.Kind.LEERPLICHT, Team.Kind.ECT],
        Route.DOORBRAAK: [Team.Kind.DOE] if is_po_case(case) else [Team.Kind.MPL],
    }.get(route, [])
    reason = CaseParticipant.Reason.ESCALATION if route == Route.DOORBRAAK else CaseParticipant.Reason.CONSULT
    teams = []
    for kind in needs:
        team = region_team(case, kind)
        if team is None:
            raise ValidationError({"routes": [_("The region has no %(team)s for this route.")
                                              % {"team": Team.Kind(kind).label}]})
        teams.append((team, reason))
    if route == Route.DOORBRAAK and is_po_case(case) and not RegionRole.objects.filter(
        region=case.region, role=RegionRole.Role.SWV_DIRECTOR
    ).exists():
        raise ValidationError({"routes": [_("The region has no SWV director to decide on a placement.")]})
    return teams


def _escalate(case: Case, actor, at, *, trigger: str) -> None:
    """Put the case on the escalation ladder (status escalated) unless it already is."""
    if case.status in (Case.Status.SIGNALLED, Case.Status.ACTIVE, Case.Status.PLACED):
        case.escalate()
        case.save()
        CaseEvent.record(case, actor, "escalated", at=at, trigger=trigger)


def _place(case: Case, actor, at, *, by: str) -> None:
    if case.status in (Case.Status.ACTIVE, Case.Status.ESCALATED):
        case.place()
        case.save()
        CaseEvent.record(case, actor, "placed", at=at, by=by)
        deadlines.mark_met(case, Deadline.Kind.OFFER_3_MONTHS, at)


@transaction.atomic
def record_team_review(*, case: Case, actor, plan: str, routes: list[str], outcome: str = "") -> Plan:
    """The team's review: a plan of action and the routes to run, or closure with an outcome."""
    from casework.responsibility import ensure_can_act

    case = _locked(case)
    ensure_can_act(actor, case, "team_review")
    errors: dict[str, list[str]] = {}
    _require(errors, "plan", plan, _("Write down the plan of action."))
    routes = list(dict.fromkeys(routes or []))
    unknown = [r for r in routes if r not in Route.values]
    if unknown:
        errors.setdefault("routes", []).append(_("Unknown route(s): %(routes)s.") % {"routes": ", ".join(unknown)})
    if routes and outcome:
        errors.setdefault("outcome", []).append(_("An outcome closes the case: choose it only without routes."))
    if not routes and not outcome:
        errors.setdefault("outcome", []).append(_("Choose one or more routes, or an outcome to close the case."))
    if outcome and outcome not in Case.Outcome.values:
        errors.setdefault("outcome", []).append(_("Choose a valid outcome."))
    if case.status == Case.Status.CLOSED:
        errors.setdefault("__all__", []).append(_("The case is already closed."))
    _raise_if(errors)
    running = running_routes(case)
    if outcome and running:
        raise ValidationError({"outcome": [
            _("The case cannot be closed while routes are still running: %(routes)s.")
            % {"routes": ", ".join(str(Route(r).label) for r in running)}]})
    joining = [pair for route in routes for pair in _route_teams(case, route)]

    now = timezone.now()
    if case.status == Case.Status.SIGNALLED:
        case.take_up()
        case.save()
    first_review = not Plan.objects.filter(case=case).exists()
    record = Plan.objects.create(case=case, text=plan.strip(), routes=routes, outcome=outcome or "",
                                 recorded_by=actor, recorded_at=now)
    for team, reason in joining:
        _join(case, team, reason, now)
    for route in routes:
        if route not in running:
            RouteRun.objects.create(case=case, plan=record, route=route, started_at=now)
    CaseEvent.record(case, actor, "team_review", at=now, plan_id=record.pk, routes=routes, outcome=outcome or "")
    if first_review:
        deadlines.mark_met(case, Deadline.Kind.TEAM_ACTION_48H, now)
    if Route.DOORBRAAK in routes:
        _escalate(case, actor, now, trigger="team_review")
    if outcome:
        case.close(outcome=outcome, at=now)
        case.save()
        CaseEvent.record(case, actor, "closed", at=now, outcome=outcome)
        deadlines.on_case_closed(case, outcome, now)
        notify(kind="case_closed", case=case, actor=actor, data={"outcome": outcome})
    return record


@transaction.atomic
def draft_ect_advice(*, case: Case, actor, question: str, advice: str) -> EctAdvice:
    from casework.responsibility import ensure_can_act

    case = _locked(case)
    ensure_can_act(actor, case, "ect_draft")
    errors: dict[str, list[str]] = {}
    _require(errors, "question", question, _("Write down the question to the ECT."))
    _require(errors, "advice", advice, _("Write down the advice."))
    _raise_if(errors)
    record = EctAdvice.objects.create(case=case, question=question.strip(), advice=advice.strip(), drafted_by=actor)
    CaseEvent.record(case, actor, "ect_advice_drafted", at=record.drafted_at, advice_id=record.pk)
    return record


def pending_ect_advice(case: Case) -> EctAdvice | None:
    return EctAdvice.objects.filter(case=case, status=EctAdvice.Status.PENDING).order_by("-drafted_at", "-pk").first()


def ensure_four_eyes(actor, advice: EctAdvice | None) -> None:
    """The consultant who drafted an advice may not approve it."""
    if advice is not None and advice.drafted_by_id == actor.pk:
        raise PermissionDenied(_("Four eyes: another ECT consultant must approve the advice you drafted."))


@transaction.atomic
def review_ect_advice(*, case: Case, actor, approved: bool, reason: str = "") -> EctAdvice:
    from casework.responsibility import ensure_can_act

    case = _locked(case)
    ensure_can_act(actor, case, "ect_approve")
    advice = pending_ect_advice(case)
    if advice is None:
        raise ValidationError({"__all__": [_("There is no advice awaiting approval.")]})
    ensure_four_eyes(actor, advice)
    if not approved and not (reason or "").strip():
        raise ValidationError({"reason": [_("Explain why the advice is rejected.")]})
    now = timezone.now()
    advice.status = EctAdvice.Status.APPROVED if approved else EctAdvice.Status.REJECTED
    advice.reviewed_by, advice.reviewed_at, advice.reason = actor, now, (reason or "").strip()
    advice.save(update_fields=["status", "reviewed_by", "reviewed_at", "reason"])
    CaseEvent.record(case, actor, "ect_advice_approved" if approved else "ect_advice_rejected",
                     at=now, advice_id=advice.pk)
    notify(kind="ect_advice_reviewed", case=case, actor=actor, data={"advice_id": advice.pk, "approved": approved})
    if approved:
        _end_route(case, Route.ECT_CONSULT, now)
    return advice


def open_vrijstelling(case: Case) -> Vrijstelling | None:
    return Vrijstelling.objects.filter(case=case, decided_at__isnull=True).order_by("-requested_at", "-pk").first()


@transaction.atomic
def request_vrijstelling(*, case: Case, actor, grounds: str, motivation: str, medical_statement: bool) -> Vrijstelling:
    from casework.responsibility import ensure_can_act

    case = _locked(case)
    ensure_can_act(actor, case, "vrijstelling_request")
    errors: dict[str, list[str]] = {}
    if grounds not in Vrijstelling.Grounds.values:
        errors["grounds"] = [_("Choose the grounds for the exemption.")]
    _require(errors, "motivation", motivation, _("Explain why the exemption is requested."))
    _raise_if(errors)
    record = Vrijstelling.objects.create(case=case, grounds=grounds, motivation=motivation.strip(),
                                         medical_statement=bool(medical_statement), requested_by=actor)
    CaseEvent.record(case, actor, "vrijstelling_requested", at=record.requested_at, vrijstelling_id=record.pk,
                     grounds=grounds, medical_statement=bool(medical_statement))
    return record


@transaction.atomic
def advise_vrijstelling(*, case: Case, actor, advice: str, motivation: str, alternatives: str = "") -> Vrijstelling:
    from casework.responsibility import ensure_can_act

    case = _locked(case)
    ensure_can_act(actor, case, "vrijstelling_advice")
    record = open_vrijstelling(case)
    if record is None or record.advised_at:
        raise ValidationError({"__all__": [_("There is no exemption request awaiting advice.")]})
    errors: dict[str, list[str]] = {}
    if advice not in Vrijstelling.Advice.values:
        errors["advice"] = [_("Choose the advice.")]
    _require(errors, "motivation", motivation, _("Explain the advice."))
    _raise_if(errors)
    now = timezone.now()
    record.advice, record.advice_motivation, record.alternatives = advice, motivation.strip(), (alternatives or "").strip()
    record.advised_by, record.advised_at = actor, now
    record.save()
    CaseEvent.record(case, actor, "vrijstelling_advised", at=now, vrijstelling_id=record.pk, advice=advice)
    notify(kind="vrijstelling_advised", case=case, actor=actor, data={"vrijstelling_id": record.pk})
    return record


@transaction.atomic
def decide_vrijstelling(*, case: Case, actor, granted: bool, until=None, motivation: str = "") -> Vrijstelling:
    from casework.responsibility import ensure_can_act

    case = _locked(case)
    ensure_can_act(actor, case, "vrijstelling_decision")
    record = open_vrijstelling(case)
    if record is None or not record.advised_at:
        raise ValidationError({"__all__": [_("The exemption request has no advice of the SWV yet.")]})
    errors: dict[str, list[str]] = {}
    if granted and until is None:
        errors["until"] = [_("Give the date until which the exemption holds.")]
    elif granted and until <= timezone.localdate():
        errors["until"] = [_("The exemption must hold until a date in the future.")]
    _require(errors, "motivation", motivation, _("Explain the decision."))
    _raise_if(errors)
    now = timezone.now()
    record.granted, record.until, record.decision_motivation = bool(granted), until if granted else None, motivation.strip()
    record.decided_by, record.decided_at = actor, now
    record.save()
    CaseEvent.record(case, actor, "vrijstelling_decided", at=now, vrijstelling_id=record.pk, granted=bool(granted),
                     until=until.isoformat() if granted else None)
    if granted and case.registration != Case.Registration.VRIJ:
        _change_registration(case, actor, Case.Registration.VRIJ, now, trigger="vrijstelling")
    if granted:
        for kind in (Deadline.Kind.OFFER_3_MONTHS, Deadline.Kind.LRV_4_WEEKS):
            deadlines.stop(case, kind, now, reason="vrijstelling")
    _end_route(case, Route.VRIJSTELLING_ADVIES, now)
    return record


def _check_placement(errors, school_board, school, start_date) -> None:
    if school_board is None:
        errors.setdefault("school_board", []).append(_("Choose the school board with the duty of care."))
    elif school is not None and school.board_id != school_board.pk:
        errors.setdefault("school", []).append(_("This school does not belong to the chosen school board."))
    if start_date is None:
        errors.setdefault("start_date", []).append(_("Give the date the placement starts."))


@transaction.atomic
def decide_doorbraak(*, case: Case, actor, school_board, school, start_date, preference_followed: bool,
                     motivation: str = "") -> PlacementDecision:
    """The MPL commission's doorbraak: which board gets the duty of care, and from when."""
    from casework.responsibility import ensure_can_act

    case = _locked(case)
    ensure_can_act(actor, case, "doorbraak_decision")
    errors: dict[str, list[str]] = {}
    _check_placement(errors, school_board, school, start_date)
    if not preference_followed and not (motivation or "").strip():
        errors["motivation"] = [_("Explain why the pupil's first preference is not followed.")]
    _raise_if(errors)
    now = timezone.now()
    record = PlacementDecision.objects.create(
        case=case, kind=PlacementDecision.Kind.DOORBRAAK, school_board=school_board, school=school,
        start_date=start_date, preference_followed=bool(preference_followed), motivation=(motivation or "").strip(),
        decided_by=actor, decided_at=now,
    )
    CaseEvent.record(case, actor, "doorbraak_decided", at=now, decision_id=record.pk, school_board_id=school_board.pk,
                     school_id=school.pk if school else None, start_date=start_date.isoformat(),
                     preference_followed=bool(preference_followed))
    _place(case, actor, now, by="doorbraak")
    _end_route(case, Route.DOORBRAAK, now)
    notify(kind="placement_decided", case=case, actor=actor, data={"decision_id": record.pk})
    return record


@transaction.atomic
def advise_doe(*, case: Case, actor, advice: str, school_board, school=None) -> PlacementDecision:
    """The DOE-team's urgent placement advice (PO); the SWV director then decides."""
    from casework.responsibility import ensure_can_act

    case = _locked(case)
    ensure_can_act(actor, case, "doe_advice")
    errors: dict[str, list[str]] = {}
    _require(errors, "advice", advice, _("Write down the placement advice."))
    if school_board is None:
        errors["school_board"] = [_("Choose the school board with the duty of care.")]
    elif school is not None and school.board_id != school_board.pk:
        errors["school"] = [_("This school does not belong to the chosen school board.")]
    _raise_if(errors)
    now = timezone.now()
    record = PlacementDecision.objects.create(
        case=case, kind=PlacementDecision.Kind.DOE_ADVICE, school_board=school_board, school=school,
        advice=advice.strip(), decided_by=actor, decided_at=now,
    )
    for role in RegionRole.objects.filter(region=case.region, role=RegionRole.Role.SWV_DIRECTOR).select_related("user"):
        _join_user(case, role.user, CaseParticipant.Reason.ESCALATION, now)
    CaseEvent.record(case, actor, "doe_advised", at=now, decision_id=record.pk, school_board_id=school_board.pk,
                     school_id=school.pk if school else None)
    return record


@transaction.atomic
def decide_as_director(*, case: Case, actor, school_board, school, start_date, motivation: str) -> PlacementDecision:
    """The SWV director's decision (doorzettingsmacht) after the DOE-team's advice."""
    from casework.responsibility import ensure_can_act

    case = _locked(case)
    ensure_can_act(actor, case, "director_decision")
    errors: dict[str, list[str]] = {}
    _check_placement(errors, school_board, school, start_date)
    _require(errors, "motivation", motivation, _("Explain the decision."))
    _raise_if(errors)
    now = timezone.now()
    record = PlacementDecision.objects.create(
        case=case, kind=PlacementDecision.Kind.DIRECTOR, school_board=school_board, school=school,
        start_date=start_date, motivation=motivation.strip(), decided_by=actor, decided_at=now,
    )
    CaseEvent.record(case, actor, "director_decided", at=now, decision_id=record.pk, school_board_id=school_board.pk,
                     school_id=school.pk if school else None, start_date=start_date.isoformat())
    _place(case, actor, now, by="director")
    _end_route(case, Route.DOORBRAAK, now)
    notify(kind="placement_decided", case=case, actor=actor, data={"decision_id": record.pk})
    return record


@transaction.atomic
def assign_mentor(*, case: Case, actor, mentor_name: str, relation: str, contact: str, consent: bool,
                  share: list[str], mentor_user: User | None = None) -> Mentor:
    """Record the JIM mentor the young person chose, and what the mentor may see."""
    from casework.responsibility import ensure_can_act

    case = _locked(case)
    ensure_can_act(actor, case, "jim_assignment")
    errors: dict[str, list[str]] = {}
    _require(errors, "mentor_name", mentor_name, _("Give the mentor's name."))
    _require(errors, "relation", relation, _("Give the mentor's relation to the young person."))
    _require(errors, "contact", contact, _("Give a phone number or e-mail address of the mentor."))
    if not consent:
        errors["consent"] = [_("The young person must have chosen this mentor and agreed.")]
    share = list(dict.fromkeys(share or []))
    if any(item not in Mentor.Share.values for item in share):
        errors["share"] = [_("Choose what to share from: plan, advice, decisions.")]
    _raise_if(errors)
    now = timezone.now()
    Mentor.objects.filter(case=case, active=True).update(active=False)
    record = Mentor.objects.create(case=case, name=mentor_name.strip(), relation=relation.strip(),
                                   contact=contact.strip(), share=share, user=mentor_user,
                                   recorded_by=actor, recorded_at=now)
    if mentor_user is not None:
        _join_user(case, mentor_user, CaseParticipant.Reason.MENTOR, now)
    CaseEvent.record(case, actor, "mentor_assigned", at=now, mentor_id=record.pk, share=share)
    _end_route(case, Route.JIM, now)
    return record


def active_arrangement(case: Case) -> Arrangement | None:
    return Arrangement.objects.filter(case=case, ended_at__isnull=True).order_by("-set_up_at", "-pk").first()


@transaction.atomic
def set_up_arrangement(*, case: Case, actor, education: str, care_provider: str, funding: str, start_date,
                       end_date, evaluation_weeks: int) -> Arrangement:
    from casework.responsibility import ensure_can_act

    case = _locked(case)
    ensure_can_act(actor, case, "arrangement_setup")
    errors: dict[str, list[str]] = {}
    _require(errors, "education", education, _("Give the school or OPDC."))
    _require(errors, "care_provider", care_provider, _("Give the care provider."))
    if funding not in Arrangement.Funding.values:
        errors["funding"] = [_("Choose who funds the arrangement.")]
    if start_date and end_date and end_date <= start_date:
        errors["end_date"] = [_("The end date must come after the start date.")]
    if not evaluation_weeks or evaluation_weeks < 1:
        errors["evaluation_weeks"] = [_("Evaluate at least every week.")]
    _raise_if(errors)
    now = timezone.now()
    record = Arrangement.objects.create(case=case, education=education.strip(), care_provider=care_provider.strip(),
                                        funding=funding, start_date=start_date, end_date=end_date,
                                        evaluation_weeks=evaluation_weeks, set_up_by=actor, set_up_at=now)
    CaseEvent.record(case, actor, "arrangement_set_up", at=now, arrangement_id=record.pk, funding=funding,
                     start_date=start_date.isoformat(), end_date=end_date.isoformat())
    deadlines.next_evaluation_clock(record)
    _place(case, actor, now, by="arrangement")
    return record


@transaction.atomic
def evaluate_arrangement(*, case: Case, actor, result: str, notes: str = "") -> ArrangementEvaluation:
    from casework.responsibility import ensure_can_act

    case = _locked(case)
    ensure_can_act(actor, case, "arrangement_evaluation")
    arrangement = active_arrangement(case)
    if arrangement is None:
        raise ValidationError({"__all__": [_("The case has no running arrangement.")]})
    if result not in ArrangementEvaluation.Result.values:
        raise ValidationError({"result": [_("Choose continue, adjust or end.")]})
    now = timezone.now()
    record = ArrangementEvaluation.objects.create(arrangement=arrangement, result=result, notes=(notes or "").strip(),
                                                  evaluated_by=actor, evaluated_at=now)
    CaseEvent.record(case, actor, "arrangement_evaluated", at=now, arrangement_id=arrangement.pk, result=result)
    deadlines.mark_met(case, Deadline.Kind.ARRANGEMENT_EVALUATION, now)
    if result == ArrangementEvaluation.Result.BEEINDIGEN:
        Arrangement.objects.filter(pk=arrangement.pk).update(ended_at=now)
        _end_route(case, Route.ARRANGEMENT, now)
    else:
        deadlines.next_evaluation_clock(arrangement)
    return record


def _change_registration(case: Case, actor, registration: str, at, *, trigger: str) -> None:
    previous = case.registration
    Case.objects.filter(pk=case.pk).update(registration=registration)
    case.registration = registration
    CaseEvent.record(case, actor, "registration_changed", at=at, previous=previous, registration=registration,
                     trigger=trigger)
    notify(kind="registration_changed", case=case, actor=actor, data={"registration": registration})


# --- what the clocks do (called by casework.deadlines' sweeper, inside its transaction) --------


def mark_lrv(*, case: Case, at, deadline_id: int) -> None:
    """Four weeks out of school: a dreigend thuiszitter now counts as LRV."""
    case = _locked(case)
    if case.is_open and case.registration == Case.Registration.DREIGEND:
        _change_registration(case, None, Case.Registration.LRV, at, trigger="lrv_4_weeks")


def involve_ect_for_breach(*, case: Case, at) -> None:
    """No team action within 48 hours: the region's ECT joins the case (the next rung), so that
    its consultants can see it and help."""
    from casework.responsibility import region_team

    if case.is_open:
        _join(case, region_team(case, Team.Kind.ECT), CaseParticipant.Reason.ESCALATION, at)


def escalate_for_breach(*, case: Case, at, deadline_id: int) -> None:
    """Three months without an offer and a place: the case climbs the escalation ladder. If no
    doorbraak route runs yet, one starts (MPL for VO, DOE for PO) and the SWV director joins."""
    case = _locked(case)
    if not case.is_open or Route.DOORBRAAK in running_routes(case):
        return
    try:
        joining = _route_teams(case, Route.DOORBRAAK)
    except ValidationError:  # the region lacks the commission: the case still escalates, visibly
        joining = []
    for team, reason in joining:
        _join(case, team, reason, at)
    for role in RegionRole.objects.filter(region=case.region, role=RegionRole.Role.SWV_DIRECTOR).select_related("user"):
        _join_user(case, role.user, CaseParticipant.Reason.ESCALATION, at)
    RouteRun.objects.create(case=case, plan=None, route=Route.DOORBRAAK, started_at=at)
    _escalate(case, None, at, trigger="offer_3_months")
    escalation_needed.send(sender=Case, case=case)


def record_task_distribution(*, case: Case, actor, task, node: str, assigned_to_id: int | None,
                             previous_owner_id: int | None, reason: str, at) -> CaseEvent:
    """A task of the case was assigned to a colleague (or released to the queue) by `actor`, with
    a reason: one history row, and the assignee and whoever lost the task are told. The task itself
    is changed by the flow (workflows.tasks.bulk_distribute), in the same transaction."""
    kind = "task_assigned" if assigned_to_id else "task_released"
    event = CaseEvent.record(case, actor, kind, at=at, task_id=task.pk, node=node, user_id=assigned_to_id,
                             previous_owner_id=previous_owner_id, reason=reason)
    if assigned_to_id:
        notify(kind="task_assigned", case=case, actor=actor, task=task, data={"user_id": assigned_to_id})
    if previous_owner_id and previous_owner_id != assigned_to_id:
        notify(kind="task_released", case=case, actor=actor, task=task, data={"user_id": previous_owner_id})
    return event
