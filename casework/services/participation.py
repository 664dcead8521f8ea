"""Parents and young people: a personal access link to follow the case and give or withdraw
consent. The link shows only what the team chose to share; every view is logged; a consent
change is a CaseEvent and tells the team; withdrawing the JIM consent ends the mentor's access
at once."""

import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.access import client_ip, logged_path, parse_id
from casework.clocks import age_on
from casework.models import (
    AccessLink,
    AccessLog,
    Case,
    CaseParticipant,
    Consent,
    Mentor,
    PublicSignal,
    events,
)
from casework.responsibility import case_team
from casework.services.intake import (
    DuplicateSignal,
    SignalInput,
    dates_out_of_range,
    name_errors,
    signal_case,
    validate_signal,
)
from casework.services.ladder import command
from casework.step import Step
from notifications.models import Notification
from notifications.services import notify
from teams.models import Membership

LINK_DAYS = 30
MIN_AGE_YOUNG_PERSON = 12


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_case_team(user, case: Case) -> bool:
    team = case_team(case)
    return team is not None and Membership.objects.filter(user=user, team=team).exists()


def ensure_case_team(user, case: Case) -> None:
    if not is_case_team(user, case):
        raise PermissionDenied(_("Only the case team sends personal links."))


def links_of(case: Case, now=None) -> list[AccessLink]:
    """The case's personal links, newest first, each with `state` (active, expired or revoked)."""
    now = now or timezone.now()
    links = list(AccessLink.objects.filter(case=case).select_related("contact", "created_by"))
    for link in links:
        link.state = ("revoked" if link.revoked_at else "expired" if link.expires_at <= now else "active")
    return links


@command
def revoke_access_link(*, step: Step, case: Case, link_id) -> AccessLink:
    """End a personal link at once (the case team): its page answers as for an expired link from
    now on. Revoking a revoked link changes nothing."""
    actor = step.actor
    ensure_case_team(actor, case)
    link = AccessLink.objects.select_for_update().filter(case=case, pk=parse_id(link_id)).first()
    if link is None:
        raise Http404
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
        step.record(case, actor, events.AccessLinkRevoked, at=link.revoked_at, link_id=link.pk,
                         audience=link.audience)
    return link


@command
def create_access_link(*, step: Step, case: Case, audience: str, message: str, next_step: str, contact,
                       days: int = LINK_DAYS) -> tuple[AccessLink, str]:
    """A new link for a parent or a young person (12+); returns it with its token (shown once)."""
    actor = step.actor
    ensure_case_team(actor, case)
    team = case_team(case)
    errors: dict[str, list[str]] = {}
    if audience not in AccessLink.Audience.values:
        errors["audience"] = [_("Choose parent or young person.")]
    elif audience == AccessLink.Audience.JONGERE and age_on(case.child.birth_date, timezone.localdate()) \
            < MIN_AGE_YOUNG_PERSON:
        errors["audience"] = [_("A young person gets their own link from the age of 12.")]
    if not (message or "").strip():
        errors["message"] = [_("Write what you share, in plain words.")]
    if not (next_step or "").strip():
        errors["next_step"] = [_("Write the next step.")]
    if contact is None or not Membership.objects.filter(user=contact, team=team).exists():
        errors["contact"] = [_("Choose a contact person from the case team.")]
    if errors:
        raise ValidationError(errors)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    link = AccessLink.objects.create(case=case, audience=audience, token_hash=token_hash(token),
                                     message=message.strip(), next_step=next_step.strip(), contact=contact,
                                     created_by=actor, created_at=now, expires_at=now + timezone.timedelta(days=days))
    step.record(case, actor, events.AccessLinkCreated, at=now, link_id=link.pk, audience=audience)
    return link, token


def open_link(token: str, *, request=None) -> AccessLink:
    """The link for this token if it is valid now (the view is logged), else Http404."""
    link = (AccessLink.objects.select_related("case__child", "contact")
            .filter(token_hash=token_hash(token or ""), revoked_at__isnull=True, expires_at__gt=timezone.now())
            .first())
    if link is None:
        raise Http404
    AccessLog.objects.create(user=None, access_link=link, case=link.case, action=AccessLog.Action.LINK_VIEW,
                             path=logged_path(request), ip=client_ip(request))  # the token never in the log
    return link


STATUS_TEXT = {
    Case.Status.SIGNALLED: gettext_lazy("The team knows about the situation and will discuss it within two working days."),
    Case.Status.ACTIVE: gettext_lazy("The team is working on a plan together with you."),
    Case.Status.ESCALATED: gettext_lazy("No suitable place has been found yet; the samenwerkingsverband is now helping to find one."),
    Case.Status.PLACED: gettext_lazy("There is an offer with a place. The team will check with you how it goes."),
    Case.Status.CLOSED: gettext_lazy("The case has been closed."),
}


def plain_status(case: Case) -> str:
    return str(STATUS_TEXT[case.status])


