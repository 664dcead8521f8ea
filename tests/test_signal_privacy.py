"""A signal never confirms a case to someone who is not on it. A signaller who does not
work on the child's open case hears only that the signal was forwarded (202, no case id); the case
team is told who signalled and how to reach them; the signal is on the case and in the access log.
Someone who works on the case still gets 409 with the case's id."""

import pytest
from django.urls import reverse

from casework.models import AccessLog, Case, CaseEvent, CaseParticipant
from notifications.models import Notification
from notifications.presentation import describe
from tests.factories import MembershipFactory, UserFactory, signal_payload

pytestmark = pytest.mark.django_db
URL = "/api/cases/"
FORWARDED = "Melding ontvangen en doorgezet naar het verantwoordelijke team."


@pytest.fixture
def open_case(api, member, vo_school):
    response = api(member).post(URL, signal_payload(vo_school), format="json")
    assert response.status_code == 201
    return Case.objects.get(pk=response.json()["id"])


@pytest.fixture
def probe(outsider):
    """The other school's AOJ member, with a name and an e-mail the case team can call back."""
    outsider.first_name, outsider.last_name, outsider.email = "Olga", "Buiten", "olga@andere.example"
    outsider.save()
    return outsider


def test_outsider_gets_202_without_the_case(api, probe, open_case, vo_school):
    before = Case.objects.count()
    response = api(probe).post(URL, signal_payload(vo_school, signaller_role="school"), format="json")
    assert response.status_code == 202, response.content
    assert response.json() == {"detail": FORWARDED}
    assert str(open_case.pk) not in response.content.decode()
    assert Case.objects.count() == before
    # bumping into the case gives no access to it
    assert api(probe).get(f"{URL}{open_case.pk}/").status_code == 404
    assert not CaseParticipant.objects.filter(case=open_case, user=probe).exists()


def test_forwarded_signal_is_on_the_case_with_the_signallers_contact(api, probe, open_case, vo_school):
    api(probe).post(URL, signal_payload(vo_school), format="json")
    event = CaseEvent.objects.get(case=open_case, kind="signal_received")
    assert event.actor == probe
    assert event.data["forwarded"] is True
    assert event.data["signaller_name"] == "Olga Buiten"
    assert event.data["signaller_email"] == "olga@andere.example"
    assert event.data["signaller_organisation"] == probe.memberships.get().team.name
    assert "Sanne" not in str(event.data) and "Testkind" not in str(event.data)
    # the case team's timeline says who signalled and how to reach them
    assert "Olga Buiten" in event.detail and "olga@andere.example" in event.detail


def test_case_team_is_told_who_signalled_without_the_childs_name(api, member, probe, open_case, vo_school):
    colleague = UserFactory(username="colleague")
    MembershipFactory(user=colleague, team=vo_school.teams.get())
    api(probe).post(URL, signal_payload(vo_school), format="json")
    told = Notification.objects.filter(kind="signal_forwarded")
    assert {n.recipient.username for n in told} == {"member", "colleague"}  # never the signaller
    title, url = describe(told.get(recipient=member))
    assert "Olga Buiten" in title and "olga@andere.example" in title and str(open_case.pk) in title
    assert "Sanne" not in title and "Testkind" not in title
    assert url == reverse("case-detail", args=[open_case.pk])
    api_title = api(member).get("/api/notifications/").json()["results"][0]["title"]
    assert api_title == title


def test_forwarded_signal_is_a_disclosure_in_the_access_log(api, probe, open_case, vo_school):
    logged_before = set(AccessLog.objects.values_list("pk", flat=True))
    api(probe).post(URL, signal_payload(vo_school), format="json")
    new = AccessLog.objects.exclude(pk__in=logged_before)
    assert list(new.values_list("user", "case", "action")) == [(probe.pk, open_case.pk, "signal_forwarded")]
    assert new.get().path == URL


def test_leerplicht_outside_the_school_case_is_forwarded_too(api, leerplicht, open_case, vo_school):
    response = api(leerplicht).post(
        URL, signal_payload(vo_school, given_name="sanne ", family_name="TESTKIND", signaller_role="leerplicht"),
        format="json")
    assert response.status_code == 202 and "case_id" not in response.json()


def test_someone_on_the_case_still_gets_409_with_the_id(api, vo_school, open_case):
    colleague = UserFactory(username="colleague")
    MembershipFactory(user=colleague, team=vo_school.teams.get())
    response = api(colleague).post(URL, signal_payload(vo_school), format="json")
    assert response.status_code == 409
    assert response.json()["case_id"] == open_case.pk
    assert not Notification.objects.filter(kind="signal_forwarded").exists()
    assert not AccessLog.objects.filter(action="signal_forwarded").exists()


def test_a_participant_user_is_on_the_case(api, leerplicht, vo_school):
    """A signaller outside the team becomes a participant of the case they opened: 409 for them."""
    first = api(leerplicht).post(URL, signal_payload(vo_school, signaller_role="leerplicht"), format="json")
    again = api(leerplicht).post(URL, signal_payload(vo_school, signaller_role="leerplicht"), format="json")
    assert again.status_code == 409 and again.json()["case_id"] == first.json()["id"]


def test_web_form_confirms_without_revealing_the_case(client, probe, open_case, vo_school):
    payload = signal_payload(vo_school)
    data = {**payload.pop("child"), **payload}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    client.force_login(probe)
    response = client.post(reverse("case-signal"), data)
    assert response.status_code == 302 and response["Location"] == reverse("case-signal")
    page = client.get(response["Location"]).content.decode()
    assert FORWARDED in page
    assert reverse("case-detail", args=[open_case.pk]) not in page
    assert "open zaak" not in page
    assert CaseEvent.objects.filter(case=open_case, kind="signal_received", actor=probe).count() == 1
    assert AccessLog.objects.filter(case=open_case, user=probe, action="signal_forwarded").count() == 1


def test_schema_documents_201_202_409(api, member):
    schema = api(member).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    create = schema["paths"]["/api/cases/"]["post"]["responses"]
    assert {"201", "202", "409"} <= set(create)
    forwarded = create["202"]["content"]["application/json"]["schema"]
    ref = forwarded["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][ref]["properties"]) == {"detail"}
