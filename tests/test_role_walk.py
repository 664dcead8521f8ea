"""Every role, every page: each of the fifteen demo users signs in through the real pages (the
password, then the code their authenticator app shows, typed into /signin/verify/) on a demo with
cases, and walks what they can reach.

The walk follows every link of the page they land on and of each page it reaches (the navigation
included), breadth first, to a depth of MAX_DEPTH and at most MAX_PAGES distinct pages per role; a
distinct page is a route name with its arguments that are not object ids (each inbox tab is a page,
each case page is the same page). GET only: never signing out, never the language switch (it
changes a preference); downloads are fetched. Then every URL pattern that takes no object id is
fetched as well. No answer may be a server error, and every answer is one the page gives by design:
200, a redirect, 403 or 404 (405 only where GET is not served at all; from the API, as a JSON
problem, a 400 where a GET without parameters lacks a required one and a 401 from the two
endpoints that end an API token, which no session has).

The HTTP part runs on both databases with Django's test client. The browser part (Chromium with
axe-core) walks the same way as each role in one browser and checks every distinct page it reaches
for WCAG 2.1 A/AA violations at 1280 and at 320 px width, and that it reflows at 320 px.
"""

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from io import StringIO
from urllib.parse import urljoin, urlsplit

import pyotp
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, URLResolver, get_resolver, resolve
from django.utils import timezone

from casework.models import AccessLog, Case, Child, DataBreach
from casework.services.privacy import record_breach
from teams.models import Region, Team, User
from tests.browser import (
    ARTIFACTS,
    AXE,
    WCAG_AA,
    chromium,
    live_asgi_server,
    log_in,
    overflows_at,
    usable_passwords,
)
from tests.flowkit import board_and_school, complete, open_task, signal
from workflows.inbox import SCOPES
from workflows.meetings import plan_next_meeting

pytestmark = pytest.mark.real_second_factor

ROLES = ("aoj", "aoj_2", "kindteam", "ect", "ect_2", "leerplicht", "mpl_chair", "doe_chair", "swv_director",
         "privacy_officer", "outsider", "mbo", "deelverband", "mbo_stagnatie", "mbo_directie")
MAX_DEPTH = 3
MAX_PAGES = 60
# Signing out ends the walk; the language switch changes the user's preference.
NOT_FOLLOWED = ("/logout/", "/i18n/")
BY_DESIGN = {200, 301, 302, 403, 404}
# Arguments of a route that name an object: pages that differ only in these are the same page.
OBJECT_ARGUMENTS = re.compile(r"(^|_)(id|pk|token|format)$")


# --- the demo with cases ----------------------------------------------------------------------------


def demo_with_cases(demo, api) -> dict:
    """seed_demo's cases (without the year of history), and a little more so that every role has
    something on its pages: a VO case before the MPL commission (on its next meeting's agenda), a
    VO case with the ECT, a PO case waiting for the SWV director's decision, and a data breach of
    the VO region waiting for the privacy officer's decision. Returns the cases by name."""
    call_command("seed_demo", "--no-history", stdout=StringIO())
    users = {role: User.objects.get(username=name) for role, name in demo["users"].items()}
    cases = {child.given_name: Case.objects.get(child=child) for child in Child.objects.filter(cases__isnull=False)}
    complete(api, users["aoj"], cases["Sem"], "team_review", {"plan": "Geen plek: MPL.", "routes": ["doorbraak"]})
    mpl = Team.objects.get(kind=Team.Kind.MPL)
    plan_next_meeting(team=mpl, actor=users["mpl_chair"], starts_at=timezone.now() + timedelta(days=2))
    complete(api, users["aoj_2"], cases["Lotte"], "team_review", {"plan": "ECT-consult.", "ect_question_kind": "handelingsadvies", "routes": ["ect_consult"]})
    po = signal(api, users["kindteam"], demo["schools"]["po"], birth_date="2017-03-01")
    complete(api, users["kindteam"], po, "team_review", {"plan": "Geen plek: DOE-team.", "routes": ["doorbraak"]})
    board, school = board_and_school(demo, "po")
    complete(api, users["doe_chair"], po, "doe_advice", {"advice": "Plaatsen met ondersteuning.",
                                                         "school_board": board, "school": school})
    record_breach(actor=users["privacy_officer"], region=Region.objects.get(pk=cases["Sem"].region_id),
                  what="Een e-mail met een dossier aan de verkeerde school.",
                  discovered_at=timezone.now() - timedelta(hours=2), case_ids=[cases["Sem"].pk], risk="medium")
    return {**cases, "po": po}


