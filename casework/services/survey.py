"""KPI 9: the satisfaction survey after an ECT consult (Jaarkalender & jaarplan SWV VO Groningen
Stad, KPI 9). When a consult closes (its advice approved), the people it helped are invited: the
parent and the young person through their personal link when they agreed to be asked, youth care
(the case's WIJ and JGZ participants) and the school's contact (its case team's coordinator or
chair) by e-mail. An answer is stored without the person, the case or the invitation: the
invitation is only marked used."""

import hashlib
import logging
import secrets
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Case as DbCase
from django.db.models import CharField, Exists, F, OuterRef, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import override

from casework.models import (
    AccessLink,
    Case,
    CaseParticipant,
    Consent,
    EctAdvice,
    SurveyAudience,
    SurveyInvitation,
    SurveyResponse,
)
from casework.models.survey import IMPROVE_MAX_LENGTH
from casework.monitor.year import school_year_of
from casework.step import Step
from teams.models import Membership, Team

log = logging.getLogger(__name__)

YOUTH_CARE_KINDS = (Team.Kind.WIJ, Team.Kind.JGZ)
LINK_AUDIENCES = {AccessLink.Audience.OUDER: SurveyAudience.OUDER,
                  AccessLink.Audience.JONGERE: SurveyAudience.JONGERE}
LINK_SALT = "casework.survey.link"


