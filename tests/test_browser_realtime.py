"""Two members of one AOJ-team in two browsers: one signals a case, the other's badge and team
queue show it without a reload, within 2 seconds."""

import pytest

from tests.browser import ARTIFACTS, chromium, live_asgi_server, log_in, usable_passwords

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_signal_reaches_the_teammate_without_reload(demo, settings):
    password = demo["password"]
    usable_passwords(settings, [demo["users"]["aoj"], demo["users"]["aoj_2"]], password)
    with live_asgi_server() as base_url, chromium() as browser:
        signaller = browser.new_context(locale="nl-NL").new_page()
        teammate = browser.new_context(locale="nl-NL").new_page()
        log_in(signaller, base_url, demo["users"]["aoj"], password)
        log_in(teammate, base_url, demo["users"]["aoj_2"], password)
        teammate.goto(f"{base_url}/tasks/queue/")
        assert teammate.inner_text("#notification-badge") == "0"
        assert "Romy Realtime" not in teammate.inner_text("#inbox-list")
        teammate.wait_for_selector("#nav-notifications[data-ws-state=open]", state="attached", timeout=20000)

        signaller.goto(f"{base_url}/cases/new/")
        signaller.fill("#id_given_name", "Romy")
        signaller.fill("#id_family_name", "Realtime")
        signaller.fill("#id_birth_date", "2012-06-01")
        signaller.select_option("#id_registration", "lrv")
        signaller.select_option("#id_school", str(demo["schools"]["vo"]))
        signaller.select_option("#id_sector", "vo")
        signaller.fill("#id_absent_since", "2026-10-01")
        signaller.select_option("#id_signaller_role", "school")
        signaller.click("main form button[type=submit]")
        signaller.wait_for_url(f"{base_url}/cases/*/", timeout=15000)

        # no reload on the teammate's page: the badge and the queue update by themselves
        teammate.wait_for_selector("#notification-badge >> text='1'", state="attached", timeout=20000)
        teammate.wait_for_selector("#inbox-list >> text=Romy Realtime", timeout=15000)
        teammate.wait_for_selector(".toast >> text=Nieuwe taak: Teambespreking", timeout=15000)
        teammate.screenshot(path=str(ARTIFACTS / "realtime-teammate-queue.png"), full_page=True)
        signaller.screenshot(path=str(ARTIFACTS / "realtime-signaller-case.png"), full_page=True)