# --- signing in ------------------------------------------------------------------------------------


def sign_in(client: Client, demo, role: str) -> str:
    """The password on /login/, then the app's current code on /signin/verify/; the landing URL."""
    username = demo["users"][role]
    response = client.post("/login/", {"username": username, "password": demo["password"]})
    assert response.status_code == 302, (role, response.status_code)
    page = client.get(response["Location"])  # the page asked for sends to the second factor
    assert page.status_code == 302, (role, page.status_code)
    verify = page["Location"]
    assert verify.startswith("/signin/verify/"), (role, verify)
    assert client.get(verify).status_code == 200
    code = pyotp.TOTP(demo["totp_secret"][username]).now()
    response = client.post(verify, {"code": code})
    assert response.status_code == 302, (role, response.status_code, response.content[:500])
    return response["Location"]


# --- the walk ----------------------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def links_in(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.hrefs


def local(url: str, href: str) -> str | None:
    """`href` on the page at `url` as a path with its query, or None when it leaves the site, is
    not followed (signing out, the language switch) or is not a page (mailto:, javascript:)."""
    target = urlsplit(urljoin(f"http://testserver{url}", href))
    if target.scheme not in ("http", "https") or target.netloc != "testserver":
        return None
    if target.path.startswith(NOT_FOLLOWED):
        return None
    return target.path + (f"?{target.query}" if target.query else "")


def page_key(url: str) -> str:
    """A distinct page: the route's name with its arguments that are not object ids."""
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return f"(no route) {urlsplit(url).path}"
    kept = sorted((name, value) for name, value in match.kwargs.items() if not OBJECT_ARGUMENTS.search(name))
    return match.view_name + "".join(f" {name}={value}" for name, value in kept)


@dataclass
class Answer:
    status: int
    html: str = ""  # the page's HTML when it is a page (200, text/html)
    location: str = ""  # where a redirect sends to
    allow: str = ""  # the methods a 405 names
    content_type: str = ""


def by_design(url: str, status: int, allow: str = "", content_type: str = "") -> bool:
    """An answer by design: 200, a redirect, 403, 404; a 405 where GET is not served at all; and
    from the API, as a JSON problem, a 400 that says which parameter a GET without any lacks, or a
    401 from an endpoint that takes an API token and never a session (logging a token out)."""
    if status in BY_DESIGN:
        return True
    if status == 405:
        return "GET" not in allow.replace(" ", "").split(",")
    if status == 401:
        return url.rstrip("/") in TOKEN_ONLY and "json" in content_type
    return status == 400 and url.startswith("/api/") and "json" in content_type


# The API's own token's end: a session has no token to end (the browser signs out at /logout/).
TOKEN_ONLY = {"/api/v1/auth/logout", "/api/v1/auth/logout-all"}


@dataclass
class Visit:
    url: str
    status: int
    depth: int  # -1: not reached by a link (a URL pattern without object ids)
    allow: str = ""
    content_type: str = ""


@dataclass
class Walk:
    role: str
    pages: dict[str, Visit] = field(default_factory=dict)  # by page_key

    def add(self, key: str, visit: Visit) -> None:
        self.pages[key] = visit

    @property
    def server_errors(self) -> list[tuple[str, Visit]]:
        return [(key, visit) for key, visit in self.pages.items() if visit.status >= 500]

    @property
    def refused_links(self) -> list[tuple[str, Visit]]:
        """Pages a link led to that refused the reader: a page links only to what its reader may open."""
        return [(key, visit) for key, visit in self.pages.items() if visit.depth > 0 and visit.status in (403, 404)]

    @property
    def not_by_design(self) -> list[tuple[str, Visit]]:
        return [(key, visit) for key, visit in self.pages.items()
                if not by_design(visit.url, visit.status, visit.allow, visit.content_type)]


def walk(role: str, start: str, fetch: Callable[[str], Answer], on_page: Callable[[str, str], None] | None = None,
         *, also: tuple[str, ...] = ()) -> Walk:
    """Breadth first from `start` (depth 0): each distinct page once, its links one deeper, to
    MAX_DEPTH, at most MAX_PAGES pages. A redirect is followed at the same depth. Then the pages
    `also` names that the links did not reach (their links are not followed). `on_page(key, url)`
    is called for each page that answered with HTML (the browser checks it there)."""
    result = Walk(role)
    todo = deque([(start, 0)])
    later = deque((url, -1) for url in also)
    while (todo or later) and len(result.pages) < MAX_PAGES:
        url, depth = todo.popleft() if todo else later.popleft()
        key = page_key(url)
        if key in result.pages:
            continue
        answer = fetch(url)
        result.add(key, Visit(url, answer.status, depth, answer.allow, answer.content_type))
        if answer.location:
            target = local(url, answer.location)
            if target:
                todo.appendleft((target, depth))
        elif answer.html:
            if on_page is not None:
                on_page(key, url)
            if 0 <= depth < MAX_DEPTH:
                todo.extend((link, depth + 1) for href in links_in(answer.html) if (link := local(url, href)))
    return result


