"""Connected systems (OAuth 2.0 client credentials): tokens from the real token endpoint, by a
private_key_jwt assertion signed with a real RSA key or by HTTP Basic with a rotating secret; what a
system then sees (its regions' cases, 404 outside), may do (by scope: 403 without; never a
person's task), how its signals and reads are recorded (as its organisation, under its name in
the access log), and that persons' and systems' token schemes never cross."""

import datetime as dt
import re
import uuid

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework.throttling import SimpleRateThrottle

from casework.models import AccessLog, Case
from casework.selectors.cases import signaller_contact
from signin.devices import new_backup_codes
from systems.clients import end, rotate_secret
from systems.models import ConnectedSystem
from teams.models import Region
from tests.apiclient import v1_document
from tests.factories import UserFactory, signal_payload
from tests.flowkit import api_client, open_task, signal, users
from tests.systemkit import (
    AUDIENCE,
    Connected,
    ask_token,
    assertion,
    basic,
    bearer,
    connect,
    private_key,
    school,
    token_of,
)

pytestmark = pytest.mark.django_db

VO, PO = "SWV VO Stad Demo", "SWV PO Stad Demo"


@pytest.fixture
def cases(demo):
    """One case in the VO region (a VO school) and one in the PO region."""
    people = users(demo)
    vo = signal(api_client, people["aoj"], demo["schools"]["vo"])
    po = signal(api_client, people["kindteam"], demo["schools"]["po"], given_name="Pim", family_name="Poort")
    return vo, po


def shown_secret(page: str) -> str:
    """The one client secret in an admin page's message (django-oauth-toolkit's: 128 letters and digits)."""
    found = re.findall(r"\b[A-Za-z0-9]{128}\b", page)
    assert len(found) == 1, "one secret shown"
    return found[0]


def refused(answer, status=401, error="invalid_client"):
    assert answer.status_code == status, answer.content
    assert answer["Content-Type"].startswith("application/problem+json")
    assert answer.json()["error"] == error and answer.json()["status"] == status
    return True


def test_private_key_jwt_gives_a_short_lived_bearer_token_kept_as_a_digest(demo):
    connected = connect()
    answer = ask_token(connected)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600
    assert set(body["scope"].split()) == set(connected.system.scope_list)
    assert answer["Cache-Control"] == "no-store" and answer["API-Version"]
    stored = AccessToken.objects.get(application=connected.system.application)
    assert stored.token == "" and body["access_token"] not in stored.token_checksum  # a digest only
    assert bearer(body["access_token"]).get("/api/v1/schools").status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        assert bearer(body["access_token"]).get("/api/v1/schools").status_code == 401


@pytest.mark.parametrize("claims", [
    {"audience": "https://elders.example/oauth/token"},
    {"lifetime": -120},  # expired
    {"lifetime": 3600},  # more than five minutes ahead
    {"subject": "somebody-else"},
    {"key": "wrong"},
])
def test_a_wrong_assertion_gets_no_token(demo, claims):
    connected = connect()
    if claims.get("key") == "wrong":
        claims = {"key": private_key("an impostor")}
    assert refused(ask_token(connected, **claims))
    assert not AccessToken.objects.exists()


