"""Single sign-on per organisation against a real OpenID Connect provider on loopback (the npm
oidc-provider, tests/oidc/provider.mjs): the provider's sign-in page is used the way a person
would (scripted with requests), casework is the Django test client. Covers a known user, an
unknown or unverified e-mail (refused), a provider asserting MFA (trusted, and not trusted), one
not asserting it (second factor asked), tampered tokens (refused), an expired token, a state of
another provider, and logout with RP-initiated logout at the provider."""

from urllib.parse import urlsplit

import pytest
import requests
import time_machine
from django.utils import timezone

from casework.models import AccessLog
from signin.factors import FACTOR_METHOD
from sso.models import IdentityProvider, ProviderLink
from teams.models import User
from tests.factories import MembershipFactory, SchoolFactory, UserFactory
from tests.oidc_provider import (
    SECRET_ENV,
    client,
    end_session_at_provider,
    oidc_provider,
    query,
    sign_in_at_provider,
)

# The second factor as the real code decides it (not the suite's test-login shortcut).
pytestmark = pytest.mark.real_second_factor
TESTSERVER = "http://testserver"
SLUGS = ("gemeente", "school", "ggd", "tampered", "foreign")
UNVERIFIED = "nog.niet.bevestigd@gemeente.invalid"


@pytest.fixture(scope="module")
def issuer():
    clients = [
        # Gemeente Testdorp: its sign-in asserts a second factor, and casework trusts it.
        client("casework-gemeente", [f"{TESTSERVER}/sso/gemeente/callback"], [f"{TESTSERVER}/login/"],
               amr=["pwd", "mfa"], acr="urn:casework:test:loa3"),
        # A school's provider that asserts no second factor (a password only).
        client("casework-school", [f"{TESTSERVER}/sso/school/callback"], [f"{TESTSERVER}/login/"], amr=["pwd"]),
        # The GGD's provider asserts MFA, but casework is not configured to trust it.
        client("casework-ggd", [f"{TESTSERVER}/sso/ggd/callback"], [f"{TESTSERVER}/login/"], amr=["pwd", "mfa"]),
        # Tokens altered on the way: the payload changed under the provider's signature...
        client("casework-tampered", [f"{TESTSERVER}/sso/tampered/callback"], [], amr=["pwd"], tamper="payload",
               tamper_email="directeur@casework.invalid"),
        # ... or signed with a key that is not in the provider's JWKS.
        client("casework-foreign", [f"{TESTSERVER}/sso/foreign/callback"], [], amr=["pwd"], tamper="foreign-key"),
    ]
    with oidc_provider(clients, unverified=(UNVERIFIED,)) as running:
        yield running


@pytest.fixture
def providers(db, issuer, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, "synthetic-test-secret-not-for-production")
    school = SchoolFactory(name="Testcollege")
    rows = {}
    for slug, name, trust in [("gemeente", "Gemeente Testdorp", True), ("school", "Testcollege", True),
                              ("ggd", "GGD Testregio", False), ("tampered", "Gemanipuleerd", True),
                              ("foreign", "Vreemde sleutel", True)]:
        rows[slug] = IdentityProvider.objects.create(
            slug=slug, organisation_name=name, region=school.region, issuer=issuer,
            client_id=f"casework-{slug}", client_secret_env=SECRET_ENV, trust_mfa=trust,
            mfa_amr_values="mfa", mfa_acr_values="")
    return rows


@pytest.fixture
def staff_member(providers):
    """A member of a school's team, who sees children's files: two factors required."""
    user = UserFactory(username="jansen", email="J.Jansen@Testdorp.invalid")
    MembershipFactory(user=user, team=providers["school"].region.teams.first())
    return user


def sign_in(django_client, slug: str, email: str, browser: requests.Session | None = None, **callback_time):
    """The whole path: casework's button, the provider's page, back to casework's callback.
    Returns casework's answer to the callback."""
    start = django_client.get(f"/sso/{slug}/login", {"next": "/cases/"})
    assert start.status_code == 302
    callback = sign_in_at_provider(browser or requests.Session(), start["Location"], email.lower())
    assert callback.startswith(f"{TESTSERVER}/sso/{slug}/callback?"), callback
    if callback_time:
        with time_machine.travel(timezone.now() + timezone.timedelta(**callback_time)):
            return django_client.get(urlsplit(callback).path, query(callback))
    return django_client.get(urlsplit(callback).path, query(callback))


