"""Intake: a signal opens a case (or joins the child's open case), by the pact's definitions of
who is a (threatened) thuiszitter on the first day out of school."""

import unicodedata
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import clocks
from casework.access import can_see_case, log_case_read
from casework.clocks import MAX_AGE, MIN_AGE, QUALIFICATION_AGE, age_on, lrv_days
from casework.models import (
    AccessLog,
    Case,
    CaseParticipant,
    Child,
    Route,
    RouteRun,
    Vrijstelling,
    events,
)
from casework.responsibility import held_by
from casework.selectors.cases import signaller_contact
from casework.services.ladder import join, record_registration, route_teams
from casework.services.signallers import check_system_signal, ensure_can_signal
from casework.services.sweeper import act_on_overdue
from casework.signals import case_opened, exemption_advice_needed
from casework.step import Step
from notifications.models import Notification
from notifications.services import notify
from systems.clients import system_of
from teams.models import (
    Region,
    School,
    Sector,
    Team,
    leerplicht_team,
    team_for_school,
)


class DuplicateSignal(Exception):
    """The child already has an open case; the signal was recorded on that case instead. The
    signaller works on that case, so they may be told its number (the faces answer 409)."""

    def __init__(self, case_id: int):
        super().__init__(case_id)
        self.case_id = case_id


class SignalForwarded(DuplicateSignal):
    """The child has an open case the signaller does NOT work on: the signal was recorded on it
    and forwarded to its team, who were told who signalled and how to reach them. The signaller
    must not learn that the case exists nor its number: the faces answer 202 with
    `FORWARDED_MESSAGE` only (catch this before DuplicateSignal). `case_id` is for the core only."""


def forwarded_message() -> str:
    """What a signaller who is not on the child's open case is told: nothing about the case."""
    return _("Signal received and forwarded to the responsible team.")

# Dates a person's signal may carry (birth, first day out of school, end of an exemption): anything
# outside is a typing error, and far-off years break the age arithmetic.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100


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
    startkwalificatie_on: date | None = None  # the day it was obtained: needed with `startkwalificatie`
    # Only for a child signalled as exempted (registration vrij): the exemption's ground and end.
    vrijstelling_grounds: str = ""
    vrijstelling_until: date | None = None


def _check_age(errors: dict, birth_date: date, absent_since: date) -> None:
    age = age_on(birth_date, absent_since)
    if age < MIN_AGE:
        errors.setdefault("birth_date", []).append(
            _("On the first day out of school the child was %(age)s: compulsory education starts at 5.")
            % {"age": age})
    elif age >= MAX_AGE:
        errors.setdefault("birth_date", []).append(
            _("On the first day out of school the young person was 18 or older: no longer of compulsory "
              "school age."))


def _check_startkwalificatie(errors: dict, data: SignalInput, today: date, impossible: set) -> None:
    """A startkwalificatie needs its date. Obtained on or before the first day out of school by a
    young person of 16 or 17 then: no qualification duty at all, so no signal. A later date ends
    the duty from then on (stored on the child); under 16 the date is kept (the duty then ends at 16)."""
    obtained = data.startkwalificatie_on
    if not data.startkwalificatie:
        if obtained is not None and "startkwalificatie_on" not in impossible:
            errors.setdefault("startkwalificatie", []).append(
                _("Tick the startkwalificatie box, or leave its date empty."))
        return
    if obtained is None:
        errors.setdefault("startkwalificatie_on", []).append(_("Give the date the startkwalificatie was obtained."))
    elif "startkwalificatie_on" in impossible:
        return
    elif obtained > today:
        errors.setdefault("startkwalificatie_on", []).append(_("The date cannot be in the future."))
    elif ("birth_date" not in impossible and "absent_since" not in impossible and obtained <= data.absent_since
          and QUALIFICATION_AGE <= age_on(data.birth_date, data.absent_since) < MAX_AGE):
        errors.setdefault("startkwalificatie_on", []).append(
            _("A young person of 16 or 17 who had a startkwalificatie on the first day out of school is not of "
              "compulsory school age (the qualification duty had ended): no signal."))


