"""The reconciliation page's actions, each on one item of the user's import regions: signal a new
case with a report's data, link a report to an open case, dismiss an item with a reason. Correcting
a case's dated registration is the case's own registration page (casework.services)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.access import parse_id
from casework.clocks import lrv_days
from casework.models import Case
from casework.services import DuplicateSignal, signal_case
from casework.services.intake import SignalForwarded, SignalInput
from casework.step import Step
from chain.models import AbsenceReport, EnrolmentChange
from chain.rules import ensure_can_import
from chain.services import record_report
from teams.models import Sector


def _report(actor, report_id) -> AbsenceReport:
    regions = ensure_can_import(actor)
    report = (AbsenceReport.objects.select_related("school").filter(pk=parse_id(report_id), region_id__in=regions)
              .first())
    if report is None:
        raise Http404
    return report


def _unenrolment(actor, change_id) -> EnrolmentChange:
    regions = ensure_can_import(actor)
    change = (EnrolmentChange.objects.select_related("school")
              .filter(pk=parse_id(change_id), region_id__in=regions, change=EnrolmentChange.Change.OUT).first())
    if change is None:
        raise Http404
    return change


def _still_open(item) -> None:
    if item.state != AbsenceReport.State.OPEN:
        raise ValidationError({"__all__": [_("This item was dealt with already.")]})


def signal_from_report(*, actor, report_id) -> Case:
    """A new case from the report's data: the school reported the absence (signaller: the school),
    registered dreigend under four weeks, absolute absence for an `absoluut` report, else LRV.
    When the child turns out to have an open case, the report is linked to it instead."""
    report = _report(actor, report_id)
    _still_open(report)
    today = timezone.localdate()
    if report.kind == AbsenceReport.Kind.ABSOLUUT:
        registration = Case.Registration.AV
    else:
        registration = Case.Registration.DREIGEND if (today - report.first_day).days < lrv_days() \
            else Case.Registration.LRV
    school = None if registration == Case.Registration.AV else report.school
    data = SignalInput(
        given_name=report.given_names.split(" ")[0], family_name=report.family_name, birth_date=report.birth_date,
        pupil_number=report.pupil_number, school=school, region=report.region if school is None else None,
        sector=report.school.sector if report.school else Sector.VO, registration=registration,
        category=Case.Category.ONBEKEND, absent_since=report.first_day, signaller_role=Case.SignallerRole.SCHOOL,
        summary=_("From the absence report %(reference)s (%(kind)s).") % {
            "reference": report.melding_id or f"#{report.pk}", "kind": report.get_kind_display()})
    try:
        with transaction.atomic():
            case = signal_case(actor=actor, data=data)
            state = AbsenceReport.State.SIGNALLED
    except (DuplicateSignal, SignalForwarded) as known:
        case, state = Case.objects.get(pk=known.args[0]), AbsenceReport.State.LINKED
    _attach(actor, report, case, state)
    return case


def link_report(*, actor, report_id, case_id) -> Case:
    """Link the report to an open case of its region (the match the import could not make)."""
    report = _report(actor, report_id)
    _still_open(report)
    case = Case.objects.filter(pk=parse_id(case_id), region_id=report.region_id).exclude(
        status=Case.Status.CLOSED).first()
    if case is None:
        raise ValidationError({"case": [_("No open case with this number in the report's region.")]})
    _attach(actor, report, case, AbsenceReport.State.LINKED)
    return case


def _attach(actor, report: AbsenceReport, case: Case, state: str) -> None:
    with Step.begin(actor) as step:
        report.case, report.state, report.updated_at = case, state, timezone.now()
        report.save(update_fields=["case", "state", "updated_at"])
        record_report(step, case, report)


def dismiss(*, actor, item: str, item_id, reason: str) -> None:
    """Set an item aside with a reason (a report that needs no case, an unenrolment with a school
    elsewhere): it leaves the page, the reason stays."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason.")]})
    if item not in ("report", "unenrolment"):
        raise PermissionDenied
    row = _report(actor, item_id) if item == "report" else _unenrolment(actor, item_id)
    _still_open(row)
    row.state, row.dismissed_reason = AbsenceReport.State.DISMISSED, reason[:300]
    row.save(update_fields=["state", "dismissed_reason"])


def signal_unenrolled(*, actor, change_id) -> Case:
    """A case for a pupil unenrolled without a school elsewhere: absolute absence (AV) from the
    unenrolment's date, in the old school's region."""
    change = _unenrolment(actor, change_id)
    _still_open(change)
    data = SignalInput(
        given_name=change.given_names.split(" ")[0], family_name=change.family_name, birth_date=change.birth_date,
        pupil_number="", school=None, region=change.region, sector=change.school.sector if change.school else Sector.VO,
        registration=Case.Registration.AV, category=Case.Category.ONBEKEND, absent_since=change.date,
        signaller_role=Case.SignallerRole.LEERPLICHT,
        summary=_("Unenrolled on %(date)s without an enrolment elsewhere (reported by the chain).")
        % {"date": change.date.isoformat()})
    try:
        with transaction.atomic():
            case = signal_case(actor=actor, data=data)
            state = AbsenceReport.State.SIGNALLED
    except (DuplicateSignal, SignalForwarded) as known:
        case, state = Case.objects.get(pk=known.args[0]), AbsenceReport.State.LINKED
    change.case, change.state = case, state
    change.save(update_fields=["case", "state"])
    return case
