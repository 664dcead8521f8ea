"""KPI 9's survey answered in a real browser: a parent opens their personal link after the ECT's
consult closed, follows "Vragen beantwoorden", sends the form once without a score (the error is
announced and what they typed stays), then answers. Dutch whatever the browser's language; axe-core
(WCAG 2.1 A/AA) finds nothing at 1280 and 320 px, and the pages reflow at 320 px."""

import pytest

from casework.models import Consent, SurveyInvitation, SurveyResponse
from casework.services.participation import create_access_link, set_consent
from tests.browser import (
    WAIT,
    axe_violations,
    chromium,
    live_asgi_server,
    log_in,
    overflows_at,
    usable_passwords,
)
from tests.flowkit import api_client, complete, signal

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

DESKTOP, NARROW = 1280, 320


def checked(page, where: str) -> None:
    """axe at 1280 and 320 px, and no sideways scrolling at 320 px."""
    page.set_viewport_size({"width": DESKTOP, "height": 900})
    assert axe_violations(page) == [], where
    assert overflows_at(page, NARROW) == [], where
    assert axe_violations(page) == [], where
    page.set_viewport_size({"width": DESKTOP, "height": 900})


def test_a_parent_answers_the_survey_in_the_browser(demo, u, settings):
    case = signal(api_client, u["aoj"], demo["schools"]["vo"])
    link, token = create_access_link(case=case, actor=u["aoj"], audience="ouder",
                                     message="We zoeken samen met u een school die past.",
                                     next_step="Gesprek op school.", contact=u["aoj"])
    set_consent(actor=None, link=link, subject=Consent.Subject.SURVEY, given=True)
    complete(api_client, u["aoj"], case, "team_review", {"plan": "ECT-consult.", "ect_question_kind": "handelingsadvies", "routes": ["ect_consult"]})
    complete(api_client, u["ect"], case, "ect_draft", {"question": "Welk aanbod past?", "advice": "OPDC."})
    complete(api_client, u["ect_2"], case, "ect_approve", {"approved": True})
    with live_asgi_server() as base_url, chromium() as browser:
        context = browser.new_context(locale="en-US", bypass_csp=True)  # Dutch all the same
        page = context.new_page()
        page.set_default_timeout(WAIT)
        page.goto(f"{base_url}/inzage/{token}/")
        page.click("a:has-text('Vragen beantwoorden')")
        page.wait_for_selector("h1:has-text('Wat vond u van de hulp van het ECT?')")
        assert page.get_attribute("html", "lang") == "nl"
        assert "Hoe tevreden bent u over de hulp van het ECT?" in page.inner_text("legend >> nth=0")
        checked(page, "the survey")
        page.check("input[name=listened][value=beetje]")
        page.fill("textarea[name=improve]", "Sneller terugbellen.")
        page.click("button:has-text('Mijn antwoorden versturen')")
        page.wait_for_selector("[role=alert]")
        assert "Kies een cijfer van 1 tot en met 10." in page.inner_text("[role=alert]")
        assert page.input_value("textarea[name=improve]") == "Sneller terugbellen."
        assert page.is_checked("input[name=listened][value=beetje]")
        checked(page, "the survey with an error")
        page.check("input[name=score][value='8']")
        page.click("button:has-text('Mijn antwoorden versturen')")
        page.wait_for_selector("h1:has-text('Bedankt voor uw antwoorden')")
        checked(page, "thanks")
        page.goto(f"{base_url}/inzage/{token}/")
        assert "Vragen beantwoorden" not in page.inner_text("main")
        context.close()
    answer = SurveyResponse.objects.get()
    assert (answer.audience, answer.score, answer.listened, answer.improve) == ("ouder", 8, "beetje",
                                                                                "Sneller terugbellen.")
    # The director's pages, first with too few answers, then with five (four more rows as the
    # survey writes them: the figures themselves are tests/test_survey.py's)
    usable_passwords(settings, ["swv_director"], demo["password"])
    invitation = SurveyInvitation.objects.get(audience="ouder")
    with live_asgi_server() as base_url, chromium() as browser:
        page = browser.new_context(locale="en-US", bypass_csp=True).new_page()
        page.set_default_timeout(WAIT)
        log_in(page, base_url, "swv_director", demo["password"])
        page.goto(f"{base_url}/monitor/year/?school_year={invitation.school_year}")
        assert "Te weinig reacties" in page.inner_text("#kpi9-heading + p + p")
        checked(page, "the year view, too few answers")
        page.click("a:has-text('Wat kan beter: de antwoorden')")
        page.wait_for_selector("h1:has-text('Wat kan beter: de antwoorden')")
        assert "Sneller terugbellen." not in page.inner_text("main")
        checked(page, "the free texts, too few answers")
    for score, listened in ((9, "ja"), (7, "ja"), (6, "nee"), (10, "ja")):
        SurveyResponse.objects.create(region_id=invitation.region_id, school_id=invitation.school_id,
                                      sector=invitation.sector, school_year=invitation.school_year,
                                      audience="jeugdhulp", score=score, listened=listened, improve="Vaker bellen.")
    with live_asgi_server() as base_url, chromium() as browser:
        page = browser.new_context(locale="en-US", bypass_csp=True).new_page()
        page.set_default_timeout(WAIT)
        log_in(page, base_url, "swv_director", demo["password"])
        page.goto(f"{base_url}/monitor/year/?school_year={invitation.school_year}")
        assert "Gemiddeld cijfer" in page.inner_text("#kpi9-caption + tbody")
        checked(page, "the year view with KPI 9")
        page.click("a:has-text('Wat kan beter: de antwoorden')")
        page.wait_for_selector("li:has-text('Sneller terugbellen.')")
        checked(page, "the free texts")
