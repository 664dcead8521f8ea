"""The answer to a signal that opens a case (201) is the case as its page in the API shows it, byte for
byte, whatever the intake wrote besides the case (a late signal whose clocks have run out, an
exemption sent to the advice route, a child known from an earlier case); the answer's statements are
counted."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.models import AccessLog, Case
from tests.factories import TeamFactory, signal_payload

pytestmark = pytest.mark.django_db

PATHS = {"v1": ("/api/v1/cases", "/api/v1/cases/{}"), "legacy": ("/api/cases/", "/api/cases/{}/")}


def days_ago(days: int) -> str:
    return (timezone.localdate() - timedelta(days=days)).isoformat()


def signal_and_compare(client, payload, version: str) -> dict:
    """POST the signal, then GET its case: the two bodies must be the same bytes."""
    create, detail = PATHS[version]
    answer = client.post(create, payload, format="json")
    assert answer.status_code == 201, answer.content
    case_id = answer.json()["id"]
    page = client.get(detail.format(case_id))
    assert page.status_code == 200
    assert answer.content == page.content
    assert answer["Content-Type"] == page["Content-Type"]
    return answer.json()


@pytest.mark.parametrize("version", ["v1", "legacy"])
def test_a_plain_signal_answers_the_case_page(api, member, vo_school, version):
    body = signal_and_compare(api(member), signal_payload(vo_school), version)
    assert [event["kind"] for event in body["events"]] == ["signalled", "registration_changed"]
    assert AccessLog.objects.filter(case_id=body["id"], action=AccessLog.Action.SIGNAL).count() == 1


@pytest.mark.parametrize("version", ["v1", "legacy"])
def test_a_signaller_outside_the_team_is_answered_the_case_page(api, leerplicht, vo_school, version):
    signal_and_compare(api(leerplicht), signal_payload(vo_school, signaller_role="leerplicht"), version)


def test_a_late_threatened_signal_answers_the_registration_its_clock_changed(api, member, vo_school):
    # dreigend, 40 days out of school: the LRV mark has passed, the intake records lrv at once
    body = signal_and_compare(api(member), signal_payload(vo_school, registration="dreigend",
                                                          absent_since=days_ago(40)), "v1")
    assert body["registration"] == Case.objects.get(pk=body["id"]).registration


def test_a_signal_after_three_months_answers_the_breached_clock(api, member, leerplicht, vo_school):
    TeamFactory(kind="ect", region=vo_school.region, name="ECT test")
    body = signal_and_compare(api(member), signal_payload(vo_school, absent_since=days_ago(120)), "v1")
    assert any(clock["state"] == "breached" for clock in body["deadlines"])


def test_an_exemption_for_advice_answers_the_case_page(api, leerplicht, vo_school):
    TeamFactory(kind="ect", region=vo_school.region, name="ECT test")
    payload = signal_payload(vo_school, registration="vrij", vrijstelling_grounds="5a", signaller_role="leerplicht",
                             vrijstelling_until=(timezone.localdate() + timedelta(days=200)).isoformat())
    signal_and_compare(api(leerplicht), payload, "v1")


def test_a_known_child_is_answered_with_what_the_intake_added_to_it(api, member, vo_school):
    first = signal_and_compare(api(member), signal_payload(vo_school, pupil_number=""), "v1")
    case = Case.objects.get(pk=first["id"])
    case.close(outcome="terug_naar_school", at=timezone.now())
    case.save()
    again = signal_and_compare(api(member), signal_payload(vo_school, pupil_number="L-2002"), "v1")
    assert again["child"]["pupil_number"] == "L-2002"


def test_an_absoluut_verzuimer_is_answered_the_case_page(api, leerplicht, vo_school):
    payload = signal_payload(None, registration="av", region=vo_school.region.pk, signaller_role="leerplicht")
    signal_and_compare(api(leerplicht), payload, "v1")


def test_the_answer_reads_the_case_once(api, member, vo_school):
    """After the intake's commit: the access log's row, the case with its child, school and region, its
    events and its clocks; no second look-up of who may see it (the signaller was just made one)."""
    with CaptureQueriesContext(connection) as queries:
        answer = api(member).post("/api/v1/cases", signal_payload(vo_school), format="json")
    assert answer.status_code == 201
    statements = [query["sql"] for query in queries.captured_queries]
    after = statements[len(statements) - next(i for i, sql in enumerate(reversed(statements))
                                              if sql.startswith(("COMMIT", "RELEASE SAVEPOINT"))):]
    tables = [sql.split('"')[1] for sql in after]
    assert tables == ["casework_accesslog", "casework_case", "casework_caseevent", "casework_deadline"], after
