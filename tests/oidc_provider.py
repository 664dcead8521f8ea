"""A real OpenID Connect provider on loopback for the single sign-on tests: the npm package
`oidc-provider` run with Node (tests/oidc/provider.mjs; `npm ci` installs it, make test does), and
a scripted user of its sign-in page (requests), for the tests that do not drive a browser."""

import json
import shutil
import subprocess
import time
from contextlib import contextmanager
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

from tests.browser import ROOT, free_port

SCRIPT = ROOT / "tests" / "oidc" / "provider.mjs"
PACKAGE = ROOT / "node_modules" / "oidc-provider" / "package.json"
SECRET_ENV = "CASEWORK_SSO_TEST_SECRET"
SECRET = "synthetic-test-secret-not-for-production"


def client(client_id: str, callbacks: list[str], logged_out: list[str], **behaviour) -> dict:
    """One client of the provider: `amr`/`acr` its sign-ins assert, `tamper` ("payload",
    "foreign-key") what happens to its ID tokens."""
    return {"client_id": client_id, "client_secret": SECRET, "redirect_uris": callbacks,
            "post_logout_redirect_uris": logged_out, **behaviour}


@contextmanager
def oidc_provider(clients: list[dict], unverified: tuple[str, ...] = ()):
    """Runs the provider until the block ends; yields its issuer (http://127.0.0.1:<port>)."""
    if not shutil.which("node"):
        raise RuntimeError("node is missing: the SSO tests run the npm oidc-provider with Node")
    if not PACKAGE.exists():
        raise RuntimeError(f"{PACKAGE} is missing: run `npm ci` (make test does)")
    port = free_port()
    config = {"port": port, "clients": clients, "unverified": list(unverified)}
    process = subprocess.Popen(["node", str(SCRIPT), json.dumps(config)], cwd=ROOT,  # noqa: S607
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30  # generous: a loaded machine starts Node slowly
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the OIDC provider exited ({process.returncode}): {process.stderr.read()}")
            try:
                if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=5).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the OIDC provider did not answer within 30 s")
            time.sleep(0.05)
        yield issuer
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def sign_in_at_provider(browser: requests.Session, authorization_url: str, email: str) -> str:
    """A person at the provider: opens the authorization request, types `email` on its sign-in
    page (when it asks), and is sent back. Returns the callback address the provider redirects to
    (casework's, with code and state)."""
    issuer = "{0.scheme}://{0.netloc}".format(urlsplit(authorization_url))
    url, typed = authorization_url, False
    for _ in range(10):
        response = browser.get(url, allow_redirects=False, timeout=10)
        if response.status_code in (302, 303):
            url = urljoin(url, response.headers["Location"])
            if not url.startswith(issuer):
                return url
            continue
        if response.status_code == 200 and "/interaction/" in url and not typed:
            response = browser.post(f"{url}/login", data={"login": email}, allow_redirects=False, timeout=10)
            typed = True
            url = urljoin(url, response.headers["Location"])
            continue
        raise AssertionError(f"unexpected answer from the provider at {url}: {response.status_code} "
                             f"{response.text[:300]}")
    raise AssertionError("too many redirects at the provider")


def end_session_at_provider(browser: requests.Session, end_session_url: str) -> str:
    """A person at the provider's logout page (RP-initiated logout): confirms signing out there.
    Returns where the provider sends the browser afterwards (the post_logout_redirect_uri)."""
    response = browser.get(end_session_url, allow_redirects=False, timeout=10)
    assert response.status_code == 200, response.text[:300]
    # The provider's own confirmation form: <form id="op.logoutForm" method="post" action="..."><input name="xsrf" ...>
    page = response.text
    action = page.split('action="', 1)[1].split('"', 1)[0]
    xsrf = page.split('name="xsrf" value="', 1)[1].split('"', 1)[0]
    response = browser.post(urljoin(end_session_url, action), data={"xsrf": xsrf, "logout": "yes"},
                            allow_redirects=False, timeout=10)
    assert response.status_code in (302, 303), response.text[:300]
    return response.headers["Location"]


def query(url: str) -> dict:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
