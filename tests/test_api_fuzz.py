"""Schemathesis against the OpenAPI schema of the whole API: no server error, and every
response conforms to the documented status codes, content types and schemas."""

from contextlib import contextmanager

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.flowkit import complete, signal, users

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@contextmanager
def keep_test_connection():
    """Like Django's test client: the WSGI app must not close the test's database connection
    at the end of each request (it would end the test's transaction on PostgreSQL)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def token(demo, api):
    """A team member with a few cases in several states, and that member's API token."""
    u = users(demo)
    first = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], first, "team_review", {"plan": "P", "routes": ["jim", "ect_consult"]})
    signal(api, u["aoj"], demo["schools"]["vo"], given_name="Tweede")
    return Token.objects.create(user=u["aoj"]).key


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_api_conforms_to_its_schema(case, token):
    with keep_test_connection():
        response = case.call(headers={"Authorization": f"Token {token}"})
    case.validate_response(response, checks=CHECKS)
