"""The journeys in a real browser, entirely through the web UI.

One case from the signal to its closure: the AOJ signals a child and chooses the ECT consult and
the doorbraak (with the team's question to the ECT and the pupil's preference); one ECT consultant
drafts, the other rejects, the drafter finds the redraft claimed for them and pre-filled, the other
approves; the MPL chair decides with the plan, the advice, the preference and the clocks in view
(only fitting schools, a date in 2019 refused in Dutch next to the field) on a place at another
school; the AOJ confirms the start, after which the first school's team no longer sees the case and
the new school's AOJ-team closes it when the team review comes back. Every page on the way, and the public signal
form, is checked with axe-core (WCAG 2.1 A/AA) at 1280 and 320 px and for reflow at 320 px; the
clicks and page loads per actor are counted. Artifacts in test-artifacts/: journey-NN-*.png,
journey-axe.md, journey-counts.md, journey-untranslated.md.

Two more journeys: a live update that keeps what the user ticked and typed in the inbox, and a draft
that survives an expired session (back through the login page to the task, restored).
"""

import datetime as dt
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext

from casework.models import Case
from teams.models import School, SchoolBoard
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
    second_factor,
    usable_passwords,
)
from tests.factories import signal_payload
from tests.flowkit import open_task, signal
from workflows.inbox import nodes_named

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

DESKTOP, NARROW = 1280, 320

CHILD = ("Jesse", "Reiziger")
PLAN = "Eerst het ECT raadplegen en tegelijk een doorbraak vragen bij de MPL-commissie."
QUESTION = "Welke ondersteuning heeft Jesse nodig om weer naar school te gaan?"
PREFERENCE = "Jesse wil naar het Zuiderpoort Lyceum (havo), dicht bij huis."
ADVICE = "Start met twee uur per dag op school, met een vaste mentor."
REJECTION = "Onderbouw het aantal uren met het advies van de GGD."
REDRAFT = ADVICE + " De GGD adviseert te beginnen met twee uur en elke drie weken op te bouwen."
CLOSING_PLAN = "Jesse is gestart op het Zuiderpoort Lyceum; de zaak kan dicht."


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


def nl(source: str) -> str:
    """The Dutch text the page should show for an English source string (the catalog in the tree;
    the source itself while its translation is still missing)."""
    with translation.override("nl"):
        return gettext(source)


# --- the journey's bookkeeping --------------------------------------------------------------------