def signed_in_user(django_client):
    session = django_client.session
    return session.get("_auth_user_id")


def refusal_shown(django_client, answer) -> str:
    """The login page the refused browser lands on, as text."""
    assert answer.status_code == 302 and answer["Location"] == "/login/", answer
    return django_client.get("/login/").content.decode()


def test_the_login_page_offers_one_button_per_active_provider(client, providers):
    providers["foreign"].active = False
    providers["foreign"].save()
    page = client.get("/login/?next=/cases/").content.decode()
    assert "Inloggen via Gemeente Testdorp" in page
    assert 'href="/sso/gemeente/login?next=/cases/"' in page
    assert "Inloggen via Vreemde sleutel" not in page
    assert 'id="login-form"' in page  # the local form stays
    assert client.get("/sso/foreign/login").status_code == 404


def test_a_known_user_signs_in_and_the_provider_asserted_mfa_counts(client, providers, staff_member):
    answer = sign_in(client, "gemeente", staff_member.email)
    assert answer.status_code == 302 and answer["Location"] == "/cases/"
    assert signed_in_user(client) == str(staff_member.pk)
    assert client.session[FACTOR_METHOD] == "idp"
    assert client.get("/cases/").status_code == 200  # no second factor asked
    link = ProviderLink.objects.get(provider=providers["gemeente"])
    assert link.user == staff_member and link.last_sign_in is not None
    row = AccessLog.objects.get(action=AccessLog.Action.SSO_LOGIN)
    assert row.user == staff_member and "gemeente" in row.detail and "provider" in row.detail
    assert not AccessLog.objects.filter(action=AccessLog.Action.LOGIN).exists()  # one event, not two
    assert answer.cookies["casework_signed_in"].value == "1"


def test_the_next_sign_in_follows_the_link_to_the_same_account(client, providers, staff_member):
    sign_in(client, "gemeente", staff_member.email)
    client.post("/logout/")
    # The e-mail address changed in casework: the provider's `sub` still finds the account.
    User.objects.filter(pk=staff_member.pk).update(email="nieuw@testdorp.invalid")
    answer = sign_in(client, "gemeente", staff_member.email)
    assert answer.status_code == 302 and signed_in_user(client) == str(staff_member.pk)
    assert ProviderLink.objects.count() == 1


def test_a_provider_without_mfa_means_casework_asks_for_the_second_factor(client, providers, staff_member):
    answer = sign_in(client, "school", staff_member.email)
    assert answer.status_code == 302 and signed_in_user(client) == str(staff_member.pk)
    assert FACTOR_METHOD not in client.session
    page = client.get("/cases/")
    assert page.status_code == 302 and page["Location"].startswith("/signin/")  # enrol or verify
    assert "second factor: asked" in AccessLog.objects.get(action=AccessLog.Action.SSO_LOGIN).detail


def test_mfa_asserted_by_a_provider_that_is_not_trusted_for_it_is_not_enough(client, providers, staff_member):
    answer = sign_in(client, "ggd", staff_member.email)
    assert answer.status_code == 302 and signed_in_user(client) == str(staff_member.pk)
    assert FACTOR_METHOD not in client.session
    assert client.get("/cases/")["Location"].startswith("/signin/")


def test_trust_by_acr_value(client, providers, staff_member):
    provider = providers["gemeente"]
    provider.mfa_amr_values, provider.mfa_acr_values = "hwk", "urn:casework:test:loa3"
    provider.save()
    sign_in(client, "gemeente", staff_member.email)
    assert client.session[FACTOR_METHOD] == "idp"


