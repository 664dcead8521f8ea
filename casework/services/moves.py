"""Where the pupil takes part and where they are enrolled, as dated facts (Thuiszitterspact Groningen, §8): the
one core of `participation_changed` (the registration card and the start confirmation both write it) and of an
enrolment at another school (a confirmed start there, a move on the registration card, av -> lrv), with the
hand-over of the case to that school's team.

Access follows the pupil: from the enrolment the new school's team holds the case, the old school's team no longer
takes part in it (its open tasks of the case move to the new team's queue, a hand-over event stays on the case),
and the region's Leerplicht is on the case throughout a move."""

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from casework import clocks
from casework.models import Case, CaseEvent, CaseParticipant, Deadline, events
from casework.responsibility import case_team, forget_case
from casework.selectors.steps import pending_offer
from casework.services.ladder import change_registration_to, join
from casework.signals import case_handed_over
from casework.step import Step
from notifications.models import Notification
from notifications.services import notify
from teams.models import School, leerplicht_team, team_for_school

TAKING_PART = (Case.Participation.GEDEELTELIJK, Case.Participation.VOLLEDIG)


def latest_since(case: Case, kind: str) -> date | None:
    sinces = CaseEvent.objects.filter(case=case, kind=kind).values_list("data__since", flat=True)
    dates = [date.fromisoformat(value) for value in sinces if value]
    return max(dates) if dates else None


def check_since(errors: dict, case: Case, since, kinds: tuple[str, ...], field: str = "since") -> None:
    """A dated fact holds from a day that is not in the future, not before the first day out of
    school, and not before the last recorded fact of the same kinds."""
    if since is None:
        errors.setdefault(field, []).append(_("Give the date from which this holds."))
        return
    if since > timezone.localdate():
        errors.setdefault(field, []).append(_("The date cannot be in the future."))
    elif since < case.absent_since:
        errors.setdefault(field, []).append(_("The date cannot be before the first day out of school."))
    latest = max((day for day in (latest_since(case, kind) for kind in kinds) if day is not None), default=None)
    if latest is not None and since < latest:
        errors.setdefault(field, []).append(
            _("The date cannot be before the last recorded change (%(date)s).") % {"date": latest.isoformat()})


# --- taking part ------------------------------------------------------------------------------------


def check_participation(errors: dict, level: str, setting: str, *, levels=tuple(Case.Participation.values)) -> None:
    if level not in levels:
        errors["level"] = [_("Choose partly or fully.") if Case.Participation.GEEN not in levels
                           else _("Choose none, partly or fully.")]
    if level in TAKING_PART and setting not in Case.Setting.values:
        errors["setting"] = [_("Choose where the pupil takes part.")]
    elif level == Case.Participation.GEEN and setting:
        errors["setting"] = [_("A pupil who does not take part has no setting: leave it empty.")]


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


# Taking part at one of these is taking part at a regular school (a return after a provision).
REGULAR_SETTINGS = (Case.Setting.EIGEN_SCHOOL, Case.Setting.ANDERE_SCHOOL)


def set_participation(step: Step, case: Case, *, level: str, since: date, setting: str, note: str, at,
                      provision=None) -> CaseEvent:
    """From `since` the pupil takes part this far (checked by the caller): the case's fields and the
    dated `participation_changed` event; taking part in a place that is there keeps the
    three-month promise on that day (`keeps_offer_promise`)."""
    actor = step.actor
    previous = case.participation
    Case.objects.filter(pk=case.pk).update(participation=level, participation_setting=setting or "")
    case.participation, case.participation_setting = level, setting or ""
    event = step.record(case, actor, events.ParticipationChanged, at=at, **{
        "from": previous, "level": level, "since": since.isoformat(), "setting": setting or "",
        **({"provision_id": provision.pk} if provision is not None else {}), "note": (note or "").strip()})
    if keeps_offer_promise(case, level, setting):
        clocks.meet_offer_clock(step, case, since, at)
    return event


# --- enrolment at another school --------------------------------------------------------------------


def check_move(errors: dict, case: Case, school: School, field: str = "school") -> None:
    """The pupil can be enrolled at `school`: a school of the case's own region (a move out of the
    region closes the case, outcome `verhuisd`) with a team to take the case."""
    if school.region_id != case.region_id:
        errors.setdefault(field, []).append(_("The school belongs to another region."))
    elif team_for_school(school) is None:
        errors.setdefault(field, []).append(
            _("This school has no AOJ-team, kindteam or MBO team yet to take the case."))


def is_move(case: Case, school: School | None) -> bool:
    return school is not None and school.pk != case.school_id


def enrol(step: Step, case: Case, school: School, at, *, since: date, reason: str, trigger: str) -> None:
    """From `since` the pupil is enrolled at `school` (checked with `check_move`): an absolute
    verzuimer becomes `lrv` there (`registration_changed`), an enrolled pupil moves
    (`school_changed`); the school's team takes the case over."""
    actor = step.actor
    before = case_team(case, step.rows)
    if case.registration == Case.Registration.AV:
        change_registration_to(step, case, Case.Registration.LRV, at, since=since, trigger=trigger, reason=reason,
                               school=school, sector=school.sector)
        clocks.mark_met(step, case, Deadline.Kind.LRV_4_WEEKS, at)
    else:
        from_school = case.school_id
        Case.objects.filter(pk=case.pk).update(school=school, sector=school.sector)
        case.school, case.sector = school, school.sector
        step.record(case, actor, events.SchoolChanged, at=at, from_school=from_school, school=school.pk,
                         sector=school.sector, region=case.region_id, since=since.isoformat(), reason=reason)
        notify(step=step, kind=Notification.Kind.REGISTRATION_CHANGED, case=case, actor=actor, data={"registration": case.registration})
    hand_over(step, case, at, since=since, before=before, reason=reason)


def hand_over(step: Step, case: Case, at, *, since: date, before, reason: str) -> None:
    """The team of the case's school holds the case from now; every other school's team stops taking
    part in it (its members no longer see it), the region's Leerplicht stays on it, the open tasks
    of the teams that held it move to the new team's queue (`case_handed_over`), and the hand-over
    is an event on the case that the new team reads."""
    new_team = team_for_school(case.school)
    join(step, case, new_team, CaseParticipant.Reason.SCHOOL_TEAM, at)
    join(step, case, leerplicht_team(case.region), CaseParticipant.Reason.LEERPLICHT, at)
    leaving = list(CaseParticipant.objects.filter(case=case, reason=CaseParticipant.Reason.SCHOOL_TEAM,
                                                  team__isnull=False).exclude(team=new_team)
                   .values_list("pk", "team_id"))
    CaseParticipant.objects.filter(pk__in=[pk for pk, _team in leaving]).delete()
    forget_case(step.rows, case.pk)
    from_teams = sorted({team for _pk, team in leaving} | ({before.pk} if before is not None else set()))
    from_teams = [team for team in from_teams if team != new_team.pk]
    step.record(case, step.actor, events.CaseHandedOver, at=at, from_teams=from_teams, to_team=new_team.pk,
                     school=case.school_id, since=since.isoformat(), reason=reason)
    case_handed_over.send(sender=Case, case=case, from_team_ids=from_teams, step=step)
