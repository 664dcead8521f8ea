"""Signal intake: the validation rules, 409 on a duplicate (202 for a signaller not on the case), and what a
signal writes."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from casework.models import AccessLog, Case, CaseEvent, CaseParticipant, Child
from tests.factories import SchoolFactory, signal_payload

pytestmark = pytest.mark.django_db
URL = "/api/cases/"


def counts():
    return (Case.objects.count(), Child.objects.count(), CaseEvent.objects.count(), CaseParticipant.objects.count())


def test_signal_opens_case_with_event_and_team(api, member, vo_school):
    response = api(member).post(URL, signal_payload(vo_school), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get(pk=body["id"])
    assert body["status"] == "signalled" == case.status
    assert body["registration"] == "lrv"
    assert body["school"] == vo_school.pk
    assert body["child"]["given_name"] == "Sanne"
    assert [e["kind"] for e in body["events"]] == ["signalled", "registration_changed"]
    assert case.region == vo_school.region
    assert case.signalled_by == member
    team = vo_school.teams.get()
    assert list(case.participants.values_list("team", "reason")) == [(team.pk, "school_team")]
    event = case.events.get(kind="signalled")
    assert event.actor == member
    assert event.data["team_id"] == team.pk
    # the registration history starts at intake, dated from the first day out of school
    registered = case.events.get(kind="registration_changed")
    assert registered.actor == member
    assert registered.data == {"from": None, "to": "lrv", "since": case.absent_since.isoformat(), "reason": "",
                               "trigger": "signalled", "school": vo_school.pk, "sector": "vo",
                               "region": vo_school.region_id}
    # ids only in the events: never the child's name
    for recorded in (event, registered):
        assert "Sanne" not in str(recorded.data) and "Testkind" not in str(recorded.data)


def test_signaller_outside_the_team_becomes_participant(api, leerplicht, vo_school):
    response = api(leerplicht).post(URL, signal_payload(vo_school, signaller_role="leerplicht"), format="json")
    assert response.status_code == 201
    case = Case.objects.get(pk=response.json()["id"])
    assert case.participants.filter(user=leerplicht, reason="signaller").exists()
    assert api(leerplicht).get(f"{URL}{case.pk}/").status_code == 200


def test_absoluut_verzuimer_goes_to_leerplicht(api, leerplicht, vo_school):
    payload = signal_payload(None, registration="av", region=vo_school.region.pk)
    response = api(leerplicht).post(URL, payload, format="json")
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=response.json()["id"])
    assert case.school is None and case.region == vo_school.region
    assert case.participants.get(team__isnull=False).team.kind == "leerplicht"


def _today():
    return timezone.localdate()


INVALID = [
    ("absent_since in the future", lambda s: {"absent_since": (_today() + timedelta(days=1)).isoformat()}, "absent_since"),
    ("3 on absent_since",
     lambda s: {"birth_date": date(_today().year - 5, 6, 1).isoformat(),
                "absent_since": date(_today().year - 2, 6, 1).isoformat()}, "birth_date"),
    ("4 on absent_since (compulsory education starts at 5)",
     lambda s: {"birth_date": (_today() - timedelta(days=5 * 365 - 60)).isoformat(),
                "absent_since": (_today() - timedelta(days=35)).isoformat()}, "birth_date"),
    ("18 or older on absent_since",
     lambda s: {"birth_date": date(_today().year - 19, 1, 1).isoformat(),
                "absent_since": (_today() - timedelta(days=30)).isoformat()}, "birth_date"),
    ("birth date in the future", lambda s: {"birth_date": (_today() + timedelta(days=3)).isoformat()}, "birth_date"),
    ("sector does not match the school", lambda s: {"sector": "po"}, "sector"),
    ("school does not exist", lambda s: {"school": 999999}, "school"),
    ("AV with a school", lambda s: {"registration": "av"}, "school"),
    ("non-AV without a school", lambda s: {"school": None}, "school"),
    ("AV without school and region", lambda s: {"registration": "av", "school": None}, "region"),
    ("unknown registration", lambda s: {"registration": "spijbel"}, "registration"),
    ("missing absent_since", lambda s: {"absent_since": None}, "absent_since"),
    ("blank given name", lambda s: {"given_name": "  "}, "child"),
]


@pytest.mark.parametrize(("label", "change", "field"), INVALID, ids=[row[0] for row in INVALID])
def test_invalid_signal_is_400_and_writes_nothing(api, member, vo_school, label, change, field):
    payload = signal_payload(vo_school, **change(vo_school))
    before = counts()
    response = api(member).post(URL, payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert counts() == before


def test_school_of_other_region_for_region_field(api, member, vo_school):
    other_region_school = SchoolFactory()
    payload = signal_payload(vo_school, region=other_region_school.region.pk)
    before = counts()
    response = api(member).post(URL, payload, format="json")
    assert response.status_code == 400
    assert "region" in response.json()
    assert counts() == before


def test_school_without_team_is_refused(api, member):
    lonely = SchoolFactory(team=False)
    before = counts()
    response = api(member).post(URL, signal_payload(lonely), format="json")
    assert response.status_code == 400
    assert "school" in response.json()
    assert counts() == before


def test_user_without_team_may_not_signal(api, vo_school):
    from tests.factories import UserFactory

    nobody = UserFactory()
    before = counts()
    response = api(nobody).post(URL, signal_payload(vo_school), format="json")
    assert response.status_code == 403
    assert counts() == before


def test_anonymous_gets_401(api, vo_school):
    assert api().post(URL, signal_payload(vo_school), format="json").status_code == 401


def test_duplicate_signal_is_409_and_recorded_on_open_case(api, member, vo_school):
    from tests.factories import MembershipFactory, UserFactory

    first = api(member).post(URL, signal_payload(vo_school), format="json")
    assert first.status_code == 201
    case_id = first.json()["id"]
    # Same child, written differently (case and spaces), signalled by a colleague on the case.
    colleague = UserFactory(username="colleague")
    MembershipFactory(user=colleague, team=vo_school.teams.get())
    second = api(colleague).post(
        URL, signal_payload(vo_school, given_name="sanne ", family_name="TESTKIND"), format="json",
    )
    assert second.status_code == 409
    assert second.json()["case_id"] == case_id
    assert Case.objects.count() == 1
    assert list(CaseEvent.objects.filter(case_id=case_id).order_by("at", "pk").values_list("kind", flat=True)) == [
        "signalled", "registration_changed", "signal_received"]
    received = CaseEvent.objects.get(kind="signal_received")
    assert received.actor == colleague and received.data["signaller_role"] == "school"
    assert received.data["forwarded"] is False


def test_duplicate_signal_from_outside_the_case_is_202_and_recorded_on_open_case(api, member, leerplicht,
                                                                                   vo_school):
    """Someone not on the child's open case is not told about it (see test_signal_privacy)."""
    case_id = api(member).post(URL, signal_payload(vo_school), format="json").json()["id"]
    second = api(leerplicht).post(
        URL, signal_payload(vo_school, given_name="sanne ", family_name="TESTKIND", signaller_role="leerplicht"),
        format="json",
    )
    assert second.status_code == 202
    assert "case_id" not in second.json() and str(case_id) not in second.content.decode()
    assert Case.objects.count() == 1
    assert list(CaseEvent.objects.filter(case_id=case_id).order_by("at", "pk").values_list("kind", flat=True)) == [
        "signalled", "registration_changed", "signal_received"]
    received = CaseEvent.objects.get(kind="signal_received")
    assert received.actor == leerplicht and received.data["signaller_role"] == "leerplicht"
    # The second signaller does not gain access by bumping into the case.
    assert api(leerplicht).get(f"{URL}{case_id}/").status_code == 404