def test_an_unknown_email_is_refused_with_a_dutch_explanation(client, providers, staff_member):
    answer = sign_in(client, "gemeente", "onbekend@testdorp.invalid")
    page = refusal_shown(client, answer)
    assert "Er is geen casework-account voor het e-mailadres dat Gemeente Testdorp doorgaf" in page
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(email__iexact="onbekend@testdorp.invalid").exists()  # never created
    row = AccessLog.objects.get(action=AccessLog.Action.SSO_REFUSED)
    assert row.user is None and "unknown_email" in row.detail


def test_an_unverified_email_is_refused(client, providers):
    UserFactory(username="nieuw", email=UNVERIFIED)
    page = refusal_shown(client, sign_in(client, "gemeente", UNVERIFIED))
    assert "gaf geen geverifieerd e-mailadres door" in page
    assert "_auth_user_id" not in client.session
    assert "email_unverified" in AccessLog.objects.get(action=AccessLog.Action.SSO_REFUSED).detail


def test_an_inactive_user_is_refused(client, providers, staff_member):
    staff_member.is_active = False
    staff_member.save()
    refusal_shown(client, sign_in(client, "gemeente", staff_member.email))
    assert "_auth_user_id" not in client.session


def test_a_provider_vouches_only_for_its_own_email_domains(client, providers, staff_member):
    provider = providers["gemeente"]
    provider.email_domains = "gemeente-testdorp.invalid"
    provider.save()
    page = refusal_shown(client, sign_in(client, "gemeente", staff_member.email))
    assert "kunt u niet inloggen met dit e-mailadres" in page
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("slug", ["tampered", "foreign"])
def test_a_tampered_id_token_is_refused(client, providers, slug):
    # The altered token names the director and asserts MFA; its signature does not hold.
    director = UserFactory(username="directeur", email="directeur@casework.invalid")
    MembershipFactory(user=director, team=providers["school"].region.teams.first())
    page = refusal_shown(client, sign_in(client, slug, "iemand@testdorp.invalid"))
    assert "kon niet worden gecontroleerd" in page
    assert "_auth_user_id" not in client.session
    assert "invalid_token" in AccessLog.objects.get(action=AccessLog.Action.SSO_REFUSED).detail
    assert not ProviderLink.objects.exists()


def test_an_expired_id_token_is_refused(client, providers, staff_member):
    # The provider's ID tokens live 10 minutes; casework allows 60 s of clock skew.
    page = refusal_shown(client, sign_in(client, "gemeente", staff_member.email, minutes=15))
    assert "kon niet worden gecontroleerd" in page
    assert "ExpiredSignatureError" in AccessLog.objects.get(action=AccessLog.Action.SSO_REFUSED).detail


def test_a_code_is_used_once_and_only_at_its_own_provider(client, providers, staff_member):
    start = client.get("/sso/school/login")
    callback = sign_in_at_provider(requests.Session(), start["Location"], staff_member.email)
    # The answer for the school presented at the gemeente's callback: its state is not the gemeente's.
    page = refusal_shown(client, client.get("/sso/gemeente/callback", query(callback)))
    assert "duurde te lang of is in een ander venster begonnen" in page
    # ...and the state is gone: the real callback cannot replay it either.
    refusal_shown(client, client.get(urlsplit(callback).path, query(callback)))
    assert "_auth_user_id" not in client.session


def test_the_provider_refusing_or_the_user_cancelling(client, providers):
    start = client.get("/sso/gemeente/login")
    state = query(start["Location"])["state"]
    answer = client.get("/sso/gemeente/callback", {"error": "access_denied", "state": state})
    assert "is afgebroken of door Gemeente Testdorp geweigerd" in refusal_shown(client, answer)


def test_an_unreachable_provider_is_explained(client, providers, settings):
    provider = providers["gemeente"]
    provider.issuer = "http://127.0.0.1:9/"  # nothing listens there
    provider.save()
    settings.OIDC_TIMEOUT = 2
    answer = client.get("/sso/gemeente/login")
    assert "is op dit moment niet bereikbaar" in refusal_shown(client, answer)


