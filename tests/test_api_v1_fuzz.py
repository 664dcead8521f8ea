"""Schemathesis against /api/v1/openapi.json as a school's AOJ-team member (on PostgreSQL also as
an ECT consultant and as a connected system with every scope): every operation with
schemathesis' response checks (no server error, documented status codes, content types, headers
and schemas). The deprecated paths' document gets every check in tests/test_api_fuzz.py; this
one proves that version 1's rewritten document (problem+json errors, API-Version, the typed
payloads and monitor answers) says what the API answers."""

import json

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from signin.tokens import issue_token
from tests.apiclient import keep_test_connection
from tests.flowkit import api_client, complete, signal, users
from tests.systemkit import connect, token_of
from tests.test_seed_demo import committed_for_the_module, seed

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much]


def build() -> dict:
    """The demo's reference data, a case the team reviewed, the members' API tokens and a
    connected system of the case's region with every scope (its short-lived token is asked for
    per test)."""
    demo = json.loads(seed("--json", "--no-cases"))
    u = users(demo)
    case = signal(api_client, u["aoj"], demo["schools"]["vo"])
    complete(api_client, u["aoj"], case, "team_review", {"plan": "P", "ect_question_kind": "handelingsadvies", "routes": ["jim", "ect_consult"]})
    return {"tokens": {role: issue_token(u[role])[1] for role in ("aoj", "ect")}, "system": connect()}


# On PostgreSQL (the production set-up) as two roles and as a connected system; on SQLite as the
# AOJ-team member only (the same document and code: the run's time goes where it finds most).
ROLES = ["aoj", "ect", "system"] if "postgresql" in django_settings.DATABASES["default"]["ENGINE"] else ["aoj"]


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    """What `build` makes, committed once for the module; each test runs in its own transaction on
    top of it (rolled back), and the module flushes the database at its end."""
    yield from committed_for_the_module(django_db_blocker, build)


# A parametrized fixture (one role) on purpose: schemathesis (4.x) gives each operation's test its
# own node id ("...[GET /api/v1/cases][aoj]") only for a parametrized test; without it all 39 carry
# the same id, and pytest-xdist, which schedules by id, ran one of them.
@pytest.fixture(params=ROLES)
def authorization(request, built, db):
    if request.param == "system":
        return f"Bearer {token_of(built['system'])}"
    return f"Token {built['tokens'][request.param]}"


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=4, deadline=None, derandomize=True, suppress_health_check=HEALTH)
def test_v1_answers_as_its_document_says(case, authorization):
    headers = {"Authorization": authorization}
    with keep_test_connection():
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)