def client_fetch(client: Client) -> Callable[[str], Answer]:
    def fetch(url: str) -> Answer:
        response = client.get(url)
        body = b"".join(response) if response.streaming else response.content
        if response.status_code in (301, 302, 303, 307, 308):
            return Answer(response.status_code, location=response["Location"])
        html = body.decode(errors="replace") if (
            response.status_code == 200 and response.get("Content-Type", "").startswith("text/html")) else ""
        return Answer(response.status_code, html=html, allow=response.get("Allow", ""),
                      content_type=response.get("Content-Type", ""))

    return fetch


def all_routes(patterns=None, prefix="/"):
    """Every URL pattern as a string (route syntax or regex)."""
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from all_routes(pattern.url_patterns, prefix + str(pattern.pattern).lstrip("^"))
        else:
            yield prefix + str(pattern.pattern).lstrip("^")


def urls_without_object_ids() -> list[str]:
    """A URL of every pattern that takes no argument, and of the inbox's tabs (its one argument
    is the tab, not an object)."""
    urls = {f"/tasks/{scope}/" for scope in SCOPES}
    for route in all_routes():
        if "<" in route or "(?P" in route or route.startswith(NOT_FOLLOWED):
            continue
        url = re.sub(r"(\\Z|\$)$", "", route).replace("\\.", ".").replace("/?", "/").replace("/^", "/")
        assert not re.search(r"[\\^$()*+?\[\]]", url), f"cannot make a URL of {route!r}"
        urls.add(url)
    return sorted(urls)


def pages_without_object_ids(demo, role: str) -> tuple[str, ...]:
    """The URLs without object ids that answer `role` with an HTML page (not the API's JSON)."""
    client = Client(raise_request_exception=False)
    sign_in(client, demo, role)
    fetch = client_fetch(client)
    return tuple(url for url in urls_without_object_ids() if not url.startswith("/api/") and fetch(url).html)


def fetch_each(result: Walk, fetch: Callable[[str], Answer], urls: list[str]) -> None:
    """A GET of each URL, added to the walk's pages (those the links did not reach already)."""
    for url in urls:
        answer = fetch(url)
        result.pages.setdefault(f"{page_key(url)} [{url}]",
                                Visit(url, answer.status, -1, answer.allow, answer.content_type))


# --- the HTTP part (both databases) ---------------------------------------------------------------


@pytest.fixture
def walk_demo(demo, api):
    demo_with_cases(demo, api)
    return demo


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_every_page_without_an_error(walk_demo, role):
    client = Client(raise_request_exception=False)  # a server error is an answer of the walk, not its end
    landing = sign_in(client, walk_demo, role)
    assert landing == "/tasks/"
    fetch = client_fetch(client)
    result = walk(role, landing, fetch)
    fetch_each(result, fetch, urls_without_object_ids())
    linked = sum(1 for visit in result.pages.values() if visit.depth >= 0)
    print(f"\n{role}: {linked} pages by links, {len(result.pages) - linked} URLs without object ids, "  # noqa: T201
          f"{len(result.server_errors)} server errors")
    assert result.server_errors == [], result.server_errors
    assert result.not_by_design == [], result.not_by_design
    assert result.refused_links == [], result.refused_links
    # The crawl reached the pages of the navigation and the inbox's tabs.
    reached = {key for key, visit in result.pages.items() if visit.depth >= 0 and visit.status == 200}
    assert {"inbox-default", "case-list", "notifications", *(f"inbox scope={scope}" for scope in SCOPES)} <= reached


# --- the roles in no team of a school: the director and the privacy officer ---------------------------