def test_logout_ends_the_session_here_and_at_the_provider(client, providers, staff_member):
    at_provider = requests.Session()
    sign_in(client, "gemeente", staff_member.email, browser=at_provider)
    answer = client.post("/logout/")
    assert answer.status_code == 302 and answer["Location"] == "/sso/signed-out"
    assert "_auth_user_id" not in client.session
    assert AccessLog.objects.filter(action=AccessLog.Action.LOGOUT, user=staff_member).exists()
    page = client.get("/sso/signed-out").content.decode()
    link = page.split('id="sso-end-session" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    params = query(link)
    assert link.startswith(f"{providers['gemeente'].issuer}/session/end?")
    assert params["post_logout_redirect_uri"] == f"{TESTSERVER}/login/"
    assert params["client_id"] == "casework-gemeente" and params["id_token_hint"].count(".") == 2
    assert end_session_at_provider(at_provider, link) == f"{TESTSERVER}/login/"
    # Signed out at the provider too: the next sign-in asks for the account again.
    start = client.get("/sso/gemeente/login")
    asked = at_provider.get(start["Location"], allow_redirects=True, timeout=10)
    assert "/interaction/" in asked.url and 'name="login"' in asked.text
    # The signed-out page is used once.
    assert client.get("/sso/signed-out")["Location"] == "/login/"


def test_a_local_sign_in_logs_out_locally_only(client, providers, staff_member):
    client.force_login(staff_member)
    answer = client.post("/logout/")
    assert answer["Location"] == "/login/"


def test_the_admin_never_shows_the_secret(client, providers, monkeypatch):
    admin = UserFactory(username="beheer", is_staff=True, is_superuser=True)
    client.force_login(admin)
    session = client.session
    session[FACTOR_METHOD] = "totp"
    session.save()
    page = client.get(f"/admin/sso/identityprovider/{providers['gemeente'].pk}/change/").content.decode()
    assert SECRET_ENV in page and "synthetic-test-secret" not in page
    monkeypatch.delenv(SECRET_ENV)
    page = client.get("/admin/sso/identityprovider/").content.decode()
    assert "ontbreekt in de omgeving" in page


@pytest.mark.parametrize(("claims", "trusted"), [
    ({"amr": ["pwd", "mfa"]}, True),
    ({"amr": "mfa"}, True),
    ({"amr": ["pwd"]}, False),
    ({"acr": "urn:casework:test:loa3"}, True),
    ({"acr": "urn:casework:test:loa1"}, False),
    ({}, False),
])
def test_which_assertions_count_as_a_second_factor(claims, trusted):
    provider = IdentityProvider(trust_mfa=True, mfa_amr_values="mfa, otp", mfa_acr_values="urn:casework:test:loa3")
    assert provider.asserts_second_factor(claims) is trusted
    provider.trust_mfa = False
    assert provider.asserts_second_factor(claims) is False


def test_an_answer_naming_another_issuer_is_refused(client, providers, staff_member):
    start = client.get("/sso/gemeente/login")
    callback = sign_in_at_provider(requests.Session(), start["Location"], staff_member.email)
    answer = query(callback)
    assert answer["iss"] == providers["gemeente"].issuer  # RFC 9207: the provider names itself
    answer["iss"] = "https://aanvaller.invalid"
    refusal_shown(client, client.get("/sso/gemeente/callback", answer))
    assert "_auth_user_id" not in client.session


def test_a_provider_whose_secret_is_missing_is_explained_not_attempted(client, providers, monkeypatch):
    monkeypatch.delenv(SECRET_ENV)
    answer = client.get("/sso/gemeente/login")
    assert "is op dit moment niet bereikbaar" in refusal_shown(client, answer)
    assert "is not set" in AccessLog.objects.get(action=AccessLog.Action.SSO_REFUSED).detail


def test_a_second_account_at_the_same_provider_cannot_take_over_a_linked_user(client, providers, staff_member):
    sign_in(client, "gemeente", staff_member.email)
    client.post("/logout/")
    # Another account of the provider (another `sub`) that now claims the same verified address.
    ProviderLink.objects.filter(provider=providers["gemeente"]).update(subject="een-ander-account")
    page = refusal_shown(client, sign_in(client, "gemeente", staff_member.email))
    assert "al gekoppeld aan een ander account bij Gemeente Testdorp" in page
    assert "_auth_user_id" not in client.session