def dates_out_of_range(**dates: date | None) -> dict[str, list[str]]:
    """Field errors for the dates outside EARLIEST_YEAR..LATEST_YEAR (None is not checked)."""
    return {
        field: [_("Enter a date between %(first)s and %(last)s.") % {"first": EARLIEST_YEAR, "last": LATEST_YEAR}]
        for field, value in dates.items()
        if value is not None and not EARLIEST_YEAR <= value.year <= LATEST_YEAR
    }


# Characters a typed name never holds: control and invisible format characters (e.g. U+202E that
# turns the text around, U+200B, U+FEFF), private-use and lone surrogates, line and paragraph separators.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})


def name_errors(**names: str) -> dict[str, list[str]]:
    """Field errors for the child's names that hold control or invisible characters (the one rule for
    every place a child's name is typed: the signal in the API and on the page, the public form)."""
    return {
        field: [_("The name contains invisible or control characters.")]
        for field, value in names.items()
        if any(unicodedata.category(char) in HIDDEN_CATEGORIES for char in value or "")
    }


def validate_signal(data: SignalInput) -> tuple[Region | None, object, str]:
    """Check the signal's rules; return (region, team, sector) or raise ValidationError with field errors."""
    errors: dict[str, list[str]] = dates_out_of_range(
        birth_date=data.birth_date, absent_since=data.absent_since, vrijstelling_until=data.vrijstelling_until,
        startkwalificatie_on=data.startkwalificatie_on)
    today = timezone.localdate()

    def add(field, message):
        errors.setdefault(field, []).append(message)

    if not data.given_name.strip():
        add("given_name", _("Enter the child's given name."))
    if not data.family_name.strip():
        add("family_name", _("Enter the child's family name."))
    for field, messages in name_errors(given_name=data.given_name, family_name=data.family_name).items():
        errors.setdefault(field, []).extend(messages)
    impossible = set(errors)  # no other rule on a date out of range (nor the age arithmetic)
    if "birth_date" not in impossible and data.birth_date > today:
        add("birth_date", _("The birth date cannot be in the future."))
    if "absent_since" in impossible:
        pass
    elif data.absent_since > today:
        add("absent_since", _("The first day out of school cannot be in the future."))
    else:
        if "birth_date" not in impossible:
            _check_age(errors, data.birth_date, data.absent_since)
        if data.registration == Case.Registration.LRV and (today - data.absent_since).days < lrv_days():
            add("registration", _("A pupil counts as LRV only after more than 4 weeks out of school; until then "
                                  "signal a threatened thuiszitter (dreigend)."))

    _check_startkwalificatie(errors, data, today, impossible)

    if data.registration == Case.Registration.VRIJ:
        if data.vrijstelling_grounds not in Vrijstelling.Grounds.values:
            add("vrijstelling_grounds", _("Choose the ground of the exemption (5a, 5b, 5c or 15)."))
        if data.vrijstelling_until is None:
            add("vrijstelling_until", _("Give the date until which the exemption holds."))
        elif "vrijstelling_until" in impossible:
            pass
        elif data.vrijstelling_until <= today:
            add("vrijstelling_until", _("The exemption must hold until a date in the future."))
    else:
        if data.vrijstelling_grounds:
            add("vrijstelling_grounds", _("Only an exempted child (registration vrij) has an exemption ground."))
        if data.vrijstelling_until is not None and "vrijstelling_until" not in impossible:
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
    if not errors and data.registration == Case.Registration.VRIJ and data.vrijstelling_grounds == Vrijstelling.Grounds.ART_5A:
        # the advice route's teams (as `route_teams`): Leerplicht, and the ECT but for MBO
        for kind in [Team.Kind.LEERPLICHT] if sector == Sector.MBO else [Team.Kind.LEERPLICHT, Team.Kind.ECT]:
            if not Team.objects.filter(region=region, kind=kind).exists():
                add("vrijstelling_grounds", _("A 5a exemption recorded with the signal goes to the advice route, and "
                                              "this region has no %(team)s for it.") % {"team": Team.Kind(kind).label})
    if errors:
        raise ValidationError(errors)
    return region, team, sector