@dataclass
class Journal:
    """Screenshots, axe and reflow results per page, and the problems found (asserted at the end)."""

    rows: list[tuple] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    untranslated: dict[str, str] = field(default_factory=dict)
    error_round: tuple[int, int, int] = (0, 0, 0)  # clicks, page loads, fields typed of the refused 2019 date

    def audit(self, page, name: str, role: str) -> None:
        """Screenshot, axe at 1280 and 320 px, reflow at 320 px of the page as it is now."""
        number = len(self.rows) + 1
        page.set_viewport_size({"width": DESKTOP, "height": 900})
        shot = f"journey-{number:02d}-{name}.png"
        page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
        path = re.sub(r"^https?://[^/]+", "", page.url)
        lang = page.evaluate("document.documentElement.lang")
        desktop = axe_violations(page)
        squeezed = page.evaluate("""() => [...document.querySelectorAll('.context-section dd')]
            .filter(dd => dd.getBoundingClientRect().width < 120)
            .map(dd => `"${dd.previousElementSibling ? dd.previousElementSibling.textContent.trim() : ''}": `
                 + `${Math.round(dd.getBoundingClientRect().width)} px`)""")
        if squeezed:  # a value squeezed by its label wraps almost letter by letter
            self.problems.append(f"{name} ({path}) at {DESKTOP}px: context values narrower than 120 px: {squeezed}")
        page.set_viewport_size({"width": NARROW, "height": 900})
        narrow = axe_violations(page)
        sticking_out = overflows_at(page, NARROW)
        if sticking_out:  # show where: the page at 320 px, and how far the first one sticks out
            page.screenshot(path=str(ARTIFACTS / shot.replace(".png", f"-{NARROW}.png")), full_page=True)
            sticking_out = sticking_out + [page.evaluate("""() => {
                const wide = [...document.querySelectorAll('main *')]
                    .find(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1);
                return wide ? `(${wide.tagName.toLowerCase()} "${wide.textContent.trim().slice(0, 60)}" ends at `
                    + `${Math.round(wide.getBoundingClientRect().right)} px)` : '';
            }""")]
        page.set_viewport_size({"width": DESKTOP, "height": 900})
        self.rows.append((number, name, role, path, len(desktop), len(narrow), sticking_out, shot))
        if lang != "nl":
            self.problems.append(f"{name} ({path}): <html lang={lang!r}>, not nl")
        if desktop:
            self.problems.append(f"{name} ({path}) at {DESKTOP}px: {desktop}")
        if narrow:
            self.problems.append(f"{name} ({path}) at {NARROW}px: {narrow}")
        if sticking_out:
            self.problems.append(f"{name} ({path}) does not reflow at {NARROW}px: {sticking_out}")

    def heading(self, source: str) -> str:
        """The expected Dutch heading; notes the source strings that have no translation yet."""
        dutch = nl(source)
        if dutch == source:
            self.untranslated[source] = "untranslated"
        return dutch

    def write(self, counts: list[Walker]) -> None:
        lines = ["# Journey: axe-core (WCAG 2.1 A/AA) and reflow per page", "",
                 f"Violations of wcag2a/wcag2aa/wcag21a/wcag21aa at {DESKTOP} px and {NARROW} px; "
                 f"elements sticking out at {NARROW} px (reflow).", "",
                 f"| # | page | actor | path | violations {DESKTOP} px | violations {NARROW} px "
                 f"| reflow {NARROW} px | screenshot |",
                 "|---|---|---|---|---|---|---|---|"]
        for number, name, role, path, desktop, narrow, sticking_out, shot in self.rows:
            reflow = "ok" if not sticking_out else "sticks out: " + ", ".join(sticking_out)
            lines.append(f"| {number} | {name} | {role} | `{path}` | {desktop} | {narrow} | {reflow} | {shot} |")
        (ARTIFACTS / "journey-axe.md").write_text("\n".join(lines) + "\n")
        total = Walker("total", None, sum(a.clicks for a in counts), sum(a.typed for a in counts),
                      sum(a.loads for a in counts))
        lines = ["# Journey: clicks and page loads, AOJ signal to closure", "",
                 "Counted from each turn's opening of casework (the landing view of Tasks, one page load) "
                 "to the turn's last submit; signing in is not counted. Clicks: buttons, links, ticked "
                 "boxes and radio buttons; a select counts as 2 (open, choose). Page loads: main-frame "
                 "navigations (`framenavigated`). Fields typed: text, textarea and date fields filled.",
                 "", "| actor | clicks | page loads | fields typed |", "|---|---|---|---|"]
        merged: dict[str, list[int]] = {}
        for actor in counts:
            merged.setdefault(actor.role, [0, 0, 0])
            merged[actor.role][0] += actor.clicks
            merged[actor.role][1] += actor.loads
            merged[actor.role][2] += actor.typed
        for role, (clicks, loads, typed) in merged.items():
            lines.append(f"| {role} | {clicks} | {loads} | {typed} |")
        lines.append(f"| **total** | **{total.clicks}** | **{total.loads}** | **{total.typed}** |")
        clicks, loads, typed = self.error_round
        lines += ["", f"The total includes the deliberately refused start date in 2019 (mpl_chair): {clicks} click(s), "
                  f"{loads} page load(s), {typed} field(s); without it: {total.clicks - clicks} clicks, "
                  f"{total.loads - loads} page loads, {total.typed - typed} fields typed."]
        before = ARTIFACTS / "journey-counts-before.md"  # an earlier measurement, when one was made
        if before.exists():
            lines += ["", before.read_text().strip()]
        (ARTIFACTS / "journey-counts.md").write_text("\n".join(lines) + "\n")
        lines = ["# Strings shown in English on the journey's pages (no Dutch translation yet)", ""]
        lines += [f"- `{source}`" for source in sorted(self.untranslated)] or ["(none)"]
        (ARTIFACTS / "journey-untranslated.md").write_text("\n".join(lines) + "\n")