def test_an_assertion_is_good_once_and_a_secret_does_not_replace_it(demo):
    connected = connect()
    jti = uuid.uuid4().hex
    assert ask_token(connected, jti=jti).status_code == 200
    assert refused(ask_token(connected, jti=jti))  # replayed
    client = bearer("x")
    client.credentials(HTTP_AUTHORIZATION=basic(connected.client_id, "a guess"))
    assert refused(client.post("/api/v1/oauth/token", {"grant_type": "client_credentials"}))
    form = {"grant_type": "client_credentials", "client_assertion": assertion(connected),
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_id": "not-this-one"}
    assert refused(api_client().post("/api/v1/oauth/token", form))
    assert AccessToken.objects.count() == 1


def test_client_secret_basic_with_a_rotation_that_overlaps(demo, settings):
    connected = connect(method="client_secret_basic")
    old = connected.secret
    assert ask_token(connected).status_code == 200
    assert refused(ask_token(connected, secret="not the secret"))
    body = {"grant_type": "client_credentials", "client_id": connected.client_id, "client_secret": old}
    assert refused(api_client().post("/api/v1/oauth/token", body))  # a secret in the body is refused
    new = rotate_secret(connected.system)
    assert new != old
    assert ask_token(connected, secret=new).status_code == 200
    assert ask_token(connected, secret=old).status_code == 200  # still, during the overlap
    later = timezone.now() + dt.timedelta(hours=settings.CASEWORK_CLIENT_SECRET_OVERLAP_HOURS, minutes=1)
    with time_machine.travel(later):
        assert refused(ask_token(connected, secret=old))
        assert ask_token(connected, secret=new).status_code == 200


def test_only_the_systems_own_scopes_and_only_client_credentials(demo):
    connected = connect(scopes=["cases:read"])
    assert refused(ask_token(connected, scope="cases:read monitor:read"), 400, "invalid_scope")
    assert ask_token(connected, scope="cases:read").json()["scope"] == "cases:read"
    form = {"grant_type": "password", "username": "x", "password": "y", "client_assertion": assertion(connected),
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}
    assert refused(api_client().post("/api/v1/oauth/token", form), 400, "unsupported_grant_type")
    assert not AccessLog.objects.filter(action=AccessLog.Action.LOGIN_FAILED).exists()  # no password was tried


def test_without_the_scope_a_system_gets_403_and_a_persons_work_is_never_its(demo, cases):
    vo, _ = cases
    reader = bearer(token_of(connect(scopes=["cases:read"])))
    assert reader.get("/api/v1/cases").status_code == 200
    payload = signal_payload(school("Zuiderpoort Lyceum"), signaller_role="leerplicht")
    for method, path, body in [("post", "/api/v1/cases", payload), ("get", "/api/v1/tasks", None),
                               ("get", "/api/v1/monitor?peildatum=2026-01-01", None)]:
        answer = getattr(reader, method)(path, body, format="json")
        assert answer.status_code == 403, (path, answer.content)
        assert "scope" in answer.json()["detail"]
    everything = bearer(token_of(connect(name="Alles-systeem")))
    task = open_task(vo, "team_review")
    for method, path in [("get", "/api/v1/notifications"), ("get", "/api/v1/colleagues"), ("get", "/api/v1/teams"),
                         ("get", "/api/v1/worklists"), ("get", f"/api/v1/cases/{vo.pk}/notes"),
                         ("post", f"/api/v1/tasks/{task.pk}/claim"), ("post", f"/api/v1/tasks/{task.pk}/complete"),
                         ("post", f"/api/v1/cases/{vo.pk}/participation")]:
        answer = getattr(everything, method)(path, {}, format="json")
        assert answer.status_code == 403, (path, answer.content)
    assert everything.get(f"/api/v1/tasks/{task.pk}").json()["id"] == task.pk
    listed = everything.get("/api/v1/tasks").json()["results"]
    assert {row["id"] for row in listed} >= {task.pk} and all(row["case"] == vo.pk for row in listed)
    task.refresh_from_db()
    assert task.owner_id is None


def test_a_system_sees_its_regions_cases_and_every_read_is_logged_under_its_name(demo, cases):
    vo, po = cases
    connected = connect()
    client = bearer(token_of(connected))
    listed = client.get("/api/v1/cases").json()["results"]
    assert [row["id"] for row in listed] == [vo.pk]
    assert client.get(f"/api/v1/cases/{po.pk}").status_code == 404
    assert client.get(f"/api/v1/cases/{vo.pk}").json()["id"] == vo.pk
    read = AccessLog.objects.filter(user=connected.system.account, case=vo, action=AccessLog.Action.API_VIEW).get()
    assert str(read.user) == "Leerplicht-systeem Stad"
    assert AccessLog.objects.filter(user=connected.system.account, action=AccessLog.Action.LIST_VIEW,
                                    shown_cases__contains=f",{vo.pk},").exists()
    assert client.get("/api/v1/monitor", {"peildatum": timezone.localdate().isoformat()}).status_code == 200
    po_region = Region.objects.get(name=PO)
    assert client.get("/api/v1/monitor", {"peildatum": timezone.localdate().isoformat(),
                                          "region": po_region.pk}).status_code == 404


def test_a_system_bound_to_one_school_sees_only_that_schools_cases(demo, cases):
    vo, _ = cases
    other = signal(api_client, users(demo)["aoj_2"], demo["schools"]["vo_2"], given_name="Otto", family_name="Ander")
    mine = school("Noorderlicht College") if vo.school.name == "Noorderlicht College" else vo.school
    client = bearer(token_of(connect(schools=[mine])))
    assert [row["id"] for row in client.get("/api/v1/cases").json()["results"]] == [vo.pk]
    assert client.get(f"/api/v1/cases/{other.pk}").status_code == 404


def test_a_system_signals_as_its_organisation_within_its_regions(demo):
    connected = connect()
    client = bearer(token_of(connected))
    at = school("Zuiderpoort Lyceum")
    answer = client.post("/api/v1/cases", signal_payload(at, signaller_role="leerplicht"), format="json")
    assert answer.status_code == 201, answer.content
    case = Case.objects.get(pk=answer.json()["id"])
    assert case.signaller_role == "leerplicht" and case.signalled_by == connected.system.account
    assert str(case.signalled_by) == "Leerplicht-systeem Stad"
    assert signaller_contact(case.signalled_by) == {
        "signaller_name": "Leerplicht-systeem Stad", "signaller_email": "koppeling@example.org",
        "signaller_organisation": "Leerplicht-systeem Stad (organisatie)"}  # what a forwarded signal tells
    assert client.get(f"/api/v1/cases/{case.pk}").status_code == 200
    wrong_role = client.post("/api/v1/cases", signal_payload(at, signaller_role="school", given_name="Bo"),
                             format="json")
    assert wrong_role.status_code == 400
    assert [p["name"] for p in wrong_role.json()["invalidParams"]] == ["signaller_role"]
    elsewhere = client.post("/api/v1/cases", signal_payload(school("Basisschool De Vlinder"), given_name="Bo",
                                                            signaller_role="leerplicht"), format="json")
    assert elsewhere.status_code == 400
    assert [p["name"] for p in elsewhere.json()["invalidParams"]] == ["school"]
    assert Case.objects.count() == 1


def test_the_two_token_schemes_never_cross(demo):
    token = token_of(connect())
    person = users(demo)["aoj"]
    personal = api_client().post("/api/v1/auth/token", {"username": person.username, "password": demo["password"],
                                                         "otp": new_backup_codes(person)[0]}, format="json")
    assert personal.status_code == 200, personal.content
    personal = personal.json()["token"]
    as_token = api_client()
    as_token.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert as_token.get("/api/v1/schools").status_code == 401
    assert bearer(personal).get("/api/v1/schools").status_code == 401
    # A token in the query string is never read: an unknown parameter (400), never a way in.
    assert api_client().get("/api/v1/schools", {"access_token": token}).status_code == 400
    fine = api_client()
    fine.credentials(HTTP_AUTHORIZATION=f"Token {personal}")
    assert fine.get("/api/v1/schools").status_code == 200
    assert bearer(token).post("/api/v1/auth/logout").status_code == 401  # a person's sign-out


def test_a_switched_off_system_has_no_way_in(demo):
    connected = connect()
    token = token_of(connected)
    assert end(connected.system) == 1
    assert bearer(token).get("/api/v1/schools").status_code == 401
    assert refused(ask_token(connected))
    assert AUDIENCE.endswith("/api/v1/oauth/token")


def test_the_token_endpoint_is_throttled_and_documented(demo, monkeypatch):
    operation = v1_document()["paths"]["/oauth/token"]["post"]
    assert operation["security"] == [] and {"200", "400", "401", "429"} <= set(operation["responses"])
    scheme = v1_document()["components"]["securitySchemes"]["systemAuth"]
    assert scheme["type"] == "oauth2" and scheme["flows"]["clientCredentials"]["tokenUrl"] == "/api/v1/oauth/token"
    assert {"systemAuth": ["cases:read"]} in v1_document()["paths"]["/cases"]["get"]["security"]
    assert {"systemAuth": []} not in v1_document()["paths"]["/tasks/{taskId}/complete"]["post"]["security"]
    connected = connect()
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "auth", "1/min")
    assert ask_token(connected).status_code == 200
    answer = ask_token(connected)
    assert answer.status_code == 429 and int(answer["Retry-After"]) > 0


