"""The shared mechanics of a case that the steps, the registration and the sweeper build on:
locking, joining teams, escalating and placing, the dated registration, offers, and what
follows the end of an exemption."""

import functools
from collections.abc import Callable
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from casework import clocks
from casework.models import (
    Case,
    CaseEvent,
    CaseParticipant,
    Deadline,
    Offer,
    Route,
    RouteRun,
    Vrijstelling,
    events,
)
from casework.responsibility import forget_case, is_po_case, region_roles_for, region_team
from casework.selectors.steps import route_of, start_date_window, unavailable_routes
from casework.signals import review_needed
from casework.step import Step
from notifications.models import Notification
from notifications.services import notify
from teams.models import RegionRole, Sector, Team, fitting_sectors


def command(service: Callable) -> Callable:
    """A command's entry. Called with `step=` (inside a task's step, the sweeper's batch or another
    command) it runs in that step's transaction, with its actor and what it holds; called with
    `actor=` instead (a page, the API, a management command) it begins a step of its own for that
    actor (`Step.begin`: one transaction, everything read afresh)."""

    @functools.wraps(service)
    def run(*, step: Step | None = None, **arguments):
        if step is not None:
            if "actor" in arguments:
                raise TypeError(f"{service.__name__}: the step names the actor")
            return service(step=step, **arguments)
        with Step.begin(arguments.pop("actor", None)) as step:
            return service(step=step, **arguments)

    return run


def require(errors: dict, field: str, value, message) -> None:
    if value in (None, "") or (isinstance(value, str) and not value.strip()):
        errors.setdefault(field, []).append(message)


