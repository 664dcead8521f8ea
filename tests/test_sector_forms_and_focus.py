"""Forms that offer only what fits the pupil's sector, and the accessibility of the daily pages: the
team review offers no doorbraak for an MBO student (and says why), the placement forms offer only
school boards with a school that fits the pupil, the site CSS has a visible focus, the flow diagram
is described by its list of steps, the signal form's tab order follows the page, and the personal
link page of a closed case and the consent lines read as whole Dutch sentences."""

import re

import pytest
from django.test import Client

from casework.models import Case, PlacementDecision
from teams.models import School
from tests.flowkit import board_and_school, complete, open_task, signal
from tests.test_ladder_climbs import clock, mbo, mbo_breached  # noqa: F401 (fixtures)
from tests.test_participation import make_link

pytestmark = pytest.mark.django_db

MBO_REASON = "Het MBO heeft geen doorzettingsmacht"


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def task_page(user, case, node: str) -> str:
    response = browser(user).get(f"/task/{open_task(case, node).pk}/")
    assert response.status_code == 200
    return response.content.decode()


def options(html: str, name: str) -> list[str]:
    """The option texts of the select `name` (without the empty one)."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return [text.strip() for text in re.findall(r"<option[^>]*>([^<]*)</option>", select) if text.strip() not in ("—", "---------")]


def route_values(html: str) -> list[str]:
    return re.findall(r'name="routes" value="([^"]+)"', html)


def board_name(demo, key: str) -> str:
    return School.objects.select_related("board").get(pk=demo["schools"][key]).board.name


# --- A. sector-aware forms ---------------------------------------------------------------------------


def test_the_mbo_team_review_offers_no_doorbraak_and_says_why(api, demo, u, mbo):  # noqa: F811
    case = signal(api, mbo["coordinator"], mbo["school"].pk, given_name="Mo", birth_date="2010-06-01")
    page = task_page(mbo["coordinator"], case, "team_review")
    assert "doorbraak" not in route_values(page) and "jim" in route_values(page)
    assert MBO_REASON in page and "stagnatiemeldpunt" in page
    # posted anyway (the API): a field error with the reason, nothing changes
    response = complete(api, mbo["coordinator"], case, "team_review", {"plan": "Naar MPL.", "routes": ["doorbraak"]},
                        expect=400)
    assert MBO_REASON in str(response.json()["routes"])
    assert Case.objects.get(pk=case.pk).status == case.status and not case.participants.filter(
        team__kind="mpl").exists()


def test_a_vo_and_a_po_team_review_still_offer_the_doorbraak(api, demo, u):
    vo = signal(api, u["aoj"], demo["schools"]["vo"])
    page = task_page(u["aoj"], vo, "team_review")
    assert "doorbraak" in route_values(page) and MBO_REASON not in page
    po = signal(api, u["kindteam"], demo["schools"]["po"], birth_date="2017-03-01")
    assert "doorbraak" in route_values(task_page(u["kindteam"], po, "team_review"))


def test_the_mpl_decision_offers_only_boards_with_a_vo_school(api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {"plan": "Naar MPL.", "routes": ["doorbraak"]})
    boards = options(task_page(u["mpl_chair"], case, "doorbraak_decision"), "school_board")
    assert board_name(demo, "vo") in boards and board_name(demo, "vo_2") in boards
    assert board_name(demo, "po") not in boards
    # a PO board posted anyway: a field error, nothing decided
    po_board, _school = board_and_school(demo, "po")
    response = complete(api, u["mpl_chair"], case, "doorbraak_decision", {
        "school_board": po_board, "start_date": "2030-01-01", "preference_followed": True}, expect=400)
    assert "school_board" in response.json()
    assert not PlacementDecision.objects.filter(case=case).exists()


def test_the_doe_advice_and_the_director_offer_only_the_po_board(api, demo, u):
    case = signal(api, u["kindteam"], demo["schools"]["po"], birth_date="2017-03-01")
    complete(api, u["kindteam"], case, "team_review", {"plan": "DOE-team.", "routes": ["doorbraak"]})
    assert options(task_page(u["doe_chair"], case, "doe_advice"), "school_board") == [board_name(demo, "po")]
    board, school = board_and_school(demo, "po")
    complete(api, u["doe_chair"], case, "doe_advice", {"advice": "Plaatsen.", "school_board": board, "school": school})
    assert options(task_page(u["swv_director"], case, "director_decision"), "school_board") == [
        board_name(demo, "po")]
    vo_board, _school = board_and_school(demo, "vo_2")
    response = complete(api, u["swv_director"], case, "director_decision", {
        "school_board": vo_board, "start_date": "2030-01-01", "motivation": "Besluit."}, expect=400)
    assert "school_board" in response.json()
    assert Case.objects.get(pk=case.pk).status == "escalated"


def test_the_stagnatie_form_offers_only_the_mbo_board(api, demo, u, mbo, clock):  # noqa: F811
    case, _day = mbo_breached(api, u, mbo, clock)
    boards = options(task_page(mbo["mbo_stagnatie"], case, "stagnatie"), "school_board")
    assert boards == [board_name(demo, "mbo")]


# --- B. accessibility --------------------------------------------------------------------------------


def test_the_site_css_has_a_3px_focus_outline_on_every_control(client):
    from django.contrib.staticfiles import finders

    css = open(finders.find("css/casework.css"), encoding="utf-8").read()
    rule = re.search(r"([^{}]*)\{[^}]*outline: 3px solid #000; outline-offset: 2px;[^}]*\}", css)
    assert rule, "no 3 px focus rule"
    selectors = rule.group(1)
    for control in ("a", "button", "input", "select", "textarea", "summary"):
        assert f"{control}:focus-visible" in selectors


def test_the_flow_diagram_is_described_by_its_list_of_steps(api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    html = browser(u["aoj"]).get(f"/cases/{case.pk}/").content.decode()
    described = re.findall(r'<svg[^>]*aria-describedby="([^"]+)"', html)
    assert described
    for target in described:
        steps = re.search(rf'<ol[^>]*id="{target}"[^>]*>(.*?)</ol>', html, re.S)
        assert steps, target
        assert 'aria-current="step"' in steps.group(1) and "(nu)" in steps.group(1)


def test_the_signal_form_asks_the_startkwalificatie_after_registration_and_school(demo, u):
    html = browser(u["aoj"]).get("/cases/new/").content.decode()
    names = re.findall(r'<(?:input|select|textarea)[^>]*name="([a-z_]+)"', html)
    assert names.index("registration") < names.index("school") < names.index("startkwalificatie")
    assert names.index("startkwalificatie") < names.index("startkwalificatie_on")


def test_the_link_page_of_a_closed_case_says_it_is_closed(api, client, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    path = make_link(client, case, u)
    visitor = Client()
    open_page = visitor.get(path).content.decode()
    assert "Volgende stap" in open_page and "De zaak is gesloten" not in open_page
    complete(api, u["aoj"], case, "team_review", {"plan": "Weer naar school.", "outcome": "terug_naar_school"})
    assert Case.objects.get(pk=case.pk).status == "closed"
    page = visitor.get(path).content.decode()
    assert "Volgende stap" not in page and "Gesprek op dinsdag" not in page
    assert "De zaak is gesloten" in page and "er volgen geen stappen meer" in page


def test_consent_lines_are_whole_sentences_on_the_link_page_and_the_case_page(api, client, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    path = make_link(client, case, u)
    visitor = Client()
    page = visitor.get(path).content.decode()
    assert "U heeft nog niet gezegd of de JIM-mentor mag zien wat met hem of haar gedeeld wordt." in page
    assert "U heeft nog niet gezegd of informatie met de zorgaanbieder gedeeld mag worden." in page
    assert "nog niet gevraagd" not in page
    visitor.post(path, {"subject": "jim", "given": "yes"})
    visitor.post(path, {"subject": "care_provider", "given": "no"})
    page = visitor.get(path).content.decode()
    assert "U vindt het goed dat de JIM-mentor ziet wat met hem of haar gedeeld wordt." in page
    assert "U vindt het niet goed dat informatie met de zorgaanbieder gedeeld wordt." in page
    for user in (u["aoj"], u["aoj_2"]):  # the case team on the case page
        case_page = browser(user).get(f"/cases/{case.pk}/").content.decode()
        assert "De ouder vindt het goed dat de JIM-mentor ziet wat met hem of haar gedeeld wordt." in case_page
        assert "De ouder vindt het niet goed dat informatie met de zorgaanbieder gedeeld wordt." in case_page
        assert "De jongere heeft nog niet gezegd of de JIM-mentor mag zien" in case_page
        assert "nog niet gevraagd" not in case_page


@pytest.mark.django_db(transaction=True)
@pytest.mark.browser
def test_tab_shows_a_3px_outline_in_a_real_browser(demo, settings):
    from tests.browser import chromium, live_asgi_server, log_in, usable_passwords

    usable_passwords(settings, ["aoj"], demo["password"])
    with live_asgi_server() as base_url, chromium() as browser:
        page = browser.new_context(locale="nl-NL").new_page()
        log_in(page, base_url, "aoj", demo["password"])
        page.goto(f"{base_url}/cases/new/")
        seen = set()
        for _ in range(12):  # the skip link, the navigation, then the form's fields
            page.keyboard.press("Tab")
            focus = page.evaluate("""() => { const e = document.activeElement, s = getComputedStyle(e);
                return [e.tagName, s.outlineWidth, s.outlineStyle, s.outlineColor]; }""")
            seen.add(focus[0])
            assert focus[1:] == ["3px", "solid", "rgb(0, 0, 0)"], focus
        assert {"A", "INPUT"} <= seen
