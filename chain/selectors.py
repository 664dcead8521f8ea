"""What the reconciliation page reads, per school of the user's import regions: the chain's items
without a case (absence reports, unenrolments enrolled nowhere else), open cases without a report,
and differences between a linked report and its case (the first day, the registration)."""

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q

from casework.models import Case
from chain.models import AbsenceReport, EnrolmentChange, ImportBatch
from teams.models import School

# The registration a report's kind points to (a difference when the open case says otherwise).
EXPECTED_REGISTRATION = {AbsenceReport.Kind.ABSOLUUT: {Case.Registration.AV},
                         AbsenceReport.Kind.LANGDURIG_RELATIEF: {Case.Registration.LRV, Case.Registration.ZIEK,
                                                                 Case.Registration.VRIJ}}


@dataclass
class Difference:
    report: AbsenceReport
    what: str  # "first_day" or "registration"


@dataclass
class SchoolRows:
    school: School
    reports: list[AbsenceReport] = field(default_factory=list)
    unenrolled: list[EnrolmentChange] = field(default_factory=list)
    without_report: list[Case] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.reports or self.unenrolled or self.without_report or self.differences)


def open_items(regions: list[int]):
    """The absence reports waiting to be reconciled, newest first."""
    return (AbsenceReport.objects.filter(region_id__in=regions, state=AbsenceReport.State.OPEN)
            .select_related("school").order_by("-first_day", "pk"))


def reconciliation(regions: list[int], school_id: int | None = None) -> list[SchoolRows]:
    """Per school of `regions` (or the one school), what needs a look; schools with nothing left out."""
    schools = School.objects.filter(region_id__in=regions).order_by("name")
    if school_id is not None:
        schools = schools.filter(pk=school_id)
    rows = {school.pk: SchoolRows(school) for school in schools}
    for report in open_items(regions).filter(school_id__in=rows):
        rows[report.school_id].reports.append(report)
    for change in (EnrolmentChange.objects.filter(school_id__in=rows, state=AbsenceReport.State.OPEN)
                   .order_by("-date", "pk")):
        rows[change.school_id].unenrolled.append(change)
    reported = AbsenceReport.objects.filter(case_id=OuterRef("pk"))
    without = (Case.objects.filter(school_id__in=rows).exclude(status=Case.Status.CLOSED)
               .filter(registration__in=[Case.Registration.LRV, Case.Registration.DREIGEND])
               .filter(~Exists(reported)).select_related("child").order_by("absent_since", "pk"))
    for case in without:
        rows[case.school_id].without_report.append(case)
    linked = (AbsenceReport.objects.filter(case__school_id__in=rows, state__in=[AbsenceReport.State.LINKED,
                                                                              AbsenceReport.State.SIGNALLED])
              .exclude(case__status=Case.Status.CLOSED).select_related("case__child", "school")
              .order_by("case_id", "-first_day"))
    seen = set()
    for report in linked:
        if report.case_id in seen:
            continue  # the latest report of a case speaks for it
        seen.add(report.case_id)
        case = report.case
        if report.kind in EXPECTED_REGISTRATION and case.registration not in EXPECTED_REGISTRATION[report.kind]:
            rows[case.school_id].differences.append(Difference(report, "registration"))
        elif report.kind == AbsenceReport.Kind.LANGDURIG_RELATIEF and report.first_day != case.absent_since:
            rows[case.school_id].differences.append(Difference(report, "first_day"))
    return [row for row in rows.values() if not row.empty]


def recent_imports(user, regions: list[int], limit: int = 10):
    """The latest imports by the user (the page shows what they read; the privacy officer reads all)."""
    return ImportBatch.objects.filter(Q(by=user)).order_by("-at")[:limit]


def import_log(regions: list[int]):
    """Every import for one of `regions` (the privacy officer's log: who, when, rows, outcomes)."""
    where = Q(pk__in=[])
    for region in regions:
        where |= Q(regions__contains=f",{region},")
    return ImportBatch.objects.filter(where).select_related("by").order_by("-at")
