"""The registration as a dated fact (Thuiszitterspact Groningen, §8): changes of registration, taking part as far as
they can (naar vermogen), a startkwalificatie, and Leerplicht revoking an exemption."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
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
    Vrijstelling,
)
from casework.responsibility import ensure_can_act, ensure_can_register
from casework.services.ladder import (
    after_exemption,
    change_registration_to,
    join,
    locked,
    pending_offer,
    raise_if,
    require,
    running_exemption,
)
from casework.services.sweeper import act_on_overdue
from teams.models import School, leerplicht_team, team_for_school

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
    case = locked(case)
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
    require(errors, "reason", reason, _("Give the reason for the change."))
    if (current, registration) == (Case.Registration.DREIGEND, Case.Registration.LRV) and since is not None \
            and (since - case.absent_since).days < lrv_days():
        errors.setdefault("since", []).append(
            _("A pupil counts as LRV only after more than 4 weeks out of school (from %(date)s).")
            % {"date": (case.absent_since + timedelta(days=lrv_days())).isoformat()})
    if registration == Case.Registration.DREIGEND and since is not None \
            and (since - case.absent_since).days >= lrv_days():
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
    raise_if(errors)

    now = timezone.now()
    fields = {}
    if registration == Case.Registration.AV:
        fields["school"] = None
        join(case, leerplicht_team(case.region), CaseParticipant.Reason.LEERPLICHT, now)
    elif current == Case.Registration.AV:
        fields.update(school=school, sector=school.sector)
        join(case, team_for_school(school), CaseParticipant.Reason.SCHOOL_TEAM, now)
    change_registration_to(case, actor, registration, now, since=since, trigger="manual", reason=reason.strip(),
                         **fields)
    if registration == Case.Registration.LRV:
        clocks.mark_met(case, Deadline.Kind.LRV_4_WEEKS, now)
    return case


def keeps_offer_promise(case: Case, level: str, setting: str) -> bool:
    """Whether taking part from now on keeps the three-month promise (Thuiszitterspact Groningen,
    §2: "een passend aanbod … én daadwerkelijk een plaats beschikbaar"): taking part fully, or
    partly in a place other than the own school while no offered place waits for its start (that
    one is kept by the start confirmation). Partly taking part keeps the promise but the pupil
    still counts as a thuiszitter (§8)."""
    if level == Case.Participation.VOLLEDIG:
        return True
    return (level == Case.Participation.GEDEELTELIJK and setting != Case.Setting.EIGEN_SCHOOL
            and pending_offer(case) is None)


@transaction.atomic
def record_participation(*, case: Case, actor, level: str, since, setting: str = "", note: str = "") -> Case:
    """How far the pupil takes part from `since` (Thuiszitterspact Groningen, §8: one who takes part fully, naar
    vermogen, is no longer a thuiszitter, while the case may stay open; partly still counts)."""
    case = locked(case)
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
    raise_if(errors)
    now = timezone.now()
    previous = case.participation
    Case.objects.filter(pk=case.pk).update(participation=level, participation_setting=setting or "")
    case.participation, case.participation_setting = level, setting or ""
    CaseEvent.record(case, actor, CaseEvent.Kind.PARTICIPATION_CHANGED, at=now, **{
        "from": previous, "level": level, "since": since.isoformat(), "setting": setting or "",
        "note": (note or "").strip()})
    if keeps_offer_promise(case, level, setting):
        clocks.meet_offer_clock(case, since, now)
    return case


@transaction.atomic
def record_startkwalificatie(*, case: Case, actor, obtained_on) -> Case:
    """The young person obtained a startkwalificatie: at 16 or 17 the qualification duty ends."""
    case = locked(case)
    ensure_can_register(actor, case)
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
    CaseEvent.record(case, actor, CaseEvent.Kind.STARTKWALIFICATIE_RECORDED, at=now, obtained_on=obtained_on.isoformat())
    clocks.restart_leerplicht_end_clock(case, leerplicht_ends_on(case.child), now)
    act_on_overdue(case, now)  # a startkwalificatie obtained earlier ends the duty at once
    return case


@transaction.atomic
def revoke_vrijstelling(*, case: Case, actor, last_day, reason: str) -> Vrijstelling:
    """Leerplicht ends a running exemption before its end date (revocation)."""
    case = locked(case)
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
    require(errors, "reason", reason, _("Give the reason the exemption ends."))
    raise_if(errors)
    now = timezone.now()
    Vrijstelling.objects.filter(pk=exemption.pk).update(ended_on=last_day, end_reason=reason.strip())
    exemption.ended_on = last_day
    clocks.stop(case, Deadline.Kind.EXEMPTION_END, now, reason="revoked")
    after_exemption(case, exemption, actor, now, last_day=last_day, reason=reason.strip(), trigger="revoked")
    return exemption
