"""Retention: closed cases are pseudonymised, and later stripped of all personal data, after
periods that depend on the outcome (settings; defaults and legal grounds in docs/privacy.md).

- pseudonymise: the child's names replaced by a case-free pseudonym, the birth date cut to the
  year, the pupil number and every free text (summary, plans, advice, motivations, notes of
  evaluations, notes, the reasons and notes typed with a task distribution, a registration or
  participation change, a review, a failed start or an ended exemption) removed, the documents
  deleted (rows and files), the mentor's contact details removed;
- delete: the mentor records removed as well; what remains is the statistical skeleton of the
  case (region, school, sector, registration, dates, statuses and the ids-only CaseEvent
  history), so that the monitor's counts for past peildata stay intact.

A case whose arrangement included care (a care provider) is kept, before deletion, at least
CASEWORK_RETENTION_CARE_YEARS (20, Jeugdwet art. 7.3.8) after the care ended. Each action is
logged once in the RetentionLogEntry table (case number, action, rule: no personal data);
running again does nothing more (idempotent), and `dry_run` only reports.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from casework.models import (
    Arrangement,
    ArrangementEvaluation,
    Case,
    CaseEvent,
    Child,
    EctAdvice,
    Mentor,
    Note,
    Offer,
    PlacementDecision,
    Plan,
    RetentionLogEntry,
    Vrijstelling,
)
from casework.monitor import spells
from casework.services.casefile import delete_documents_of
from casework.services.idempotency import purge_expired

DEFAULT_PERIODS = {  # outcome: (pseudonymise after years, delete after years), counted from closure
    Case.Outcome.TERUG_NAAR_SCHOOL: (2, 5),
    Case.Outcome.PASSEND_AANBOD: (2, 5),
    Case.Outcome.VRIJSTELLING: (5, 7),
    Case.Outcome.VERHUISD: (1, 5),
    Case.Outcome.ACHTTIEN: (2, 5),
    Case.Outcome.ANDERS: (2, 5),
}


def periods() -> dict[str, tuple[int, int]]:
    return {**DEFAULT_PERIODS, **getattr(settings, "CASEWORK_RETENTION_PERIODS", {})}


def care_years() -> int:
    return int(getattr(settings, "CASEWORK_RETENTION_CARE_YEARS", 20))


def years_after(moment: dt.datetime, years: int) -> dt.datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


@dataclass(frozen=True)
class Due:
    case_id: int
    action: str
    rule: str
    closed_at: dt.datetime


def due_actions(now) -> list[Due]:
    """The retention actions due at `now` that have not been done yet."""
    done = set(RetentionLogEntry.objects.values_list("case_number", "action"))
    care_end = dict(
        Arrangement.objects.exclude(care_provider="").values("case_id").annotate(end=Max("end_date"))
        .values_list("case_id", "end")
    )
    rules = periods()
    due = []
    for case_id, outcome, closed_at in Case.objects.filter(status=Case.Status.CLOSED, closed_at__isnull=False) \
            .values_list("pk", "outcome", "closed_at").order_by("closed_at", "pk"):
        pseudo_years, delete_years = rules.get(outcome, rules[Case.Outcome.ANDERS])
        delete_at = years_after(closed_at, delete_years)
        if case_id in care_end:
            end = timezone.make_aware(dt.datetime.combine(care_end[case_id], dt.time.min))
            delete_at = max(delete_at, years_after(end, care_years()))
        if now >= years_after(closed_at, pseudo_years) and (case_id, "pseudonymised") not in done:
            due.append(Due(case_id, RetentionLogEntry.Action.PSEUDONYMISED, outcome, closed_at))
        if now >= delete_at and (case_id, "deleted") not in done:
            due.append(Due(case_id, RetentionLogEntry.Action.DELETED, outcome, closed_at))
    return due


def apply_retention(now=None, *, dry_run: bool = False) -> list[Due]:
    """Carry out (or, with dry_run, only list) the retention actions due now. The run also deletes
    the API's stored answers to idempotent requests once their 24 hours have passed."""
    now = now or timezone.now()
    actions = due_actions(now)
    if dry_run:
        return actions
    purge_expired(now)
    for action in actions:
        with transaction.atomic():
            _apply(action, now)
    return actions


def _apply(action: Due, now) -> None:
    case = Case.objects.select_for_update().select_related("child").get(pk=action.case_id)
    _strip_free_text(case)
    if action.action == RetentionLogEntry.Action.DELETED:
        Mentor.objects.filter(case=case).delete()
    _pseudonymise_child(case.child)
    RetentionLogEntry.objects.create(case_number=case.pk, action=action.action, rule=action.rule,
                                     closed_at=action.closed_at, at=now)


def _strip_free_text(case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(summary="")
    Plan.objects.filter(case=case).update(text="", ect_question="", pupil_preference="")
    EctAdvice.objects.filter(case=case).update(question="", advice="", reason="")
    Vrijstelling.objects.filter(case=case).update(motivation="", advice_motivation="", alternatives="",
                                                  decision_motivation="")
    PlacementDecision.objects.filter(case=case).update(advice="", motivation="")
    Mentor.objects.filter(case=case).update(name="", relation="", contact="", user=None)
    ArrangementEvaluation.objects.filter(arrangement__case=case).update(notes="")
    Note.objects.filter(case=case).update(text="")
    delete_documents_of(case)
    Offer.objects.filter(case=case).update(reason="")
    Vrijstelling.objects.filter(case=case).update(end_reason="")
    for event in CaseEvent.objects.filter(case=case, kind__in=CaseEvent.REASON_KINDS):
        free_text = {key for key in ("reason", "note") if event.data.get(key)}
        if free_text:  # the reasons and notes people typed (task distribution, registration, reviews)
            CaseEvent.objects.filter(pk=event.pk).update(
                data={key: value for key, value in event.data.items() if key not in free_text})


def _pseudonymise_child(child: Child) -> None:
    """Only once none of the child's cases is open: an open case still needs the names."""
    if child.cases.exclude(status=Case.Status.CLOSED).exists():
        return
    Child.objects.filter(pk=child.pk).update(
        given_name="-", family_name=f"#{child.pk}", birth_date=child.birth_date.replace(month=1, day=1),
        pupil_number="", match_key=None,
    )
    # the monitor's spells carry the birth date too: they take the coarsened one
    spells.refresh(child.cases.values_list("pk", flat=True))
