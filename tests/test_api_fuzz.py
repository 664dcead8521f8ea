"""Schemathesis against the OpenAPI schema of the whole API, as two roles (a school's AOJ-team
member and Leerplicht), on whichever database the suite runs: every operation with all of
schemathesis' checks (no server error, documented status codes, content types, headers and
schemas, authentication not ignored, schema-valid requests accepted and schema-violating ones
refused, ...) and stateful sequences along the links it infers (a created case's id used by the
next operations). Zero server errors, zero schema violations.

The schema says every shape the API accepts. What it cannot say are the rules that depend on rows
and on the day: whether a referenced colleague, school or note exists, a child's age on its first
day out of school, a date not in the future or a period whose start is not after its end, the
allowed changes of registration. A schema-valid request that such a rule refuses is answered 400
with the field errors; RULES lists, per operation, the fields such a 400 may name (anything else
is a gap in the schema and fails, as schemathesis' own check does everywhere else).
"""


import json

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from signin.tokens import issue_token
from tests.apiclient import keep_test_connection
from tests.flowkit import api_client, complete, signal, users
from tests.test_seed_demo import committed_for_the_module, seed

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
# The five response checks over generated data: without schemathesis' coverage phase (the boundary
# values, every documented value, the negative probes), whose cases test_api_passes_all_checks
# sends with every check, a superset of these five.
generated = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
generated.config.phases.coverage.enabled = False
ROLES = ["aoj", "leerplicht"]
EXAMPLES = 8  # per operation and role with the five response checks
ALL_CHECKS_EXAMPLES = 3  # per operation and role with every check (each may send extra probes)
STEPS = 6  # calls per stateful sequence
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much]
# Per operation: the fields whose rules go beyond what a schema can say (see the module's docstring).
RULES = {
    # the child's age on its first day out of school; lrv from day 29 out, dates not in the future;
    # a school that exists (or, without one, a region and a sector); vrij needs the exemption's ground and end;
    # a startkwalificatie needs its date, after the first day out of school and not in the future;
    # names without control or invisible characters
    "POST /api/cases/": {"birth_date", "absent_since", "school", "region", "sector", "registration",
                         "vrijstelling_grounds", "vrijstelling_until", "startkwalificatie", "startkwalificatie_on",
                         "given_name", "family_name"},
    # the allowed changes of registration, from a date not in the future and not before the case's facts
    "POST /api/cases/{id}/registration/": {"registration", "since", "school"},
    "POST /api/cases/{id}/participation/": {"level", "since", "setting"},
    "POST /api/cases/{id}/startkwalificatie/": {"obtained_on", "non_field_errors"},
    "POST /api/cases/{id}/vrijstelling/end/": {"last_day", "non_field_errors"},
    # a colleague who exists (and is needed to assign)
    "POST /api/tasks/bulk/": {"assignee"},
    # a date after today
    "POST /api/tasks/{id}/follow-up/": {"follow_up_on"},
    # the period: not in the future, from 1990 to 2200, its start not after its end
    "GET /api/monitor/": {"peildatum", "since"},
    # a quarter that has started (one that has not ended is reported up to today)
    "GET /api/monitor/quarter/": {"quarter"},
}


def build() -> dict:
    """The demo's reference data, a few cases in several states, and an API token per role."""
    demo = json.loads(seed("--json", "--no-cases"))
    u = users(demo)
    first = signal(api_client, u["aoj"], demo["schools"]["vo"])
    complete(api_client, u["aoj"], first, "team_review", {"plan": "P", "ect_question_kind": "handelingsadvies", "routes": ["jim", "ect_consult"]})
    signal(api_client, u["aoj"], demo["schools"]["vo"], given_name="Tweede")
    return {"demo": demo, "tokens": {role: issue_token(u[role])[1] for role in ROLES}}


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    """What `build` makes, committed once for the module; each test runs in its own transaction on
    top of it (rolled back), and the module flushes the database at its end."""
    yield from committed_for_the_module(django_db_blocker, build)


@pytest.fixture(params=ROLES)
def token(request, built, db):
    return built["tokens"][request.param]


@pytest.mark.django_db
@generated.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=HEALTH)
def test_api_conforms_to_its_schema(case, token):
    headers = {"Authorization": f"Token {token}"}
    with keep_test_connection():
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)


def refused_by_a_rule(ctx, response, case):
    """A schema-valid request of an operation in RULES: a 400 names only fields with such rules."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 400:
        return None
    named = set(response.json())
    allowed = RULES[case.operation.label]
    assert named <= allowed, (f"{case.operation.label}: a schema-valid request refused for {sorted(named - allowed)}, "
                              f"which the schema should describe: {response.text[:500]}")
    return None


def all_checks(case) -> dict:
    """Every check schemathesis has; for an operation in RULES, its acceptance of schema-valid data
    as refused_by_a_rule says."""
    if case.operation.label in RULES:
        return {"excluded_checks": [positive_data_acceptance], "additional_checks": [refused_by_a_rule]}
    return {}


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=ALL_CHECKS_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=HEALTH)
def test_api_passes_all_checks(case, token):
    headers = {"Authorization": f"Token {token}"}
    with keep_test_connection():
        response = case.call(headers=headers)
        case.validate_response(response, headers=headers, **all_checks(case))


class Workflow(schema.as_state_machine()):
    token = ""

    def get_call_kwargs(self, case):
        return {"headers": {"Authorization": f"Token {self.token}"}}

    def validate_response(self, response, case, additional_checks=None, **kwargs):
        case.validate_response(response, transport_kwargs=kwargs or None, recorder=self.recorder,
                               headers=kwargs.get("headers"), **all_checks(case))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_api_sequences_along_the_links(built, role):
    Workflow.token = built["tokens"][role]
    with keep_test_connection():
        run_state_machine_as_test(Workflow, settings=settings(
            max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, derandomize=True,
            suppress_health_check=HEALTH))


@pytest.mark.django_db
def test_a_wrong_token_is_refused_even_with_a_session(built, client):
    """A wrong `Authorization: Token` is a 401 even when a session cookie comes along; the pages'
    own fetches (a session, no Authorization header) keep working."""
    client.force_login(users(built["demo"])["aoj"])
    body = {"name": "Te laat", "scope": "queue", "filters": {"due": "overdue"}}
    refused = client.post("/api/worklists/", body, content_type="application/json", HTTP_AUTHORIZATION="Token wrong")
    assert refused.status_code == 401
    assert client.post("/api/worklists/", body, content_type="application/json").status_code == 201
    assert client.get("/api/notifications/?unread=1&since=2026-01-01T00:00:00.000Z").status_code == 200
