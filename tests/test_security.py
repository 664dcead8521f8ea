"""Hardening: CSP, session expiry, login lock-out, API throttling, password rules, log filter."""

import logging

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from casework.http.redaction import PersonalDataFilter
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_csp_header_without_unsafe_inline(client):
    response = client.get(reverse("login"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_pages_have_no_inline_script_or_style(client, api, member, vo_school):
    from tests.factories import signal_payload

    case_id = api(member).post("/api/cases/", signal_payload(vo_school), format="json").json()["id"]
    client.force_login(member)
    for url in [reverse("login"), reverse("case-list"), reverse("case-signal"), f"/cases/{case_id}/",
                "/tasks/queue/", "/clocks/"]:
        html = client.get(url).content.decode()
        assert "<script>" not in html and "<style" not in html and " style=" not in html, url


def test_session_expires_after_inactivity(settings, client, member):
    assert settings.SESSION_COOKIE_AGE == 30 * 60 and settings.SESSION_RENEW_AFTER_SECONDS == 60
    assert "casework.http.middleware.SessionRenewalMiddleware" in settings.MIDDLEWARE  # renewed to the minute
    client.force_login(member)
    assert client.session.get_expiry_age() == 30 * 60


def test_login_lockout_after_repeated_failures(client, member):
    for _ in range(4):
        response = client.post(reverse("login"), {"username": "member", "password": "wrong"})
        assert response.status_code == 200
    assert client.post(reverse("login"), {"username": "member", "password": "wrong"}).status_code == 429
    locked = client.post(reverse("login"), {"username": "member", "password": PASSWORD})  # even the right one
    assert locked.status_code == 429
    assert "Te veel mislukte pogingen" in locked.content.decode()
    # another user from the same address is not locked out
    from tests.factories import UserFactory

    UserFactory(username="other")
    assert client.post(reverse("login"), {"username": "other", "password": PASSWORD}).status_code == 302


def test_api_token_endpoint_is_throttled(api, member):
    client = api()
    answers = [client.post("/api/auth/token/", {"username": "member", "password": f"wrong{n}"},
                           format="json").status_code for n in range(12)]
    assert answers[:4] == [400] * 4
    assert answers[-1] == 429


def test_password_validators_refuse_weak_passwords(member):
    for weak in ["12345678", "password", "kort"]:
        with pytest.raises(ValidationError):
            validate_password(weak, member)
    validate_password("lange-zin-met-woorden-2026", member)


def test_log_filter_redacts_personal_data(caplog):
    logger = logging.getLogger("casework.test")
    handler_filter = PersonalDataFilter()
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    handler = Keep()
    handler.addFilter(handler_filter)
    logger.addHandler(handler)
    try:
        logger.warning("Bad Request: /api/search/?q=Sanne+Testkind")
        logger.warning("signal %s", {"given_name": "Sanne", "family_name": "Testkind", "birth_date": "2012-05-17",
                                     "case_id": 42})
        logger.warning("born 17-05-2012, mail sanne@example.org, phone 06-12345678, summary=Angstig thuis")
        try:
            raise ValueError("given_name='Sanne' is wrong")
        except ValueError:
            logger.exception("failed for case 7")
    finally:
        logger.removeHandler(handler)
    text = "\n".join(records)
    for secret in ["Sanne", "Testkind", "2012-05-17", "17-05-2012", "sanne@example.org", "06-12345678",
                   "Angstig"]:
        assert secret not in text, secret
    assert "case_id" in text and "42" in text and "case 7" in text and "ValueError" in text
