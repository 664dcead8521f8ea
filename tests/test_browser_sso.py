"""Single sign-on end to end in Debian's Chromium: casework (daphne, live) and a real OpenID
Connect provider (the npm oidc-provider on loopback). Each path is measured in clicks and
seconds (printed, and written to test-artifacts/sso-timings.json): the provider asserting MFA
(straight to the inbox), the provider not asserting it (casework asks for its second factor), an
unknown e-mail (refused on the login page), and logout with RP-initiated logout at the provider.
The login page with its buttons and with a refusal meets WCAG 2.1 AA and reflows at 320 px."""

import json
import time

import pytest

from sso.models import IdentityProvider
from tests.browser import ARTIFACTS, axe_violations, chromium, live_asgi_server, overflows_at
from tests.factories import MembershipFactory, SchoolFactory, UserFactory
from tests.oidc_provider import SECRET, SECRET_ENV, client, oidc_provider

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_second_factor, pytest.mark.browser]
WAIT = 20_000  # ms: generous on a loaded machine


def through_provider(page, base_url: str, organisation: str, email: str) -> int:
    """From casework's login page through the provider's sign-in page; returns the clicks."""
    page.goto(f"{base_url}/login/")
    page.get_by_role("link", name=f"Inloggen via {organisation}").click()
    page.wait_for_selector("#login", timeout=WAIT)  # the provider's page
    page.fill("#login", email)  # typing, not a click
    page.click("#provider-submit")
    return 2


def test_sign_in_through_the_provider_in_the_browser(monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    school = SchoolFactory(name="Testcollege")
    user = UserFactory(username="jansen", email="j.jansen@testdorp.invalid")
    MembershipFactory(user=user, team=school.teams.get())
    timings = {}
    with live_asgi_server() as base_url:
        back = [f"{base_url}/login/"]
        clients = [client("casework-gemeente", [f"{base_url}/sso/gemeente/callback"], back, amr=["pwd", "mfa"]),
                   client("casework-school", [f"{base_url}/sso/school/callback"], back, amr=["pwd"])]
        with oidc_provider(clients) as issuer:
            # (before Playwright: its event loop in this thread refuses synchronous queries)
            for slug, name in [("gemeente", "Gemeente Testdorp"), ("school", "Testcollege")]:
                IdentityProvider.objects.create(
                    slug=slug, organisation_name=name, region=school.region, issuer=issuer,
                    client_id=f"casework-{slug}", client_secret_env=SECRET_ENV, trust_mfa=True)
            browse(base_url, user.email, timings)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "sso-timings.json").write_text(json.dumps(timings, indent=2))
    print(json.dumps(timings, indent=2))


def browse(base_url: str, email: str, timings: dict) -> None:
    with chromium() as browser:
        # The paths under the pages' real Content-Security-Policy (the logout's hand-off to the
        # provider must get past form-action 'self'); axe runs in its own context (bypass_csp).
        context = browser.new_context(locale="en-GB")
        page = context.new_page()

        # 1. The provider asserts MFA: straight to the inbox, no second factor asked here.
        started = time.perf_counter()
        clicks = through_provider(page, base_url, "Gemeente Testdorp", email)
        page.wait_for_url(f"{base_url}/tasks/**", timeout=WAIT)
        page.wait_for_selector("header .who", timeout=WAIT)
        timings["provider asserts MFA: login page to inbox"] = {
            "clicks": clicks, "seconds": round(time.perf_counter() - started, 2)}

        # 2. Logout here and at the provider (RP-initiated logout, the provider asks to confirm).
        started = time.perf_counter()
        page.get_by_role("button", name="Uitloggen").click()
        page.wait_for_selector("button[name=logout][value=yes]", timeout=WAIT)  # the provider's page
        page.click("button[name=logout][value=yes]")
        page.wait_for_url(f"{base_url}/login/", timeout=WAIT)
        timings["logout here and at the provider"] = {
            "clicks": 2, "seconds": round(time.perf_counter() - started, 2)}
        page.goto(f"{base_url}/tasks/")
        assert page.url.startswith(f"{base_url}/login/")  # signed out here

        # 3. The provider does not assert MFA: casework asks for its own second factor.
        started = time.perf_counter()
        clicks = through_provider(page, base_url, "Testcollege", email)
        page.wait_for_url("**/signin/**", timeout=WAIT)
        timings["provider without MFA: login page to casework's second-factor page"] = {
            "clicks": clicks, "seconds": round(time.perf_counter() - started, 2)}
        context.close()

        # The login page with one button per provider: WCAG 2.1 AA, reflow at 320 px.
        context = browser.new_context(locale="en-GB", bypass_csp=True)
        page = context.new_page()
        page.goto(f"{base_url}/login/")
        assert axe_violations(page) == []
        assert overflows_at(page, 320) == []
        page.set_viewport_size({"width": 1280, "height": 900})

        # 4. An unknown e-mail: refused, explained on the login page (accessible too).
        started = time.perf_counter()
        clicks = through_provider(page, base_url, "Gemeente Testdorp", "onbekend@testdorp.invalid")
        page.wait_for_selector(".messages li.error", timeout=WAIT)
        timings["unknown e-mail: login page to the refusal"] = {
            "clicks": clicks, "seconds": round(time.perf_counter() - started, 2)}
        assert "Er is geen casework-account" in page.inner_text(".messages")
        assert page.url.startswith(f"{base_url}/login/")
        assert axe_violations(page) == []
        assert overflows_at(page, 320) == []
        context.close()