def signal_case(*, step: Step | None = None, actor=None, data: SignalInput, request=None) -> Case:
    """Open a case for a (threatened) thuiszitter, or add the signal to the child's open case.
    The signaller is `actor` (a page, the API, the demo), or the actor of the step the signal is
    taken up in (`step`: Leerplicht verifying a public signal).

    Raises ValidationError (field errors, nothing written), PermissionDenied, or, after the signal
    has been recorded on the child's open case: DuplicateSignal(case_id) when the signaller works
    on that case, SignalForwarded when they do not (the case team is told; the signaller is not).
    `request` only gives the access log its path and address.
    """
    actor = step.actor if step is not None else actor
    own_teams = ensure_can_signal(actor)
    region, team, sector = validate_signal(data)
    system = system_of(actor)
    if system is not None:
        check_system_signal(system, data, region)
    try:
        case, created = _open_or_find_case(actor=actor, within=step, data=data, region=region, team=team,
                                           sector=sector, own_teams=own_teams, request=request)
    except IntegrityError:
        # A concurrent signal for the same child won the race for the open case; ours joins it.
        case, created = _open_or_find_case(actor=actor, within=step, data=data, region=region, team=team,
                                           sector=sector, own_teams=own_teams, request=request)
    if not created:
        if not can_see_case(actor, case):
            raise SignalForwarded(case.pk)
        raise DuplicateSignal(case.pk)
    return case


def _add_to_open_case(step: Step, open_case: Case, *, data: SignalInput, request=None) -> None:
    """Record a signal on the child's open case. When the signaller does not work on it, the signal
    is forwarded: the case team is told who signalled and how to reach them, and the disclosure
    (the signaller told the team about the child) is in the access log. Never the other way round:
    the signaller learns nothing of the case."""
    actor = step.actor
    forwarded = not can_see_case(actor, open_case)
    contact = signaller_contact(actor)
    event = step.record(
        open_case, actor, events.SignalReceived,
        registration=data.registration, category=data.category,
        school_id=data.school.pk if data.school else None,
        absent_since=data.absent_since.isoformat(), signaller_role=data.signaller_role,
        forwarded=forwarded, **contact,
    )
    step.flush()  # the notice names the event (inside a task's step, that step writes it at its end)
    if forwarded:
        log_case_read(actor, open_case, action=AccessLog.Action.SIGNAL_FORWARDED, request=request)
        notify(step=step, kind=Notification.Kind.SIGNAL_FORWARDED, case=open_case, actor=actor,
               data={"event_id": event.pk, "signaller_role": data.signaller_role, **contact})


