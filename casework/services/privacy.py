"""The privacy officer's tools: the access log (and who reads it), subject access (inzage) and
the data-breach register with its 72-hour clock. Rules and writes for these live here.

A privacy officer (RegionRole `privacy_officer`) works on the cases and breaches of their
regions only; anyone else gets 404 on these pages. Every reading of the access log, and every
subject-access export, writes a LogReading row (ids and dates only).
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.access import access_case_by_id, client_ip
from casework.models import (
    AccessLog,
    Case,
    Child,
    DataBreach,
    Deadline,
    LogReading,
)
from casework.services.ladder import command
from casework.step import Step
from teams.models import Membership, RegionRole

BREACH_DECISION_HOURS = 72
BREACH_WARNING_HOURS = 48


def privacy_regions(user) -> list[int]:
    if not user.is_authenticated:
        return []
    return list(RegionRole.objects.filter(user=user, role=RegionRole.Role.PRIVACY_OFFICER)
                .values_list("region_id", flat=True))


def ensure_privacy_officer(user) -> list[int]:
    """The regions of a privacy officer; Http404 for anyone else (no hint the pages exist)."""
    regions = privacy_regions(user)
    if not regions:
        raise Http404
    return regions


def record_reading(user, kind: str, *, filters: dict, results: int, request=None) -> LogReading:
    return LogReading.objects.create(
        user=user, kind=kind, filters=filters, results=results,
        path=request.path[:500] if request is not None else "", ip=client_ip(request),
    )


# --- the access log -----------------------------------------------------------------------------


# A name search finds list rows for at most this many matching cases (a common first name).
LIST_MATCH_LIMIT = 200


def about_case(case_id: int) -> Q:
    """Access-log rows about one case: its reads, its signal's reads, and lists that showed it."""
    return Q(case_id=case_id) | Q(public_signal__case_id=case_id) | Q(shown_cases__contains=f",{case_id},")


def search_access_log(user, *, case_id: int | None = None, child_name: str = "", username: str = "",
                      team_id: int | None = None, since: dt.date | None = None,
                      until: dt.date | None = None) -> QuerySet[AccessLog]:
    """Access-log rows of the officer's regions, filtered by case, child, user, team and period."""
    regions = ensure_privacy_officer(user)
    in_regions = Q(case__region_id__in=regions) | Q(public_signal__region_id__in=regions)
    for region in regions:  # lists that showed a case of the region
        in_regions |= Q(shown_regions__contains=f",{region},")
    rows = AccessLog.objects.filter(in_regions).select_related("user", "case")
    if case_id:
        rows = rows.filter(about_case(case_id))
    if child_name.strip():
        for word in child_name.split():
            named = list(Case.objects.filter(region_id__in=regions).filter(
                Q(child__given_name__icontains=word) | Q(child__family_name__icontains=word))
                .values_list("pk", flat=True)[:LIST_MATCH_LIMIT])
            shown = Q(pk__in=[])
            for pk in named:
                shown |= Q(shown_cases__contains=f",{pk},")
            rows = rows.filter(Q(case__child__given_name__icontains=word) | Q(case__child__family_name__icontains=word)
                               | Q(public_signal__given_name__icontains=word)
                               | Q(public_signal__family_name__icontains=word) | shown)
    if username.strip():
        rows = rows.filter(user__username=username.strip())
    if team_id:
        rows = rows.filter(user__memberships__team_id=team_id)
    if since:
        rows = rows.filter(at__gte=timezone.make_aware(dt.datetime.combine(since, dt.time.min)))
    if until:
        rows = rows.filter(at__lt=timezone.make_aware(dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min)))
    return rows.order_by("-at", "-pk")


def reading_filters(*, case_id=None, child_name="", username="", team_id=None, since=None, until=None) -> dict:
    """What a LogReading keeps of a search: ids and dates, and only *whether* a name was used."""
    return {
        "case_id": case_id, "child_name_used": bool(child_name.strip()), "username": username or None,
        "team_id": team_id, "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
    }


def is_case_coordinator(user, case: Case) -> bool:
    """Who looked at a case is for the coordinators of the teams working on it."""
    return Membership.objects.filter(
        user=user, role=Membership.Role.COORDINATOR,
        team__case_participations__case=case,
    ).exists()


