"""Two factors in a real browser (Debian Chromium, a live daphne): the first sign-in enrols an
authenticator app (the code generated from the secret the page shows, as an app would), the
backup codes, a later sign-in with a backup code; and a passkey, registered and used with
Chromium's virtual authenticator (CDP WebAuthn.addVirtualAuthenticator); registering it and
verifying with it give the session a new key. The new pages meet WCAG
2.1 AA (axe-core) and reflow at 320 px. The sign-in paths are measured (clicks, seconds) and
printed. No test harness shortcut: marked `real_second_factor`."""

import time

import pytest
from django.contrib.sessions.models import Session
from pyotp import TOTP

from casework.models import AccessLog
from tests.browser import (
    axe_violations,
    chromium,
    live_server_with_output,
    overflows_at,
    usable_passwords,
)
from tests.factories import MembershipFactory, SchoolFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_second_factor, pytest.mark.browser]
WAIT = 20_000  # ms: generous on a loaded machine; every wait returns as soon as the page is there
PASSWORD = "browser-test-password"


def new_member(settings, username: str):
    user = UserFactory(username=username)
    MembershipFactory(user=user, team=SchoolFactory(name=f"School van {username}").teams.get())
    usable_passwords(settings, [username], PASSWORD)
    return user


def accessible(page) -> None:
    assert page.evaluate("document.documentElement.lang") == "nl"
    assert axe_violations(page) == [], page.url
    assert overflows_at(page, 320) == [], page.url
    page.set_viewport_size({"width": 1280, "height": 900})


def session_key(context) -> str:
    return next(cookie["value"] for cookie in context.cookies() if cookie["name"] == "sessionid")


def password_step(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_enrol_an_app_then_sign_in_with_a_backup_code(settings, tmp_path):
    member = new_member(settings, "nieuw")
    with live_server_with_output(tmp_path) as (base_url, _output), chromium() as browser:
        context = browser.new_context(locale="en-GB", bypass_csp=True)  # Dutch whatever the browser says
        page = context.new_page()
        started = time.monotonic()
        password_step(page, base_url, "nieuw")  # click 1
        page.wait_for_url(f"{base_url}/signin/enrol/**", timeout=WAIT)
        secret = page.inner_text("#totp-secret")
        assert page.locator("#totp-qr").evaluate("img => img.naturalWidth") > 0  # the QR code shows
        page.fill("#id_code", TOTP(secret).now())
        page.click("#enrol-form button[type=submit]")  # click 2
        page.wait_for_url(f"{base_url}/signin/backup-codes/**", timeout=WAIT)
        codes = page.locator("#backup-codes code").all_inner_texts()
        assert len(codes) == 10
        page.click("#continue")  # click 3
        page.wait_for_url(f"{base_url}/tasks/", timeout=WAIT)
        enrol_seconds = time.monotonic() - started

        page.goto(f"{base_url}/signin/enrol/")  # (signed in: a new app only after the factor; here it is)
        accessible(page)
        page.goto(f"{base_url}/signin/backup-codes/")
        accessible(page)

        context.clear_cookies()
        started = time.monotonic()
        password_step(page, base_url, "nieuw")  # click 1
        page.wait_for_url(f"{base_url}/signin/verify/**", timeout=WAIT)
        accessible(page)
        page.fill("#id_code", codes[0])
        page.click("#verify-form button[type=submit]")  # click 2
        page.wait_for_url(f"{base_url}/tasks/", timeout=WAIT)
        verify_seconds = time.monotonic() - started
    print(f"\nsign-in path, first time (password, app enrolment, backup codes): 3 clicks, {enrol_seconds:.1f} s"
          f"\nsign-in path, later (password, code): 2 clicks, {verify_seconds:.1f} s")
    assert list(AccessLog.objects.filter(user=member, action__in=["login", "factor_enrolled", "factor_verified"])
                .order_by("pk").values_list("action", "detail")) == [
        ("login", ""), ("factor_enrolled", "totp"), ("factor_verified", "totp"),
        ("login", ""), ("factor_verified", "backup")]


def test_a_passkey_with_chromiums_virtual_authenticator(settings, tmp_path):
    member = new_member(settings, "sleutel")
    # A passkey's relying party is a domain name, never an address: the browser goes to localhost.
    with live_server_with_output(tmp_path, ALLOWED_HOSTS="127.0.0.1,localhost") as (base_url, output), \
            chromium() as browser:
        base_url = base_url.replace("127.0.0.1", "localhost")
        context = browser.new_context(locale="en-GB", bypass_csp=True)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
            "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
            "hasUserVerification": True, "isUserVerified": True, "automaticPresenceSimulation": True}})
        started = time.monotonic()
        password_step(page, base_url, "sleutel")  # click 1
        page.wait_for_url(f"{base_url}/signin/enrol/**", timeout=WAIT)
        accessible(page)
        with_password = session_key(context)
        page.click("#passkey-register-button", timeout=WAIT)  # click 2
        page.wait_for_url(f"{base_url}/signin/backup-codes/**", timeout=WAIT)
        page.click("#continue")  # click 3
        page.wait_for_url(f"{base_url}/tasks/", timeout=WAIT)
        enrol_seconds = time.monotonic() - started
        assert session_key(context) != with_password  # registering the passkey passed the factor

        context.clear_cookies()
        started = time.monotonic()
        password_step(page, base_url, "sleutel")  # click 1
        page.wait_for_url(f"{base_url}/signin/verify/**", timeout=WAIT)
        with_password_again = session_key(context)
        page.click("#passkey-verification-button", timeout=WAIT)  # click 2
        page.wait_for_url(f"{base_url}/tasks/", timeout=WAIT)
        verify_seconds = time.monotonic() - started
        assert session_key(context) != with_password_again  # verifying with the passkey passed it
        page.goto(f"{base_url}/notifications/")
        assert page.url == f"{base_url}/notifications/"  # still signed in, with the new key
        assert "Traceback" not in output.text()
    # Neither key seen with the password alone works any more: both left the session store.
    assert not Session.objects.filter(session_key__in=[with_password, with_password_again]).exists()
    print(f"\npasskey, first time (password, register, backup codes): 3 clicks, {enrol_seconds:.1f} s"
          f"\npasskey, later (password, passkey): 2 clicks, {verify_seconds:.1f} s")
    assert list(AccessLog.objects.filter(user=member, action__in=["factor_enrolled", "factor_verified"])
                .order_by("pk").values_list("action", "detail")) == [
        ("factor_enrolled", "webauthn"), ("factor_verified", "webauthn"), ("factor_verified", "webauthn")]