def raise_if(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def join(step: Step, case: Case, team: Team | None, reason: str, at) -> None:
    """The team takes part in the case from `at` (nothing changes when it already does). Called with
    the case's row locked (`Step.locked`), so no savepoint guards the insert against a parallel one."""
    if team is not None and not CaseParticipant.objects.filter(case=case, team=team).exists():
        CaseParticipant.objects.create(case=case, team=team, reason=reason, since=at)
        forget_case(step.rows, case.pk)


def join_user(step: Step, case: Case, user, reason: str, at) -> None:
    if not CaseParticipant.objects.filter(case=case, user=user).exists():
        CaseParticipant.objects.create(case=case, user=user, reason=reason, since=at)
        forget_case(step.rows, case.pk)


def end_route(case: Case, route: str, at) -> None:
    RouteRun.objects.filter(case=case, route=route, ended_at__isnull=True).update(ended_at=at)


def route_teams(step: Step, case: Case, route: str) -> list[tuple[Team, str]]:
    """Teams that join the case when the route starts; ValidationError if one is missing."""
    refused = unavailable_routes(case).get(route)
    if refused:
        raise ValidationError({"routes": [refused]})
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
        team = region_team(case, kind, step.rows)
        if team is None:
            raise ValidationError({"routes": [_("The region has no %(team)s for this route.")
                                              % {"team": Team.Kind(kind).label}]})
        teams.append((team, reason))
    if route == Route.DOORBRAAK and is_po_case(case) and not RegionRole.objects.filter(
        region=case.region, role=RegionRole.Role.SWV_DIRECTOR
    ).exists():
        raise ValidationError({"routes": [_("The region has no SWV director to decide on a placement.")]})
    return teams


def escalate(step: Step, case: Case, at, *, trigger: str) -> None:
    """Put the case on the escalation ladder (status escalated) unless it already is."""
    actor = step.actor
    if case.status in (Case.Status.SIGNALLED, Case.Status.ACTIVE, Case.Status.PLACED):
        case.escalate()
        case.save()
        step.record(case, actor, events.Escalated, at=at, trigger=trigger)


def place(step: Step, case: Case, at, *, by: str) -> None:
    actor = step.actor
    if case.status in (Case.Status.ACTIVE, Case.Status.ESCALATED):
        case.place()
        case.save()
        step.record(case, actor, events.Placed, at=at, by=by)
        # The three-month promise is kept only when the place has started (start_confirmation).


def join_directors(step: Step, case: Case, at) -> None:
    """The SWV director(s) join the case (in PO also the coördinator deelverband, who may decide too)."""
    for role in RegionRole.objects.filter(region=case.region, role__in=region_roles_for(RegionRole.Role.SWV_DIRECTOR, case)
                                          ).select_related("user"):
        join_user(step, case, role.user, CaseParticipant.Reason.ESCALATION, at)


def record_registration(step: Step, case: Case, previous: str | None, registration: str, *, since: date, reason: str,
                         trigger: str, at) -> CaseEvent:
    """The dated fact the monitor reads: from `since` on, the case had this registration."""
    actor = step.actor
    return step.record(case, actor, events.RegistrationChanged, at=at, **{
        "from": previous, "to": registration, "since": since.isoformat(), "reason": reason, "trigger": trigger,
        # where the case is from now on: the monitor's reference replay counts events by it
        "school": case.school_id, "sector": case.sector, "region": case.region_id})


def change_registration_to(step: Step, case: Case, registration: str, at, *, since: date, trigger: str, reason: str = "",
                         **fields) -> None:
    """Write the new registration (and any field that changes with it, e.g. the school) and its
    dated event; the case team is told."""
    actor = step.actor
    previous = case.registration
    Case.objects.filter(pk=case.pk).update(registration=registration, **fields)
    case.registration = registration
    for name, value in fields.items():
        setattr(case, name, value)
    record_registration(step, case, previous, registration, since=since, reason=reason, trigger=trigger, at=at)
    if previous == Case.Registration.ZIEK:
        clocks.stop(step, case, Deadline.Kind.ZIEK_REVIEW, at, reason="registration_changed")
    if registration == Case.Registration.ZIEK:
        clocks.start_ziek_review_clock(case, since)
    notify(step=step, kind=Notification.Kind.REGISTRATION_CHANGED, case=case, actor=actor, data={"registration": registration})


def check_start_date(errors: dict, case: Case, start_date: date | None, field: str = "start_date") -> None:
    """A place or arrangement starts on a day that makes sense (`start_date_window`)."""
    if start_date is None:
        return
    signalled_on, latest = start_date_window(case)
    if start_date < signalled_on:
        errors.setdefault(field, []).append(
            _("The start date cannot be before the signal (%(date)s).") % {"date": date_format(signalled_on, "DATE_FORMAT")})
    elif start_date > latest:
        errors.setdefault(field, []).append(
            _("The start date can be at most a year ahead (until %(date)s).") % {"date": date_format(latest, "DATE_FORMAT")})


def check_school(errors: dict, case: Case, school_board, school) -> None:
    """The school belongs to the chosen board and fits the pupil's sector (a VO pupil: VO or VSO)."""
    if school is None:
        return
    if school_board is not None and school.board_id != school_board.pk:
        errors.setdefault("school", []).append(_("This school does not belong to the chosen school board."))
    elif school.sector not in fitting_sectors(case.sector):
        errors.setdefault("school", []).append(
            _("This school does not fit the pupil: a %(sector)s pupil goes to a school of %(fitting)s.")
            % {"sector": case.get_sector_display(),
               "fitting": ", ".join(str(Sector(s).label) for s in fitting_sectors(case.sector))})


def check_provision(errors: dict, case: Case, provision) -> None:
    """A place at a maatwerkvoorziening names one of the case's region that is in use."""
    if provision is not None and (provision.region_id != case.region_id or not provision.active):
        errors.setdefault("provision", []).append(_("Choose a provision of the case's region that is in use."))


def record_offer(step: Step, case: Case, source: str, start_date: date, at, *, placement=None, arrangement=None,
                 provision=None) -> Offer:
    """An offer with its start date; it replaces a pending offer of the same route (a new decision).
    At a `provision` (a maatwerkvoorziening) it is a referral (KPI 6)."""
    actor = step.actor
    for replaced in Offer.objects.filter(case=case, status=Offer.Status.PENDING, source__in=route_of(source)):
        Offer.objects.filter(pk=replaced.pk).update(status=Offer.Status.FAILED, reason=_("Replaced by a later offer."))
        clocks.pass_offer_start(step, replaced, at, reason="replaced")
    offer = Offer.objects.create(case=case, source=source, start_date=start_date, placement=placement,
                                 arrangement=arrangement, provision=provision, recorded_at=at)
    step.record(case, actor, events.OfferRecorded, at=at, offer_id=offer.pk, source=source,
                start_date=start_date.isoformat(), **({"provision_id": provision.pk} if provision is not None else {}))
    clocks.start_offer_start_clock(offer)
    return offer


def after_exemption(step: Step, case: Case, exemption: Vrijstelling, at, *, last_day: date, reason: str,
                     trigger: str) -> None:
    """The exemption no longer holds after `last_day`: the child is LRV again (enrolled) or AV (not),
    a new three-month clock runs, and the case team reviews the case."""
    actor = step.actor
    step.record(case, actor, events.ExemptionEnded, at=at, vrijstelling_id=exemption.pk, grounds=exemption.grounds,
                     last_day=last_day.isoformat(), reason=reason, trigger=trigger)
    if not case.is_open or case.registration != Case.Registration.VRIJ:
        notify(step=step, kind=Notification.Kind.EXEMPTION_ENDED, case=case, actor=actor, data={"vrijstelling_id": exemption.pk})
        return
    since = last_day + timedelta(days=1)
    back = Case.Registration.LRV if case.school_id else Case.Registration.AV
    clocks.start_offer_clock(case, since)  # before the registration's event, which rebuilds the monitor's spells
    change_registration_to(step, case, back, at, since=since, trigger=trigger, reason=reason)
    notify(step=step, kind=Notification.Kind.EXEMPTION_ENDED, case=case, actor=actor, data={"vrijstelling_id": exemption.pk})
    review_needed.send(sender=Case, case=case, reason="exemption_ended", step=step)

