"""The only write path for cases. Each service is one transaction and writes a CaseEvent.

Business rules live here and nowhere else: views, API and commands parse input, call a
service and render what it returns or the errors it raises.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
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
    Offer,
    PlacementDecision,
    Plan,
    Route,
    RouteRun,
    Vrijstelling,
)
from casework.signals import case_opened, consult_needed, escalation_needed, review_needed
from notifications.services import notify
from teams.models import (
    Membership,
    Region,
    RegionRole,
    School,
    Sector,
    Team,
    User,
    leerplicht_team,
    team_for_school,
)

# Compulsory school age (seed 002 §8): from 5 until 16, and at 16 and 17 under the qualification
# duty (no startkwalificatie yet); from the 18th birthday out of every count.
MIN_AGE = 5
QUALIFICATION_AGE = 16
MAX_AGE = 18  # exclusive


def lrv_days() -> int:
    """An absence of MORE than this many days makes a pupil LRV (4 weeks); before that: dreigend."""
    return int(getattr(settings, "CASEWORK_LRV_DAYS", 28))


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
    registration: str
    category: str
    absent_since: date
    signaller_role: str
    sector: str = ""  # taken from the school when there is one
    school: School | None = None
    region: Region | None = None
    pupil_number: str = ""
    summary: str = ""
    startkwalificatie: bool = False
    # Only for a child signalled as exempted (registration vrij): the exemption's ground and end.
    vrijstelling_grounds: str = ""
    vrijstelling_until: date | None = None


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


def _check_age(errors: dict, birth_date: date, absent_since: date, startkwalificatie: bool) -> None:
    age = age_on(birth_date, absent_since)
    if age < MIN_AGE:
        errors.setdefault("birth_date", []).append(
            _("On the first day out of school the child was %(age)s: compulsory education starts at 5.")
            % {"age": age})
    elif age >= MAX_AGE:
        errors.setdefault("birth_date", []).append(
            _("On the first day out of school the young person was 18 or older: no longer of compulsory "
              "school age."))
    elif age >= QUALIFICATION_AGE and startkwalificatie:
        errors.setdefault("birth_date", []).append(
            _("A young person of 16 or 17 with a startkwalificatie is no longer of compulsory school age "
              "(the qualification duty has ended)."))


def validate_signal(data: SignalInput) -> tuple[Region | None, object, str]:
    """Check the signal's rules; return (region, team, sector) or raise ValidationError with field errors."""
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
    else:
        _check_age(errors, data.birth_date, data.absent_since, data.startkwalificatie)
        if data.registration == Case.Registration.LRV and (today - data.absent_since).days <= lrv_days():
            add("registration", _("A pupil counts as LRV only after more than 4 weeks out of school; until then "
                                  "signal a threatened thuiszitter (dreigend)."))

    if data.registration == Case.Registration.VRIJ:
        if data.vrijstelling_grounds not in Vrijstelling.Grounds.values:
            add("vrijstelling_grounds", _("Choose the ground of the exemption (5a, 5b, 5c or 15)."))
        if data.vrijstelling_until is None:
            add("vrijstelling_until", _("Give the date until which the exemption holds."))
        elif data.vrijstelling_until <= today:
            add("vrijstelling_until", _("The exemption must hold until a date in the future."))
    else:
        if data.vrijstelling_grounds:
            add("vrijstelling_grounds", _("Only an exempted child (registration vrij) has an exemption ground."))
        if data.vrijstelling_until is not None:
            add("vrijstelling_until", _("Only an exempted child (registration vrij) has an exemption end date."))

    region, team = data.region, None
    sector = data.school.sector if data.school is not None else data.sector
    if data.registration == Case.Registration.AV and data.school is not None:
        add("school", _("An absolute verzuimer is not enrolled at a school: leave the school empty."))
    elif data.school is None:
        if data.registration not in (Case.Registration.AV, Case.Registration.VRIJ):
            add("school", _("Choose the school the child is enrolled at."))
        elif region is None:
            add("region", _("Choose the region (samenwerkingsverband) of a child that is not enrolled."))
        else:
            team = leerplicht_team(region)
            if team is None:
                add("region", _("This region has no Leerplicht team to take the case."))
        if not data.sector:
            add("sector", _("Choose the sector."))
        elif data.sector not in Sector.values:
            add("sector", _("Choose a valid sector."))
    else:
        if data.sector and data.school.sector != data.sector:
            add("sector", _("The sector does not match the school's sector (%(sector)s).")
                % {"sector": data.school.get_sector_display()})
        if region is not None and region.pk != data.school.region_id:
            add("region", _("The school belongs to another region."))
        region = data.school.region
        team = team_for_school(data.school)
        if team is None:
            add("school", _("This school has no AOJ-team, kindteam or MBO team yet to take the case."))
    if errors:
        raise ValidationError(errors)
    return region, team, sector


