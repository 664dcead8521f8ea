"""Production starts as documented and its error pages are casework's.

- `collectstatic` with production's manifest storage succeeds (viewflow's unused assets are not
  collected), and a page served with DEBUG off links its CSS and JavaScript by their hashed names,
  which whitenoise serves from STATIC_ROOT.
- The error pages are Dutch, carry the casework header and name nothing internal: 400 (a bad
  Host header), 403, 404, a refused form (CSRF) and 500, as anonymous and as every demo role; 400
  and 500 render without a request or the database, and a plain Dutch page answers when even
  they cannot render (no `collectstatic`).
- A bad Host header is logged as one line, without a traceback, by the real server.
- The Celery worker logs through Django's LOGGING and its personal-data filter: no e-mail address.

The refusals of unsafe production settings are in tests/test_settings.py.
"""

import http.client
import io
import json
import logging
import os
import re
import subprocess
import sys
import time
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from django.template import loader
from django.test import Client

from casework.http.redaction import PersonalDataFilter, scrub
from tests.browser import (
    axe_violations,
    chromium,
    live_server_with_output,
    log_in,
    overflows_at,
    usable_passwords,
)
from tests.flowkit import complete, signal
from tests.test_settings import NOT_INHERITED, PRODUCTION, ROOT, manage

ROLES = ["anonymous", "aoj", "aoj_2", "kindteam", "ect", "ect_2", "leerplicht", "mpl_chair", "doe_chair",
         "swv_director", "privacy_officer", "outsider", "mbo"]
# What viewflow's Material pages and Django's bare error pages say; none of it on casework's.
INTERNAL = ["Django", "viewflow", "Material", "Traceback", "Access Forbidden", "LOG IN AS ANOTHER USER",
            "Server Error", "Bad Request", "Not Found", "Forbidden", "CSRF", "RuntimeError"]
HASHED = re.compile(r"\.[0-9a-f]{12}\.(css|js|svg)$")


def text_of(response) -> str:
    return response.content.decode()


def assert_casework_page(body: str, heading: str, english: str) -> None:
    """Dutch, with the casework header and the heading, and nothing internal or English."""
    assert '<html lang="nl">' in body
    assert '<a class="brand" href="/">casework</a>' in body or '<a class="brand" href="/tasks/">casework</a>' in body
    assert f"<h1>{heading}</h1>" in body
    assert english not in body
    for word in INTERNAL:
        assert word not in body, f"{word!r} on the page"


def signed_in(client, u, role: str) -> Client:
    if role != "anonymous":
        client.force_login(u[role])
    return client


# --- collectstatic and the hashed files --------------------------------------------------------

@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """`collectstatic` as the Procfile's release step runs it, in production mode, into a
    temporary STATIC_ROOT; and production's static settings, as production reads them."""
    root = tmp_path_factory.mktemp("staticfiles")
    done = manage("collectstatic", "--noinput", **PRODUCTION, STATIC_ROOT=str(root))
    assert done.returncode == 0, done.stderr[-3000:]
    script = ("import json; from django.conf import settings as s; print(json.dumps({'storage': "
              "s.STORAGES['staticfiles'], 'root': str(s.STATIC_ROOT), 'finders': s.WHITENOISE_USE_FINDERS}))")
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    probe = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                           env={**env, **PRODUCTION, "STATIC_ROOT": str(root),
                                "DJANGO_SETTINGS_MODULE": "casework.settings"})
    assert probe.returncode == 0, probe.stderr
    return root, json.loads(probe.stdout)


@pytest.fixture
def served_from_static_root(collected, settings):
    """This process's settings as production's: DEBUG off, the manifest storage, whitenoise serving
    STATIC_ROOT (not the finders). The test client builds its middleware at its first request."""
    root, production = collected
    assert production == {"storage": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
                          "root": str(root), "finders": False}
    settings.DEBUG = False
    settings.STATIC_ROOT = root
    settings.STORAGES = {**settings.STORAGES, "staticfiles": production["storage"]}
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    return root


def test_collectstatic_succeeds_in_production_without_viewflows_assets(collected):
    root, _production = collected
    manifest = json.loads((root / "staticfiles.json").read_text())["paths"]
    assert "css/casework.css" in manifest and "js/forms.js" in manifest and "admin/css/base.css" in manifest
    assert not [name for name in manifest if name.startswith("viewflow/")]
    assert not (root / "viewflow").exists()
    assert (root / manifest["css/casework.css"]).exists()
    assert (root / (manifest["css/casework.css"] + ".gz")).exists()  # compressed beside it


