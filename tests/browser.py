"""A live ASGI server (daphne, in its own process, on the test database) and a headless Debian
Chromium driven by Playwright, for the browser tests."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    return f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


def _server_env(**extra) -> dict:
    return {**os.environ, "DATABASE_URL": database_url(), "ALLOWED_HOSTS": "127.0.0.1",
            "CASEWORK_THROTTLE_USER": "100000/min", "CASEWORK_THROTTLE_ANON": "100000/min",
            "DJANGO_SETTINGS_MODULE": "casework.settings",
            # Celery in the server's process, as the suite runs it (conftest): with REDIS_URL no
            # worker consumes the broker, and the outbox's fan-out (the pushes) would never run
            "CASEWORK_CELERY_EAGER": "1", **extra}


@contextmanager
def _serving(command: list[str], port: int, env: dict, stdout, stderr):
    """Runs `command` (a server on `port`) until the block ends; yields its process."""
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=stdout, stderr=stderr, text=True)
    try:
        for _ in range(400):  # up to 20 s on a loaded machine
            try:
                socket.create_connection(("127.0.0.1", port), timeout=10).close()
                break
            except OSError:
                if server.poll() is not None:
                    output = server.stderr.read() if server.stderr else ""
                    raise RuntimeError(f"the server exited ({server.returncode}): {output}") from None
                time.sleep(0.05)
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


@contextmanager
def live_asgi_server():
    """daphne serving casework on a free loopback port against the test database."""
    port = free_port()
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "casework.asgi:application"]
    with _serving(command, port, _server_env(), subprocess.DEVNULL, subprocess.PIPE):
        yield f"http://127.0.0.1:{port}"


class ServerOutput:
    """What a live server wrote to stdout and stderr (files, read whenever asked)."""

    def __init__(self, directory: Path):
        self.stdout_path, self.stderr_path = directory / "stdout.log", directory / "stderr.log"

    def text(self) -> str:
        return self.stdout_path.read_text(errors="replace") + self.stderr_path.read_text(errors="replace")


@contextmanager
def live_server_with_output(directory: Path, **env):
    """The server as `make run` and the Procfile start it (bin/serve: uvicorn with the access log
    through logging), on the test database, its stdout and stderr captured in `directory`.
    Yields (base_url, ServerOutput). `env` adds environment variables (e.g. DEBUG)."""
    port = free_port()
    output = ServerOutput(directory)
    command = [sys.executable, str(ROOT / "bin" / "serve"), "-b", "127.0.0.1", "-p", str(port),
               "casework.asgi:application"]
    with output.stdout_path.open("w") as stdout, output.stderr_path.open("w") as stderr, \
            _serving(command, port, _server_env(**env), stdout, stderr):
        yield f"http://127.0.0.1:{port}", output


@contextmanager
def chromium():
    """Headless Debian Chromium (never a downloaded browser build)."""
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: install Debian's chromium (make test does)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-background-networking",
                                                   "--disable-gpu", "--no-first-run"])
        try:
            yield browser
        finally:
            browser.close()


def usable_passwords(settings, usernames, password: str) -> None:
    """The tests hash passwords with MD5 for speed; the live server knows only the real hashers."""
    from teams.models import User

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    for user in User.objects.filter(username__in=usernames):
        user.set_password(password)
        user.save(update_fields=["password"])


def totp_secret_for(username: str) -> str:
    """The test harness's authenticator app for `username`: a confirmed TOTP device (made when
    missing; its last-used step forgotten, so a second sign-in within 30 s is no replay). Returns the
    base32 secret. Tests of signing in itself enrol through the pages instead. Runs in a thread of its
    own (with its own connection): Playwright's event loop runs in this one, where Django refuses
    the ORM."""
    # Models where they are used, as in usable_passwords: this module imports no app at its top.
    from concurrent.futures import ThreadPoolExecutor

    from django_otp.plugins.otp_totp.models import TOTPDevice

    from signin.views import base32_secret
    from teams.models import User

    def run() -> str:
        try:
            user = User.objects.get(username=username)
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is None:
                device = TOTPDevice.objects.create(user=user, name="test app", confirmed=True)
            TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0,
                                                           throttling_failure_timestamp=None)
            return base32_secret(device)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def totp_code(secret: str) -> str:
    import pyotp  # only the browser tests need it (a dev dependency)

    return pyotp.TOTP(secret).now()


def second_factor(page, base_url: str, username: str) -> None:
    """On the verify page after the password: type the code the user's app shows now."""
    secret = totp_secret_for(username)
    page.wait_for_url(f"{base_url}/signin/verify/**")
    page.fill("#id_code", totp_code(secret))
    page.click("#verify-form button[type=submit]")


