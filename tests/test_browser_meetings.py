"""In the browser, in Dutch: the coordinator sets the team's meeting day, plans the meeting the
rhythm offers, finds the agenda built from the team's cases (a case a member flagged among them),
moves an item, writes its minutes and agrees an action for a member; that member signs in and finds
the action in their inbox. Each page meets WCAG 2.1 AA (axe-core) at 1280 px and reflows at 320 px."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.utils import timezone

from casework.models import CaseEvent
from teams.models import Team
from tests.browser import (
    ARTIFACTS,
    axe_violations,
    chromium,
    live_asgi_server,
    log_in,
    overflows_at,
    usable_passwords,
)
from tests.flowkit import complete, signal
from workflows import meetings
from workflows.models import AgendaItem, Meeting

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def accessible(page, what: str) -> None:
    """axe at 1280 px and at 320 px, and no reflow problem at 320 px; back to 1280 px."""
    page.set_viewport_size({"width": 1280, "height": 900})
    assert axe_violations(page) == [], (what, 1280)
    assert overflows_at(page, 320) == [], what
    assert axe_violations(page) == [], (what, 320)
    page.set_viewport_size({"width": 1280, "height": 900})


def from_database(read):
    """`read()` in a thread of its own (with its own connection): Playwright's event loop runs in
    this one, where Django refuses the ORM."""
    def run():
        try:
            return read()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def agenda_of_the_meeting() -> tuple:
    meeting = Meeting.objects.get()
    return timezone.localtime(meeting.starts_at), list(AgendaItem.objects.filter(meeting=meeting).order_by("position"))


def order(page) -> list[int]:
    return [int(value) for value in page.eval_on_selector_all(
        "ol.agenda > li[data-item-id]", "items => items.map(item => item.dataset.itemId)")]


def test_plan_build_minute_and_act(api, demo, u, settings):
    team = Team.objects.get(school_id=demo["schools"]["vo"], kind="aoj")
    Team.objects.filter(pk=team.pk).update(meeting_weekday=None, meeting_time=None)  # the coordinator sets it
    first = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Iris", family_name="Overleg")
    second = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Jesse", family_name="Overleg")
    flagged = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Kees", family_name="Overleg")
    complete(api, u["aoj"], flagged, "team_review", {"plan": "JIM.", "routes": ["jim"]})
    meetings.flag_case(case=flagged, actor=u["aoj_2"], team_id=team.pk)
    password = demo["password"]
    usable_passwords(settings, ["aoj", "aoj_2"], password)
    due = timezone.localdate() + dt.timedelta(days=4)
    with live_asgi_server() as base_url, chromium() as browser:
        coordinator = browser.new_context(locale="nl-NL", bypass_csp=True).new_page()
        log_in(coordinator, base_url, "aoj", password)
        coordinator.goto(f"{base_url}/teams/{team.pk}/meetings/")
        accessible(coordinator, "team meetings without a rhythm")
        coordinator.click("text=Overlegdag instellen")
        coordinator.select_option("#id_rhythm-weekday", "3")
        coordinator.fill("#id_rhythm-time", "14:30")
        coordinator.fill("#id_rhythm-minutes", "75")
        coordinator.click("#rhythm-form button[type=submit]")
        coordinator.wait_for_selector("text=Het team overlegt elke donderdag om 14:30, 75 minuten lang.",
                                      timeout=15000)
        accessible(coordinator, "team meetings with a rhythm")
        assert coordinator.input_value("#id_plan-time") == "14:30"  # the plan form offers the rhythm's meeting
        coordinator.click("#plan-form button[type=submit]")
        coordinator.wait_for_selector("ol.agenda", timeout=15000)
        local, items = from_database(agenda_of_the_meeting)
        assert (local.weekday(), local.hour, local.minute) == (3, 14, 30)
        assert [item.case_id for item in items] == [first.pk, second.pk, flagged.pk]
        assert order(coordinator) == [item.pk for item in items]
        assert "op de agenda gezet door een teamlid" in coordinator.inner_text("ol.agenda")
        accessible(coordinator, "meeting")

        # reorder: Iris one place down
        coordinator.click(f"li[data-item-id='{items[0].pk}'] button[value=down]")
        coordinator.wait_for_function(
            f"() => document.querySelector('ol.agenda > li[data-item-id]').dataset.itemId == '{items[1].pk}'",
            timeout=15000)
        assert order(coordinator) == [items[1].pk, items[0].pk, items[2].pk]
        # minutes, then an action for Bram (aoj_2), on the flagged case
        item = f"li[data-item-id='{items[2].pk}']"
        coordinator.fill(f"#minutes-{items[2].pk}", "Kees gaat niet naar school; huisbezoek nodig.")
        coordinator.click(f"{item} .item-minutes button[type=submit]")
        coordinator.wait_for_selector(f"{item} .minutes >> text=huisbezoek nodig", timeout=15000)
        coordinator.click(f"{item} .item-action summary")
        accessible(coordinator, "meeting with an action form open")
        coordinator.fill(f"#action-{items[2].pk}", "Huisbezoek bij Kees afleggen")
        coordinator.select_option(f"#owner-{items[2].pk}", str(u["aoj_2"].pk))
        coordinator.fill(f"#due-{items[2].pk}", due.isoformat())
        coordinator.click(f"{item} .item-action button[type=submit]")
        coordinator.wait_for_selector("text=De actie staat in de inbox van het teamlid dat haar uitvoert.",
                                      timeout=15000)
        assert "Huisbezoek bij Kees afleggen" in coordinator.inner_text(item)
        coordinator.screenshot(path=str(ARTIFACTS / "meeting-agenda.png"), full_page=True)

        member = browser.new_context(locale="nl-NL", bypass_csp=True).new_page()
        log_in(member, base_url, "aoj_2", password)
        member.goto(f"{base_url}/tasks/mine/")
        member.wait_for_selector("#inbox-list >> text=Actie uit het teamoverleg", timeout=15000)
        accessible(member, "the member's inbox")
        member.click("#inbox-list >> text=Actie uit het teamoverleg")
        member.wait_for_selector(".task-facts >> text=Huisbezoek bij Kees afleggen", timeout=15000)
        accessible(member, "the action's task page")
        member.goto(f"{base_url}/cases/{flagged.pk}/")
        assert "Huisbezoek bij Kees afleggen" in member.inner_text("body")  # on the case's timeline
        accessible(member, "the case page")

    event = CaseEvent.objects.get(case=flagged, kind="meeting_action_set")
    assert event.data["owner_id"] == u["aoj_2"].pk and event.data["due_on"] == due.isoformat()