class SurveyClosed(Exception):
    """The invitation is unknown, answered already or expired (`reason`: unknown, used, expired)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def token_digest(token: str) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


def link_token(advice_id: int, audience: str) -> str:
    """The token of a parent's or young person's invitation: derived from the consult and the
    audience with the secret key, so that their personal-link page can show it again while only
    its digest is stored."""
    return salted_hmac(LINK_SALT, f"{advice_id}:{audience}", algorithm="sha256").hexdigest()


def survey_days() -> int:
    return int(settings.CASEWORK_SURVEY_DAYS)


def invitees(case: Case, now) -> tuple[list[str], list[tuple[str, str]]]:
    """Who is asked about the case's consult, read in one statement (a union):
    - the personal-link audiences (parent, young person) with an active link on the case who
      agreed, on it, to be asked;
    - [(audience, e-mail)]: the active members of the case's youth care teams (WIJ, JGZ) and the
      youth care workers on the case by name ("jeugdhulp"), and the school's contact: the
      coordinators and chairs of the case's school team ("school"); each address once, youth care
      first."""
    agreed = Consent.objects.filter(case=case, subject=Consent.Subject.SURVEY, given=True, by=OuterRef("audience"))
    links = (AccessLink.objects.filter(case=case, revoked_at__isnull=True, expires_at__gt=now)
             .filter(Exists(agreed)).annotate(who=F("audience"), address=Value(""))
             .values_list("who", "address").order_by())
    participants = CaseParticipant.objects.filter(case=case)
    people = (Membership.objects.filter(user__is_active=True)
              .filter(Q(team__in=participants.filter(team__kind__in=YOUTH_CARE_KINDS).values("team_id"))
                      | Q(team__kind__in=YOUTH_CARE_KINDS, user__in=participants.values("user_id"))
                      | Q(team__in=participants.filter(reason=CaseParticipant.Reason.SCHOOL_TEAM).values("team_id"),
                          role__in=Membership.LEAD_ROLES))
              .annotate(who=DbCase(When(team__kind__in=YOUTH_CARE_KINDS, then=Value(SurveyAudience.JEUGDHULP)),
                                   default=Value(SurveyAudience.SCHOOL), output_field=CharField()),
                        address=F("user__email"))
              .values_list("who", "address").order_by())
    rows = set(links.union(people))
    audiences = [audience for audience in AccessLink.Audience.values if (audience, "") in rows]
    seen: set[str] = set()
    recipients = []
    for audience in (SurveyAudience.JEUGDHULP, SurveyAudience.SCHOOL):
        for address in sorted(address for who, address in rows if who == audience and address):
            if address.lower() not in seen:
                seen.add(address.lower())
                recipients.append((audience, address))
    return audiences, recipients


@dataclass(frozen=True)
class _Mail:
    address: str
    url: str


def invite_after_consult(step: Step, case: Case, advice: EctAdvice) -> list[SurveyInvitation]:
    """Inside the step that approves an ECT advice (the consult closes): the invitations, once per
    consult (an advice is approved once). The e-mails go after commit, each with its own link and
    no name of the child."""
    now = step.now
    audiences, recipients = invitees(case, now)
    place = {"advice": advice, "region_id": case.region_id, "school_id": case.school_id, "sector": case.sector,
             "school_year": school_year_of(timezone.localdate(now)), "created_at": now,
             "expires_at": now + timezone.timedelta(days=survey_days())}
    invitations = [SurveyInvitation(audience=LINK_AUDIENCES[audience],
                                    token_hash=token_digest(link_token(advice.pk, LINK_AUDIENCES[audience])), **place)
                   for audience in audiences]
    mails = []
    for audience, address in recipients:
        token = secrets.token_urlsafe(32)
        invitations.append(SurveyInvitation(audience=audience, token_hash=token_digest(token), **place))
        mails.append(_Mail(address=address, url=settings.CASEWORK_BASE_URL + reverse("survey", args=[token])))
    SurveyInvitation.objects.bulk_create(invitations)
    if mails:
        transaction.on_commit(partial(send_invitations, mails, place["expires_at"]))
    return invitations


def send_invitations(mails: list[_Mail], expires_at) -> None:
    """The invitation e-mails (after commit), in the site's language; a failed one is logged
    without its address or link."""
    with override(settings.LANGUAGE_CODE):
        subject = _("A few questions about the help of the ECT")
        until = timezone.localdate(expires_at).strftime("%d-%m-%Y")
        for mail in mails:
            body = _("The Expertise- and Consultation team (ECT) of the samenwerkingsverband has finished its "
                     "advice on a pupil you work with. We would like to know what you thought of it. There are "
                     "three short questions; it takes about two minutes. Your answer is anonymous.\n\n"
                     "Answer here: %(url)s\n\nThe link works once, until %(until)s. This message contains no "
                     "personal data.") % {"url": mail.url, "until": until}
            try:
                send_mail(subject=subject, message=body, from_email=None, recipient_list=[mail.address])
            except OSError:
                log.warning("survey invitation e-mail failed", exc_info=True)


def open_invitations_for_link(link: AccessLink, now=None) -> list[str]:
    """For a personal-link page: the tokens of the open survey invitations of its holder."""
    now = now or timezone.now()
    audience = LINK_AUDIENCES[link.audience]
    rows = SurveyInvitation.objects.filter(advice__case_id=link.case_id, audience=audience, used_at__isnull=True,
                                           expires_at__gt=now).order_by("created_at", "pk")
    tokens = [(link_token(advice_id, audience), digest) for advice_id, digest in rows.values_list("advice_id",
                                                                                                 "token_hash")]
    return [token for token, digest in tokens if token_digest(token) == digest]


def invitation_for(token: str, now=None) -> SurveyInvitation:
    """The open invitation for this token; SurveyClosed (unknown, used or expired) otherwise."""
    now = now or timezone.now()
    invitation = SurveyInvitation.objects.filter(token_hash=token_digest(token)).first()
    if invitation is None:
        raise SurveyClosed("unknown")
    if invitation.used_at is not None:
        raise SurveyClosed("used")
    if invitation.expires_at <= now:
        raise SurveyClosed("expired")
    return invitation


def survey_errors(*, score, listened, improve: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not (isinstance(score, int) and 1 <= score <= 10):
        errors["score"] = [_("Choose a number from 1 to 10.")]
    if listened not in SurveyResponse.Listened.values:
        errors["listened"] = [_("Choose yes, a little or no.")]
    if len(improve or "") > IMPROVE_MAX_LENGTH:
        errors["improve"] = [_("Write at most %(max)s characters.") % {"max": IMPROVE_MAX_LENGTH}]
    return errors


@transaction.atomic
def answer_survey(*, token: str, score, listened: str, improve: str = "") -> None:
    """One answer per invitation: the invitation is marked used and the answer stored with only its
    place, school year and audience. ValidationError (nothing changes) or SurveyClosed."""
    errors = survey_errors(score=score, listened=listened, improve=improve)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    invitation = invitation_for(token, now)
    if not SurveyInvitation.objects.filter(pk=invitation.pk, used_at__isnull=True).update(used_at=now):
        raise SurveyClosed("used")  # a second answer racing this one
    SurveyResponse.objects.create(region_id=invitation.region_id, school_id=invitation.school_id,
                                  sector=invitation.sector, school_year=invitation.school_year,
                                  audience=invitation.audience, score=score, listened=listened,
                                  improve=(improve or "").strip())