def sections(page) -> dict[str, str]:
    """The decision context on a task page: heading -> the section's text."""
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('section.context-section')]
        .map(s => [s.querySelector('h2').textContent.trim(), s.innerText]))""")


def section_with(found: dict[str, str], heading: str) -> str:
    assert heading in found, (heading, list(found))
    return found[heading]


def context_above_form(page) -> bool:
    """The decision context comes before the task's form, in the DOM and on the screen."""
    return page.evaluate("""() => {
        const context = document.querySelector('.decision-context');
        const form = document.querySelector('main form[novalidate]');
        if (!context || !form) return false;
        return !!(context.compareDocumentPosition(form) & Node.DOCUMENT_POSITION_FOLLOWING)
            && context.getBoundingClientRect().bottom <= form.getBoundingClientRect().top + 1;
    }""")


COMPLETE = f"main form[novalidate] button[type=submit]:has-text('{nl('Complete task')}')"


def on_task_page(actor: Walker, task_id: int) -> bool:
    return re.search(rf"/task/{task_id}/(\?|$)", actor.page.url) is not None


# --- the journey ----------------------------------------------------------------------------------


def test_journey_from_signal_to_closure(api, demo, u, settings):
    password = demo["password"]
    roles = ["aoj", "ect", "ect_2", "mpl_chair", "outsider"]
    usable_passwords(settings, [demo["users"][role] for role in roles], password)
    today = timezone.localdate()
    vo, vo_2, po = (School.objects.get(pk=demo["schools"][key]) for key in ("vo", "vo_2", "po"))
    board_2 = SchoolBoard.objects.get(pk=vo_2.board_id)
    journal = Journal()
    turns: list[Walker] = []

    with live_asgi_server() as base_url, chromium() as browser:
        # the public form first (no login)
        public = browser.new_context(locale="en-GB", bypass_csp=True).new_page()
        public.goto(f"{base_url}/melden/")
        public.wait_for_selector("main form", timeout=WAIT)
        journal.audit(public, "public-signal-form", "(public)")

        pages = {}
        for role in roles:
            page = browser.new_context(locale="en-GB", bypass_csp=True).new_page()  # Dutch whatever the browser says
            page.set_viewport_size({"width": DESKTOP, "height": 900})
            log_in(page, base_url, demo["users"][role], password)
            pages[role] = page

        def turn(role: str) -> Walker:
            actor = Walker(role, pages[role])
            actor.watch()
            turns.append(actor)
            actor.open_app(base_url)
            actor.page.wait_for_selector("main h1", timeout=WAIT)
            journal.audit(actor.page, f"{role}-inbox", role)
            return actor

        # 1. the AOJ signals the child on /cases/new/
        aoj = turn("aoj")
        aoj.click("header nav a[href='/cases/new/']")
        aoj.page.wait_for_selector("#id_given_name", timeout=WAIT)
        journal.audit(aoj.page, "signal-form", "aoj")
        aoj.fill("#id_given_name", CHILD[0])
        aoj.fill("#id_family_name", CHILD[1])
        aoj.fill("#id_birth_date", "2012-06-01")
        aoj.select("#id_registration", "lrv")
        aoj.select("#id_school", str(vo.pk))
        aoj.select("#id_sector", "vo")
        aoj.fill("#id_absent_since", (today - dt.timedelta(weeks=6)).isoformat())  # LRV: over 4 weeks
        aoj.select("#id_signaller_role", "school")
        aoj.click("main form button[type=submit]")
        aoj.page.wait_for_url(re.compile(r"/cases/\d+/$"), timeout=WAIT)
        case_id = int(re.search(r"/cases/(\d+)/$", aoj.page.url).group(1))
        case = db(lambda: Case.objects.get(pk=case_id))
        journal.audit(aoj.page, "case-after-signal", "aoj")

        # 2. the AOJ opens the team review from the inbox: routes, the question to the ECT, the preference
        review = db(lambda: open_task(case, "team_review"))
        find_in_inbox(aoj, review.pk, "queue")
        journal.audit(aoj.page, "aoj-inbox-with-review", "aoj")
        aoj.click(f"{row(review.pk)} .inbox-title a")
        aoj.page.wait_for_selector("#id_plan", timeout=WAIT)
        assert aoj.page.inner_text("label[for=id_ect_question]").startswith("Vraag aan het ECT")
        found = sections(aoj.page)
        assert CHILD[0] in aoj.page.inner_text("main")
        section_with(found, journal.heading("The signal"))
        journal.audit(aoj.page, "team-review", "aoj")
        aoj.fill("#id_plan", PLAN)
        aoj.check("input[name=routes][value=ect_consult]")
        aoj.check("input[name=routes][value=doorbraak]")
        aoj.fill("#id_ect_question", QUESTION)
        aoj.page.select_option("#id_ect_question_kind", "plaatsing")
        aoj.fill("#id_pupil_preference", PREFERENCE)
        aoj.click(COMPLETE)
        aoj.page.wait_for_url(lambda url: f"/task/{review.pk}/" not in url, timeout=WAIT)
        journal.audit(aoj.page, "aoj-after-review", "aoj")
        aoj.counting = False

        # 3. the ECT consultant claims the draft from the queue: the question and the plan above the form
        draft = db(lambda: open_task(case, "ect_draft"))
        ect = turn("ect")
        where = find_in_inbox(ect, draft.pk, "queue")
        journal.audit(ect.page, f"ect-{where}-with-draft", "ect")
        ect.click(f"{row(draft.pk)} .inbox-action button[type=submit]")  # Oppakken
        ect.page.wait_for_url(re.compile(rf"/task/{draft.pk}/"), timeout=WAIT)
        ect.page.wait_for_selector("#id_advice", timeout=WAIT)
        found = sections(ect.page)
        question_heading = journal.heading("The team's question to the ECT")
        assert QUESTION in section_with(found, question_heading)
        assert PLAN in section_with(found, nl("Plan of action"))
        assert PREFERENCE not in section_with(found, nl("Plan of action"))
        assert list(found).index(question_heading) < list(found).index(nl("Plan of action"))
        assert context_above_form(ect.page)
        assert ect.page.input_value("#id_question") == QUESTION  # pre-filled: no retyping
        assert f"{nl('claimed by')} " in ect.page.inner_text(".task-facts")
        journal.audit(ect.page, "ect-draft", "ect")
        ect.fill("#id_advice", ADVICE)
        ect.click(COMPLETE)
        ect.page.wait_for_url(lambda url: f"/task/{draft.pk}/" not in url, timeout=WAIT)
        journal.audit(ect.page, "ect-after-draft", "ect")
        ect.counting = False

        # 4. the second consultant sees the full advice and who drafted it; rejects with a reason
        approve = db(lambda: open_task(case, "ect_approve"))
        ect_2 = turn("ect_2")
        where = find_in_inbox(ect_2, approve.pk, "queue")
        ect_2.click(f"{row(approve.pk)} .inbox-title a")
        ect_2.page.wait_for_selector("input[name=approved]", timeout=WAIT)
        found = sections(ect_2.page)
        to_approve = section_with(found, journal.heading("The advice to approve"))
        assert ADVICE in to_approve and QUESTION in to_approve
        assert "Daan Visser" in to_approve  # the drafter
        journal.heading("Drafted by")
        assert PLAN in section_with(found, nl("Plan of action"))
        assert context_above_form(ect_2.page)
        journal.audit(ect_2.page, "ect-approve-reject", "ect_2")
        ect_2.check("input[name=approved][value=False]")
        ect_2.fill("#id_reason", REJECTION)
        ect_2.click(COMPLETE)
        ect_2.page.wait_for_url(lambda url: f"/task/{approve.pk}/" not in url, timeout=WAIT)
        journal.audit(ect_2.page, "ect2-after-reject", "ect_2")
        ect_2.counting = False

        # 5. the drafter finds the redraft claimed for them, the reason shown, the rejected text pre-filled
        redraft = db(lambda: open_task(case, "ect_draft"))
        assert redraft.pk != draft.pk
        ect = turn("ect")
        where = find_in_inbox(ect, redraft.pk, "mine")
        assert where in ("landing", "mine"), where
        assert "Daan Visser" in ect.page.inner_text(row(redraft.pk))  # claimed for the drafter
        journal.audit(ect.page, f"ect-{where}-with-redraft", "ect")
        ect.click(f"{row(redraft.pk)} .inbox-title a")
        ect.page.wait_for_selector("#id_advice", timeout=WAIT)
        found = sections(ect.page)
        rejected = section_with(found, journal.heading("Your advice was rejected"))
        assert REJECTION in rejected and "Eva Smit" in rejected
        journal.heading("Rejected by")
        assert journal.heading("The form below holds the rejected text: change it and hand it in again.") in rejected
        assert list(found)[0] == journal.heading("Your advice was rejected")  # first: something to act on
        assert QUESTION in section_with(found, question_heading)
        assert context_above_form(ect.page)
        assert ect.page.input_value("#id_advice") == ADVICE
        assert ect.page.input_value("#id_question") == QUESTION
        journal.audit(ect.page, "ect-redraft", "ect")
        ect.fill("#id_advice", REDRAFT)
        ect.click(COMPLETE)
        ect.page.wait_for_url(lambda url: f"/task/{redraft.pk}/" not in url, timeout=WAIT)
        journal.audit(ect.page, "ect-after-redraft", "ect")
        ect.counting = False

        # 6. the second consultant approves
        approve = db(lambda: open_task(case, "ect_approve"))
        ect_2 = turn("ect_2")
        find_in_inbox(ect_2, approve.pk, "queue")
        ect_2.click(f"{row(approve.pk)} .inbox-title a")
        ect_2.page.wait_for_selector("input[name=approved]", timeout=WAIT)
        assert REDRAFT in section_with(sections(ect_2.page), nl("The advice to approve"))
        journal.audit(ect_2.page, "ect-approve", "ect_2")
        ect_2.check("input[name=approved][value=True]")
        ect_2.click(COMPLETE)
        ect_2.page.wait_for_url(lambda url: f"/task/{approve.pk}/" not in url, timeout=WAIT)
        ect_2.counting = False

        # the team review waits until every route has come back (the doorbraak still runs)
        assert db(lambda: open_task(case, "doorbraak_decision").pk)
        assert not db(lambda: case.tasks.filter(pk__gt=approve.pk, flow_task__in=nodes_named("team_review")).exists())

        # 7. the MPL chair decides with the plan, the advice, the preference and the clocks in view
        decision = db(lambda: open_task(case, "doorbraak_decision"))
        mpl = turn("mpl_chair")
        find_in_inbox(mpl, decision.pk, "queue")
        mpl.click(f"{row(decision.pk)} .inbox-title a")
        mpl.page.wait_for_selector("#id_start_date", timeout=WAIT)
        found = sections(mpl.page)
        assert PLAN in section_with(found, nl("Plan of action"))
        advice_text = section_with(found, journal.heading("The ECT's advice"))
        assert REDRAFT in advice_text and QUESTION in advice_text
        assert "Daan Visser" in advice_text and "Eva Smit" in advice_text  # drafted and approved by
        journal.heading("Approved by")
        assert PREFERENCE in section_with(found, nl("The pupil's preference"))
        journal.heading("Preference")
        clocks = mpl.page.locator("section.context-section", has=mpl.page.locator(
            "h2", has_text=re.compile(rf"^{re.escape(nl('Clocks'))}$")))
        assert clocks.locator("dt").count() >= 1, section_with(found, nl("Clocks"))  # a running clock
        journal.heading("due %(date)s")
        assert context_above_form(mpl.page)
        # only VO/VSO schools, grouped by board; no primary school
        school_select = mpl.page.inner_text("#id_school")
        assert po.name not in school_select and vo_2.name in school_select
        groups = mpl.page.evaluate("""() => [...document.querySelectorAll('#id_school optgroup')]
            .map(g => [g.label, [...g.querySelectorAll('option')].map(o => Number(o.value))])""")
        loose = mpl.page.evaluate("""() => [...document.querySelectorAll('#id_school > option')]
            .map(o => o.value).filter(v => v)""")
        assert groups and loose == []
        offered = db(lambda: {s.pk: (s.sector, s.board.name) for s in School.objects.select_related("board")})
        for board_name, school_ids in groups:
            for school_id in school_ids:
                assert offered[school_id] == (offered[school_id][0], board_name)
                assert offered[school_id][0] in ("vo", "vso"), (school_id, offered[school_id])
        journal.audit(mpl.page, "doorbraak-decision", "mpl_chair")
        # a start date in 2019: refused in Dutch next to the field, what was typed stays
        mpl.select("#id_school_board", str(board_2.pk))
        mpl.select("#id_school", str(vo_2.pk))
        mpl.check("input[name=preference_followed][value=True]")
        before_error = (mpl.clicks, mpl.loads, mpl.typed)
        mpl.fill("#id_start_date", "2019-09-02")
        mpl.click(COMPLETE)
        error = mpl.page.wait_for_selector("#id_start_date_error", timeout=WAIT)
        journal.error_round = tuple(now - then for now, then in zip((mpl.clicks, mpl.loads, mpl.typed), before_error,
                                                                     strict=True))
        assert mpl.page.input_value("#id_start_date") == "2019-09-02"
        assert mpl.page.input_value("#id_school") == str(vo_2.pk)
        assert mpl.page.evaluate("""() => document.getElementById('id_start_date_error')
            .closest('.field').contains(document.getElementById('id_start_date'))""")
        assert "id_start_date_error" in (mpl.page.get_attribute("#id_start_date", "aria-describedby") or "")
        error_text = error.inner_text()
        journal.audit(mpl.page, "doorbraak-decision-error", "mpl_chair")
        source = "The start date cannot be before the signal (%(date)s)."
        if nl(source) == source:
            journal.untranslated[source] = "untranslated"
            journal.problems.append(f"the start-date error is not in Dutch: {error_text!r}")
        assert error_text.startswith(nl(source).split("(%(date)s)")[0]), error_text
        mpl.fill("#id_start_date", today.isoformat())
        mpl.click(COMPLETE)
        mpl.page.wait_for_url(lambda url: f"/task/{decision.pk}/" not in url, timeout=WAIT)
        journal.audit(mpl.page, "mpl-after-decision", "mpl_chair")
        mpl.counting = False

        # 8. the AOJ confirms the start; the team review comes back when all routes have joined
        start = db(lambda: open_task(case, "start_confirmation"))
        aoj = turn("aoj")
        find_in_inbox(aoj, start.pk, "queue")
        aoj.click(f"{row(start.pk)} .inbox-title a")
        aoj.page.wait_for_selector("input[name=started]", timeout=WAIT)
        offered_place = section_with(sections(aoj.page), journal.heading("The offered place"))
        assert vo_2.name in offered_place
        journal.audit(aoj.page, "start-confirmation", "aoj")
        aoj.check("input[name=started][value=True]")
        aoj.fill("#id_started_on", today.isoformat())
        aoj.click(COMPLETE)
        aoj.page.wait_for_url(lambda url: f"/task/{start.pk}/" not in url, timeout=WAIT)
        back = db(lambda: open_task(case, "team_review"))
        journal.audit(aoj.page, "aoj-after-start", "aoj")

        # 9. the pupil started at the Zuiderpoort Lyceum: its AOJ-team holds the case now (the first
        # school's team no longer sees it) and closes it with an outcome
        assert aoj.page.goto(f"{base_url}/cases/{case_id}/").status == 404
        aoj.counting = False
        aoj = turn("outsider")
        find_in_inbox(aoj, back.pk, "queue")
        aoj.click(f"{row(back.pk)} .inbox-title a")
        aoj.page.wait_for_selector("#id_outcome", timeout=WAIT)
        found = sections(aoj.page)
        since = [text for heading, text in found.items()
                 if heading.startswith(journal.heading("Since the last team review (%(date)s)").split("%(date)s")[0])]
        assert since and REDRAFT in since[0], found
        assert PLAN in section_with(found, nl("Plan of action"))
        journal.audit(aoj.page, "team-review-back", "outsider")
        aoj.fill("#id_plan", CLOSING_PLAN)
        aoj.select("#id_outcome", "passend_aanbod")
        aoj.click(COMPLETE)
        aoj.page.wait_for_url(lambda url: f"/task/{back.pk}/" not in url, timeout=WAIT)
        aoj.counting = False
        journal.audit(aoj.page, "outsider-after-closing", "outsider")

        # the case is closed, on the page and in the database
        aoj.page.goto(f"{base_url}/cases/{case_id}/")
        assert aoj.page.inner_text("main .status") == nl("Closed")
        assert nl("Suitable offer with a place") in aoj.page.inner_text("main")
        journal.audit(aoj.page, "case-closed", "outsider")
        closed = db(lambda: Case.objects.get(pk=case_id))
        assert (closed.status, closed.outcome) == ("closed", "passend_aanbod")

    journal.write(turns)
    assert journal.problems == [], "\n".join(journal.problems)


