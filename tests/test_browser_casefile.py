"""In the browser, in Dutch: a coordinator distributes two tasks from the team overview with a
reason, the colleague sees them arrive (badge and toast over the websocket) and mentions the
coordinator in a note on the case."""

import pytest
from django.utils import timezone

from casework.models import CaseEvent, Note
from notifications.models import Notification
from tests.browser import ARTIFACTS, chromium, live_asgi_server, log_in, usable_passwords
from tests.flowkit import open_task, signal
from workflows.models import CaseTask

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_distribute_then_mention(api, demo, u, settings):
    cases = [signal(api, u["aoj"], demo["schools"]["vo"], given_name=name, family_name="Browser")
             for name in ("Iris", "Jesse")]
    tasks = [open_task(case, "team_review") for case in cases]
    password = demo["password"]
    usable_passwords(settings, ["aoj", "aoj_2"], password)
    Notification.objects.update(read_at=timezone.now())  # the new-task notices of the signals
    with live_asgi_server() as base_url, chromium() as browser:
        coordinator = browser.new_context(locale="nl-NL").new_page()
        colleague = browser.new_context(locale="nl-NL").new_page()
        log_in(coordinator, base_url, "aoj", password)
        log_in(colleague, base_url, "aoj_2", password)
        colleague.goto(f"{base_url}/tasks/mine/")
        assert colleague.inner_text("#notification-badge") == "0"
        colleague.wait_for_selector("#nav-notifications[data-ws-state=open]", state="attached", timeout=20000)

        coordinator.goto(f"{base_url}/tasks/team/")
        assert "Teamoverzicht" in coordinator.inner_text("nav.tabs")
        for task in tasks:
            coordinator.check(f"input[name=tasks][value='{task.pk}']")
        coordinator.select_option("select[name=action]", "assign")
        coordinator.select_option("select[name=assignee]", str(u["aoj_2"].pk))
        coordinator.fill("input[name=reason]", "Verdeeld in het teamoverleg van maandag")
        coordinator.click("#bulk-form button[type=submit]")
        coordinator.wait_for_selector("text=2 taken verdeeld.")

        # without a reload: the badge counts the two assignments, a toast names them
        colleague.wait_for_selector("#notification-badge >> text='2'", state="attached", timeout=20000)
        colleague.wait_for_selector(".toast >> text=Taak aan u toegewezen", timeout=15000)
        colleague.goto(f"{base_url}/tasks/mine/")
        assert colleague.locator("#inbox-list [data-task-id]").count() == 2
        colleague.goto(f"{base_url}/cases/{cases[0].pk}/")
        colleague.fill("textarea[name=text]", "@aoj ik bel de ouders morgen.")
        colleague.click("#notes button[type=submit]")
        colleague.wait_for_selector("text=Notitie toegevoegd.")
        colleague.screenshot(path=str(ARTIFACTS / "case-notes.png"), full_page=True)
        coordinator.wait_for_selector(".toast >> text=U bent genoemd in een notitie", timeout=15000)

    assert set(CaseTask.objects.filter(pk__in=[t.pk for t in tasks]).values_list("owner__username", flat=True)) \
        == {"aoj_2"}
    assert [e.data["reason"] for e in CaseEvent.objects.filter(kind="task_assigned").order_by("pk")] \
        == ["Verdeeld in het teamoverleg van maandag"] * 2
    assert Note.objects.get().mentions.get().username == "aoj"
