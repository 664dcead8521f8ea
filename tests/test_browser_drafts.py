"""In a real browser: typed work survives a reload and an expired session (back through the
login page to the form, restored); the session warning with "Ingelogd blijven" (a fake page clock,
no waiting); live regions that wait while the user ticks and types; and the touched pages against
WCAG 2.1 AA (axe-core) and reflow at 320 and 390 px."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.sessions.models import Session
from django.db import connection

from casework.models import Note
from teams.models import School
from tests.browser import (
    axe_violations,
    chromium,
    live_asgi_server,
    log_in,
    overflows_at,
    second_factor,
    usable_passwords,
)
from tests.factories import signal_payload
from tests.flowkit import open_task, signal
from tests.test_public_signal import form as public_form

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

WAIT = 15000  # ms: polling limit for anything the browser or the server does


def db(query):
    """Run a database query while Playwright's event loop runs in this thread (Django refuses the
    ORM there): in a thread of its own, with its own connection."""
    def run():
        try:
            return query()
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def drafts_in(page) -> list[str]:
    return page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('casework-draft:'))")


def wait_until_no_drafts(page) -> None:
    """The page after a successful submit deletes the pending draft when drafts.js has run (a
    deferred script, after the page's elements are there): poll for it, do not race it (a string
    wait_for_function would need unsafe-eval under the CSP)."""
    deadline = time.monotonic() + WAIT / 1000
    while drafts_in(page):
        assert time.monotonic() < deadline, f"the draft was not deleted: {drafts_in(page)}"
        page.wait_for_timeout(100)


def test_typed_note_survives_reload_and_an_expired_session(api, demo, u, settings):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    usable_passwords(settings, ["aoj"], demo["password"])
    with live_asgi_server() as base_url, chromium() as browser:
        page = browser.new_context(locale="nl-NL").new_page()
        log_in(page, base_url, "aoj", demo["password"])
        case_url = f"{base_url}/cases/{case.pk}/"
        page.goto(case_url)
        page.fill("#notes textarea", "Gesprek met moeder")
        page.check("#notes input[type=checkbox]")
        assert drafts_in(page) != []

        # a reload (or a crash) brings it back, with a notice and a way to discard it
        page.reload()
        notice = page.wait_for_selector("#notes .draft-notice", timeout=WAIT)
        assert notice.inner_text().startswith("Uw concept van ")
        assert "is teruggezet." in notice.inner_text()
        assert page.input_value("#notes textarea") == "Gesprek met moeder"
        assert page.is_checked("#notes input[type=checkbox]")
        page.click("#notes .draft-notice button")
        assert page.input_value("#notes textarea") == ""
        assert not page.is_checked("#notes input[type=checkbox]")
        assert page.query_selector("#notes .draft-notice") is None and drafts_in(page) == []

        # the session ends while the user types; sending lands on the login page, which says so
        page.fill("#notes textarea", "Gesprek met moeder, afspraak op dinsdag")
        db(lambda: Session.objects.all().delete())  # the idle timeout ends it
        page.click("#notes button[type=submit]")
        page.wait_for_url(lambda url: "/login/?next=" in url, timeout=WAIT)
        assert page.inner_text("#session-expired") == "Uw sessie is verlopen. Log opnieuw in; wat u typte is bewaard."
        # the note's target is POST-only: the login returns to the page where the form was
        assert page.input_value("#login-form input[name=next]") == f"/cases/{case.pk}/"
        page.fill("#id_username", "aoj")
        page.fill("#id_password", demo["password"])
        page.click("#login-form button[type=submit]")
        second_factor(page, base_url, "aoj")  # then the code of the app (signin)
        page.wait_for_url(case_url, timeout=WAIT)
        page.wait_for_selector("#notes .draft-notice", timeout=WAIT)
        assert page.input_value("#notes textarea") == "Gesprek met moeder, afspraak op dinsdag"
        assert not db(lambda: Note.objects.exists())

        # saved: the draft is gone, the form is empty on this and the next visit
        page.click("#notes button[type=submit]")
        page.wait_for_selector("#notes article.note", timeout=WAIT)
        assert db(lambda: Note.objects.get().text) == "Gesprek met moeder, afspraak op dinsdag"
        wait_until_no_drafts(page)
        assert page.input_value("#notes textarea") == ""
        page.reload()
        assert page.query_selector(".draft-notice") is None and page.input_value("#notes textarea") == ""

        # a form that comes back with errors keeps the draft until it is saved
        page.goto(f"{base_url}/cases/new/")
        page.fill("#id_given_name", "Noor")
        page.click("main form button[type=submit]")
        # the summary takes focus once forms.js has run (a deferred script: wait for it, do not race it)
        page.wait_for_selector(".error-summary:focus", timeout=WAIT)
        assert page.input_value("#id_given_name") == "Noor" and page.query_selector(".draft-notice") is None
        assert drafts_in(page) != []
        page.click(".error-summary a[href='#id_family_name']")
        page.wait_for_selector("#id_family_name:focus", timeout=WAIT)

        # signing out on purpose leaves nothing behind on this computer
        page.click(".who form button[type=submit]")
        page.wait_for_url(f"{base_url}/login/", timeout=WAIT)
        assert drafts_in(page) == [] and page.query_selector("#session-expired") is None


def test_session_warning_keeps_the_session_alive_without_taking_focus(demo, settings):
    usable_passwords(settings, ["aoj"], demo["password"])
    age, warning = settings.SESSION_COOKIE_AGE, settings.SESSION_WARNING_SECONDS
    with live_asgi_server() as base_url, chromium() as browser:
        page = browser.new_context(locale="nl-NL").new_page()
        page.clock.install()
        log_in(page, base_url, "aoj", demo["password"])
        page.goto(f"{base_url}/cases/new/")
        page.focus("#id_given_name")
        assert page.query_selector("#session-bar.open") is None

        page.clock.run_for((age - warning + 1) * 1000)
        bar = page.wait_for_selector("#session-bar.open", timeout=WAIT)
        assert bar.get_attribute("aria-live") == "polite"
        assert "Uw sessie verloopt om " in bar.inner_text() and "tenzij u ingelogd blijft" in bar.inner_text()
        assert page.evaluate("document.activeElement.id") == "id_given_name"  # not stolen
        with page.expect_response("**/session/keep-alive/", timeout=WAIT) as answer:
            page.click("#session-bar button")
        assert answer.value.status == 200 and answer.value.json()["seconds"] == age
        page.wait_for_selector("#session-bar.open >> text=U bent nog ingelogd.", timeout=WAIT)
        assert page.evaluate("document.activeElement.id") == "id_given_name"  # back where the user was

        # typing renews it too, at most once a minute
        page.clock.run_for(61 * 1000)
        before = page.evaluate("+localStorage.getItem('casework-session-expires')")
        with page.expect_response("**/session/keep-alive/", timeout=WAIT) as typed:
            page.type("#id_given_name", "Noor")
        assert typed.value.status == 200
        deadline = time.monotonic() + WAIT / 1000  # poll (a string wait_for_function would need unsafe-eval)
        while page.evaluate("+localStorage.getItem('casework-session-expires')") <= before:
            assert time.monotonic() < deadline, "the typed keep-alive did not move the expiry"
            page.wait_for_timeout(100)

        # no activity at all: the bar says that the session has ended, and where to sign in again
        page.clock.run_for((age + 1) * 1000)
        page.wait_for_selector("#session-bar >> text=Uw sessie is verlopen. Wat u typte is bewaard.", timeout=WAIT)
        link = page.get_attribute("#session-bar a", "href")
        assert link == "/login/?next=%2Fcases%2Fnew%2F"


SIGNAL_BY_FETCH = """async payload => {
    const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
    const response = await fetch('/api/cases/', {method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json', 'X-CSRFToken': token}, body: JSON.stringify(payload)});
    return response.status;
}"""


def test_live_list_waits_while_the_user_works_in_it(api, demo, u, settings):
    school = School.objects.get(pk=demo["schools"]["vo"])
    first = signal(api, u["aoj"], school.pk, given_name="Eerste", family_name="Taak")
    task = open_task(first, "team_review")
    usable_passwords(settings, ["aoj", "aoj_2"], demo["password"])
    with live_asgi_server() as base_url, chromium() as browser:
        signaller = browser.new_context(locale="nl-NL").new_page()
        teammate = browser.new_context(locale="nl-NL").new_page()
        log_in(signaller, base_url, "aoj", demo["password"])
        log_in(teammate, base_url, "aoj_2", demo["password"])
        teammate.goto(f"{base_url}/tasks/queue/")
        teammate.wait_for_selector(f"#inbox-list [data-task-id='{task.pk}']", timeout=WAIT)
        teammate.check(f"#inbox-list input[name=tasks][value='{task.pk}']")
        teammate.evaluate("document.activeElement.blur()")

        # the user has ticked a task: the list is not replaced, a bar offers the new one
        payload = signal_payload(school, given_name="Romy", family_name="Rustig", pupil_number="L-2001")
        assert signaller.evaluate(SIGNAL_BY_FETCH, payload) == 201
        button = teammate.wait_for_selector(".live-bar button", timeout=WAIT)
        assert button.inner_text() == "1 nieuwe taak — tonen"
        assert "Rustig" not in teammate.inner_text("#inbox-list")
        assert teammate.is_checked(f"#inbox-list input[name=tasks][value='{task.pk}']")
        button.click()
        row = teammate.wait_for_selector("#inbox-list [data-task-id].live-new", timeout=WAIT)
        assert "Rustig" in row.inner_text() and "nieuw" in row.text_content()
        assert teammate.is_checked(f"#inbox-list input[name=tasks][value='{task.pk}']")  # the tick stays
        assert teammate.evaluate("document.getElementById('inbox-list').contains(document.activeElement)")

        # nothing ticked, typed or focused: the list refreshes in place, focus stays where it was
        teammate.uncheck(f"#inbox-list input[name=tasks][value='{task.pk}']")
        teammate.evaluate("document.activeElement.blur()")
        teammate.evaluate("window.scrollTo(0, 40)")
        scrolled = teammate.evaluate("window.scrollY")
        payload = signal_payload(school, given_name="Sem", family_name="Snel", pupil_number="L-2002")
        assert signaller.evaluate(SIGNAL_BY_FETCH, payload) == 201
        teammate.wait_for_selector("#inbox-list [data-task-id].live-new >> text=Sem Snel", timeout=WAIT)
        assert teammate.evaluate("document.activeElement === document.body")
        assert teammate.evaluate("window.scrollY") == scrolled
        assert teammate.query_selector(".live-bar button") is None


def check(page, url: str) -> None:
    if url:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(url)
    assert page.evaluate("document.documentElement.lang") == "nl"
    violations = axe_violations(page)
    assert violations == [], (page.url, violations)
    for width in (320, 390):
        assert overflows_at(page, width) == [], (page.url, width, overflows_at(page, width))
    page.set_viewport_size({"width": 1280, "height": 900})


def test_touched_pages_meet_wcag_and_reflow(api, demo, u, settings):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    task = open_task(case, "team_review")
    usable_passwords(settings, ["aoj"], demo["password"])
    with live_asgi_server() as base_url, chromium() as browser:
        page = browser.new_context(locale="en-GB", bypass_csp=True).new_page()
        check(page, f"{base_url}/login/")
        page.fill("#id_username", "aoj")
        page.fill("#id_password", "wrong")
        page.click("#login-form button[type=submit]")
        page.wait_for_selector(".error-summary", timeout=WAIT)
        check(page, "")
        log_in(page, base_url, "aoj", demo["password"])
        page.goto(f"{base_url}/cases/{case.pk}/")
        page.evaluate("document.activeElement.blur()")
        page.keyboard.press("Tab")  # the skip link is the first stop and leads to the content
        assert page.evaluate("document.activeElement.className") == "skip-link"
        assert page.evaluate("document.activeElement.textContent") == "Naar de inhoud"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        check(page, f"{base_url}/cases/{case.pk}/")
        page.click("#notes button[type=submit]")  # an empty note: the summary and the described field
        page.wait_for_selector("#notes .error-summary", timeout=WAIT)
        check(page, "")
        check(page, f"{base_url}/task/{task.pk}/")
        page.fill("main form textarea", "Een plan")
        page.reload()
        page.wait_for_selector(".draft-notice", timeout=WAIT)
        check(page, "")
        # the session bar and the live bar are checked in the other tests; the public form with its trap
        page.context.clear_cookies()
        page.goto(f"{base_url}/melden/")
        for name, value in public_form(demo).items():
            if name in ("reporter_role", "school", "region", "website"):
                continue
            page.fill(f"[name={name}]", value)
        page.check("#id_reporter_role_0")
        page.evaluate("document.querySelector('[name=website]').value = 'http://spam.example'")
        page.click("main form button[type=submit]")
        page.wait_for_selector("text=Uw melding is nog niet verstuurd.", timeout=WAIT)
        assert page.input_value("[name=given_name]") == "Pim" and page.input_value("[name=website]") == ""
        check(page, "")
        check(page, f"{base_url}/melden/")
