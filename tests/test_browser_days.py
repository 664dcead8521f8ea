"""Every role's day in a real browser: one journey per role that tests/test_browser_journey.py does
not walk (that one walks the AOJ, the ECT pair and the MPL chair).

Each journey starts where the role's work begins (the state set up through the real services,
tests/flowkit.py) and does that work through the pages, following links and buttons by their Dutch
text: the kindteam signals a PO child and chooses the doorbraak; the AOJ coordinator sets the
team's meeting day, plans the meeting and opens the new task from its notification; the DOE chair advises; the SWV director decides from
the "Uw regio" desk and opens the monitor; Leerplicht verifies a parent's signal from the public
form, requests the exemption advice and decides on it; the MBO team reviews an MBO student's case
(no doorbraak offered, the form says why) and its stagnatiemeldpunt places the student; the
privacy officer searches the access log, answers a subject access request and registers and
decides a data breach; the JIM mentor reads the mentor page; a parent follows the personal link
and gives consent. After a task the user lands on the case page, told "Taak afgerond" for the child.

Every distinct page a journey reaches is checked with axe-core (WCAG 2.1 A/AA) at 1280 and 320 px
and for reflow at 320 px; clicks, fields typed and page loads are counted per role from the turn's
opening of casework (signing in not counted). One live server and one browser for the module.
Artifacts: test-artifacts/days-counts.md and days-axe.md (printed with `pytest -s`). PostgreSQL only.
"""

import datetime as dt
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from casework.models import AccessLink, Case, DataBreach, Vrijstelling
from casework.services.participation import create_access_link
from teams.models import School
from tests.browser import (
    ARTIFACTS,
    WAIT,
    Walker,
    axe_violations,
    chromium,
    find_in_inbox,
    live_asgi_server,
    log_in,
    overflows_at,
    row,
    usable_passwords,
)
from tests.factories import UserFactory
from tests.flowkit import board_and_school, complete, in_days, open_nodes, open_task, signal
from workflows.inbox import nodes_named
from workflows.models import CaseTask
from workflows.sweep import sweep

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.postgresql]

DESKTOP, NARROW = 1280, 320
TODAY = timezone.localdate


def nl(source: str) -> str:
    with translation.override("nl"):
        return gettext(source)


def says(source: str, *, exactly: bool = False) -> str:
    """A selector part: the element shows the Dutch text of `source` (the visible text; `exactly`:
    all of it, not just a part)."""
    return f":{'text-is' if exactly else 'has-text'}({json.dumps(nl(source))})"


COMPLETE = f"main form[novalidate] button[type=submit]{says('Complete task')}"


# --- the ledger of the module: counts and axe per role ----------------------------------------------


@dataclass
class Checked:
    role: str
    name: str
    path: str
    at_desktop: list
    at_narrow: list
    sticking_out: list


@dataclass
class Ledger:
    counts: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # role -> clicks, loads, typed
    pages: list[Checked] = field(default_factory=list)

    def write(self) -> str:
        lines = ["# Every role's day: clicks and page loads", "",
                 "Counted from the turn's opening of casework (one page load; the parent: opening the personal "
                 "link) to its last step; signing in is not counted. Clicks: buttons, links, ticked boxes and "
                 "radio buttons; a select counts as 2 (open, choose). Page loads: main-frame navigations.", "",
                 "| role | clicks | page loads | fields typed |", "|---|---|---|---|"]
        lines += [f"| {role} | {clicks} | {loads} | {typed} |" for role, (clicks, loads, typed) in self.counts.items()]
        totals = [sum(numbers) for numbers in zip(*self.counts.values(), strict=True)]
        lines.append("| **total** | " + " | ".join(f"**{number}**" for number in totals) + " |")
        (ARTIFACTS / "days-counts.md").write_text("\n".join(lines) + "\n")
        counts = "\n".join(lines)
        lines = ["# Every role's day: axe-core (WCAG 2.1 A/AA) per page", "",
                 f"| role | pages | violations {DESKTOP} px | violations {NARROW} px | reflow {NARROW} px |",
                 "|---|---|---|---|---|"]
        for role in self.counts:
            mine = [page for page in self.pages if page.role == role]
            lines.append(f"| {role} | {len(mine)} | {sum(len(p.at_desktop) for p in mine)} "
                         f"| {sum(len(p.at_narrow) for p in mine)} "
                         f"| {'ok' if not any(p.sticking_out for p in mine) else 'sticks out'} |")
        lines.append(f"| **total** | **{len(self.pages)}** | **{sum(len(p.at_desktop) for p in self.pages)}** "
                     f"| **{sum(len(p.at_narrow) for p in self.pages)}** | |")
        lines += ["", "| role | page | path | violations 1280 | violations 320 | reflow 320 |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {p.role} | {p.name} | `{p.path}` | {len(p.at_desktop)} | {len(p.at_narrow)} "
                  f"| {'ok' if not p.sticking_out else p.sticking_out} |" for p in self.pages]
        (ARTIFACTS / "days-axe.md").write_text("\n".join(lines) + "\n")
        return counts + "\n\n" + "\n".join(lines)


