"""Acceptance of two factors: no page that shows a child's data is reachable with a password alone
when two factors are required. The test walks EVERY URL pattern of the project (the admin's and
the API's included), GET and POST, as a case-team member who signed in with the password only
(through the login page, marked `real_second_factor`: no test-client shortcut). Each answer is a
redirect to the second factor (pages, admin), a 403 (session-authenticated API) or one of the
few open pages (sign-in, the factor pages, the language switch, the public signal form and a
parent's personal link, which are public anyway); none shows the child's name or case number.
A password alone never yields an API token either."""

import re

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.models import AccessLog
from signin.middleware import is_open
from tests.factories import PASSWORD, CaseFactory

pytestmark = [pytest.mark.django_db, pytest.mark.real_second_factor]


def all_routes(patterns=None, prefix="/"):
    """Every URL pattern as a string (route syntax or regex), with its name."""
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from all_routes(pattern.url_patterns, prefix + str(pattern.pattern).lstrip("^"))
        else:
            yield prefix + str(pattern.pattern).lstrip("^"), pattern.name


def concrete(route: str, case) -> str:
    """A real URL for a pattern: ids of the member's case (and child), or 1 for anything else."""
    ids = {"case_id": case.pk, "child_id": case.child_id, "pk": case.pk, "object_id": 1}
    route = re.sub(r"\(\?P<format>[^)]*\)", "json", route)
    route = re.sub(r"\(\?P<app_label>([a-z_]+)[^)]*\)", r"\1", route)
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(ids.get(m.group(1), 1)), route)
    route = re.sub(r"<(?:(?:int|str|path|slug):)?(\w+)>", lambda m: str(ids.get(m.group(1), 1)), route)
    route = route.replace("\\.", ".").replace("/?", "/").replace("$", "").replace("\\Z", "")
    route = re.sub(r"/\^", "/", route)
    assert not re.search(r"[<>()^\\?*]", route), f"cannot make a URL of {route!r}"
    return route


def test_every_url_pattern_with_the_password_alone(member, vo_school, api):
    # a name no page shows by chance (a random first name can be the signed-in member's own, which
    # every page's header shows)
    case = CaseFactory(school=vo_school, child__given_name="Zephyrine", child__family_name="Geheimhouden")
    TOTPDevice.objects.create(user=member, name="app", confirmed=True)
    client = Client()
    assert client.post("/login/", {"username": "member", "password": PASSWORD}).status_code == 302
    child = case.child
    secrets = {child.given_name, child.family_name}

    # signing out last (a POST to /logout/ ends the session the walk is about)
    routes = sorted(set(all_routes()), key=lambda route: (route[0] == "/logout/", route))
    assert len(routes) > 200  # the pages, the API, the admin: all of them
    walked, open_pages = 0, []
    for route, name in routes:
        url = concrete(route, case)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            walked += 1
            body = b"".join(response) if response.streaming else response.content
            text = body.decode(errors="replace")
            for secret in secrets:
                assert secret not in text, f"{method.upper()} {url} ({name}) shows the child's data"
            if is_open(url):
                open_pages.append(url)
                continue
            if url.startswith("/api/"):
                assert response.status_code == 403, f"{method.upper()} {url} ({name}): {response.status_code}"
            else:
                assert response.status_code == 302, f"{method.upper()} {url} ({name}): {response.status_code}"
                assert response["Location"].startswith("/signin/verify/?next="), (url, response["Location"])
    assert walked >= 2 * len(routes)
    # The open pages are only these: signing in and out, the factor pages, the language switch, the
    # public signal form, a parent's link and the satisfaction survey.
    assert {re.sub(r"/.*", "", url[1:]) for url in open_pages} <= {
        "login", "logout", "signin", "i18n", "favicon.ico", "session", "melden", "inzage", "tevredenheid"}
    # nothing of the child was read: no case read in the access log
    assert not AccessLog.objects.filter(case=case).exists()
    assert not AccessLog.objects.filter(user=member, action__in=["view", "api_view", "list_view"]).exists()

    # A password alone never yields an API token.
    token = api().post("/api/auth/token/", {"username": "member", "password": PASSWORD}, format="json")
    assert token.status_code == 400 and "otp" in token.json() and "token" not in token.json()
