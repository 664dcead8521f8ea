"""The public form for parents and young people: protected (rate limit, honeypot), and a signal
becomes a case only after Leerplicht verifies it (a task in their queue)."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from casework.models import Case, PublicSignal
from notifications.models import Notification
from notifications.presentation import describe
from tests.flowkit import open_nodes
from workflows.inbox import nodes_named
from workflows.models import CaseTask

pytestmark = pytest.mark.django_db


def form(demo, **changes):
    data = {"reporter_role": "ouder", "given_name": "Pim", "family_name": "Publiek", "birth_date": "2013-04-04",
            "school": demo["schools"]["vo"], "region": "", "absent_since": "2026-10-01",
            "description": "Mijn zoon durft niet meer naar school.", "reporter_name": "Ouder (synthetisch)",
            "reporter_contact": "06-99999999", "website": ""}
    data.update(changes)
    return data


def verification_task():
    return CaseTask.objects.get(flow_task__in=nodes_named("verify_signal"))


def test_a_public_signal_waits_for_leerplicht_and_becomes_a_case(api, demo, u):
    response = Client().post("/melden/", form(demo))
    assert response.status_code == 200 and "Bedankt voor uw bericht" in response.content.decode()
    signal = PublicSignal.objects.get()
    assert signal.status == "pending" and not Case.objects.exists()  # not a case yet
    task = verification_task()
    assert task.team.kind == "leerplicht" and task.case is None and task.due_at
    queue = api(u["leerplicht"]).get("/api/tasks/?scope=queue").json()["results"]
    assert [t["flow_task"] for t in queue] == ["verify_signal"]
    # the Leerplicht team is told, without a name, and nobody else
    told = Notification.objects.filter(kind="task_available", task=task)
    assert {n.recipient.username for n in told} == {"leerplicht"}
    title, url = describe(told.get())
    assert "Pim" not in title and "Publiek" not in title and url == f"/task/{task.pk}/"
    assert api(u["leerplicht"]).get("/api/notifications/").json()["results"][0]["title"] == title
    for role in ("aoj", "outsider", "ect"):
        assert api(u[role]).get(f"/api/tasks/{task.pk}/").status_code == 404
    page = Client()
    page.force_login(u["leerplicht"])
    assert "Mijn zoon durft niet meer naar school." in page.get(f"/task/{task.pk}/").content.decode()

    bad = api(u["leerplicht"]).post(f"/api/tasks/{task.pk}/complete/", {"verified": True}, format="json")
    assert bad.status_code == 400 and "registration" in bad.json()
    done = api(u["leerplicht"]).post(f"/api/tasks/{task.pk}/complete/",
                                     {"verified": True, "registration": "lrv", "category": "schoolweigeraar"},
                                     format="json")
    assert done.status_code == 200, done.content
    case = Case.objects.get()
    signal.refresh_from_db()
    assert signal.status == "verified" and signal.case == case
    assert (case.signaller_role, case.registration, case.child.given_name) == ("ouder", "lrv", "Pim")
    assert open_nodes(case) == ["team_review"]


def test_rejected_signal_keeps_no_personal_data(api, demo, u):
    Client().post("/melden/", form(demo))
    task = verification_task()
    assert api(u["leerplicht"]).post(f"/api/tasks/{task.pk}/complete/", {"verified": False},
                                     format="json").status_code == 400  # a reason is required
    api(u["leerplicht"]).post(f"/api/tasks/{task.pk}/complete/",
                              {"verified": False, "reason": "Zit al op een andere school."}, format="json")
    signal = PublicSignal.objects.get()
    assert signal.status == "rejected" and signal.reason == "Zit al op een andere school."
    assert "Pim" not in str(PublicSignal.objects.values().get()) and not Case.objects.exists()


def test_honeypot_and_rate_limit(demo):
    robot = Client()
    trapped = robot.post("/melden/", form(demo, website="http://spam.example"))
    html = trapped.content.decode()
    # never silently dropped: the form again, with what was typed, asking to send it again
    assert trapped.status_code == 400 and "Uw melding is nog niet verstuurd." in html
    assert 'value="Publiek"' in html and "http://spam.example" not in html
    assert not PublicSignal.objects.exists()
    visitor = Client(REMOTE_ADDR="10.9.9.9")
    answers = [visitor.post("/melden/", form(demo, family_name=f"Publiek{n}"), REMOTE_ADDR="10.9.9.9").status_code
               for n in range(6)]
    assert answers == [200] * 5 + [429]
    assert PublicSignal.objects.count() == 5


def test_bad_public_signal_is_refused_with_field_errors(demo):
    response = Client().post("/melden/", form(demo, absent_since="2099-01-01"))
    assert response.status_code == 400
    assert "De eerste dag thuis kan niet in de toekomst liggen." in response.content.decode()
    response = Client().post("/melden/", form(demo, reporter_contact=""))
    assert response.status_code == 400 and "Dit veld is vereist." in response.content.decode()
    assert not PublicSignal.objects.exists()


def test_reading_a_signal_to_verify_is_logged_and_follows_it_into_the_case(api, demo, u):
    from casework.models import AccessLog

    Client().post("/melden/", form(demo))
    task = verification_task()
    signal = PublicSignal.objects.get()
    page = Client()
    page.force_login(u["leerplicht"])
    assert page.get(f"/task/{task.pk}/").status_code == 200
    row = AccessLog.objects.get(action="signal_view")
    assert (row.user, row.public_signal_id, row.case_id) == (u["leerplicht"], signal.pk, None)

    officer = Client()
    officer.force_login(u["privacy_officer"])
    found = officer.get("/privacy/access-log/", {"child": "Publiek"})
    assert found.status_code == 200 and row in list(found.context["page"].object_list)
    csv_rows = officer.get("/privacy/access-log.csv", {"child": "Publiek"}).content.decode().splitlines()
    assert csv_rows[0].split(",")[:5] == ["at", "user", "case", "public_signal", "action"]
    assert any(f",{signal.pk},signal_view," in line for line in csv_rows[1:])

    api(u["leerplicht"]).post(f"/api/tasks/{task.pk}/complete/",
                              {"verified": True, "registration": "lrv", "category": "schoolweigeraar"}, format="json")
    case = Case.objects.get()
    export = officer.get(f"/privacy/subject-access/{case.child_id}/?format=json")
    import json

    actions = [entry["action"] for entry in json.loads(export.content)["cases"][0]["accessed_by"]]
    assert "signal_view" in actions


@pytest.mark.parametrize(("field", "value"), [("birth_date", "9999-12-31"), ("birth_date", "1800-01-01"),
                                              ("absent_since", "0001-01-01")])
def test_a_date_outside_1900_2100_is_refused_on_its_field(demo, field, value):
    """Was a 500 (year 10003 in the age arithmetic); now 400 with the reason, nothing stored."""
    response = Client().post("/melden/", form(demo, **{field: value}))
    assert response.status_code == 400
    assert response.context["form"].errors[field] == ["Vul een datum in tussen 1900 en 2100."]
    assert not PublicSignal.objects.exists()


def test_verifying_on_the_page_lands_on_the_case_it_opened(demo, u):
    """"Taak afgerond" on the new case's page, naming the child (not the next task of the list)."""
    assert Client().post("/melden/", form(demo)).status_code == 200
    task = verification_task()
    client = Client()
    client.force_login(u["leerplicht"])
    done = client.post(f"/task/{task.pk}/", {"verified": "True", "registration": "lrv",
                                             "category": "schoolweigeraar", "next_list": "/tasks/queue/"})
    case = PublicSignal.objects.get().case
    assert done.status_code == 302 and done["Location"] == f"/cases/{case.pk}/"
    notice = [str(message) for message in get_messages(done.wsgi_request)][-1]
    assert notice.startswith("Taak afgerond: ") and "voor Pim Publiek." in notice and "Volgende stap: " in notice