@pytest.fixture(scope="module")
def ledger():
    found = Ledger()
    yield found
    if found.counts:
        print("\n" + found.write())  # noqa: T201 - the numbers for the closing note (pytest -s)


@pytest.fixture(scope="module")
def served(django_db_setup):
    """One live server and one Chromium for the module (each journey opens its own contexts)."""
    with live_asgi_server() as base_url, chromium() as browser:
        # Playwright's sync API keeps an event loop running in this thread, where Django refuses the
        # ORM; the tests only set up and read state between the browser's steps, never concurrently.
        # Set after the server started, so the server runs without it.
        before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        try:
            yield base_url, browser
        finally:
            if before is None:
                os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


# --- a day: one role's journey --------------------------------------------------------------------


class Day:
    """One role's journey: its walkers (one per user of the role), the pages they reach (each
    distinct page checked once with axe at 1280 and 320 px and for reflow), and the counts."""

    def __init__(self, served, ledger: Ledger, role: str):
        self.base_url, self.browser = served
        self.ledger, self.role = ledger, role
        self.walkers: list[Walker] = []
        self.walkers_closed = False
        self.reached: set[str] = set()
        self.checked: set[str] = set()

    def _context(self):
        context = self.browser.new_context(locale="en-GB", bypass_csp=True)  # Dutch whatever the browser says
        page = context.new_page()
        page.set_viewport_size({"width": DESKTOP, "height": 900})
        return page

    def start(self, username: str, password: str) -> Walker:
        """Signs `username` in (not counted), then opens casework: the turn's first page load."""
        page = self._context()
        log_in(page, self.base_url, username, password)
        walker = self._walker(page)
        walker.open_app(self.base_url)
        self.arrived(walker, "inbox")
        return walker

    def visit(self, url: str) -> Walker:
        """Without signing in: opens `url` (e.g. a personal link), the turn's first page load."""
        page = self._context()
        walker = self._walker(page)
        walker.counting = True
        page.goto(self.base_url + url)
        self.arrived(walker, "link")
        return walker

    def _walker(self, page) -> Walker:
        walker = Walker(self.role, page)
        walker.watch()

        def navigated(frame):  # the pages of the turn (signing in is not part of it)
            if frame == page.main_frame:
                self.reached.add(self.path(page))

        page.on("framenavigated", navigated)
        self.walkers.append(walker)
        return walker

    def path(self, page) -> str:
        return re.sub(r"^https?://[^/]+", "", page.url)

    def arrived(self, walker: Walker, name: str, *, again: bool = False) -> None:
        """The page the walker is on now: checked when it is new to this day (or `again`: the same
        address showing something else, e.g. after a form)."""
        page = walker.page
        page.wait_for_load_state()
        page.wait_for_selector("main h1", timeout=WAIT)
        path = self.path(page)
        self.reached.add(path)
        if path in self.checked and not again:
            return
        self.checked.add(path)
        page.set_viewport_size({"width": DESKTOP, "height": 900})
        desktop = axe_violations(page)
        sticking_out = overflows_at(page, NARROW)
        narrow = axe_violations(page)
        page.set_viewport_size({"width": DESKTOP, "height": 900})
        self.ledger.pages.append(Checked(self.role, name, path, desktop, narrow, sticking_out))

    def go(self, walker: Walker, selector: str, name: str, *, again: bool = False) -> None:
        """Follows a link or presses a button that loads a page (`again`: check it even when the
        address was checked before, e.g. the same page after its form)."""
        with walker.page.expect_navigation(timeout=WAIT):
            walker.click(selector)
        self.arrived(walker, name, again=again)

    def complete(self, walker: Walker, task, name: str) -> None:
        """Completes the task on its page: the user lands on the case page, with a notice naming the
        task and the child and saying what comes next."""
        walker.click(COMPLETE)
        walker.page.wait_for_url(lambda url: f"/task/{task.pk}/" not in url, timeout=WAIT)
        self.arrived(walker, name, again=True)  # the case page as the step left it, with the notice
        task.refresh_from_db()
        if task.case_id:
            assert self.path(walker.page) == f"/cases/{task.case_id}/", walker.page.url
            child = task.case.child.given_name
        else:  # a public signal's verification: the case it opened
            task.public_signal.refresh_from_db()
            assert self.path(walker.page) == f"/cases/{task.public_signal.case_id}/", walker.page.url
            child = task.public_signal.given_name
        notice = walker.page.inner_text("main [role=status]")
        assert notice.startswith(nl("Task completed: %(title)s for %(who)s.").split("%(title)s")[0]), notice
        assert child in notice, notice

    def open_task(self, walker: Walker, task_id: int, *tabs: str) -> None:
        """From the inbox (through its tabs when needed) to the task's page."""
        where = find_in_inbox(walker, task_id, *tabs)
        self.arrived(walker, f"inbox ({where})")
        self.go(walker, f"{row(task_id)} .inbox-title a", "task")
        walker.page.wait_for_selector(COMPLETE, timeout=WAIT)

    def close(self) -> None:
        for walker in self.walkers:
            walker.page.context.close()
        self.walkers_closed = True

    def finish(self) -> None:
        """Books the counts and checks that every page reached was checked."""
        clicks = sum(w.clicks for w in self.walkers)
        loads = sum(w.loads for w in self.walkers)
        typed = sum(w.typed for w in self.walkers)
        self.ledger.counts[self.role] = (clicks, loads, typed)
        self.close()
        assert self.reached <= self.checked, sorted(self.reached - self.checked)
        mine = [page for page in self.ledger.pages if page.role == self.role]
        problems = [(p.name, p.path, p.at_desktop, p.at_narrow, p.sticking_out) for p in mine
                    if p.at_desktop or p.at_narrow or p.sticking_out]
        assert problems == [], problems


