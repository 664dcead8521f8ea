"""Client addresses behind a proxy. Without trusted proxies (CASEWORK_TRUSTED_PROXIES=0, the
default) X-Forwarded-For is ignored everywhere: a client cannot escape the login lock-out, the
API throttle or the public form's limit by writing the header. Behind N trusted proxies the N-th
address from the right is the client's, the same for the access log, the throttle, the lock-out
and the public form. The lock-out stays per username AND address; the public form counts only
stored signals."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from casework.http.addresses import client_address
from casework.models import AccessLog, PublicSignal
from tests.factories import PASSWORD, UserFactory
from tests.flowkit import signal
from tests.test_public_signal import form

pytestmark = pytest.mark.django_db


@pytest.fixture
def behind_proxy(settings):
    settings.CASEWORK_TRUSTED_PROXIES = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}  # as settings.py derives it


def request_from(remote: str, forwarded: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


def test_without_trusted_proxies_the_header_is_ignored():
    assert client_address(request_from("10.0.0.1", "203.0.113.9")) == "10.0.0.1"
    assert client_address(request_from("10.0.0.1")) == "10.0.0.1"


def test_behind_one_proxy_the_address_it_saw_is_the_clients(behind_proxy):
    assert client_address(request_from("10.0.0.1", "203.0.113.9")) == "203.0.113.9"
    # what the client wrote to the left is not believed; the right-most is what our proxy saw
    assert client_address(request_from("10.0.0.1", "1.2.3.4, 203.0.113.9")) == "203.0.113.9"
    assert client_address(request_from("10.0.0.1", "not-an-address")) == "10.0.0.1"
    assert client_address(request_from("10.0.0.1")) == "10.0.0.1"


def test_the_access_log_keeps_the_clients_address(api, demo, u, settings):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    client = api(u["aoj"])
    client.get(f"/api/cases/{case.pk}/", HTTP_X_FORWARDED_FOR="203.0.113.9", REMOTE_ADDR="10.0.0.1")
    assert AccessLog.objects.filter(action="api_view").latest("pk").ip == "10.0.0.1"
    settings.CASEWORK_TRUSTED_PROXIES = 1
    client.get(f"/api/cases/{case.pk}/", HTTP_X_FORWARDED_FOR="203.0.113.9", REMOTE_ADDR="10.0.0.1")
    assert AccessLog.objects.filter(action="api_view").latest("pk").ip == "203.0.113.9"


def fail_logins(client, username: str, forwarded: list[str]) -> list[int]:
    return [client.post(reverse("login"), {"username": username, "password": "wrong"}, REMOTE_ADDR="10.0.0.1",
                        HTTP_X_FORWARDED_FOR=address).status_code for address in forwarded]


def test_lockout_without_proxies_cannot_be_escaped_with_the_header():
    UserFactory(username="member")
    answers = fail_logins(Client(), "member", [f"198.51.100.{n}" for n in range(6)])
    assert answers == [200] * 4 + [429, 429]  # one address: the connection's


def test_lockout_behind_a_proxy_is_per_user_and_client_address(behind_proxy):
    UserFactory(username="member")
    UserFactory(username="other")
    client = Client()
    assert fail_logins(client, "member", ["198.51.100.1"] * 5) == [200] * 4 + [429]
    # the same user from another client address behind the same proxy is not locked out ...
    ok = client.post(reverse("login"), {"username": "member", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1",
                     HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert ok.status_code == 302
    # ... nor another user from the locked-out address
    other = Client().post(reverse("login"), {"username": "other", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1",
                          HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert other.status_code == 302


def token_attempts(api, forwarded: list[str]) -> list[int]:
    client = api()
    return [client.post("/api/auth/token/", {"username": f"nobody{n}", "password": "wrong"}, format="json",
                        REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=address).status_code
            for n, address in enumerate(forwarded)]


def test_api_throttle_without_proxies_counts_the_connections_address(api):
    answers = token_attempts(api, [f"198.51.100.{n}" for n in range(11)])
    assert answers[:10] == [400] * 10 and answers[10] == 429  # auth scope: 10/min per address


def test_api_throttle_behind_a_proxy_counts_each_client(api, behind_proxy):
    answers = token_attempts(api, [f"198.51.100.{n}" for n in range(11)])
    assert answers == [400] * 11  # eleven clients, one attempt each
    assert token_attempts(api, ["198.51.100.0"] * 10)[-1] == 429  # the first client's 11th attempt


def public_answers(demo, forwarded: list[str], **changes) -> list[int]:
    return [Client().post("/melden/", form(demo, family_name=f"Publiek{n}", **changes), REMOTE_ADDR="10.0.0.1",
                          HTTP_X_FORWARDED_FOR=address).status_code for n, address in enumerate(forwarded)]


def test_public_form_counts_only_stored_signals(demo):
    invalid = public_answers(demo, ["198.51.100.1"] * 6, absent_since="2099-01-01")
    assert invalid == [400] * 6  # refused submissions are not counted ...
    assert public_answers(demo, ["198.51.100.1"] * 6) == [200] * 5 + [429]  # ... stored ones are
    assert PublicSignal.objects.count() == 5


def test_public_form_limit_without_proxies_is_per_connection(demo):
    assert public_answers(demo, [f"198.51.100.{n}" for n in range(6)]) == [200] * 5 + [429]


def test_public_form_limit_behind_a_proxy_is_per_client(demo, behind_proxy):
    assert public_answers(demo, [f"198.51.100.{n}" for n in range(6)]) == [200] * 6