def test_the_director_lands_on_the_decisions_and_escalated_cases_of_the_regions(walk_demo, api):
    cases = Case.objects.filter(status=Case.Status.ESCALATED)
    po = cases.get(sector="po")
    decision = open_task(po, "director_decision")
    client = Client()
    assert sign_in(client, walk_demo, "swv_director") == "/tasks/"
    landing = client.get("/tasks/")
    assert landing.status_code == 200
    html = landing.content.decode()
    desk = landing.context["desk"]
    assert [task.pk for task in desk.decisions] == [decision.pk]
    assert desk.escalated == [po]  # the director is on the PO case; the VO case is still with the MPL
    assert "Uw regio" in html and "Directeur-bestuurder: plaatsingsbesluit" in html
    assert f'href="/task/{decision.pk}/"' in html and f'href="/cases/{po.pk}/"' in html and str(po.child) in html
    # the page that named the child is in the access log
    shown = AccessLog.objects.filter(user__username="swv_director", action=AccessLog.Action.LIST_VIEW).latest("pk")
    assert po.pk in shown.shown_case_ids
    # every tab opens; the team overview says why it is empty
    for scope in SCOPES:
        response = client.get(f"/tasks/{scope}/")
        assert response.status_code == 200, scope
    assert "U bent geen lid van een team, dus er is geen teamoverzicht." in client.get("/tasks/team/").content.decode()
    assert f'href="/task/{decision.pk}/' in client.get("/tasks/queue/").content.decode()
    # the decision through its page; then the list the director lands on, without an error
    board, school = board_and_school(walk_demo, "po")
    done = client.post(f"/task/{decision.pk}/", {"school_board": board, "school": school,
                                                 "start_date": (timezone.localdate() + timedelta(days=7)).isoformat(),
                                                 "motivation": "Doorzettingsmacht."})
    # "Taak afgerond" on the case page (the director may read the case), then the desk is empty
    assert done.status_code == 302 and done["Location"] == f"/cases/{po.pk}/"
    case_page = client.get(done["Location"])
    assert case_page.status_code == 200 and "Taak afgerond: " in case_page.content.decode()
    after = client.get("/tasks/focus/")
    assert after.status_code == 200 and after.context["desk"].decisions == []
    assert "Er wacht geen besluit van de directeur-bestuurder op u." in after.content.decode()
    assert Case.objects.get(pk=po.pk).status == Case.Status.PLACED


def test_the_privacy_officer_lands_on_the_open_breaches_and_the_privacy_pages(walk_demo):
    breach = DataBreach.objects.get()
    client = Client()
    assert sign_in(client, walk_demo, "privacy_officer") == "/tasks/"
    landing = client.get("/tasks/")
    assert landing.status_code == 200
    html = landing.content.decode()
    assert landing.context["desk"].open_breaches == [breach]
    assert f'href="/privacy/breaches/{breach.pk}/"' in html and f"Datalek {breach.pk}" in html
    for page in ("/privacy/access-log/", "/privacy/subject-access/", "/privacy/breaches/"):
        assert f'href="{page}"' in html
        assert client.get(page).status_code == 200
    for scope in SCOPES:
        assert client.get(f"/tasks/{scope}/").status_code == 200, scope
    # a decided breach leaves the desk
    client.post(f"/privacy/breaches/{breach.pk}/", {"decision": "no_notification",
                                                    "decision_motivation": "Geen risico: meteen teruggehaald."})
    after = client.get("/tasks/").content.decode()
    assert "Er wacht geen datalek op een besluit over melden bij de AP." in after


def test_someone_in_no_team_and_without_a_region_role_gets_every_tab(demo):
    user = User.objects.create_user("nieuw", password=demo["password"])
    client = Client()
    client.force_login(user)  # no team, no role, no case: no second factor needed
    for scope in SCOPES:
        response = client.get(f"/tasks/{scope}/")
        assert response.status_code == 200, scope
        assert response.context["desk"] is None
    assert client.get("/tasks/").status_code == 200


# --- the browser part (Chromium, axe-core) -------------------------------------------------------------


def axe_violations_now(page) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now (axe-core is in the page from
    the context's init script; only violations are collected, which keeps a run short)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
                           " resultTypes: ['violations']})", WCAG_AA)
    return [{"id": v["id"], "impact": v["impact"], "nodes": [node["target"] for node in v["nodes"]][:5]}
            for v in result["violations"]]


@dataclass
class Checked:
    pages: int = 0
    at_1280: list = field(default_factory=list)
    at_320: list = field(default_factory=list)
    overflowing: list = field(default_factory=list)
    not_dutch: list = field(default_factory=list)


