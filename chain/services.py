"""Reading the chain into casework: an import of absence reports or of enrolment changes, row by
row, in one transaction (each row in its own savepoint, so that a refused row changes nothing).

Absence reports (verzuimmeldingen). Each row is matched to the child's open case: by DUO's
reference (a report read before), by school and pupil number, or by name and birth date
(normalised as duplicate detection normalises names: casework.models.cases.comparable_name). A
match adds a dated `absence_reported` event to the case, never a second case (`linked`). Without a
match the report is kept for the reconciliation page (`created`); one whose first day is less than
28 days (CASEWORK_LRV_DAYS) before the import is marked `dreigend` (under the day-29 line: a threatened thuiszitter,
not yet long-term relative absence). A report read before is `duplicate`, or `updated` when DUO's
reference is the same and its facts changed (e.g. the absence ended).

Enrolment changes (in- en uitschrijvingen). An unenrolment of a pupil with an open case makes
them an absolute verzuimer from its date (a dated registration change; Leerplicht joins the case
and is told); an enrolment of an absolute verzuimer makes them LRV at that school, and one at
another school moves the case there. An unenrolment of a pupil without a case is kept for the
reconciliation page (enrolled nowhere else: a possible absolute verzuimer).

Every row answers an outcome and, where it was refused or needs a word, a reason in the user's
language."""

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.clocks import lrv_days
from casework.models import Case, Child, events
from casework.models.cases import comparable_name
from casework.services import change_registration
from casework.step import Step
from chain import formats
from chain.models import AbsenceReport, EnrolmentChange, ImportBatch, Outcome
from chain.rules import ensure_can_import
from teams.models import School


@dataclass
class RowResult:
    row: int
    outcome: str
    reason: str = ""
    case_id: int | None = None
    report_id: int | None = None


@dataclass
class ImportResult:
    batch: ImportBatch
    results: list[RowResult] = field(default_factory=list)

    @property
    def dropped_columns(self) -> list[str]:
        return self.batch.dropped_columns


class Schools:
    """The schools by their BRIN code with or without the 2-digit location (vestiging)."""

    def __init__(self):
        self.by_code = {school.brin: school for school in School.objects.select_related("region")}

    def find(self, brin: str, vestiging: str) -> School | None:
        if vestiging and f"{brin}{vestiging}" in self.by_code:
            return self.by_code[f"{brin}{vestiging}"]
        if brin in self.by_code:
            return self.by_code[brin]
        locations = [school for code, school in self.by_code.items() if code.startswith(brin)]
        return locations[0] if not vestiging and len(locations) == 1 else None


def _pupil_key(row: formats.Pupil) -> str:
    if row.pupil_number:
        return f"n:{row.pupil_number}"
    return f"p:{comparable_name(row.given_names)}|{comparable_name(row.family_name)}|{row.birth_date.isoformat()}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def absence_fingerprint(row: formats.AbsenceRow) -> str:
    if row.melding_id:
        return _digest(f"m:{row.melding_id}")
    return _digest(f"a:{row.brin}{row.vestiging}:{_pupil_key(row)}:{row.kind}:{row.first_day.isoformat()}")


def enrolment_fingerprint(row: formats.EnrolmentRow) -> str:
    return _digest(f"e:{row.brin}{row.vestiging}:{_pupil_key(row)}:{row.change}:{row.date.isoformat()}")


def _names_match(child: Child, row: formats.Pupil) -> bool:
    given = comparable_name(row.given_names)
    mine = comparable_name(child.given_name)
    return comparable_name(child.family_name) == comparable_name(row.family_name) and (
        given == mine or given.split(" ")[0] == mine)


def open_case_for(row: formats.Pupil, school: School | None) -> Case | None:
    """The pupil's open case: by school and pupil number, else by name and birth date (one only)."""
    cases = Case.objects.exclude(status=Case.Status.CLOSED).select_related("child", "school")
    if school is not None and row.pupil_number:
        found = cases.filter(school=school, child__pupil_number=row.pupil_number).first()
        if found is not None:
            return found
    named = [case for case in cases.filter(child__birth_date=row.birth_date) if _names_match(case.child, row)]
    return named[0] if len(named) == 1 else None


def _refused(number: int, reason: str) -> RowResult:
    return RowResult(number, Outcome.REJECTED, reason)