def log_in(page, base_url: str, username: str, password: str) -> None:
    """Password, then the second factor with the code the user's app shows (totp_secret_for)."""
    totp_secret_for(username)  # the user has an app before signing in (the verify page, not enrolment)
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    second_factor(page, base_url, username)
    page.wait_for_url(f"{base_url}/tasks/")


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page) -> list[dict]:
    """The WCAG 2.1 A/AA violations axe-core finds on the page as it is now (the context must be
    opened with `bypass_csp=True`: the page's CSP rightly refuses the injected script)."""
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: run `npm ci` (make test does)")
    if not page.evaluate("typeof window.axe !== 'undefined'"):  # once per page load
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
                           " resultTypes: ['violations']})", WCAG_AA)
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [node["target"] for node in v["nodes"]][:5]} for v in result["violations"]]


def overflows_at(page, width: int = 320) -> list[str]:
    """The elements that stick out of a `width` px viewport (WCAG 1.4.10 reflow: none at 320 px);
    empty when the page reflows. A wide table may scroll inside itself (`table.list` does)."""
    page.set_viewport_size({"width": width, "height": 900})
    return page.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        if (document.documentElement.scrollWidth <= width) return [];
        const clipped = el => {
            for (let up = el.parentElement; up; up = up.parentElement) {
                if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(up).overflowX)) return true;
            }
            return false;
        };
        return [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > width + 1 && !clipped(el))
            .map(el => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${el.className}`).slice(0, 10);
    }""")


# --- a journey: one user's clicks, fields and page loads -------------------------------------------

WAIT = 20000  # ms: the polling limit for anything the browser or the server does


@dataclass
class Walker:
    """One user in a browser page of their own, on a journey: counts what they do while `counting`
    (clicks: buttons, links, ticked boxes and radio buttons, a select as 2: open, choose; fields
    typed; page loads: main-frame navigations)."""

    role: str
    page: object
    clicks: int = 0
    typed: int = 0
    loads: int = 0
    counting: bool = False

    def watch(self):
        def navigated(frame):
            if self.counting and frame == self.page.main_frame:
                self.loads += 1

        self.page.on("framenavigated", navigated)

    def open_app(self, base_url: str):
        """A turn starts with opening casework (the landing view of Tasks): one page load."""
        self.counting = True
        self.page.goto(f"{base_url}/tasks/")

    def click(self, selector: str):
        self.clicks += self.counting
        self.page.click(selector)

    def check(self, selector: str):
        self.clicks += self.counting
        self.page.check(selector)

    def select(self, selector: str, value: str):
        self.clicks += 2 * self.counting  # open the list, choose
        self.page.select_option(selector, value)

    def fill(self, selector: str, text: str):
        self.typed += self.counting
        self.page.fill(selector, text)


def row(task_id: int) -> str:
    """The task's row in an inbox list."""
    return f"#inbox-list [data-task-id='{task_id}']"


def find_in_inbox(walker: Walker, task_id: int, *tabs: str) -> str:
    """The task's row in the current inbox list, else in the first of `tabs` (e.g. "queue") that
    has it, reached through the navigation and the tabs; returns the list where it was found."""
    page = walker.page
    if not urlsplit(page.url).path.startswith("/tasks/"):
        walker.click("header nav a[href='/tasks/']")
        page.wait_for_url(re.compile(r"/tasks/"), timeout=WAIT)
    page.wait_for_selector("main h1", timeout=WAIT)
    if page.query_selector(row(task_id)):
        return "landing"
    for tab in tabs:
        walker.click(f"nav.tabs a[href='/tasks/{tab}/']")
        page.wait_for_url(re.compile(rf"/tasks/{tab}/"), timeout=WAIT)
        if page.query_selector(row(task_id)):
            return tab
    raise AssertionError(f"task {task_id} is not in the {walker.role}'s lists ({page.url})")
