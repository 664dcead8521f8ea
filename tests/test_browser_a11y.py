"""The registration and counting pages in a real browser against WCAG 2.1 AA (axe-core) and reflow at 320 px:
the signal form, the case page with its registration and taking-part forms (also with errors),
the start confirmation task, and the monitor's quarterly report."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.browser import (
    axe_violations,
    chromium,
    live_asgi_server,
    log_in,
    overflows_at,
    usable_passwords,
)
from tests.flowkit import board_and_school, complete, open_task, signal

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def check(page, url: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(url)
    assert page.evaluate("document.documentElement.lang") == "nl"
    violations = axe_violations(page)
    assert violations == [], (url, violations)
    sticking_out = overflows_at(page, 320)
    assert sticking_out == [], f"{url}: {sticking_out}"


def test_new_pages_meet_wcag_and_reflow(api, demo, u, settings):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {"plan": "Plek zoeken", "routes": ["doorbraak"]})
    board, school = board_and_school(demo)
    complete(api, u["mpl_chair"], case, "doorbraak_decision", {
        "school_board": board, "school": school, "start_date": timezone.localdate().isoformat(),
        "preference_followed": True})
    task = open_task(case, "start_confirmation")
    usable_passwords(settings, ["aoj", "swv_director"], demo["password"])
    with live_asgi_server() as base_url, chromium() as browser:
        context = browser.new_context(locale="en-GB", bypass_csp=True)  # Dutch whatever the browser says
        page = context.new_page()
        log_in(page, base_url, "aoj", demo["password"])
        check(page, f"{base_url}/cases/new/")
        check(page, f"{base_url}/cases/{case.pk}/")
        check(page, f"{base_url}/task/{task.pk}/")
        # a refused change keeps what was typed and shows its error accessibly
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{base_url}/cases/{case.pk}/")
        page.select_option("#id_registration-registration", "dreigend")
        page.fill("#id_registration-since", (timezone.localdate() - dt.timedelta(days=1)).isoformat())
        page.fill("#id_registration-reason", "Verkeerd gemeld")
        page.click("#registration form:first-of-type button[type=submit]")
        page.wait_for_selector("#registration .error", timeout=15000)
        assert page.input_value("#id_registration-reason") == "Verkeerd gemeld"
        assert axe_violations(page) == []
        page.context.clear_cookies()
        log_in(page, base_url, "swv_director", demo["password"])
        year, quarter = timezone.localdate().year, (timezone.localdate().month - 1) // 3 + 1
        check(page, f"{base_url}/monitor/quarter/?year={year}&quarter={quarter}")
        check(page, f"{base_url}/monitor/")
        check(page, f"{base_url}/monitor/year/")