def _school_or_refusal(row: formats.Pupil, schools: Schools, regions: list[int]) -> School | str:
    school = schools.find(row.brin, row.vestiging)
    if school is None:
        return _("No school with BRIN %(brin)s%(vestiging)s is known.") % {"brin": row.brin,
                                                                             "vestiging": row.vestiging}
    if school.region_id not in regions:
        return _("This school is not in a region you import for.")
    return school


def import_records(*, actor, records: list[dict], source: str, filename: str = "",
                   kinds: tuple[str, ...] = (ImportBatch.Kind.ABSENCE, ImportBatch.Kind.ENROLMENT)) -> ImportResult:
    """Read the chain's rows (as parsed from CSV or JSON): absence reports, enrolment changes, or
    both in one file (a row with `change` is an enrolment change, one with `kind` an absence
    report). `kinds`: what this entry point takes (each API endpoint one kind; the page both).
    PermissionDenied for someone who may not import."""
    regions = ensure_can_import(actor)
    today = timezone.localdate()
    schools = Schools()
    with Step.begin(actor) as step:
        records, dropped = formats.drop_national_numbers(records)
        batch = ImportBatch.objects.create(kind=kinds[0] if len(kinds) == 1 else ImportBatch.Kind.MIXED, source=source,
                                           by=actor, filename=filename[:200], rows=len(records), dropped_columns=dropped,
                                           regions="," + "".join(f"{region}," for region in regions))
        result, seen = ImportResult(batch), set()
        for number, record in enumerate(records, start=1):
            kind = _kind_of(record, kinds)
            if kind is None:
                result.results.append(_refused(number, _("A row has either kind (an absence report) or change (an "
                                                         "enrolment change).")))
                continue
            reader = formats.absence_row if kind == ImportBatch.Kind.ABSENCE else formats.enrolment_row
            row = reader(record, today)
            if isinstance(row, formats.Refused):
                result.results.append(_refused(number, row.reason))
                continue
            school = _school_or_refusal(row, schools, regions)
            if isinstance(school, str):
                result.results.append(_refused(number, school))
                continue
            absence = kind == ImportBatch.Kind.ABSENCE
            fingerprint = absence_fingerprint(row) if absence else enrolment_fingerprint(row)
            if fingerprint in seen:
                result.results.append(RowResult(number, Outcome.DUPLICATE, _("This row is in the file already.")))
                continue
            seen.add(fingerprint)
            try:
                with Step.begin(actor, within=step) as row_step:
                    read = _read_absence if absence else _read_enrolment
                    result.results.append(read(row_step, batch, number, row, school, fingerprint, today))
            except (ValidationError, PermissionDenied) as refusal:
                result.results.append(_refused(number, _message(refusal)))
        counts: dict[str, int] = {}
        for row in result.results:
            counts[row.outcome] = counts.get(row.outcome, 0) + 1
        batch.outcomes = counts
        batch.save(update_fields=["outcomes"])
        return result


def _kind_of(record: dict, kinds: tuple[str, ...]) -> str | None:
    if len(kinds) == 1:
        return kinds[0]
    if str(record.get("change", "")).strip():
        return ImportBatch.Kind.ENROLMENT
    if str(record.get("kind", "")).strip():
        return ImportBatch.Kind.ABSENCE
    return None


def _read_absence(step: Step, batch: ImportBatch, number: int, row: formats.AbsenceRow, school: School,
                  fingerprint: str, today: date) -> RowResult:
    known = AbsenceReport.objects.filter(fingerprint=fingerprint).first()
    facts = {"kind": row.kind, "first_day": row.first_day, "last_day": row.last_day, "reason": row.reason}
    if known is not None:
        if all(getattr(known, name) == value for name, value in facts.items()):
            return RowResult(number, Outcome.DUPLICATE, _("This report was read before."), known.case_id, known.pk)
        for name, value in facts.items():
            setattr(known, name, value)
        known.updated_at = timezone.now()
        known.save(update_fields=[*facts, "updated_at"])
        if known.case_id is not None and known.case.is_open:
            record_report(step, known.case, known)
        return RowResult(number, Outcome.UPDATED, _("An earlier report with this DUO reference was updated."),
                         known.case_id, known.pk)
    case = open_case_for(row, school)
    report = AbsenceReport.objects.create(
        batch=batch, fingerprint=fingerprint, melding_id=row.melding_id, brin=row.brin, vestiging=row.vestiging,
        school=school, region_id=school.region_id, pupil_number=row.pupil_number, family_name=row.family_name,
        given_names=row.given_names, birth_date=row.birth_date, reported_on=row.reported_on,
        dreigend=(today - row.first_day).days < lrv_days(), case=case,
        state=AbsenceReport.State.LINKED if case is not None else AbsenceReport.State.OPEN, **facts)
    if case is None:
        reason = _("No open case: on the reconciliation page (threatened, under 4 weeks).") if report.dreigend \
            else _("No open case: on the reconciliation page.")
        return RowResult(number, Outcome.CREATED, reason, None, report.pk)
    record_report(step, case, report)
    return RowResult(number, Outcome.LINKED, "", case.pk, report.pk)


