"""The case page's forms for the registration as a dated fact: change the registration, record
taking part and a startkwalificatie; errors keep what was typed and change nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from casework.models import Case, CaseEvent
from tests.flowkit import signal

pytestmark = pytest.mark.django_db


def days_ago(n: int) -> str:
    return (timezone.localdate() - dt.timedelta(days=n)).isoformat()


def test_team_changes_registration_and_taking_part_on_the_case_page(api, client, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    client.force_login(u["aoj_2"])
    page = client.get(f"/cases/{case.pk}/")
    assert page.status_code == 200 and 'id="registration"' in page.content.decode()
    response = client.post(f"/cases/{case.pk}/registration/", {
        "registration-registration": "ziek", "registration-since": days_ago(1), "registration-reason": "Griep"})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).registration == "ziek"
    event = CaseEvent.objects.filter(case=case, kind="registration_changed").latest("pk")
    # the case's school and sector then: the monitor counts the event by them (casework.monitor.derived)
    assert event.data == {"from": "lrv", "to": "ziek", "since": days_ago(1), "reason": "Griep", "trigger": "manual",
                          "school": case.school_id, "sector": case.sector, "region": case.region_id}
    response = client.post(f"/cases/{case.pk}/participation/", {
        "participation-level": "gedeeltelijk", "participation-since": days_ago(0),
        "participation-setting": "eigen_school", "participation-note": "Twee ochtenden"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.participation, case.participation_setting) == ("gedeeltelijk", "eigen_school")
    assert "Twee ochtenden" in client.get(f"/cases/{case.pk}/").content.decode()  # on the timeline


def test_refused_change_keeps_what_was_typed_and_writes_nothing(api, client, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    client.force_login(u["aoj"])
    before = CaseEvent.objects.filter(case=case).count()
    response = client.post(f"/cases/{case.pk}/registration/", {
        "registration-registration": "dreigend", "registration-since": days_ago(1),
        "registration-reason": "Typfout in de melding"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Typfout in de melding" in html and 'role="alert"' in html
    assert CaseEvent.objects.filter(case=case).count() == before
    assert Case.objects.get(pk=case.pk).registration == "lrv"


def test_forms_only_for_case_team_and_leerplicht(api, client, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete_route = {"plan": "ECT", "ect_question_kind": "handelingsadvies", "routes": ["ect_consult"]}
    from tests.flowkit import complete

    complete(api, u["aoj"], case, "team_review", complete_route)
    client.force_login(u["ect"])  # sees the case (consult) but does not hold its registration
    assert 'id="registration"' not in client.get(f"/cases/{case.pk}/").content.decode()
    response = client.post(f"/cases/{case.pk}/registration/", {
        "registration-registration": "ziek", "registration-since": days_ago(1), "registration-reason": "R"})
    assert response.status_code == 400 and Case.objects.get(pk=case.pk).registration == "lrv"
    client.force_login(u["outsider"])
    assert client.post(f"/cases/{case.pk}/registration/", {}).status_code == 404