SIGNAL_BY_FETCH = """async payload => {
    const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
    const response = await fetch('/api/cases/', {method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json', 'X-CSRFToken': token}, body: JSON.stringify(payload)});
    return response.status;
}"""


# --- a live update keeps a ticked box and typed text ----------------------------------------------


def test_a_live_update_keeps_the_tick_and_the_typed_reason(api, demo, u, settings):
    school = School.objects.get(pk=demo["schools"]["vo"])
    first = signal(api, u["aoj"], school.pk, given_name="Eerste", family_name="Wachtende", pupil_number="J-1001")
    task = open_task(first, "team_review")
    usable_passwords(settings, ["aoj", "aoj_2"], demo["password"])
    with live_asgi_server() as base_url, chromium() as browser:
        page = browser.new_context(locale="en-GB", bypass_csp=True).new_page()
        log_in(page, base_url, "aoj_2", demo["password"])
        page.wait_for_selector(row(task.pk), timeout=WAIT)
        page.check(f"#inbox-list input[name=tasks][value='{task.pk}']")
        page.fill("#bulk-form input[name=reason]", "Bram is deze week afwezig")

        # a new case for the same team, signalled through the API of the live server: its push goes
        # over the server's channel layer (a signal in this process would stay in this process's
        # in-memory layer when the tests run without Redis)
        signaller = browser.new_context(locale="en-GB").new_page()
        log_in(signaller, base_url, "aoj", demo["password"])
        payload = signal_payload(school, given_name="Nieuwe", family_name="Melding", pupil_number="J-1002")
        assert signaller.evaluate(SIGNAL_BY_FETCH, payload) == 201
        arrived = db(lambda: Case.objects.get(child__family_name="Melding"))
        new_task = db(lambda: open_task(arrived, "team_review"))
        bar = page.wait_for_selector(".live-bar button", timeout=WAIT)
        assert re.search(r"nieuwe taak|nieuwe taken", bar.inner_text()), bar.inner_text()
        assert page.query_selector(row(new_task.pk)) is None  # not swapped in while the user works
        assert page.is_checked(f"#inbox-list input[name=tasks][value='{task.pk}']")
        assert page.input_value("#bulk-form input[name=reason]") == "Bram is deze week afwezig"
        page.screenshot(path=str(ARTIFACTS / "journey-live-bar.png"), full_page=True)
        assert axe_violations(page) == []

        bar.click()
        shown = page.wait_for_selector(f"{row(new_task.pk)}.live-new", timeout=WAIT)
        assert "Melding" in shown.inner_text()
        assert "nieuw" in shown.text_content()
        assert page.is_checked(f"#inbox-list input[name=tasks][value='{task.pk}']")
        assert page.input_value("#bulk-form input[name=reason]") == "Bram is deze week afwezig"
        page.screenshot(path=str(ARTIFACTS / "journey-live-shown.png"), full_page=True)
        assert axe_violations(page) == []