def signal_case(*, actor, data: SignalInput) -> Case:
    """Open a case for a (threatened) thuiszitter, or add the signal to the child's open case.

    Raises ValidationError (field errors, nothing written), PermissionDenied, or
    DuplicateSignal(case_id) after the signal has been recorded on the open case.
    """
    ensure_can_signal(actor)
    region, team, sector = validate_signal(data)
    try:
        case, created = _open_or_find_case(actor=actor, data=data, region=region, team=team, sector=sector)
    except IntegrityError:
        # A concurrent signal for the same child won the race for the open case; ours joins it.
        case, created = _open_or_find_case(actor=actor, data=data, region=region, team=team, sector=sector)
    if not created:
        raise DuplicateSignal(case.pk)
    return case


@transaction.atomic
def _open_or_find_case(*, actor, data: SignalInput, region, team, sector: str) -> tuple[Case, bool]:
    key = Child.key_for(data.given_name, data.family_name, data.birth_date)
    child, _created = Child.objects.get_or_create(
        match_key=key,
        defaults={
            "given_name": data.given_name.strip(),
            "family_name": data.family_name.strip(),
            "birth_date": data.birth_date,
            "pupil_number": data.pupil_number.strip(),
            "startkwalificatie": bool(data.startkwalificatie),
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
            sector=sector,
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
    # The registration holds from the first day out of school (an exemption from the signal on); the
    # monitor counts a case only from its signal, so the date matters for later changes dated back.
    since = timezone.localdate(now) if case.registration == Case.Registration.VRIJ else case.absent_since
    _record_registration(case, actor, None, case.registration, since=since, reason="", trigger="signalled", at=now)
    deadlines.start_case_clocks(case, now)
    if case.registration == Case.Registration.VRIJ:
        exemption = Vrijstelling.objects.create(
            case=case, grounds=data.vrijstelling_grounds, requested_by=actor, requested_at=now,
            motivation=_("The exemption had been granted before the case was signalled."),
            medical_statement=False, granted=True, until=data.vrijstelling_until, starts_on=timezone.localdate(now),
            decided_by=actor, decided_at=now, decision_motivation=_("Recorded with the signal."))
        deadlines.start_exemption_clock(exemption)
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

    if route == Route.DOORBRAAK and case.sector == Sector.MBO:
        raise ValidationError({"routes": [_(
            "MBO has no doorzettingsmacht: a placement problem goes to the MBO institution's stagnatiemeldpunt, "
            "with the transition coaches and RMC, not to the MPL commission.")]})
    needs = {
        Route.ECT_CONSULT: [Team.Kind.ECT],
        # For an MBO student the institution's own team advises on the exemption, not the ECT.
        Route.VRIJSTELLING_ADVIES: [Team.Kind.LEERPLICHT] if case.sector == Sector.MBO
        else [Team.Kind.LEERPLICHT, Team.Kind.ECT],
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
        # The three-month promise is kept only when the place has started (start_confirmation).


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
    """Leerplicht's decision. A 5a exemption needs the SWV's advice first and a doctor's or
    psychologist's statement (art. 7 Leerplichtwet); the other grounds need neither."""
    from casework.responsibility import ensure_can_act

    case = _locked(case)
    ensure_can_act(actor, case, "vrijstelling_decision")
    record = open_vrijstelling(case)
    if record is None:
        raise ValidationError({"__all__": [_("There is no exemption request awaiting a decision.")]})
    if record.grounds == Vrijstelling.Grounds.ART_5A and not record.advised_at:
        raise ValidationError({"__all__": [_("The exemption request has no advice of the SWV yet.")]})
    errors: dict[str, list[str]] = {}
    if granted and record.grounds == Vrijstelling.Grounds.ART_5A and not record.medical_statement:
        errors["granted"] = [_("A 5a exemption needs a statement of a doctor or psychologist (article 7 "
                               "Leerplichtwet); the request has none.")]
    if granted and until is None:
        errors["until"] = [_("Give the date until which the exemption holds.")]
    elif granted and until <= timezone.localdate():
        errors["until"] = [_("The exemption must hold until a date in the future.")]
    _require(errors, "motivation", motivation, _("Explain the decision."))
    _raise_if(errors)
    now = timezone.now()
    record.granted, record.until, record.decision_motivation = bool(granted), until if granted else None, motivation.strip()
    record.starts_on = timezone.localdate(now) if granted else None
    record.decided_by, record.decided_at = actor, now
    record.save()
    CaseEvent.record(case, actor, "vrijstelling_decided", at=now, vrijstelling_id=record.pk, granted=bool(granted),
                     grounds=record.grounds, until=until.isoformat() if granted else None)
    if granted and case.registration != Case.Registration.VRIJ:
        _change_registration(case, actor, Case.Registration.VRIJ, now, since=record.starts_on,
                             trigger="vrijstelling")
    if granted:
        for kind in (Deadline.Kind.OFFER_3_MONTHS, Deadline.Kind.LRV_4_WEEKS, Deadline.Kind.ZIEK_REVIEW):
            deadlines.stop(case, kind, now, reason="vrijstelling")
        deadlines.start_exemption_clock(record)
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
                     motivation: str = "", decision: str = PlacementDecision.Decision.PLAATSING) -> PlacementDecision:
    """The MPL commission's doorbraak: which board gets the duty of care, and from when. When the
    commission cannot settle the case (`geen_overeenstemming`), the SWV VO's directeur-bestuurder
    decides with the school boards' mandate (doorzettingsmacht, seed 001 A.1)."""
    from casework.responsibility import ensure_can_act

    case = _locked(case)
    ensure_can_act(actor, case, "doorbraak_decision")
    errors: dict[str, list[str]] = {}
    if decision not in PlacementDecision.Decision.values:
        errors["decision"] = [_("Choose placement or no agreement.")]
        _raise_if(errors)
    now = timezone.now()
    if decision == PlacementDecision.Decision.GEEN_OVEREENSTEMMING:
        _require(errors, "motivation", motivation, _("Explain why the commission could not settle the case."))
        _raise_if(errors)
        record = PlacementDecision.objects.create(
            case=case, kind=PlacementDecision.Kind.DOORBRAAK, decision=decision, motivation=motivation.strip(),
            decided_by=actor, decided_at=now)
        _join_directors(case, now)
        CaseEvent.record(case, actor, "doorbraak_decided", at=now, decision_id=record.pk, decision=decision)
        return record
    _check_placement(errors, school_board, school, start_date)
    if preference_followed is None:
        errors["preference_followed"] = [_("Answer yes or no.")]
    elif not preference_followed and not (motivation or "").strip():
        errors["motivation"] = [_("Explain why the pupil's first preference is not followed.")]
    _raise_if(errors)
    record = PlacementDecision.objects.create(
        case=case, kind=PlacementDecision.Kind.DOORBRAAK, decision=decision, school_board=school_board, school=school,
        start_date=start_date, preference_followed=bool(preference_followed), motivation=(motivation or "").strip(),
        decided_by=actor, decided_at=now,
    )
    CaseEvent.record(case, actor, "doorbraak_decided", at=now, decision_id=record.pk, decision=decision,
                     school_board_id=school_board.pk, school_id=school.pk if school else None,
                     start_date=start_date.isoformat(), preference_followed=bool(preference_followed))
    _place(case, actor, now, by="doorbraak")
    _record_offer(case, actor, Offer.Source.DOORBRAAK, start_date, now, placement=record)
    _end_route(case, Route.DOORBRAAK, now)
    notify(kind="placement_decided", case=case, actor=actor, data={"decision_id": record.pk})
    return record


def _join_directors(case: Case, at) -> None:
    for role in RegionRole.objects.filter(region=case.region, role=RegionRole.Role.SWV_DIRECTOR).select_related("user"):
        _join_user(case, role.user, CaseParticipant.Reason.ESCALATION, at)


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
    _join_directors(case, now)
    CaseEvent.record(case, actor, "doe_advised", at=now, decision_id=record.pk, school_board_id=school_board.pk,
                     school_id=school.pk if school else None)
    return record


@transaction.atomic
def decide_as_director(*, case: Case, actor, school_board, school, start_date, motivation: str) -> PlacementDecision:
    """The SWV director's decision (doorzettingsmacht): after the DOE-team's advice (PO), or when the
    MPL commission could not settle the case (VO)."""
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
    _record_offer(case, actor, Offer.Source.DIRECTOR, start_date, now, placement=record)
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
    if not start_date:
        errors["start_date"] = [_("Give the date the arrangement starts.")]
    if not end_date:
        errors["end_date"] = [_("Give the date the arrangement ends.")]
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
    _record_offer(case, actor, Offer.Source.ARRANGEMENT, start_date, now, arrangement=record)
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


def _record_registration(case: Case, actor, previous: str | None, registration: str, *, since: date, reason: str,
                         trigger: str, at) -> CaseEvent:
    """The dated fact the monitor reads: from `since` on, the case had this registration."""
    return CaseEvent.record(case, actor, "registration_changed", at=at, **{
        "from": previous, "to": registration, "since": since.isoformat(), "reason": reason, "trigger": trigger})


def _change_registration(case: Case, actor, registration: str, at, *, since: date, trigger: str, reason: str = "",
                         **fields) -> None:
    """Write the new registration (and any field that changes with it, e.g. the school) and its
    dated event; the case team is told."""
    previous = case.registration
    Case.objects.filter(pk=case.pk).update(registration=registration, **fields)
    case.registration = registration
    for name, value in fields.items():
        setattr(case, name, value)
    _record_registration(case, actor, previous, registration, since=since, reason=reason, trigger=trigger, at=at)
    if previous == Case.Registration.ZIEK:
        deadlines.stop(case, Deadline.Kind.ZIEK_REVIEW, at, reason="registration_changed")
    if registration == Case.Registration.ZIEK:
        deadlines.start_ziek_review_clock(case, since)
    notify(kind="registration_changed", case=case, actor=actor, data={"registration": registration})


# --- what the clocks do (called by casework.deadlines' sweeper, inside its transaction) --------


def mark_lrv(*, case: Case, at, deadline_id: int) -> None:
    """More than four weeks out of school: a dreigend thuiszitter counts as LRV from the day after
    the fourth week, whenever the sweeper gets to it."""
    case = _locked(case)
    if case.is_open and case.registration == Case.Registration.DREIGEND:
        _change_registration(case, None, Case.Registration.LRV, at, trigger="lrv_4_weeks",
                             since=case.absent_since + timedelta(days=lrv_days() + 1))


def involve_ect_for_breach(*, case: Case, at) -> None:
    """No team action within 48 hours: the region's ECT joins the case (the next rung), so that
    its consultants can see it and help."""
    from casework.responsibility import region_team

    if case.is_open:
        _join(case, region_team(case, Team.Kind.ECT), CaseParticipant.Reason.ESCALATION, at)


def escalate_for_breach(*, case: Case, at, deadline_id: int) -> None:
    """Three months without an offer and a place: the case climbs the escalation ladder. If no
    doorbraak route runs yet, one starts (MPL for VO, DOE for PO) and the SWV director joins.

    Not for every child: a young person past compulsory school age is not escalated; a pupil
    reported sick goes to the ECT, which discusses sick pupils with the school (seed 000 §4.3); an
    MBO student has no doorzettingsmacht (seed 001 A.1): the region's Leerplicht/RMC and the
    institution's team are told (the breach notification) and nothing climbs."""
    from casework.responsibility import region_team

    case = _locked(case)
    if not case.is_open or not of_compulsory_school_age(case.child, timezone.localdate(at)):
        return
    if case.registration == Case.Registration.ZIEK:
        _join(case, region_team(case, Team.Kind.ECT), CaseParticipant.Reason.CONSULT, at)
        if Route.ECT_CONSULT not in running_routes(case):
            RouteRun.objects.create(case=case, plan=None, route=Route.ECT_CONSULT, started_at=at)
            CaseEvent.record(case, None, "ect_consult_started", at=at, trigger="offer_3_months")
            consult_needed.send(sender=Case, case=case)
        return
    if case.sector == Sector.MBO:
        _join(case, region_team(case, Team.Kind.LEERPLICHT), CaseParticipant.Reason.ESCALATION, at)
        return
    if Route.DOORBRAAK in running_routes(case):
        return
    try:
        joining = _route_teams(case, Route.DOORBRAAK)
    except ValidationError:  # the region lacks the commission: the case still escalates, visibly
        joining = []
    for team, reason in joining:
        _join(case, team, reason, at)
    _join_directors(case, at)
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


# --- the registration as a dated fact (seed 002 §8) ---------------------------------------------

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


# Which registration may follow which, by a team's or Leerplicht's hand. `vrij` is entered only by a
# granted exemption and left only by its end or revocation; `dreigend` becomes `lrv` by itself too.
REGISTRATION_CHANGES = {
    (Case.Registration.DREIGEND, Case.Registration.LRV),
    (Case.Registration.LRV, Case.Registration.ZIEK),
    (Case.Registration.ZIEK, Case.Registration.LRV),
    (Case.Registration.DREIGEND, Case.Registration.ZIEK),
    (Case.Registration.ZIEK, Case.Registration.DREIGEND),
    (Case.Registration.LRV, Case.Registration.AV),
    (Case.Registration.AV, Case.Registration.LRV),
}


def _latest_since(case: Case, kind: str) -> date | None:
    sinces = CaseEvent.objects.filter(case=case, kind=kind).values_list("data__since", flat=True)
    dates = [date.fromisoformat(value) for value in sinces if value]
    return max(dates) if dates else None


def _check_since(errors: dict, case: Case, since, kind: str) -> None:
    if since is None:
        errors.setdefault("since", []).append(_("Give the date from which this holds."))
        return
    if since > timezone.localdate():
        errors.setdefault("since", []).append(_("The date cannot be in the future."))
    elif since < case.absent_since:
        errors.setdefault("since", []).append(_("The date cannot be before the first day out of school."))
    latest = _latest_since(case, kind)
    if latest is not None and since < latest:
        errors.setdefault("since", []).append(
            _("The date cannot be before the last recorded change (%(date)s).") % {"date": latest.isoformat()})


@transaction.atomic
def change_registration(*, case: Case, actor, registration: str, since, reason: str, school: School | None = None
                        ) -> Case:
    """Record that from `since` the case has another registration (the case team or Leerplicht).

    lrv -> av: the pupil was unenrolled (the school is cleared, Leerplicht takes the case);
    av -> lrv: the pupil was enrolled at `school` (its team takes the case)."""
    from casework.responsibility import ensure_can_register

    case = _locked(case)
    ensure_can_register(actor, case)
    errors: dict[str, list[str]] = {}
    current = case.registration
    if not case.is_open:
        errors["__all__"] = [_("The case is closed.")]
    if registration not in Case.Registration.values:
        errors["registration"] = [_("Choose a valid registration.")]
    elif Case.Registration.VRIJ in (registration, current):
        errors["registration"] = [_("An exemption starts only with Leerplicht's decision to grant it, and ends on "
                                    "its end date or when it is revoked.")]
    elif (current, registration) not in REGISTRATION_CHANGES:
        errors["registration"] = [_("The registration cannot change from %(from)s to %(to)s.") % {
            "from": Case.Registration(current).label, "to": Case.Registration(registration).label}]
    _check_since(errors, case, since, "registration_changed")
    _require(errors, "reason", reason, _("Give the reason for the change."))
    if (current, registration) == (Case.Registration.DREIGEND, Case.Registration.LRV) and since is not None \
            and (since - case.absent_since).days <= lrv_days():
        errors.setdefault("since", []).append(
            _("A pupil counts as LRV only after more than 4 weeks out of school (from %(date)s).")
            % {"date": (case.absent_since + timedelta(days=lrv_days() + 1)).isoformat()})
    if registration == Case.Registration.DREIGEND and since is not None \
            and (since - case.absent_since).days > lrv_days():
        errors.setdefault("registration", []).append(
            _("After more than 4 weeks out of school a pupil is LRV, no longer a threatened thuiszitter."))
    if registration == Case.Registration.AV and school is not None:
        errors["school"] = [_("An absolute verzuimer is not enrolled at a school: leave the school empty.")]
    elif current == Case.Registration.AV and registration == Case.Registration.LRV:
        if school is None:
            errors["school"] = [_("Choose the school the pupil is now enrolled at.")]
        elif school.region_id != case.region_id:
            errors["school"] = [_("The school belongs to another region.")]
        elif team_for_school(school) is None:
            errors["school"] = [_("This school has no AOJ-team, kindteam or MBO team yet to take the case.")]
    elif school is not None and school.pk != case.school_id and "registration" not in errors:
        errors["school"] = [_("The school changes only when an absolute verzuimer is enrolled (av to lrv).")]
    _raise_if(errors)

    now = timezone.now()
    fields = {}
    if registration == Case.Registration.AV:
        fields["school"] = None
        _join(case, leerplicht_team(case.region), CaseParticipant.Reason.LEERPLICHT, now)
    elif current == Case.Registration.AV:
        fields.update(school=school, sector=school.sector)
        _join(case, team_for_school(school), CaseParticipant.Reason.SCHOOL_TEAM, now)
    _change_registration(case, actor, registration, now, since=since, trigger="manual", reason=reason.strip(),
                         **fields)
    if registration == Case.Registration.LRV:
        deadlines.mark_met(case, Deadline.Kind.LRV_4_WEEKS, now)
    return case


@transaction.atomic
def record_participation(*, case: Case, actor, level: str, since, setting: str = "", note: str = "") -> Case:
    """How far the pupil takes part from `since` (seed 002 §8: one who takes part fully, naar
    vermogen, is no longer a thuiszitter, while the case may stay open; partly still counts)."""
    from casework.responsibility import ensure_can_register

    case = _locked(case)
    ensure_can_register(actor, case)
    errors: dict[str, list[str]] = {}
    if not case.is_open:
        errors["__all__"] = [_("The case is closed.")]
    if level not in Case.Participation.values:
        errors["level"] = [_("Choose none, partly or fully.")]
    if level in (Case.Participation.GEDEELTELIJK, Case.Participation.VOLLEDIG) and setting not in Case.Setting.values:
        errors["setting"] = [_("Choose where the pupil takes part.")]
    elif level == Case.Participation.GEEN and setting:
        errors["setting"] = [_("A pupil who does not take part has no setting: leave it empty.")]
    _check_since(errors, case, since, "participation_changed")
    _raise_if(errors)
    now = timezone.now()
    previous = case.participation
    Case.objects.filter(pk=case.pk).update(participation=level, participation_setting=setting or "")
    case.participation, case.participation_setting = level, setting or ""
    CaseEvent.record(case, actor, "participation_changed", at=now, **{
        "from": previous, "level": level, "since": since.isoformat(), "setting": setting or "",
        "note": (note or "").strip()})
    if level == Case.Participation.VOLLEDIG:
        # Taking part fully in a place that is there: the three-month promise is kept on that day.
        deadlines.meet_offer_clock(case, since, now)
    return case


@transaction.atomic
def record_startkwalificatie(*, case: Case, actor, obtained_on) -> Case:
    """The young person obtained a startkwalificatie: at 16 or 17 the qualification duty ends."""
    from casework.responsibility import ensure_can_register

    case = _locked(case)
    ensure_can_register(actor, case)
    errors: dict[str, list[str]] = {}
    if obtained_on is None:
        errors["obtained_on"] = [_("Give the date the startkwalificatie was obtained.")]
    elif obtained_on > timezone.localdate():
        errors["obtained_on"] = [_("The date cannot be in the future.")]
    elif case.child.startkwalificatie_on is not None:
        errors["obtained_on"] = [_("A startkwalificatie has been recorded already.")]
    _raise_if(errors)
    now = timezone.now()
    Child.objects.filter(pk=case.child_id).update(startkwalificatie=True, startkwalificatie_on=obtained_on)
    case.child.startkwalificatie, case.child.startkwalificatie_on = True, obtained_on
    CaseEvent.record(case, actor, "startkwalificatie_recorded", at=now, obtained_on=obtained_on.isoformat())
    deadlines.restart_leerplicht_end_clock(case, leerplicht_ends_on(case.child), now)
    return case


# --- the three-month promise: an offer with a place that actually starts (seed 002 §2) ---------

def _route_of(source: str) -> tuple[str, ...]:
    return Offer.ARRANGEMENT_SOURCES if source in Offer.ARRANGEMENT_SOURCES else Offer.PLACEMENT_SOURCES


def _record_offer(case: Case, actor, source: str, start_date: date, at, *, placement=None, arrangement=None) -> Offer:
    """An offer with its start date; it replaces a pending offer of the same route (a new decision)."""
    for replaced in Offer.objects.filter(case=case, status=Offer.Status.PENDING, source__in=_route_of(source)):
        Offer.objects.filter(pk=replaced.pk).update(status=Offer.Status.FAILED, reason=_("Replaced by a later offer."))
        deadlines.pass_offer_start(replaced, at, reason="replaced")
    offer = Offer.objects.create(case=case, source=source, start_date=start_date, placement=placement,
                                 arrangement=arrangement, recorded_at=at)
    CaseEvent.record(case, actor, "offer_recorded", at=at, offer_id=offer.pk, source=source,
                     start_date=start_date.isoformat())
    deadlines.start_offer_start_clock(offer)
    return offer


def pending_offer(case: Case, sources: tuple[str, ...] | None = None) -> Offer | None:
    """The case's offer waiting for its start (of one route: placement or arrangement sources)."""
    offers = Offer.objects.filter(case=case, status=Offer.Status.PENDING)
    if sources:
        offers = offers.filter(source__in=sources)
    return offers.order_by("-recorded_at", "-pk").first()


@transaction.atomic
def confirm_start(*, case: Case, actor, started, started_on=None, reason: str = "",
                  sources: tuple[str, ...] | None = None) -> Offer:
    """The case team confirms whether the child started in the offered place. Started: the
    three-month clock is met on `started_on` (late when that is after its due date). Not started:
    the clock keeps running (or stays breached) and the case is back with the team."""
    from casework.responsibility import ensure_can_act

    case = _locked(case)
    ensure_can_act(actor, case, "start_confirmation")
    offer = pending_offer(case, sources)
    if offer is None:
        raise ValidationError({"__all__": [_("There is no offered place waiting for its start.")]})
    errors: dict[str, list[str]] = {}
    if started is None:
        errors["started"] = [_("Answer yes or no.")]
    elif started:
        if started_on is None:
            errors["started_on"] = [_("Give the date the child started.")]
        elif started_on > timezone.localdate():
            errors["started_on"] = [_("The date cannot be in the future.")]
        elif started_on < case.absent_since:
            errors["started_on"] = [_("The date cannot be before the first day out of school.")]
    else:
        _require(errors, "reason", reason, _("Explain why the child did not start."))
    _raise_if(errors)
    now = timezone.now()
    offer.confirmed_by, offer.confirmed_at = actor, now
    deadlines.pass_offer_start(offer, now, reason="confirmed")
    if started:
        offer.status, offer.started_on = Offer.Status.STARTED, started_on
        offer.save()
        CaseEvent.record(case, actor, "offer_started", at=now, offer_id=offer.pk, source=offer.source,
                         start_date=offer.start_date.isoformat(), started_on=started_on.isoformat())
        deadlines.meet_offer_clock(case, started_on, now)
        return offer
    offer.status, offer.reason = Offer.Status.FAILED, reason.strip()
    offer.save()
    CaseEvent.record(case, actor, "offer_failed", at=now, offer_id=offer.pk, source=offer.source,
                     start_date=offer.start_date.isoformat(), reason=reason.strip())
    if offer.arrangement_id:  # an arrangement that never started ends, with its route and clocks
        Arrangement.objects.filter(pk=offer.arrangement_id, ended_at__isnull=True).update(ended_at=now)
        deadlines.stop(case, Deadline.Kind.ARRANGEMENT_EVALUATION, now, reason="offer_failed")
        _end_route(case, Route.ARRANGEMENT, now)
    if case.status == Case.Status.PLACED and pending_offer(case) is None:
        case.offer_fell_through()
        case.save()
    notify(kind="offer_failed", case=case, actor=actor, data={"offer_id": offer.pk})
    return offer


# --- exemptions that end, the end of compulsory education, sick pupils (clocks and hands) -------

def _after_exemption(case: Case, exemption: Vrijstelling, actor, at, *, last_day: date, reason: str,
                     trigger: str) -> None:
    """The exemption no longer holds after `last_day`: the child is LRV again (enrolled) or AV (not),
    a new three-month clock runs, and the case team reviews the case."""
    CaseEvent.record(case, actor, "exemption_ended", at=at, vrijstelling_id=exemption.pk, grounds=exemption.grounds,
                     last_day=last_day.isoformat(), reason=reason, trigger=trigger)
    if not case.is_open or case.registration != Case.Registration.VRIJ:
        notify(kind="exemption_ended", case=case, actor=actor, data={"vrijstelling_id": exemption.pk})
        return
    since = last_day + timedelta(days=1)
    back = Case.Registration.LRV if case.school_id else Case.Registration.AV
    _change_registration(case, actor, back, at, since=since, trigger=trigger, reason=reason)
    deadlines.start_offer_clock(case, since)
    notify(kind="exemption_ended", case=case, actor=actor, data={"vrijstelling_id": exemption.pk})
    review_needed.send(sender=Case, case=case, reason="exemption_ended")


def end_exemption(*, case: Case, vrijstelling_id: int, at) -> None:
    """The exemption's end date has passed (the sweeper)."""
    case = _locked(case)
    exemption = Vrijstelling.objects.get(pk=vrijstelling_id)
    if exemption.ended_on is None:
        _after_exemption(case, exemption, None, at, last_day=exemption.until, reason="", trigger="exemption_end")


def running_exemption(case: Case, day: date | None = None) -> Vrijstelling | None:
    day = day or timezone.localdate()
    return (Vrijstelling.objects.filter(case=case, granted=True, starts_on__lte=day, until__gte=day,
                                        ended_on__isnull=True).order_by("-decided_at", "-pk").first())


@transaction.atomic
def revoke_vrijstelling(*, case: Case, actor, last_day, reason: str) -> Vrijstelling:
    """Leerplicht ends a running exemption before its end date (revocation)."""
    from casework.responsibility import ensure_can_act

    case = _locked(case)
    ensure_can_act(actor, case, "vrijstelling_decision")
    exemption = running_exemption(case)
    errors: dict[str, list[str]] = {}
    if exemption is None:
        raise ValidationError({"__all__": [_("The case has no running exemption.")]})
    if last_day is None:
        errors["last_day"] = [_("Give the last day the exemption held.")]
    elif last_day < exemption.starts_on or last_day >= exemption.until:
        errors["last_day"] = [_("The last day must fall within the exemption, before its end date.")]
    elif last_day > timezone.localdate():
        errors["last_day"] = [_("The date cannot be in the future.")]
    _require(errors, "reason", reason, _("Give the reason the exemption ends."))
    _raise_if(errors)
    now = timezone.now()
    Vrijstelling.objects.filter(pk=exemption.pk).update(ended_on=last_day, end_reason=reason.strip())
    exemption.ended_on = last_day
    deadlines.stop(case, Deadline.Kind.EXEMPTION_END, now, reason="revoked")
    _after_exemption(case, exemption, actor, now, last_day=last_day, reason=reason.strip(), trigger="revoked")
    return exemption


def end_leerplicht(*, case: Case, at) -> None:
    """The 18th birthday (or a startkwalificatie): out of every count from today; running clocks stop,
    no escalation starts, and the case team is asked to close the case (outcome achttien)."""
    case = _locked(case)
    if not case.is_open:
        return
    for kind in Deadline.Kind.values:
        if kind not in (Deadline.Kind.LEERPLICHT_END, Deadline.Kind.EXEMPTION_END):
            deadlines.stop(case, kind, at, reason="einde_leerplicht")
    CaseEvent.record(case, None, "leerplicht_ended", at=at, on=timezone.localdate(at).isoformat())
    notify(kind="leerplicht_ended", case=case, data={})
    review_needed.send(sender=Case, case=case, reason="leerplicht_ended")


def review_sick_pupil(*, case: Case, at) -> None:
    """The cyclical review of a pupil reported sick: the ECT is on the case and the case team
    discusses it (seed 000 §4.3)."""
    from casework.responsibility import region_team

    case = _locked(case)
    if not case.is_open or case.registration != Case.Registration.ZIEK:
        return
    _join(case, region_team(case, Team.Kind.ECT), CaseParticipant.Reason.CONSULT, at)
    review_needed.send(sender=Case, case=case, reason="ziek_review")


@transaction.atomic
def record_case_review(*, case: Case, actor, reason: str, notes: str) -> CaseEvent:
    """The case team looked at the case after a clock asked it to (see `review_needed`)."""
    from casework.responsibility import ensure_can_act

    case = _locked(case)
    ensure_can_act(actor, case, "case_review")
    errors: dict[str, list[str]] = {}
    _require(errors, "notes", notes, _("Write down what the team concluded."))
    _raise_if(errors)
    return CaseEvent.record(case, actor, "case_reviewed", at=timezone.now(), trigger=reason, note=notes.strip())
