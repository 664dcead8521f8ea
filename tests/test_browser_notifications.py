"""The notifications page in a browser: grouped by case with the child's name, a filter by kind, a
group marked read, an item opened by its link; the list and the preferences page without WCAG 2.1
AA violations at 1280 and 320 px, and reflowing at 320 px."""

import pytest
from django.utils import timezone

from notifications.models import Notification
from tests.browser import (
    ARTIFACTS,
    axe_violations,
    chromium,
    live_asgi_server,
    log_in,
    overflows_at,
    usable_passwords,
)
from tests.flowkit import signal

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def check_a11y(page, name: str) -> None:
    for width in (1280, 320):
        page.set_viewport_size({"width": width, "height": 900})
        assert axe_violations(page) == [], (name, width)
    assert overflows_at(page, 320) == [], name
    page.screenshot(path=str(ARTIFACTS / f"notifications-{name}-320.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_grouped_list_filter_and_group_read(demo, settings, api, u):
    password = demo["password"]
    usable_passwords(settings, [demo["users"]["aoj_2"]], password)
    first = signal(api, u["aoj"], demo["schools"]["vo"])
    second = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Tweede", family_name="Anderkind",
                    pupil_number="L-2002")
    for _ in range(2):
        Notification.objects.create(recipient=u["aoj_2"], kind="deadline_breached", case=first,
                                    data={"deadline_kind": "offer_3_months"}, created_at=timezone.now())
    first_name, second_name = str(first.child), str(second.child)  # no database inside the browser's loop
    with live_asgi_server() as base_url, chromium() as browser:
        page = browser.new_context(locale="nl-NL", bypass_csp=True).new_page()
        log_in(page, base_url, demo["users"]["aoj_2"], password)
        page.goto(f"{base_url}/notifications/")
        groups = page.locator(".notification-group h2")
        assert groups.nth(0).inner_text().startswith(f"Zaak {first.pk}: {first_name}")
        assert groups.nth(1).inner_text().startswith(f"Zaak {second.pk}: {second_name}")
        check_a11y(page, "list")

        page.select_option("select[name=kind]", "deadline_breached")
        page.click(".notification-filters button[type=submit]")
        page.wait_for_url("**/notifications/?kind=deadline_breached**", timeout=15000)
        assert page.locator(".notification-group").count() == 1
        assert page.locator(".notification-list li").count() == 2
        check_a11y(page, "filtered")

        page.goto(f"{base_url}/notifications/")
        page.click(f"section[aria-labelledby=group-{second.pk}] form button")
        page.wait_for_selector("#notification-badge >> text='3'", state="attached", timeout=15000)
        assert page.locator(f"section[aria-labelledby=group-{second.pk}] li.read").count() == 1
        assert page.locator(f"section[aria-labelledby=group-{first.pk}] li.unread").count() == 3

        page.click(f"section[aria-labelledby=group-{first.pk}] li.unread a >> nth=-1")  # the new task
        page.wait_for_url("**/task/*/", timeout=15000)
        page.wait_for_selector("#notification-badge >> text='2'", state="attached", timeout=15000)

        page.goto(f"{base_url}/notifications/preferences/")
        page.select_option("#channel-task_available", "digest")
        page.click("main form button[type=submit]")
        page.wait_for_selector(".messages >> text=Voorkeuren opgeslagen.", timeout=15000)
        check_a11y(page, "preferences")