@pytest.mark.parametrize("role", ["anonymous", "aoj", "privacy_officer"])
def test_pages_link_the_hashed_files_and_whitenoise_serves_them(served_from_static_root, client, u, role):
    root = served_from_static_root
    manifest = json.loads((root / "staticfiles.json").read_text())["paths"]
    page = signed_in(client, u, role).get({"anonymous": "/login/", "aoj": "/tasks/"}.get(role, "/notifications/"))
    assert page.status_code == 200
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', text_of(page))
    expected = {"css/casework.css", "favicon.svg", "js/forms.js", "js/drafts.js"}
    if role != "anonymous":
        expected |= {"js/session.js", "js/notifications.js"}
    assert {manifest[name] for name in expected} <= {url.removeprefix("/static/") for url in assets}
    for url in assets:
        name = url.removeprefix("/static/")
        assert HASHED.search(name), f"{url} is not a hashed name"
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"".join(response.streaming_content) == (root / name).read_bytes()
        assert "immutable" in response["Cache-Control"]  # a hashed name never changes its content
        response.close()
    compressed = client.get(f"/static/{manifest['css/casework.css']}", HTTP_ACCEPT_ENCODING="gzip")
    assert compressed.status_code == 200 and compressed["Content-Encoding"] == "gzip"
    compressed.close()


# --- the error pages ---------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_404_page(client, u, settings, role):
    settings.DEBUG = False
    response = signed_in(client, u, role).get("/bestaat-niet/")
    assert response.status_code == 404
    body = text_of(response)
    assert_casework_page(body, "Niet gevonden", "Not found")
    assert "Deze pagina bestaat niet, of u heeft er geen toegang toe." in body
    assert ('aria-label="Hoofdmenu"' in body) is (role != "anonymous")


@pytest.fixture
def escalated_case(api, demo, u):
    """A VO case on the escalation ladder: its AOJ-team and the MPL commission see it."""
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {"plan": "Plek zoeken", "routes": ["doorbraak"]})
    return case


@pytest.mark.parametrize(("role", "path"), [
    ("aoj_2", "/cases/{pk}/access-log/"),  # a member, not the coordinator: who looked at the file
    ("mpl_chair", "/cases/{pk}/access-log/"),
    ("mpl_chair", "/cases/{pk}/links/new/"),  # the commission sends no personal links
])
def test_403_page(client, u, settings, escalated_case, role, path):
    settings.DEBUG = False
    response = signed_in(client, u, role).get(path.format(pk=escalated_case.pk))
    assert response.status_code == 403
    body = text_of(response)
    assert_casework_page(body, "Geen toegang", "No access")
    assert "U mag deze pagina niet openen of deze stap niet zetten." in body
    assert 'aria-label="Hoofdmenu"' in body  # the signed-in user keeps the menu
    assert "Alleen een coördinator" not in body  # the service's reason is not shown


@pytest.mark.parametrize("role", ROLES)
def test_csrf_failure_page(u, settings, role):
    settings.DEBUG = False
    client = signed_in(Client(enforce_csrf_checks=True), u, role)
    if role == "anonymous":
        response = client.post("/login/", {"username": "aoj", "password": "wrong"})
    else:
        response = client.post("/logout/")
    assert response.status_code == 403
    body = text_of(response)
    assert_casework_page(body, "Het formulier is verlopen", "The form has expired")
    assert "Ga terug, laad de pagina opnieuw" in body
    if role == "anonymous":
        assert '<a href="/login/">Inloggen</a>' in body and 'aria-label="Hoofdmenu"' not in body
    else:
        assert 'aria-label="Hoofdmenu"' in body and "Terug naar mijn taken" in body
        assert client.get("/notifications/").status_code == 200  # still signed in: nothing was done


@pytest.mark.urls("tests.error_urls")
@pytest.mark.parametrize("role", ROLES)
def test_500_page(client, u, settings, role):
    settings.DEBUG = False
    client = signed_in(client, u, role)
    client.raise_request_exception = False
    response = client.get("/test-fails/")
    assert response.status_code == 500
    body = text_of(response)
    assert_casework_page(body, "Er is iets misgegaan", "Something went wrong")
    assert "De fout is vastgelegd." in body
    assert 'aria-label="Hoofdmenu"' not in body and "<form" not in body  # nothing of the request
    assert re.search(r'href="/static/css/casework\.css"', body)


