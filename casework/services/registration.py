"""The registration as a dated fact (Thuiszitterspact Groningen, §8): changes of registration, taking part as far as
they can (naar vermogen), a startkwalificatie, and Leerplicht revoking an exemption."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import clocks
from casework.clocks import (
    leerplicht_ends_on,
    lrv_days,
)
from casework.models import (
    Case,
    CaseEvent,
    CaseParticipant,
    Child,
    Deadline,
    Provision,
    Vrijstelling,
    events,
)
from casework.responsibility import ensure_can_act, ensure_can_register
from casework.selectors.steps import referred_provision, running_exemption
from casework.services.ladder import (
    after_exemption,
    change_registration_to,
    command,
    join,
    raise_if,
    require,
)
from casework.services.moves import (
    REGULAR_SETTINGS,
    check_move,
    check_participation,
    check_since,
    enrol,
    is_move,
    set_participation,
)
from casework.services.sweeper import act_on_overdue
from casework.step import Step
from teams.models import School, leerplicht_team

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


def _check_since(errors: dict, case: Case, since, kind: str) -> None:
    check_since(errors, case, since, (kind,))


@command
def change_registration(*, step: Step, case: Case, registration: str, since, reason: str, school: School | None = None,
                        trigger: str = "manual", authorised: bool = False) -> Case:
    """Record that from `since` the case has another registration (the case team or Leerplicht).

    lrv -> av: the pupil was unenrolled (the school is cleared, Leerplicht takes the case);
    av -> lrv: the pupil was enrolled at `school` (its team takes the case);
    the same registration with another `school`: the pupil moved there (`school_changed`; its team
    takes the case, the old school's team leaves it).

    `trigger` names where the change came from (`manual`; `chain` for an enrolment change read from
    the chain); `authorised`: the caller checked the actor's right itself (an import, per region)."""
    actor = step.actor
    case = step.locked(case)
    if not authorised:
        ensure_can_register(actor, case, step.rows)
    errors: dict[str, list[str]] = {}
    current = case.registration
    # the same registration with another school: the pupil moved (an absolute verzuimer has no school)
    moving = registration == current != Case.Registration.AV and is_move(case, school)
    if not case.is_open:
        errors["__all__"] = [_("The case is closed.")]
    if registration not in Case.Registration.values:
        errors["registration"] = [_("Choose a valid registration.")]
    elif Case.Registration.VRIJ in (registration, current):
        errors["registration"] = [_("An exemption starts only with Leerplicht's decision to grant it, and ends on "
                                    "its end date or when it is revoked.")]
    elif (current, registration) not in REGISTRATION_CHANGES and not moving:
        errors["registration"] = [_("The registration cannot change from %(from)s to %(to)s.") % {
            "from": Case.Registration(current).label, "to": Case.Registration(registration).label}]
    _check_since(errors, case, since, "registration_changed")
    require(errors, "reason", reason, _("Give the reason for the change."))
    if (current, registration) == (Case.Registration.DREIGEND, Case.Registration.LRV) and since is not None \
            and (since - case.absent_since).days < lrv_days():
        errors.setdefault("since", []).append(
            _("A pupil counts as LRV only after more than 4 weeks out of school (from %(date)s).")
            % {"date": (case.absent_since + timedelta(days=lrv_days())).isoformat()})
    if registration == Case.Registration.DREIGEND and since is not None and not moving \
            and (since - case.absent_since).days >= lrv_days():
        errors.setdefault("registration", []).append(
            _("After more than 4 weeks out of school a pupil is LRV, no longer a threatened thuiszitter."))
    if moving:
        _check_since(errors, case, since, CaseEvent.Kind.SCHOOL_CHANGED)
    if registration == Case.Registration.AV and school is not None:
        errors["school"] = [_("An absolute verzuimer is not enrolled at a school: leave the school empty.")]
    elif current == Case.Registration.AV and registration == Case.Registration.LRV:
        if school is None:
            errors["school"] = [_("Choose the school the pupil is now enrolled at.")]
        else:
            check_move(errors, case, school)
    elif moving and "registration" not in errors:
        check_move(errors, case, school)
    elif is_move(case, school) and "registration" not in errors:
        errors["school"] = [_("The school changes only when the pupil is enrolled at another school: av to lrv, or "
                              "the same registration with the new school.")]
    raise_if(errors)

    now = timezone.now()
    if moving or current == Case.Registration.AV:
        enrol(step, case, school, now, since=since, reason=reason.strip(), trigger=trigger)
        return case
    fields = {}
    if registration == Case.Registration.AV:
        fields["school"] = None
        join(step, case, leerplicht_team(case.region), CaseParticipant.Reason.LEERPLICHT, now)
    change_registration_to(step, case, registration, now, since=since, trigger=trigger, reason=reason.strip(),
                         **fields)
    if registration == Case.Registration.LRV:
        clocks.mark_met(step, case, Deadline.Kind.LRV_4_WEEKS, now)
    return case


@command
def record_participation(*, step: Step, case: Case, level: str, since, setting: str = "", note: str = "",
                         provision: Provision | None = None) -> Case:
    """How far the pupil takes part from `since` (Thuiszitterspact Groningen, §8: one who takes part fully, naar
    vermogen, is no longer a thuiszitter, while the case may stay open; partly still counts). Taking
    part in a `provision` of the region (a maatwerkvoorziening) is a referral to it; taking part at
    a regular school again after one is a return (`returned_to_school`; both KPI 6)."""
    actor = step.actor
    case = step.locked(case)
    ensure_can_register(actor, case, step.rows)
    errors: dict[str, list[str]] = {}
    if not case.is_open:
        errors["__all__"] = [_("The case is closed.")]
    check_participation(errors, level, setting)
    if provision is not None and (provision.region_id != case.region_id or not provision.active):
        errors.setdefault("provision", []).append(_("Choose a provision of the case's region that is in use."))
    elif provision is not None and setting in REGULAR_SETTINGS:
        errors.setdefault("provision", []).append(_("A provision goes with a setting outside the regular school."))
    _check_since(errors, case, since, CaseEvent.Kind.PARTICIPATION_CHANGED)
    raise_if(errors)
    came_from = referred_provision(case)
    set_participation(step, case, level=level, since=since, setting=setting, note=note, at=timezone.now(),
                      provision=provision)
    if came_from is not None and setting in REGULAR_SETTINGS and level != Case.Participation.GEEN:
        step.record(case, actor, events.ReturnedToSchool, provision_id=came_from, since=since.isoformat())
    return case




@command
def record_startkwalificatie(*, step: Step, case: Case, obtained_on) -> Case:
    """The young person obtained a startkwalificatie: at 16 or 17 the qualification duty ends."""
    actor = step.actor
    case = step.locked(case)
    ensure_can_register(actor, case, step.rows)
    errors: dict[str, list[str]] = {}
    if obtained_on is None:
        errors["obtained_on"] = [_("Give the date the startkwalificatie was obtained.")]
    elif obtained_on > timezone.localdate():
        errors["obtained_on"] = [_("The date cannot be in the future.")]
    elif case.child.startkwalificatie_on is not None:
        errors["obtained_on"] = [_("A startkwalificatie has been recorded already.")]
    raise_if(errors)
    now = timezone.now()
    Child.objects.filter(pk=case.child_id).update(startkwalificatie=True, startkwalificatie_on=obtained_on)
    case.child.startkwalificatie, case.child.startkwalificatie_on = True, obtained_on
    step.record(case, actor, events.StartkwalificatieRecorded, at=now, obtained_on=obtained_on.isoformat())
    clocks.restart_leerplicht_end_clock(step, case, leerplicht_ends_on(case.child), now)
    act_on_overdue(step, case, now)  # a startkwalificatie obtained earlier ends the duty at once
    return case


@command
def revoke_vrijstelling(*, step: Step, case: Case, last_day, reason: str) -> Vrijstelling:
    """Leerplicht ends a running exemption before its end date (revocation)."""
    actor = step.actor
    case = step.locked(case)
    ensure_can_act(actor, case, "vrijstelling_decision", step.rows)
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
    require(errors, "reason", reason, _("Give the reason the exemption ends."))
    raise_if(errors)
    now = timezone.now()
    Vrijstelling.objects.filter(pk=exemption.pk).update(ended_on=last_day, end_reason=reason.strip())
    exemption.ended_on = last_day
    clocks.stop(step, case, Deadline.Kind.EXEMPTION_END, now, reason="revoked")
    after_exemption(step, case, exemption, now, last_day=last_day, reason=reason.strip(), trigger="revoked")
    return exemption