@pytest.fixture
def day(served, ledger, demo, settings):
    """`day(role, *users)`: a Day for the role, the users' passwords usable by the live server."""
    days: list[Day] = []

    def make(role: str, *usernames: str) -> Day:
        usable_passwords(settings, list(usernames), demo["password"])
        days.append(Day(served, ledger, role))
        return days[-1]

    yield make
    for made in days:  # a journey that failed half-way leaves no context open in the module's browser
        if not made.walkers_closed:
            made.close()


def off_loop(work, *args, **kwargs):
    """Runs a set-up step through the services in a thread of its own (its own connection): in
    this thread Playwright's event loop runs, where the services' after-commit fan-out (async_to_sync)
    cannot run."""
    def run():
        try:
            return work(*args, **kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


# --- the journeys -----------------------------------------------------------------------------------


def test_aoj_coordinator_plans_the_team_meeting_and_opens_a_task_from_the_notifications(day, api, demo, u):
    case = off_loop(signal, api, u["aoj_2"], demo["schools"]["vo"], given_name="Lars", family_name="Agendapunt")
    aoj = day("aoj (meeting, notifications)", "aoj")
    walker = aoj.start("aoj", demo["password"])
    aoj.go(walker, f"header nav a{says('Meetings', exactly=True)}", "meetings")
    aoj.go(walker, "main a:has-text('AOJ-team Noorderlicht College')", "team meetings")
    # the coordinator sets the team's meeting day, then plans the next meeting by date and time
    walker.click("details:has(#rhythm-form) > summary")
    walker.select("#id_rhythm-weekday", "1")
    walker.fill("#id_rhythm-time", "15:00")
    walker.fill("#id_rhythm-minutes", "90")
    aoj.go(walker, f"#rhythm-form button{says('Save the meeting day')}", "meeting day set", again=True)
    assert "15:00" in walker.page.inner_text("#rhythm"), walker.page.inner_text("#rhythm")
    walker.fill("#id_plan-date", in_days(2))
    walker.fill("#id_plan-time", "15:00")
    aoj.go(walker, f"#plan-form button{says('Plan the meeting')}", "meeting")
    assert "Lars Agendapunt" in walker.page.inner_text("main")  # the new signal is on the agenda

    # the notifications, grouped by case: the new signal's task, opened from its notification
    aoj.go(walker, "#nav-notifications", "notifications")
    group = ".notification-group:has-text('Lars Agendapunt')"
    assert walker.page.locator(group).count() == 1
    walker.check("main form.notification-filters input[name=unread]")
    aoj.go(walker, f"main form.notification-filters button{says('Filter')}", "unread notifications")
    review = open_task(case, "team_review")
    aoj.go(walker, f"{group} .notification-list a", "task from the notification")
    assert re.match(rf"^/task/{review.pk}/", aoj.path(walker.page)), walker.page.url
    aoj.finish()


def test_kindteam_signals_a_po_child_and_chooses_the_doorbraak(day, demo, u):
    today = TODAY()
    kindteam = day("kindteam", "kindteam")
    walker = kindteam.start("kindteam", demo["password"])
    kindteam.go(walker, "header nav a[href='/cases/new/']", "signal form")
    walker.fill("#id_given_name", "Pien")
    walker.fill("#id_family_name", "Vlinderman")
    walker.fill("#id_birth_date", (today - dt.timedelta(days=8 * 365)).isoformat())
    walker.select("#id_registration", "lrv")
    walker.select("#id_school", str(demo["schools"]["po"]))
    walker.select("#id_sector", "po")
    walker.fill("#id_absent_since", (today - dt.timedelta(weeks=6)).isoformat())
    walker.select("#id_signaller_role", "school")
    kindteam.go(walker, "main form button[type=submit]", "case after the signal")
    case_id = int(re.search(r"/cases/(\d+)/$", walker.page.url).group(1))
    case = Case.objects.get(pk=case_id)
    assert case.sector == "po"

    review = open_task(case, "team_review")
    kindteam.open_task(walker, review.pk, "queue")
    assert walker.page.query_selector("input[name=routes][value=doorbraak]")
    walker.fill("#id_plan", "Geen passende plek in de buurt: het DOE-team om een plaatsingsadvies vragen.")
    walker.check("input[name=routes][value=doorbraak]")
    walker.fill("#id_pupil_preference", "Pien wil naar een kleine school dicht bij huis.")
    kindteam.complete(walker, review, "after the team review")
    assert open_nodes(case) == ["doe_advice"]
    kindteam.finish()


def po_doorbraak(api, demo, u, given_name: str) -> Case:
    case = signal(api, u["kindteam"], demo["schools"]["po"], given_name=given_name, family_name="Doorbraak",
                  birth_date="2017-03-01")
    complete(api, u["kindteam"], case, "team_review", {"plan": "Geen plek: DOE-team.", "routes": ["doorbraak"]})
    return case


def test_doe_chair_advises_on_a_po_doorbraak(day, api, demo, u):
    case = off_loop(po_doorbraak, api, demo, u, "Ties")
    advice = open_task(case, "doe_advice")
    board, school = board_and_school(demo, "po")
    doe = day("doe_chair", "doe_chair")
    walker = doe.start("doe_chair", demo["password"])
    doe.open_task(walker, advice.pk, "queue")
    assert "Ties" in walker.page.inner_text("main")
    walker.fill("#id_advice", "Plaatsen op De Vlinder met een onderwijsassistent, drie ochtenden per week.")
    walker.select("#id_school_board", str(board))
    walker.select("#id_school", str(school))
    assert walker.page.is_checked("input[name=needs_doorzettingsmacht][value=True]")  # the default
    doe.complete(walker, advice, "after the advice")
    assert open_nodes(case) == ["director_decision"]
    doe.finish()


def test_director_decides_from_the_region_desk_and_opens_the_monitor(day, api, demo, u):
    def no_agreement():
        case = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Wessel", family_name="Doorzetter")
        complete(api, u["aoj"], case, "team_review", {"plan": "Geen plek: MPL.", "routes": ["doorbraak"]})
        complete(api, u["mpl_chair"], case, "doorbraak_decision", {
            "decision": "geen_overeenstemming", "motivation": "De besturen worden het niet eens."})
        return case

    case = off_loop(no_agreement)
    decision = open_task(case, "director_decision")
    board, school = board_and_school(demo, "vo_2")
    director = day("swv_director", "swv_director")
    walker = director.start("swv_director", demo["password"])
    desk = walker.page.inner_text(".region-desk")
    assert nl("Your region") in desk and "Wessel Doorzetter" in desk
    director.go(walker, f".region-desk a[href='/task/{decision.pk}/']", "director decision")
    walker.select("#id_school_board", str(board))
    walker.select("#id_school", str(school))
    walker.fill("#id_start_date", in_days(7))
    walker.fill("#id_motivation", "Doorzettingsmacht: het Zuiderpoort Lyceum neemt Wessel op.")
    director.complete(walker, decision, "after the decision")
    director.go(walker, "header nav a[href='/tasks/']", "inbox after the decision", again=True)
    assert nl("No director decision is waiting for you.") in walker.page.inner_text(".region-desk")
    director.go(walker, f".region-desk a{says('The monitor of your regions')}", "monitor")
    assert Case.objects.get(pk=case.pk).status == Case.Status.PLACED
    director.finish()


def test_leerplicht_verifies_a_parents_signal_and_requests_and_decides_an_exemption(day, api, demo, u):
    def exemption_asked():
        case = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Ilse", family_name="Vrijgesteld")
        complete(api, u["aoj"], case, "team_review", {"plan": "Vrijstelling 5a laten onderzoeken.",
                                                      "routes": ["vrijstelling_advies"]})
        return case

    case = off_loop(exemption_asked)
    request = open_task(case, "vrijstelling_request")

    def parent_signals():  # through the public form: a task for Leerplicht, not yet a case
        response = Client().post("/melden/", {
            "reporter_role": "ouder", "given_name": "Pim", "family_name": "Publiek", "birth_date": "2013-04-04",
            "school": demo["schools"]["vo"], "region": "", "absent_since": (TODAY() - dt.timedelta(weeks=6)).isoformat(),
            "description": "Mijn zoon durft niet meer naar school.", "reporter_name": "Ouder (synthetisch)",
            "reporter_contact": "06-99999999", "website": ""})
        assert response.status_code == 200
        return CaseTask.objects.get(flow_task__in=nodes_named("verify_signal"))

    verification = off_loop(parent_signals)
    leerplicht = day("leerplicht", "leerplicht")
    walker = leerplicht.start("leerplicht", demo["password"])
    leerplicht.open_task(walker, verification.pk, "queue")
    assert "Mijn zoon durft niet meer naar school." in walker.page.inner_text("main")
    walker.check("input[name=verified][value=True]")
    walker.select("#id_registration", Case.Registration.LRV)
    walker.select("#id_category", Case.Category.SCHOOLWEIGERAAR)
    leerplicht.complete(walker, verification, "after the verification")  # on the case it opened
    assert "Pim" in walker.page.inner_text("main h1")
    walker.open_app(leerplicht.base_url)
    leerplicht.arrived(walker, "inbox", again=True)
    leerplicht.open_task(walker, request.pk, "queue")
    walker.select("#id_grounds", Vrijstelling.Grounds.ART_5A)
    walker.fill("#id_motivation", "Volgens de jeugdarts is Ilse voorlopig niet in staat naar school te gaan.")
    walker.check("#id_medical_statement")
    leerplicht.complete(walker, request, "after the request")
    walker.counting = False

    # the ECT advises (its own journey walks the ECT); then Leerplicht decides
    off_loop(complete, api, u["ect"], case, "vrijstelling_advice", {
        "advice": "voorwaardelijk", "motivation": "Voor een half jaar.", "alternatives": "Onderwijs thuis via de OPDC."})
    decision = open_task(case, "vrijstelling_decision")
    walker.open_app(leerplicht.base_url)
    leerplicht.arrived(walker, "inbox")
    leerplicht.open_task(walker, decision.pk, "queue")
    assert nl("in favour, with conditions") in walker.page.inner_text("main")
    walker.check("input[name=granted][value=True]")
    walker.fill("#id_until", in_days(180))
    walker.fill("#id_motivation", "Vrijstelling voor een half jaar, met onderwijs thuis via de OPDC.")
    leerplicht.complete(walker, decision, "after the decision")
    assert "Ilse" in walker.page.inner_text("main h1")  # the case page, which Leerplicht may read
    assert case.vrijstellingen.get().granted is True
    leerplicht.finish()


def test_mbo_team_reviews_without_doorbraak_and_the_stagnatiemeldpunt_places(day, api, demo, u):
    mbo_school = School.objects.get(pk=demo["schools"]["mbo"])
    mbo = day("mbo team", "mbo")
    # out of school for four months: the three-month promise is already broken when the team reviews
    case = off_loop(signal, api, u["mbo"], mbo_school.pk, given_name="Mo", family_name="Stagnatie",
                    birth_date=(TODAY() - dt.timedelta(days=17 * 365)).isoformat(),
                    absent_since=(TODAY() - dt.timedelta(weeks=17)).isoformat())
    review = open_task(case, "team_review")
    walker = mbo.start("mbo", demo["password"])
    mbo.open_task(walker, review.pk, "queue")
    assert not walker.page.query_selector("input[name=routes][value=doorbraak]")
    routes_help = walker.page.inner_text("#id_routes_helptext")
    assert nl("MBO has no doorzettingsmacht: a placement problem goes to the MBO institution's stagnatiemeldpunt, "
              "with the transition coaches and RMC, not to the MPL commission.") in routes_help
    walker.fill("#id_plan", "Gesprek met Mo en de doorstroombegeleider; een JIM-mentor zoeken.")
    walker.check("input[name=routes][value=jim]")
    mbo.complete(walker, review, "after the team review")
    mbo.finish()

    # the broken three-month promise escalates (the sweep, as on the server's beat schedule)
    off_loop(sweep)
    stagnatie = open_task(case, "stagnatie")
    meldpunt = day("mbo stagnatiemeldpunt", "mbo_stagnatie")
    desk = meldpunt.start("mbo_stagnatie", demo["password"])
    meldpunt.open_task(desk, stagnatie.pk, "queue")
    desk.fill("#id_steps", "Met de doorstroombegeleider en RMC een intake gehouden; Mo kan starten.")
    desk.check("input[name=placed][value=True]")
    desk.select("#id_school_board", str(mbo_school.board_id))
    desk.select("#id_school", str(mbo_school.pk))
    desk.fill("#id_start_date", TODAY().isoformat())
    meldpunt.complete(desk, stagnatie, "after the stagnatie step")
    assert "start_confirmation" in open_nodes(case)
    meldpunt.finish()


def test_privacy_officer_searches_the_access_log_answers_a_request_and_handles_a_breach(day, api, demo, u):
    case = off_loop(signal, api, u["aoj"], demo["schools"]["vo"], given_name="Roos", family_name="Bakkerveld")
    off_loop(api(u["aoj"]).get, f"/api/cases/{case.pk}/")  # a read for the access log
    privacy = day("privacy_officer", "privacy_officer")
    walker = privacy.start("privacy_officer", demo["password"])
    privacy.go(walker, f".region-desk a{says('Access log', exactly=True)}", "access log")
    walker.fill("#id_case", str(case.pk))
    privacy.go(walker, f"main form.filters button{says('Search')}", "access log of the case")
    assert walker.page.query_selector("main table"), walker.page.inner_text("main")

    privacy.go(walker, f"nav.tabs a{says('Subject access', exactly=True)}", "subject access search")
    walker.fill("main form.filters input[name=q]", "Bakkerveld")
    privacy.go(walker, f"main form.filters button{says('Search')}", "subject access found")
    privacy.go(walker, "main a:has-text('Roos Bakkerveld')", "subject access")

    # the subject access page has no privacy tabs: back through the navigation's Privacy link
    privacy.go(walker, f"header nav a{says('Privacy', exactly=True)}", "access log")
    privacy.go(walker, f"nav.tabs a{says('Data-breach register')}", "breach register")
    walker.select("#id_region", str(case.region_id))
    walker.fill("#id_what", "Een verslag over Roos is naar het verkeerde e-mailadres gestuurd.")
    walker.fill("#id_discovered_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    walker.fill("#id_cases", str(case.pk))
    walker.select("#id_risk", DataBreach.Risk.MEDIUM)
    walker.fill("#id_measures", "De ontvanger heeft het bericht verwijderd.")
    privacy.go(walker, f"main form button{says('Register')}", "after registering")
    breach = DataBreach.objects.get()
    if f"/privacy/breaches/{breach.pk}/" not in walker.page.url:
        privacy.go(walker, f"main a[href='/privacy/breaches/{breach.pk}/']", "breach")
    walker.select("#id_decision", DataBreach.Decision.NO_NOTIFICATION)
    walker.fill("#id_decision_motivation", "Geen risico meer: de ontvanger heeft het bericht verwijderd.")
    privacy.go(walker, f"main form button{says('Record the decision')}", "breach decided", again=True)
    breach.refresh_from_db()
    assert breach.decision == DataBreach.Decision.NO_NOTIFICATION
    privacy.finish()


def test_jim_mentor_reads_what_the_young_person_shares(day, api, demo, u):
    mentor = UserFactory(username="mentor_joop", first_name="Joop", last_name="Buurman")
    plan = "Daan gaat twee ochtenden per week naar school; Joop brengt hem."

    def mentor_chosen():
        case = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Daan", family_name="Gementord")
        complete(api, u["aoj"], case, "team_review", {"plan": plan, "routes": ["jim"]})
        complete(api, u["aoj"], case, "jim_assignment", {
            "mentor_name": "Joop Buurman", "relation": "buurman", "contact": "06-12345678", "consent": True,
            "share": ["plan"], "mentor_username": mentor.username})
        return case

    case = off_loop(mentor_chosen)
    jim = day("jim_mentor", mentor.username)
    walker = jim.start(mentor.username, demo["password"])
    # the landing page leads the mentor to the young person they mentor
    assert nl("You are JIM mentor") in walker.page.inner_text("main")
    jim.go(walker, f"main a[href='/cases/{case.pk}/mentor/']", "mentor page")
    main = walker.page.inner_text("main")
    assert plan in main and "06-12345678" not in main
    assert walker.page.request.get(f"{jim.base_url}/cases/{case.pk}/").status == 404  # only the mentor page
    jim.finish()


def test_parent_follows_the_personal_link_and_gives_consent(day, api, demo, u):
    case = off_loop(signal, api, u["aoj"], demo["schools"]["vo"], given_name="Sanne", family_name="Ouderlink")
    _link, token = off_loop(create_access_link, case=case, actor=u["aoj"], audience=AccessLink.Audience.OUDER,
                                      message="We zoeken samen met u een school die bij Sanne past.",
                                      next_step="Gesprek op school, dinsdag om 15.00 uur.", contact=u["aoj"])
    parent = day("parent (personal link)")
    walker = parent.visit(f"/inzage/{token}/")
    assert "Sanne" in walker.page.inner_text("h1")
    parent.go(walker, f"form.consent >> nth=0 >> button{says('I agree')}", "after consent", again=True)
    assert case.events.filter(kind="consent_given", data__by="ouder").exists()
    parent.finish()
