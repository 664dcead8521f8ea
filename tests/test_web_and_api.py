"""The Dutch web shell, language switch, token auth and the OpenAPI schema."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, CaseFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_login_page_is_dutch(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="nl">' in html
    assert "Inloggen" in html and "Gebruikersnaam" in html and "Wachtwoord" in html


def test_dutch_whatever_the_browser_says_and_english_by_choice(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert '<html lang="nl">' in response.content.decode() and "Inloggen" in response.content.decode()
    chosen = client.post("/i18n/setlang/", {"language": "en", "next": reverse("login")})
    assert chosen.status_code == 302
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="nl")
    assert "Log in" in response.content.decode() and "Inloggen" not in response.content.decode()


def test_login_with_password_then_inbox(client, member):
    response = client.post(reverse("login"), {"username": "member", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("inbox-default")
    inbox = client.get(reverse("inbox-default")).content.decode()
    assert "Mijn taken" in inbox or "My tasks" in inbox
    assert 'href="/tasks/focus/" aria-current="page">Mijn werk' in inbox  # the default landing view
    page = client.get(reverse("case-list"))
    assert "U heeft nog geen zaken" in page.content.decode()


def test_wrong_password_is_refused(client, member):
    response = client.post(reverse("login"), {"username": "member", "password": "wrong"})
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated


def test_case_page_shows_timeline_in_dutch(client, api, member, vo_school):
    from tests.factories import signal_payload

    case_id = api(member).post("/api/cases/", signal_payload(vo_school), format="json").json()["id"]
    client.force_login(member)
    html = client.get(reverse("case-detail", args=[case_id])).content.decode()
    assert "Tijdlijn" in html and "Gemeld" in html and "Sanne Testkind" in html


def test_static_css_is_served_locally(client):
    html = client.get(reverse("login")).content.decode()
    assert "/static/css/casework.css" in html
    assert "http://" not in html.split("<body")[0] and "https://" not in html.split("<body")[0]


def test_token_auth_round_trip(api, member, vo_school):
    """A member needs two factors: the token asks for the current code of their app (`otp`)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from pyotp import TOTP

    from signin.views import base32_secret

    CaseFactory(school=vo_school)
    secret = base32_secret(TOTPDevice.objects.create(user=member, name="app", confirmed=True))
    anonymous = api()
    token = anonymous.post("/api/auth/token/", {"username": "member", "password": PASSWORD,
                                                "otp": TOTP(secret).now()}, format="json")
    assert token.status_code == 200
    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    assert anonymous.get("/api/cases/").json()["count"] == 1


def test_token_with_wrong_password_is_400(api, member):
    response = api().post("/api/auth/token/", {"username": "member", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()


def test_api_requires_authentication(api):
    assert api().get("/api/cases/").status_code == 401


def test_openapi_schema_documents_case_endpoints(api):
    user = UserFactory()
    response = api(user).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    assert {"/api/cases/", "/api/cases/{id}/", "/api/auth/token/"} <= set(paths)
    create = paths["/api/cases/"]["post"]
    assert {"201", "400", "403", "409"} <= set(create["responses"])
    assert "404" in paths["/api/cases/{id}/"]["get"]["responses"]
    child = schema["components"]["schemas"]["ChildRequest"]["properties"]
    assert {"given_name", "family_name", "birth_date", "pupil_number"} <= set(child)