# --- a draft survives an expired session ----------------------------------------------------------


def test_the_typed_plan_comes_back_after_an_expired_session(api, demo, u, settings):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    task = open_task(case, "team_review")
    usable_passwords(settings, ["aoj"], demo["password"])
    user_id = str(u["aoj"].pk)
    typed = "Gesprek met ouders op dinsdag; daarna een ECT-consult aanvragen."
    with live_asgi_server() as base_url, chromium() as browser:
        page = browser.new_context(locale="en-GB", bypass_csp=True).new_page()
        log_in(page, base_url, "aoj", demo["password"])
        task_url = f"{base_url}/task/{task.pk}/"
        page.goto(task_url)
        page.fill("#id_plan", typed)

        def expire():
            for session in Session.objects.all():
                if session.get_decoded().get("_auth_user_id") == user_id:
                    session.delete()

        db(expire)
        page.click(COMPLETE)
        page.wait_for_url(lambda url: "/login/" in url, timeout=WAIT)
        notice = page.inner_text("#session-expired")
        assert "sessie" in notice and "verlopen" in notice, notice
        page.screenshot(path=str(ARTIFACTS / "journey-session-expired.png"), full_page=True)
        assert axe_violations(page) == []
        page.fill("#id_username", "aoj")
        page.fill("#id_password", demo["password"])
        page.click("#login-form button[type=submit]")
        second_factor(page, base_url, "aoj")  # then the code of the app (signin)
        page.wait_for_url(lambda url: re.search(rf"/task/{task.pk}/(\?|$)", url) is not None, timeout=WAIT)
        page.wait_for_selector(".draft-notice", timeout=WAIT)
        assert page.input_value("#id_plan") == typed
        page.screenshot(path=str(ARTIFACTS / "journey-draft-restored.png"), full_page=True)
        assert db(lambda: not case.plans.exists())  # nothing was sent: the user decides when to