def ensure_case_coordinator(user, case: Case) -> None:
    if not is_case_coordinator(user, case):
        raise PermissionDenied(_("Only a coordinator of a team on this case sees who looked at it."))


def case_access_log(user, case_id, *, request=None) -> tuple[Case, QuerySet[AccessLog]]:
    case = access_case_by_id(user, case_id, request=request)
    ensure_case_coordinator(user, case)
    rows = AccessLog.objects.filter(about_case(case.pk)).select_related("user").order_by("-at", "-pk")
    record_reading(user, LogReading.Kind.CASE_LOG, filters={"case_id": case.pk}, results=rows.count(),
                   request=request)
    return case, rows


# --- subject access (inzage) -------------------------------------------------------------------


def child_for_officer(user, child_id) -> Child:
    regions = ensure_privacy_officer(user)
    try:
        return Child.objects.filter(cases__region_id__in=regions).distinct().get(pk=int(child_id))
    except (Child.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def find_children(user, name: str) -> QuerySet[Child]:
    regions = ensure_privacy_officer(user)
    children = Child.objects.filter(cases__region_id__in=regions).distinct()
    for word in name.split():
        children = children.filter(Q(given_name__icontains=word) | Q(family_name__icontains=word))
    return children.order_by("family_name", "given_name", "pk") if name.strip() else children.none()


def subject_access(user, child_id, *, request=None) -> dict:
    """Everything stored about a child: cases, timeline, advice, decisions, mentors,
    arrangements, clocks, and who accessed the file. Produced by a privacy officer; logged."""
    child = child_for_officer(user, child_id)
    cases = []
    for case in (Case.objects.filter(child=child).select_related("school", "region", "signalled_by")
                 .prefetch_related("events__actor", "plans", "ect_advices", "vrijstellingen",
                                   "placements__school_board", "placements__school", "mentors",
                                   "arrangements__evaluations", "deadlines", "participants__team",
                                   "participants__user", "notes__author", "documents")):
        cases.append({
            "id": case.pk,
            "region": case.region.name,
            "school": case.school.name if case.school else None,
            "sector": case.sector,
            "registration": case.registration,
            "category": case.category,
            "absent_since": case.absent_since.isoformat(),
            "signalled_at": case.signalled_at.isoformat(),
            "signaller_role": case.signaller_role,
            "summary": case.summary,
            "status": case.status,
            "outcome": case.outcome,
            "closed_at": case.closed_at.isoformat() if case.closed_at else None,
            "participants": [str(p.team or p.user) for p in case.participants.all()],
            "timeline": [{"at": e.at.isoformat(), "kind": e.kind, "label": e.label,
                          "actor": e.actor.get_full_name() if e.actor else None, "data": e.data}
                         for e in case.events.all()],
            "plans": [{"at": p.recorded_at.isoformat(), "text": p.text, "routes": p.routes, "outcome": p.outcome}
                      for p in case.plans.all()],
            "advice": [{"at": a.drafted_at.isoformat(), "question": a.question, "advice": a.advice,
                        "status": a.status} for a in case.ect_advices.all()],
            "vrijstellingen": [{"requested_at": v.requested_at.isoformat(), "grounds": v.grounds,
                                "motivation": v.motivation, "advice": v.advice, "granted": v.granted,
                                "until": v.until.isoformat() if v.until else None} for v in case.vrijstellingen.all()],
            "decisions": [{"kind": d.kind, "at": d.decided_at.isoformat(), "school_board": d.school_board.name,
                           "school": d.school.name if d.school else None,
                           "start_date": d.start_date.isoformat() if d.start_date else None,
                           "motivation": d.motivation, "advice": d.advice} for d in case.placements.all()],
            "mentors": [{"name": m.name, "relation": m.relation, "contact": m.contact, "share": m.share,
                         "active": m.active} for m in case.mentors.all()],
            "arrangements": [{"education": a.education, "care_provider": a.care_provider, "funding": a.funding,
                              "start_date": a.start_date.isoformat(), "end_date": a.end_date.isoformat(),
                              "evaluations": [{"at": e.evaluated_at.isoformat(), "result": e.result,
                                               "notes": e.notes} for e in a.evaluations.all()]}
                             for a in case.arrangements.all()],
            "notes": [{"at": n.created_at.isoformat(), "author": n.author.get_full_name() or n.author.username,
                       "text": n.text, "corrects": n.corrects_id} for n in case.notes.all()],
            "documents": [{"at": d.uploaded_at.isoformat(), "kind": d.kind, "filename": d.filename,
                           "content_type": d.content_type, "size": d.size} for d in case.documents.all()],
            "clocks": [{"kind": d.kind, "due_at": d.due_at.isoformat(), "state": d.state} for d in case.deadlines.all()],
            "accessed_by": [{"at": row.at.isoformat(), "user": row.user.get_full_name() or row.user.username,
                             "action": row.action}
                            for row in AccessLog.objects.filter(Q(case=case) | Q(public_signal__case=case))
                            .select_related("user").order_by("at")],
        })
    export = {
        "generated_at": timezone.now().isoformat(),
        "child": {"given_name": child.given_name, "family_name": child.family_name,
                  "birth_date": child.birth_date.isoformat(), "pupil_number": child.pupil_number},
        "cases": cases,
    }
    record_reading(user, LogReading.Kind.SUBJECT_ACCESS, filters={"child_id": child.pk},
                   results=len(cases), request=request)
    return export


# --- the data-breach register --------------------------------------------------------------------


def breaches_for(user) -> QuerySet[DataBreach]:
    regions = ensure_privacy_officer(user)
    return DataBreach.objects.filter(region_id__in=regions).prefetch_related("deadlines").select_related("region")


@command
def record_breach(*, step: Step, region, what: str, discovered_at, case_ids: list[int], risk: str,
                  measures: str = "") -> DataBreach:
    """Register a breach; its 72-hour clock to decide on notifying the AP starts at discovery."""
    actor = step.actor
    if region.pk not in ensure_privacy_officer(actor):
        raise Http404
    errors: dict[str, list[str]] = {}
    if not (what or "").strip():
        errors["what"] = [_("Describe what happened.")]
    if discovered_at is None:
        errors["discovered_at"] = [_("Give when the breach was discovered.")]
    elif discovered_at > timezone.now():
        errors["discovered_at"] = [_("The discovery cannot be in the future.")]
    if risk not in DataBreach.Risk.values:
        errors["risk"] = [_("Choose the risk.")]
    cases = list(Case.objects.filter(pk__in=case_ids or [], region=region))
    if len(cases) != len(set(case_ids or [])):
        errors["cases"] = [_("Only cases of this region can be linked.")]
    if errors:
        raise ValidationError(errors)
    breach = DataBreach.objects.create(region=region, what=what.strip(), discovered_at=discovered_at, risk=risk,
                                       measures=(measures or "").strip(), recorded_by=actor)
    breach.cases.set(cases)
    Deadline.objects.create(
        data_breach=breach, kind=Deadline.Kind.BREACH_NOTIFICATION_72H,
        due_at=discovered_at + dt.timedelta(hours=BREACH_DECISION_HOURS),
        warn_at=discovered_at + dt.timedelta(hours=BREACH_WARNING_HOURS),
    )
    return breach


@command
def decide_breach(*, step: Step, breach_id, decision: str, decision_motivation: str, ap_reference: str = "") -> DataBreach:
    """Record the decision on notifying the Autoriteit Persoonsgegevens; meets the 72-hour clock
    (a late decision keeps its breach)."""
    actor = step.actor
    breach = breaches_for(actor).select_for_update(of=("self",)).filter(pk=breach_id).first()
    if breach is None:
        raise Http404
    errors: dict[str, list[str]] = {}
    if breach.decided_at:
        errors["decision"] = [_("The decision has already been recorded.")]
    if decision not in DataBreach.Decision.values:
        errors["decision"] = [_("Choose whether the AP was notified.")]
    if not (decision_motivation or "").strip():
        errors["decision_motivation"] = [_("Explain the decision.")]
    if decision == DataBreach.Decision.NOTIFY and not (ap_reference or "").strip():
        errors["ap_reference"] = [_("Give the reference of the notification to the AP.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    breach.decision, breach.decision_motivation = decision, decision_motivation.strip()
    breach.ap_reference = (ap_reference or "").strip()
    breach.decided_by, breach.decided_at = actor, now
    breach.save()
    Deadline.objects.filter(data_breach=breach, met_at__isnull=True).update(met_at=now)
    return breach