def _open_or_find_case(*, actor, within: Step | None, data: SignalInput, region, team, sector: str,
                       own_teams: set[int], request=None) -> tuple[Case, bool]:
    """One step (a savepoint inside the step it is part of, `within`; on its own, it reads the
    reference rows once): the child locked, the signal added to its open case or a new case opened
    with its participants, events, clocks and flows. The events are written together when the step
    ends, once the clocks and the exemption exist (the monitor's spells, built when events are
    written, see them all). `own_teams`: the signaller's teams."""
    with Step.begin(actor, within=within, rows={}) as step:
        key = Child.key_for(data.given_name, data.family_name, data.birth_date)
        # The child, locked: concurrent signals for the same child queue up here. A new child is
        # ours alone until the step commits; two signals creating the same child at once: the
        # loser's INSERT violates the unique key, its step rolls back and `signal_case` runs it
        # again, finding the winner's child (and its case).
        child = Child.objects.select_for_update().filter(match_key=key).first()
        known = child is not None
        if not known:
            child = Child.objects.create(
                match_key=key, given_name=data.given_name.strip(), family_name=data.family_name.strip(),
                birth_date=data.birth_date, pupil_number=data.pupil_number.strip(),
                startkwalificatie=bool(data.startkwalificatie), startkwalificatie_on=data.startkwalificatie_on)
        if data.pupil_number and not child.pupil_number:
            Child.objects.filter(pk=child.pk).update(pupil_number=data.pupil_number.strip())
        if data.startkwalificatie_on is not None and child.startkwalificatie_on is None:  # a child known from before
            Child.objects.filter(pk=child.pk).update(startkwalificatie=True, startkwalificatie_on=data.startkwalificatie_on)
            child.startkwalificatie, child.startkwalificatie_on = True, data.startkwalificatie_on

        # a new child has no case yet
        open_case = Case.objects.filter(child=child).exclude(status=Case.Status.CLOSED).first() if known else None
        if open_case is not None:
            _add_to_open_case(step, open_case, data=data, request=request)
            return open_case, False

        now = timezone.now()
        # A lost race for the child's one open case raises IntegrityError here: the step (itself a
        # savepoint when nested) rolls back and `signal_case` runs it again.
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
        opened = step.open(case)
        reason = CaseParticipant.Reason.LEERPLICHT if data.school is None else CaseParticipant.Reason.SCHOOL_TEAM
        CaseParticipant.objects.create(case=case, team=team, reason=reason, since=now)
        held_by(step.rows, case, team)  # its only team: the flow's first task is for it
        if team.pk not in own_teams:
            CaseParticipant.objects.create(case=case, user=actor, reason=CaseParticipant.Reason.SIGNALLER, since=now)
        # The intake's events are written together once its clocks and exemption exist, so that the
        # monitor's spells (rebuilt when the events are written) see them all.
        step.record(
            case, actor, events.Signalled, at=now,
            registration=case.registration, category=case.category, sector=case.sector,
            school_id=case.school_id, region_id=case.region_id, team_id=team.pk,
            absent_since=case.absent_since.isoformat(), signaller_role=case.signaller_role,
        )
        # The registration holds from the first day out of school (an exemption from the signal on); the
        # monitor counts a case only from its signal, so the date matters for later changes dated back.
        since = timezone.localdate(now) if case.registration == Case.Registration.VRIJ else case.absent_since
        record_registration(step, case, None, case.registration, since=since, reason="", trigger="signalled", at=now)
        if data.startkwalificatie_on is not None:
            # its date ends the qualification duty (the leerplicht-end clock the case starts with reads it)
            step.record(case, actor, events.StartkwalificatieRecorded, at=now,
                             obtained_on=child.startkwalificatie_on.isoformat())
        opened.clocks = clocks.start_case_clocks(case, now)
        if case.registration == Case.Registration.VRIJ:
            opened.exemptions.append(_record_exemption(step, case, data, now))
        case_opened.send(sender=Case, case=case, actor=actor, step=step)
        if case.registration == Case.Registration.VRIJ and data.vrijstelling_grounds == Vrijstelling.Grounds.ART_5A:
            exemption_advice_needed.send(sender=Case, case=case, step=step)
        act_on_overdue(step, case, now, started=opened.clocks)
        return case, True


def _record_exemption(step: Step, case: Case, data: SignalInput, now) -> Vrijstelling:
    """The exemption Leerplicht granted before the signal. It counts as granted from the signal,
    except a 5a: Leerplicht asks the SWV's advice on a 5a (Thuiszitterspact Groningen, "Uitgangspunten
    & ontwikkelpunten"), so the advice route starts (the ECT; for MBO the institution's team) and the
    exemption is granted, from that day, once the advice is on record (`advise_vrijstelling`)."""
    actor = step.actor
    awaiting_advice = data.vrijstelling_grounds == Vrijstelling.Grounds.ART_5A
    granted = {} if awaiting_advice else {
        "granted": True, "starts_on": timezone.localdate(now), "decided_by": actor, "decided_at": now,
        "decision_motivation": _("Recorded with the signal.")}
    exemption = Vrijstelling.objects.create(
        case=case, grounds=data.vrijstelling_grounds, requested_by=actor, requested_at=now,
        motivation=_("The exemption had been granted before the case was signalled."), medical_statement=False,
        until=data.vrijstelling_until, recorded_with_signal=True, **granted)
    step.record(case, actor, events.VrijstellingRecorded, at=now, vrijstelling_id=exemption.pk,
                     grounds=exemption.grounds, until=exemption.until.isoformat(), granted=not awaiting_advice,
                     awaiting_advice=awaiting_advice)
    if awaiting_advice:
        for team, reason in route_teams(step, case, Route.VRIJSTELLING_ADVIES):
            join(step, case, team, reason, now)
        RouteRun.objects.create(case=case, plan=None, route=Route.VRIJSTELLING_ADVIES, started_at=now)
    clocks.start_exemption_clock(exemption)
    return exemption
