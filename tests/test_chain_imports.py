"""Reading the chain into casework: a realistic generated file of 200 rows (reports on known cases
by pupil number and by name, new pupils, copies, bad rows, unenrolments and re-enrolments, BSN and
onderwijsnummer columns), each row's outcome, what became of the cases (dated events, dated
registrations, the monitor's counts), and the same file a second time changing nothing."""

import pytest
from django.db import connection
from django.utils import timezone

from casework import monitor
from casework.models import Case, CaseEvent
from chain import formats
from chain.models import AbsenceReport, EnrolmentChange, ImportBatch
from chain.services import import_records
from teams.models import Region, School
from tests.chainkit import generate, known_cases
from tests.flowkit import api_client, users
from tests.systemkit import bearer, connect, token_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(demo):
    people = users(demo)
    schools = [School.objects.get(name="Noorderlicht College"), School.objects.get(name="Zuiderpoort Lyceum")]
    known = known_cases(people["aoj"], schools, 60)
    return people, generate(known, other_school=schools[1])


def state(cases) -> list[tuple]:
    return [(case.pk, case.registration, case.school_id, CaseEvent.objects.filter(case=case).count())
            for case in Case.objects.filter(pk__in=[c.pk for c in cases]).order_by("pk")]


def test_a_realistic_file_row_by_row_and_twice(world):
    people, generated = world
    assert len(generated.rows) >= 200
    leerplicht = people["leerplicht"]
    records = formats.read_csv(generated.csv())
    result = import_records(actor=leerplicht, records=records, source=ImportBatch.Source.UPLOAD, filename="vz.csv")

    assert result.batch.dropped_columns == ["bsn", "onderwijsnummer"]
    outcomes = [row.outcome for row in result.results]
    assert outcomes == [expected.outcome for expected in generated.expected], [
        (number, row.outcome, expected.outcome, row.reason) for number, (row, expected)
        in enumerate(zip(result.results, generated.expected, strict=True), start=1) if row.outcome != expected.outcome]
    for row, expected in zip(result.results, generated.expected, strict=True):
        if expected.case is not None and expected.outcome == "linked":
            assert row.case_id == expected.case.pk
        if row.outcome == "rejected":
            assert row.reason and row.report_id is None
    assert result.batch.outcomes == {outcome: outcomes.count(outcome) for outcome in set(outcomes)}

    # Nothing national is kept: no BSN or onderwijsnummer of the file is anywhere in the reports.
    national = {row["bsn"] for row in generated.rows if row.get("bsn")} | {
        row["onderwijsnummer"] for row in generated.rows if row.get("onderwijsnummer")}
    kept = " ".join(str(value) for report in AbsenceReport.objects.values() for value in report.values())
    assert not any(number in kept for number in national)

    # Reports on known cases: dated events on those cases, never a second case.
    assert Case.objects.count() == 60
    linked = [e for e in generated.expected if e.outcome == "linked" and not e.note]
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.ABSENCE_REPORTED).count() == len(linked) == 80
    assert AbsenceReport.objects.filter(state=AbsenceReport.State.OPEN).count() == 50
    assert AbsenceReport.objects.filter(state=AbsenceReport.State.OPEN, dreigend=True).count() == generated.dreigend

    # Unenrolled: absolute absence from the date, Leerplicht on the case; the five re-enrolled: LRV
    # at the new school.
    today = timezone.localdate()
    for case in generated.unenrolled:
        case.refresh_from_db()
        moved = case in generated.moved
        assert case.registration == ("lrv" if moved else "av"), case.pk
        changes = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.REGISTRATION_CHANGED,
                                           data__trigger="chain").order_by("pk")
        assert [event.data["to"] for event in changes] == (["av", "lrv"] if moved else ["av"])
        assert case.participants.filter(team__kind="leerplicht").exists()
    assert EnrolmentChange.objects.filter(case__isnull=True, change="out").count() == 5
    region = Region.objects.get(name="SWV VO Stad Demo")
    counts = monitor.counts_on(monitor.Scope(regions=[region.pk]), today)
    assert counts["open_cases"] == 60
    assert (counts["av"], counts["lrv"]) == (10, 50)
    moved_to = {str(case.school_id) for case in Case.objects.filter(pk__in=[c.pk for c in generated.moved])}
    assert sum(counts["thuiszitters_by_school"][school] for school in moved_to) >= 5

    # The same file again: every row known or refused as before, nothing changes.
    before = state(generated.known), AbsenceReport.objects.count(), EnrolmentChange.objects.count()
    again = import_records(actor=leerplicht, records=formats.read_csv(generated.csv()), source="upload")
    assert {row.outcome for row in again.results} == {"duplicate", "rejected"}
    assert [row.outcome == "rejected" for row in again.results] == [o == "rejected" for o in outcomes]
    assert (state(generated.known), AbsenceReport.objects.count(), EnrolmentChange.objects.count()) == before
    assert ImportBatch.objects.count() == 2  # the import log keeps both


def test_only_leerplicht_and_the_swv_import(world):
    people, generated = world
    from django.core.exceptions import PermissionDenied  # noqa: PLC0415 - only here
    for role in ("aoj", "ect", "privacy_officer", "outsider"):
        with pytest.raises(PermissionDenied):
            import_records(actor=people[role], records=generated.rows[:3], source="upload")
    assert not ImportBatch.objects.exists()
    done = import_records(actor=people["swv_director"], records=generated.rows[:3], source="upload")
    assert len(done.results) == 3
    assert connection.vendor in ("sqlite", "postgresql")


def test_over_the_api_as_a_connected_system_and_as_leerplicht(world):
    people, generated = world
    rows = [{key: value for key, value in row.items() if value != ""} for row in generated.rows
            if not row.get("change")][:40]
    importer = connect(scopes=["absence:import"], name="Verzuimkoppeling")
    client = bearer(token_of(importer))
    answer = client.post("/api/v1/absence-reports", {"rows": rows}, format="json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["rows"] == 40 and body["dropped_columns"] == ["bsn", "onderwijsnummer"]
    assert [row["row"] for row in body["results"]] == list(range(1, 41))
    assert sum(body["outcomes"].values()) == 40 and {"linked", "created"} <= set(body["outcomes"])
    batch = ImportBatch.objects.get(pk=body["import_id"])
    assert batch.by == importer.system.account and batch.source == "api" and batch.kind == "absence"
    # Each endpoint one kind: an enrolment row sent as an absence report is refused, naming its keys.
    out = next(row for row in generated.rows if row.get("change") == "out")
    refused = client.post("/api/v1/absence-reports", {"rows": [out]}, format="json")
    assert refused.status_code == 400
    assert {"rows.0.change", "rows.0.date"} <= {param["name"] for param in refused.json()["invalidParams"]}
    assert client.post("/api/v1/enrolments", {"rows": [out]}, format="json").status_code == 403  # no scope
    assert client.post("/api/v1/absence-reports", [out], format="json").status_code == 400
    assert client.post("/api/v1/absence-reports", {"rows": ["x"]}, format="json").status_code == 400
    person = api_client(people["leerplicht"])
    assert person.post("/api/v1/enrolments", {"rows": [out]}, format="json").json()["results"][0]["outcome"] in (
        "linked", "duplicate")
    assert api_client(people["aoj"]).post("/api/v1/enrolments", {"rows": [out]}, format="json").status_code == 403
    reader = bearer(token_of(connect(scopes=["cases:read"], name="Lezer")))
    assert reader.post("/api/v1/absence-reports", {"rows": rows[:1]}, format="json").status_code == 403