def test_new_signal_after_closure_opens_a_new_case(api, member, vo_school):
    first = api(member).post(URL, signal_payload(vo_school), format="json").json()
    case = Case.objects.get(pk=first["id"])
    case.close(outcome="terug_naar_school", at=timezone.now())
    case.save()
    again = api(member).post(URL, signal_payload(vo_school), format="json")
    assert again.status_code == 201
    assert again.json()["id"] != case.pk
    assert Child.objects.count() == 1


# --- the Dutch web form ------------------------------------------------------------------


def form_data(school, **overrides):
    payload = signal_payload(school, **overrides)
    child = payload.pop("child")
    data = {**child, **payload}
    return {k: ("" if v is None else v) for k, v in data.items()}


def test_signal_form_opens_case(client, member, vo_school):
    client.force_login(member)
    response = client.post(reverse("case-signal"), form_data(vo_school))
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("case-detail", args=[case.pk])


def test_signal_form_shows_dutch_field_errors_and_writes_nothing(client, member, vo_school):
    client.force_login(member)
    tomorrow = (_today() + timedelta(days=1)).isoformat()
    before = counts()
    response = client.post(reverse("case-signal"), form_data(vo_school, absent_since=tomorrow, sector="po"))
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["absent_since"] == ["De eerste dag thuis kan niet in de toekomst liggen."]
    assert "De sector past niet bij de sector van de school" in form.errors["sector"][0]
    assert "De eerste dag thuis kan niet in de toekomst liggen." in response.content.decode()
    assert counts() == before


def test_signal_form_duplicate_says_so(client, member, vo_school):
    client.force_login(member)
    client.post(reverse("case-signal"), form_data(vo_school))
    case = Case.objects.get()
    response = client.post(reverse("case-signal"), form_data(vo_school))
    assert response.status_code == 400
    assert f"Dit kind heeft al een open zaak (zaak {case.pk})" in response.content.decode()
    assert Case.objects.count() == 1


def test_signal_read_is_logged_once(api, member, vo_school):
    response = api(member).post(URL, signal_payload(vo_school), format="json")
    assert list(AccessLog.objects.values_list("case_id", "action")) == [(response.json()["id"], "signal")]


# --- dates outside 1900-2100: a clear error on the field, nothing written, never a 500 ----------

@pytest.mark.parametrize(("overrides", "field"), [
    ({"birth_date": "9999-12-31"}, "birth_date"),
    ({"birth_date": "0001-01-01"}, "birth_date"),
    ({"birth_date": "1899-12-31"}, "birth_date"),
    ({"absent_since": "0001-01-01"}, "absent_since"),
    ({"absent_since": "9999-12-31"}, "absent_since"),
    ({"registration": "vrij", "vrijstelling_grounds": "5a", "vrijstelling_until": "9999-12-31"}, "vrijstelling_until"),
])
def test_dates_outside_1900_2100_are_400_on_the_field(api, member, vo_school, overrides, field):
    before = counts()
    response = api(member).post(URL, signal_payload(vo_school, **overrides), format="json")
    assert response.status_code == 400, response.content
    assert response.json()[field] == ["Vul een datum in tussen 1900 en 2100."]
    assert counts() == before


def test_signal_form_refuses_a_far_birth_date(client, member, vo_school):
    client.force_login(member)
    before = counts()
    response = client.post(reverse("case-signal"), form_data(vo_school, birth_date="9999-12-31"))
    assert response.status_code == 400
    assert response.context["form"].errors["birth_date"] == ["Vul een datum in tussen 1900 en 2100."]
    assert counts() == before
