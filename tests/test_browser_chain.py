"""The chain's pages in a real browser as Leerplicht: a file read through the upload form, the
reconciliation page (WCAG 2.1 AA by axe-core at 1280 and 320 px, reflow), a refused set-aside that
keeps what was typed and says why, and one item signalled as a case."""

import pytest

from chain.models import AbsenceReport
from teams.models import School
from tests.browser import (
    axe_violations,
    chromium,
    live_asgi_server,
    log_in,
    overflows_at,
    usable_passwords,
)
from tests.chainkit import generate, known_cases

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def check(page) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.evaluate("document.documentElement.lang") == "nl"
    violations = axe_violations(page)
    assert violations == [], (page.url, violations)
    assert overflows_at(page, 320) == [], page.url
    assert axe_violations(page) == [], page.url  # at 320 px too
    page.set_viewport_size({"width": 1280, "height": 900})


def test_leerplicht_reads_a_file_and_reconciles(demo, u, settings, tmp_path):
    schools = [School.objects.get(name="Noorderlicht College"), School.objects.get(name="Zuiderpoort Lyceum")]
    generated = generate(known_cases(u["aoj"], schools, 12), other_school=schools[1])
    file = tmp_path / "verzuim.csv"
    file.write_bytes(generated.csv())
    usable_passwords(settings, ["leerplicht"], demo["password"])
    with live_asgi_server() as base_url, chromium() as browser:
        page = browser.new_context(locale="en-GB", bypass_csp=True).new_page()
        log_in(page, base_url, "leerplicht", demo["password"])
        page.goto(f"{base_url}/chain/")
        check(page)
        page.set_input_files("#id_file", str(file))
        page.click("main form button[type=submit]")
        page.wait_for_selector("#result-heading", timeout=30000)
        check(page)

        page.goto(f"{base_url}/chain/reconcile/")
        check(page)
        # (No ORM in here: Playwright's event loop runs in this thread; the page names the item.)
        pk = int(page.get_attribute("li[id^=report-]", "id").removeprefix("report-"))
        item = f"#report-{pk}"
        page.fill(f"#case-report-{pk}", "999999")
        page.click(f"{item} form:nth-of-type(2) button[type=submit]")
        page.wait_for_selector(f"#errors-report-{pk}", timeout=15000)
        assert page.input_value(f"#case-report-{pk}") == "999999"  # what was typed stays
        check(page)
        page.click(f"{item} form:nth-of-type(1) button[type=submit]")
        page.wait_for_selector("ul.messages", timeout=15000)
        assert not page.query_selector(item)
    report = AbsenceReport.objects.get(pk=pk)
    assert report.state == "signalled" and report.case is not None
