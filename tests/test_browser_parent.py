"""A parent follows the case through the personal link on a phone-sized screen (screenshot)."""

import pytest

from casework.models import CaseEvent
from casework.services.participation import create_access_link
from tests.browser import ARTIFACTS, chromium, live_asgi_server
from tests.flowkit import signal

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_parent_on_a_phone(api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    _link, token = create_access_link(case=case, actor=u["aoj"], audience="ouder",
                                      message="We zoeken samen met u een school die bij Sanne past.",
                                      next_step="Gesprek op school, dinsdag om 15.00 uur.", contact=u["aoj"])
    with live_asgi_server() as base_url, chromium() as browser:
        phone = browser.new_context(locale="nl-NL", viewport={"width": 390, "height": 844}, is_mobile=True,
                                    has_touch=True, device_scale_factor=2).new_page()
        phone.goto(f"{base_url}/inzage/{token}/")
        assert "Zo staat het ervoor met Sanne" in phone.inner_text("h1")
        assert "We zoeken samen met u een school" in phone.inner_text("main")
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll
        phone.locator("form.consent").nth(1).locator("button[value=yes]").click()
        phone.wait_for_selector("text=ja")
        phone.screenshot(path=str(ARTIFACTS / "parent-link-phone.png"), full_page=True)
    assert CaseEvent.objects.filter(case=case, kind="consent_given", data__by="ouder").exists()