def consents(case: Case, by: str) -> dict[str, bool | None]:
    """One person's (parent's or young person's) current consent per subject; None: not given yet."""
    given = dict(Consent.objects.filter(case=case, by=by).values_list("subject", "given"))
    return {subject: given.get(subject) for subject in Consent.Subject.values}


# Each consent as a whole sentence, for the person themselves (on their link page, by None) and for
# the case team (by the person's audience): not asked yet, given, refused.
CONSENT_SENTENCES = {
    (None, Consent.Subject.JIM): (
        gettext_lazy("You have not said yet whether the JIM mentor may see what is shared with them."),
        gettext_lazy("You have agreed that the JIM mentor may see what is shared with them."),
        gettext_lazy("You have not agreed that the JIM mentor may see what is shared with them.")),
    (None, Consent.Subject.CARE_PROVIDER): (
        gettext_lazy("You have not said yet whether information may be shared with the care provider."),
        gettext_lazy("You have agreed that information may be shared with the care provider."),
        gettext_lazy("You have not agreed that information may be shared with the care provider.")),
    (None, Consent.Subject.SURVEY): (
        gettext_lazy("You have not said yet whether you may be asked a few questions after the ECT's help."),
        gettext_lazy("You have agreed that you may be asked a few questions after the ECT's help."),
        gettext_lazy("You have not agreed that you may be asked a few questions after the ECT's help.")),
    (AccessLink.Audience.OUDER, Consent.Subject.SURVEY): (
        gettext_lazy("The parent has not said yet whether they may be asked a few questions after the ECT's help."),
        gettext_lazy("The parent has agreed that they may be asked a few questions after the ECT's help."),
        gettext_lazy("The parent has not agreed that they may be asked a few questions after the ECT's help.")),
    (AccessLink.Audience.JONGERE, Consent.Subject.SURVEY): (
        gettext_lazy("The young person has not said yet whether they may be asked a few questions after the "
                     "ECT's help."),
        gettext_lazy("The young person has agreed that they may be asked a few questions after the ECT's help."),
        gettext_lazy("The young person has not agreed that they may be asked a few questions after the "
                     "ECT's help.")),
    (AccessLink.Audience.OUDER, Consent.Subject.JIM): (
        gettext_lazy("The parent has not said yet whether the JIM mentor may see what is shared with them."),
        gettext_lazy("The parent has agreed that the JIM mentor may see what is shared with them."),
        gettext_lazy("The parent has not agreed that the JIM mentor may see what is shared with them.")),
    (AccessLink.Audience.OUDER, Consent.Subject.CARE_PROVIDER): (
        gettext_lazy("The parent has not said yet whether information may be shared with the care provider."),
        gettext_lazy("The parent has agreed that information may be shared with the care provider."),
        gettext_lazy("The parent has not agreed that information may be shared with the care provider.")),
    (AccessLink.Audience.JONGERE, Consent.Subject.JIM): (
        gettext_lazy("The young person has not said yet whether the JIM mentor may see what is shared with "
                     "them."),
        gettext_lazy("The young person has agreed that the JIM mentor may see what is shared with them."),
        gettext_lazy("The young person has not agreed that the JIM mentor may see what is shared with them.")),
    (AccessLink.Audience.JONGERE, Consent.Subject.CARE_PROVIDER): (
        gettext_lazy("The young person has not said yet whether information may be shared with the care "
                     "provider."),
        gettext_lazy("The young person has agreed that information may be shared with the care provider."),
        gettext_lazy("The young person has not agreed that information may be shared with the care provider.")),
}


def consent_sentence(subject: str, given: bool | None, by: str | None = None) -> str:
    """One consent as a whole sentence: the person's own (by None) or, for the team, `by`'s."""
    not_asked, agreed, refused = CONSENT_SENTENCES[(by, subject)]
    return str(not_asked if given is None else agreed if given else refused)


def own_consent_lines(case: Case, by: str) -> list[tuple[str, str, bool | None]]:
    """For the link page: the link holder's own consent per subject, [(subject, sentence, given)]."""
    own = consents(case, by)
    return [(subject, consent_sentence(subject, own[subject]), own[subject]) for subject in Consent.Subject.values]


def consents_per_person(case: Case) -> list[tuple[str, list[tuple[str, bool | None]]]]:
    """For the case team: each person's consent per subject, [(whose, [(sentence, given)])]."""
    rows = {(by, subject): given for by, subject, given in
            Consent.objects.filter(case=case).values_list("by", "subject", "given")}
    return [(str(whose), [(consent_sentence(subject, rows.get((by, subject)), by), rows.get((by, subject)))
                          for subject in Consent.Subject.values])
            for by, whose in AccessLink.Audience.choices]