def test_an_administrator_registers_rotates_and_switches_off_a_system(demo):
    admin = Client()
    admin.force_login(UserFactory(username="beheerder", is_staff=True, is_superuser=True))
    index = admin.get("/admin/").content.decode()
    assert "/admin/systems/connectedsystem/" in index and "/admin/oauth2_provider/" not in index
    vo = Region.objects.get(name=VO)
    form = {"name": "Rapportage SWV", "organisation": "school", "organisation_name": "SWV VO Stad",
            "regions": [vo.pk], "auth_method": "client_secret_basic", "scope_choices": ["monitor:read"],
            "public_key": "", "jwks_url": "", "contact": ""}
    without_key = admin.post("/admin/systems/connectedsystem/add/", {**form, "auth_method": "private_key_jwt"})
    assert without_key.status_code == 200 and without_key.context["adminform"].form.non_field_errors()
    added = admin.post("/admin/systems/connectedsystem/add/", form, follow=True)
    page = added.content.decode()
    assert added.status_code == 200
    system = ConnectedSystem.objects.get(application__name="Rapportage SWV")
    assert system.scope_list == ["monitor:read"] and system.account.username.startswith("system:")
    assert not system.account.has_usable_password()
    secret = shown_secret(page)
    connected = Connected(system, secret, None)
    assert ask_token(connected).json()["scope"] == "monitor:read"
    assert secret not in admin.get(f"/admin/systems/connectedsystem/{system.pk}/change/").content.decode()
    rotated = admin.post("/admin/systems/connectedsystem/", {"action": "rotate_secret", "_selected_action": [system.pk]},
                         follow=True).content.decode()
    new = shown_secret(rotated)
    assert ask_token(connected, secret=new).status_code == 200 and ask_token(connected).status_code == 200
    admin.post("/admin/systems/connectedsystem/", {"action": "switch_off", "_selected_action": [system.pk]})
    assert refused(ask_token(connected, secret=new))