@pytest.mark.urls("tests.error_urls")
def test_the_apis_500_and_400_are_json(api, u):
    client = api(u["aoj"])
    client.raise_request_exception = False
    legacy = client.get("/api/test-fails/")
    assert legacy.status_code == 500 and legacy.json() == {"detail": "Er is iets misgegaan"}
    v1 = client.get("/api/v1/test-fails/")
    assert v1.status_code == 500 and v1["Content-Type"].startswith("application/problem+json")
    assert v1.json()["status"] == 500
    bad_host = client.get("/api/cases/", HTTP_HOST="evil.example")
    assert bad_host.status_code == 400 and bad_host.json() == {"detail": "Ongeldig verzoek"}


def test_400_and_500_render_without_request_or_database():
    """No `db` fixture: a query would fail the test."""
    for name, heading, english in (("500.html", "Er is iets misgegaan", "Something went wrong"),
                                   ("400.html", "Ongeldig verzoek", "Bad request")):
        assert_casework_page(loader.render_to_string(name), heading, english)


@pytest.mark.urls("tests.error_urls")
def test_without_collectstatic_every_page_is_the_plain_dutch_500(client, settings, tmp_path):
    """Production's manifest storage with an empty STATIC_ROOT (collectstatic never ran): even the
    500 page cannot link its stylesheet, so the plain Dutch page answers, not the server's own."""
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
    client.raise_request_exception = False
    for path in ("/login/", "/test-fails/"):
        response = client.get(path)
        assert response.status_code == 500
        body = text_of(response)
        assert '<html lang="nl">' in body and "<h1>Er is iets misgegaan</h1>" in body
        assert "casework" in body and "stylesheet" not in body
        for word in INTERNAL:
            assert word not in body


@pytest.mark.parametrize("role", ["anonymous", "aoj"])
def test_400_page_for_a_host_this_instance_does_not_serve(client, u, settings, role):
    settings.DEBUG = False
    response = signed_in(client, u, role).get("/tasks/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    body = text_of(response)
    assert_casework_page(body, "Ongeldig verzoek", "Bad request")
    assert "evil.example" not in body


@contextmanager
def console_log():
    """What the project's console handler (LOGGING: the filtered root handler) writes meanwhile."""
    handler = next(h for h in logging.getLogger().handlers
                   if any(isinstance(f, PersonalDataFilter) for f in h.filters))
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


def test_a_bad_host_is_one_log_line(client, settings):
    settings.DEBUG = False
    with console_log() as log:
        assert client.get("/tasks/", HTTP_HOST="evil.example").status_code == 400
    lines = log.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert "ERROR django.security.DisallowedHost Invalid HTTP_HOST header: 'evil.example'." in lines[0]


@pytest.mark.django_db
def test_the_server_logs_a_bad_host_as_one_line(tmp_path):
    """The real server (bin/serve, DEBUG off): one line for the refusal (besides the access log's
    line for the request), no traceback."""
    with live_server_with_output(tmp_path, DEBUG="false") as (base, output):
        address = urlsplit(base)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=20)
        connection.request("GET", "/tasks/", headers={"Host": "evil.example"})
        response = connection.getresponse()
        body = response.read().decode()
        connection.close()
        assert response.status == 400
        assert "<h1>Ongeldig verzoek</h1>" in body
        deadline = time.monotonic() + 20
        while not ('"GET /tasks/" 400' in output.text() and "HTTP_HOST" in output.text()):
            assert time.monotonic() < deadline, output.text()
            time.sleep(0.05)
        text = output.text()
    assert "Traceback" not in text
    refusals = [line for line in text.splitlines() if "HTTP_HOST" in line]
    assert len(refusals) == 1, refusals
    assert "django.security.DisallowedHost" in refusals[0]


# --- logs: no e-mail address, also from Celery --------------------------------------------------

def test_the_filter_masks_email_addresses():
    record = logging.LogRecord("notifications.tasks", logging.WARNING, __file__, 1,
                               "mail to %s failed; cc %s", ("ouder.van.sem@voorbeeld.nl", "A.Mentor+x@school.example.org"),
                               None)
    PersonalDataFilter().filter(record)
    assert record.getMessage() == "mail to [email] failed; cc [email]"
    assert scrub({"return_value": "sent to jan@casework.invalid"}) == {"return_value": "sent to [email]"}
    assert scrub("GET /users/jan%40school.nl/") == "GET /users/[email]/"
    try:
        raise ValueError("no mailbox for lotte@voorbeeld.nl")
    except ValueError:
        failed = logging.LogRecord("celery.app.trace", logging.ERROR, __file__, 1, "Task failed", (), sys.exc_info())
    PersonalDataFilter().filter(failed)
    assert "lotte@voorbeeld.nl" not in failed.exc_text and "no mailbox for [email]" in failed.exc_text


