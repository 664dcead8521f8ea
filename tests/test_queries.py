"""List pages cost a constant number of queries, whatever the number of cases."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def queries_for(fetch) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = fetch()
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", ["html", "api"])
def test_case_list_query_count_is_constant(client, api, member, vo_school, page):
    client.force_login(member)
    user_api = api(member)
    fetch = {
        "html": lambda: client.get(reverse("case-list")),
        "api": lambda: user_api.get("/api/cases/"),
    }[page]
    CaseFactory(school=vo_school)
    fetch()  # warm up (session, content types)
    with_one = queries_for(fetch)
    CaseFactory.create_batch(30, school=vo_school)
    with_many = queries_for(fetch)
    assert with_many == with_one
    # and the page really shows the cases
    body = fetch()
    shown = body.json()["count"] if page == "api" else body.context["page"].paginator.count
    assert shown == 31


def test_case_detail_query_count_does_not_grow_with_events(client, member, vo_school):
    from casework.models import CaseEvent

    client.force_login(member)
    case = CaseFactory(school=vo_school)
    url = reverse("case-detail", args=[case.pk])
    client.get(url)
    few = queries_for(lambda: client.get(url))
    for n in range(20):
        CaseEvent.record(case, member, "signal_received", n=n)
    assert queries_for(lambda: client.get(url)) == few