def record_report(step: Step, case: Case, report: AbsenceReport) -> None:
    """The report as a dated event on the case (its facts, never the pupil's identity)."""
    step.record(case, step.actor, events.AbsenceReported, report_id=report.pk, absence_kind=report.kind,
                first_day=report.first_day.isoformat(),
                last_day=report.last_day.isoformat() if report.last_day else None,
                school_id=report.school_id, melding_id=report.melding_id, **({"reason": report.reason}
                                                                            if report.reason else {}))


def _message(refusal: Exception) -> str:
    if isinstance(refusal, ValidationError):
        return " ".join(str(message) for messages in refusal.message_dict.values() for message in messages) \
            if hasattr(refusal, "error_dict") else " ".join(str(message) for message in refusal.messages)
    return str(refusal)


def _read_enrolment(step: Step, batch: ImportBatch, number: int, row: formats.EnrolmentRow, school: School,
                    fingerprint: str, today: date) -> RowResult:
    known = EnrolmentChange.objects.filter(fingerprint=fingerprint).first()
    if known is not None:
        return RowResult(number, Outcome.DUPLICATE, _("This change was read before."), known.case_id)
    case = open_case_for(row, school)
    if case is None and row.change == EnrolmentChange.Change.IN:
        return _refused(number, _("No open case for this pupil: nothing was stored."))
    EnrolmentChange.objects.create(
        batch=batch, fingerprint=fingerprint, brin=row.brin, vestiging=row.vestiging, school=school,
        region_id=school.region_id, pupil_number=row.pupil_number, family_name=row.family_name,
        given_names=row.given_names, birth_date=row.birth_date, change=row.change, date=row.date, case=case,
        state=AbsenceReport.State.LINKED if case is not None else AbsenceReport.State.OPEN)
    if case is None:
        return RowResult(number, Outcome.CREATED, _("Unenrolled without a case: on the reconciliation page "
                                                    "(a possible absolute verzuimer)."))
    reason = _("Reported by the chain (enrolment change of %(date)s).") % {"date": row.date.isoformat()}
    if row.change == EnrolmentChange.Change.OUT:
        if case.registration == Case.Registration.AV or case.school_id != school.pk:
            return RowResult(number, Outcome.DUPLICATE, _("The case already shows the pupil elsewhere or unenrolled."),
                             case.pk)
        change_registration(step=step, case=case, registration=Case.Registration.AV, since=row.date, reason=reason,
                            trigger="chain", authorised=True)
        return RowResult(number, Outcome.LINKED, _("The case is absolute absence (AV) from this date."), case.pk)
    if case.school_id == school.pk and case.registration != Case.Registration.AV:
        return RowResult(number, Outcome.DUPLICATE, _("The case already shows the pupil at this school."), case.pk)
    registration = Case.Registration.LRV if case.registration == Case.Registration.AV else case.registration
    change_registration(step=step, case=case, registration=registration, since=row.date, reason=reason,
                        school=school, trigger="chain", authorised=True)
    return RowResult(number, Outcome.LINKED, _("The case follows the enrolment at this school."), case.pk)


def expire_unmatched(now=None) -> int:
    """Delete what the chain told casework about pupils who never got a case: absence reports and
    unenrolments still open or set aside, imported more than CASEWORK_RETENTION_UNMATCHED_DAYS ago.
    Reports linked to a case stay with it (their case's retention applies). Answers how many went."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.CASEWORK_RETENTION_UNMATCHED_DAYS)
    unmatched = [AbsenceReport.State.OPEN, AbsenceReport.State.DISMISSED]
    reports, _ = AbsenceReport.objects.filter(case__isnull=True, state__in=unmatched, created_at__lt=cutoff).delete()
    changes, _ = EnrolmentChange.objects.filter(case__isnull=True, state__in=unmatched, created_at__lt=cutoff).delete()
    return reports + changes