CELERY_LOGS = """
import logging, sys
import django
django.setup()  # what the worker does first (Celery's Django fix-up), which applies LOGGING
from celery.utils.log import get_task_logger
from casework.celery import app
app.log.setup(loglevel="INFO", redirect_stdouts=True)  # what the worker does next (Worker.setup_logging)
get_task_logger("notifications.tasks").warning("e-mail to %s failed", "ouder@voorbeeld.nl")
logging.getLogger("celery.app.trace").info(
    "Task %(name)s[%(id)s] succeeded in %(runtime)ss: %(return_value)s",
    {"name": "notifications.email_unread", "id": "1", "runtime": 0.1, "return_value": "mpl_chair@casework.invalid"})
"""


def test_celery_logs_through_djangos_logging_without_email_addresses():
    """The worker's set-up keeps Django's LOGGING (casework.celery's setup_logging receiver):
    its task loggers write through the personal-data filter, in the project's format."""
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    done = subprocess.run([sys.executable, "-c", CELERY_LOGS], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**env, "DJANGO_SETTINGS_MODULE": "casework.settings", "LOG_LEVEL": "INFO"})
    assert done.returncode == 0, done.stderr
    assert "voorbeeld.nl" not in done.stderr and "casework.invalid" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if "notifications.tasks" in line or "celery.app.trace" in line]
    assert len(lines) == 2, done.stderr
    assert lines[0].endswith(" WARNING notifications.tasks e-mail to [email] failed")
    assert lines[1].endswith(" succeeded in 0.1s: [email]") and " INFO celery.app.trace Task " in lines[1]
    # Django's format: the time with its zone's name (CET or CEST), not Celery's "[time: LEVEL/Process]"
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d CES?T ", lines[0]), lines[0]


# --- the error pages in a browser: WCAG 2.1 AA and reflow at 320 px ----------------------------

def check_page(page, url: str | None, status: int) -> None:
    """Open `url` (or take the page as it is) and hold it to the house rules for pages."""
    page.set_viewport_size({"width": 1280, "height": 900})
    if url is not None:
        response = page.goto(url)
        assert response.status == status, (url, response.status)
    assert page.evaluate("document.documentElement.lang") == "nl"
    assert page.locator("header .brand").inner_text() == "casework"
    violations = axe_violations(page)
    assert violations == [], (url, violations)
    assert overflows_at(page, 320) == [], url


def answer(status: int, html: str):
    """A Playwright route handler that answers with this page."""
    def fulfil(route):
        route.fulfill(status=status, body=html, content_type="text/html; charset=utf-8")
    return fulfil


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_error_pages_meet_wcag_and_reflow(api, demo, u, settings, escalated_case, tmp_path):
    usable_passwords(settings, ["aoj_2"], demo["password"])
    standalone = {"400": loader.render_to_string("400.html"), "500": loader.render_to_string("500.html")}
    with live_server_with_output(tmp_path, DEBUG="false") as (base, _output), chromium() as browser:
        context = browser.new_context(locale="en-GB", bypass_csp=True)  # Dutch whatever the browser says
        page = context.new_page()
        # 400 and 500 as the handlers render them (no request), at the server's origin with its CSS
        for status, html in standalone.items():
            page.route(f"{base}/error-{status}/", answer(int(status), html))
            check_page(page, f"{base}/error-{status}/", int(status))
        check_page(page, f"{base}/bestaat-niet/", 404)
        # a refused form, anonymous: the login form sent without its CSRF cookie
        page.goto(f"{base}/login/")
        context.clear_cookies(name="csrftoken")
        page.fill("#id_username", "aoj_2")
        page.fill("#id_password", demo["password"])
        with page.expect_response(f"{base}/login/") as refused:
            page.click("button[type=submit]")
        assert refused.value.status == 403
        check_page(page, None, 403)
        assert page.locator("h1").inner_text() == "Het formulier is verlopen"
        log_in(page, base, "aoj_2", demo["password"])
        check_page(page, f"{base}/bestaat-niet/", 404)
        check_page(page, f"{base}/cases/{escalated_case.pk}/access-log/", 403)
        # a refused form, signed in: logging out without the CSRF cookie
        page.goto(f"{base}/tasks/")
        context.clear_cookies(name="csrftoken")
        with page.expect_response(f"{base}/logout/") as refused:
            page.click("form[action='/logout/'] button[type=submit]")
        assert refused.value.status == 403
        check_page(page, None, 403)
        assert page.locator("nav[aria-label=Hoofdmenu]").is_visible()