def browser_fetch(page, base_url: str) -> Callable[[str], Answer]:
    from playwright.sync_api import Error as PlaywrightError

    def fetch(url: str) -> Answer:
        page.set_viewport_size({"width": 1280, "height": 900})
        try:
            response = page.goto(base_url + url)
        except PlaywrightError as error:
            if "Download is starting" in str(error):  # a download (CSV, JSON): fetched, not a page
                return Answer(200)
            raise
        if response is None:
            return Answer(0)
        final = urlsplit(page.url)
        final_path = final.path + (f"?{final.query}" if final.query else "")
        if response.request.redirected_from is not None and page_key(final_path) != page_key(url):
            return Answer(302, location=final_path)
        html = page.content() if response.status == 200 and "text/html" in response.headers.get(
            "content-type", "") else ""
        return Answer(response.status, html=html, allow=response.headers.get("allow", ""),
                      content_type=response.headers.get("content-type", ""))

    return fetch


def report_of_the_walk(walks: dict[str, Walk], checked: dict[str, Checked], part: int) -> None:
    """test-artifacts/role-walk-<part>.md: per role the pages reached, server errors and axe violations."""
    lines = ["| role | pages reached | checked with axe | 5xx | axe at 1280 px | axe at 320 px | overflowing at 320 px |",
             "|---|---|---|---|---|---|---|"]
    details = []
    for role, found in checked.items():
        result = walks[role]
        lines.append(f"| {role} | {len(result.pages)} | {found.pages} | {len(result.server_errors)} | "
                     f"{len(found.at_1280)} | {len(found.at_320)} | {len(found.overflowing)} |")
        details += [f"- {role}: {key} {visit.url} ({visit.status})" for key, visit in result.pages.items()]
        details += [f"- {role} at {width}: {url} {violation}" for width, problems in (
            ("1280", found.at_1280), ("320", found.at_320), ("320 (overflow)", found.overflowing))
            for url, violation in problems]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"role-walk-{part}.md").write_text("\n".join([*lines, "", *details]) + "\n")


# The browser walk of fifteen roles takes minutes: it runs in parts of four roles, one test file
# each (tests/test_role_walk_wcag_<part>.py), so that the two workers of the PostgreSQL run share it.
ROLE_PARTS = {part: ROLES[start:start + 4] for part, start in enumerate(range(0, len(ROLES), 4), start=1)}


def every_page_meets_wcag_at_1280_and_320_px(demo, api, settings, part: int) -> None:
    """The browser walk of the roles of `part`: every distinct page they reach is checked with
    axe-core at 1280 and 320 px, for reflow at 320 px and for its language."""
    roles = ROLE_PARTS[part]
    demo_with_cases(demo, api)
    # the pages without object ids (the search page, the second factor's pages, ...), found with the
    # test client before the browser starts (Django refuses the ORM beside Playwright's event loop)
    also = {role: pages_without_object_ids(demo, role) for role in roles}
    usable_passwords(settings, [demo["users"][role] for role in roles], demo["password"])
    checked: dict[str, Checked] = {}
    walks: dict[str, Walk] = {}
    with live_asgi_server() as base_url, chromium() as browser:
        for role in roles:
            context = browser.new_context(locale="en-GB", bypass_csp=True, viewport={"width": 1280, "height": 900})
            context.add_init_script(path=str(AXE))  # in every page as it loads: far cheaper than a script tag after
            page = context.new_page()
            log_in(page, base_url, demo["users"][role], demo["password"])
            found = checked[role] = Checked()

            def check(key: str, url: str, page=page, found=found) -> None:
                found.pages += 1
                if page.evaluate("document.documentElement.lang") != "nl":
                    found.not_dutch.append(url)
                found.at_1280 += [(url, violation) for violation in axe_violations_now(page)]
                found.overflowing += [(url, element) for element in overflows_at(page, 320)]
                found.at_320 += [(url, violation) for violation in axe_violations_now(page)]

            walks[role] = walk(role, "/tasks/", browser_fetch(page, base_url), on_page=check, also=also[role])
            context.close()
    report_of_the_walk(walks, checked, part)
    assert {role: walk.server_errors for role, walk in walks.items() if walk.server_errors} == {}
    assert {role: found.at_1280 for role, found in checked.items() if found.at_1280} == {}
    assert {role: found.at_320 for role, found in checked.items() if found.at_320} == {}
    assert {role: found.overflowing for role, found in checked.items() if found.overflowing} == {}
    assert {role: found.not_dutch for role, found in checked.items() if found.not_dutch} == {}
    assert all(found.pages >= 5 for found in checked.values()), {role: found.pages for role, found in checked.items()}