@command
def set_consent(*, step: Step, link: AccessLink, subject: str, given: bool) -> Consent:
    """The link holder's own consent on one subject; the other person's consent stays as it is."""
    if subject not in Consent.Subject.values:
        raise ValidationError({"subject": [_("Unknown subject of consent.")]})
    now = timezone.now()
    consent, _created = Consent.objects.update_or_create(
        case=link.case, subject=subject, by=link.audience, defaults={"given": bool(given), "at": now})
    step.record(link.case, None, events.ConsentGiven if given else events.ConsentWithdrawn, at=now,
                     subject=subject, by=link.audience, link_id=link.pk)
    if subject == Consent.Subject.JIM and not given:
        mentors = Mentor.objects.filter(case=link.case, active=True)
        CaseParticipant.objects.filter(case=link.case, reason=CaseParticipant.Reason.MENTOR,
                                       user__in=mentors.values("user")).delete()
        mentors.update(active=False)
    notify(step=step, kind=Notification.Kind.CONSENT_CHANGED, case=link.case, data={"subject": subject, "given": bool(given),
                                                         "by": link.audience})
    return consent


# --- the public signal form ------------------------------------------------------------------


def receive_public_signal(*, region, reporter_role: str, given_name: str, family_name: str, birth_date, school,
                          absent_since, description: str, reporter_name: str, reporter_contact: str):
    """Store a signal from a parent or young person; the verification flow puts it in the region's
    Leerplicht queue (the flow start is the caller's: workflows). Nothing is a case yet."""
    # A date outside 1900-2100 is refused on its field, with the other problems, before any rule
    # computes an age from it.
    errors: dict[str, list[str]] = {**dates_out_of_range(birth_date=birth_date, absent_since=absent_since),
                                    **name_errors(given_name=given_name, family_name=family_name)}
    if reporter_role not in AccessLink.Audience.values:
        errors["reporter_role"] = [_("Say whether you are a parent or the young person.")]
    for field, value in (("description", description), ("reporter_name", reporter_name),
                         ("reporter_contact", reporter_contact)):
        if not (value or "").strip():
            errors[field] = [_("Fill this in.")]
    if school is not None and region is not None and school.region_id != region.pk:
        errors["school"] = [_("The school belongs to another region.")]
    region = school.region if school is not None else region
    if region is None:
        errors["region"] = [_("Choose the region, or the school.")]
    if errors:
        raise ValidationError(errors)
    validate_signal(SignalInput(  # the same rules for dates and ages as any signal
        given_name=given_name, family_name=family_name, birth_date=birth_date,
        sector=school.sector if school else "vo", registration="dreigend" if school else "av",
        category="onbekend", absent_since=absent_since, signaller_role=reporter_role, school=school,
        region=None if school else region))
    return PublicSignal.objects.create(
        region=region, reporter_role=reporter_role, given_name=given_name.strip(), family_name=family_name.strip(),
        birth_date=birth_date, school=school, absent_since=absent_since, description=description.strip(),
        reporter_name=reporter_name.strip(), reporter_contact=reporter_contact.strip())


@command
def verify_public_signal(*, step: Step, public_signal, verified: bool, registration: str = "", category: str = "",
                         reason: str = ""):
    """Leerplicht's verification: a verified signal becomes a case through `signal_case` (or is
    added to the child's open case); a rejected one keeps only its reason, not the child's data."""
    actor = step.actor
    signal = PublicSignal.objects.select_for_update().get(pk=public_signal.pk)
    if signal.status != PublicSignal.Status.PENDING:
        raise ValidationError({"__all__": [_("This signal has been handled already.")]})
    now = timezone.now()
    if not verified:
        if not (reason or "").strip():
            raise ValidationError({"reason": [_("Explain why the signal is not taken up.")]})
        PublicSignal.objects.filter(pk=signal.pk).update(
            status=PublicSignal.Status.REJECTED, reason=reason.strip(), decided_by=actor, decided_at=now,
            given_name="-", family_name="-", description="", reporter_name="-", reporter_contact="-")
        return None
    if registration not in Case.Registration.values:
        raise ValidationError({"registration": [_("Choose the registration.")]})
    data = SignalInput(
        given_name=signal.given_name, family_name=signal.family_name, birth_date=signal.birth_date,
        school=signal.school, region=None if signal.school else signal.region,
        sector=signal.school.sector if signal.school else ("po" if signal.region.sector == "po" else "vo"),
        registration=registration, category=category or Case.Category.ONBEKEND, absent_since=signal.absent_since,
        signaller_role=signal.reporter_role,
        summary=_("Signalled by a %(who)s through the public form: %(text)s")
        % {"who": signal.get_reporter_role_display(), "text": signal.description})
    try:
        case = signal_case(step=step, data=data)
    except DuplicateSignal as duplicate:
        case = Case.objects.get(pk=duplicate.case_id)
    PublicSignal.objects.filter(pk=signal.pk).update(status=PublicSignal.Status.VERIFIED, case=case,
                                                     decided_by=actor, decided_at=now)
    return case
