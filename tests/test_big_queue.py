"""Big queues: a team's inbox reads a page, never the whole queue.

Query counts and plans at a modest scale (no timing: speed is `make bench`'s big-queue rows):
the pages cost the same queries with 5 or 600 tasks, counts stop at their cap, the two-part
new-first list pages exactly like the single ORDER BY it replaces, the school filter comes from
the teams, and on PostgreSQL no inbox or search query needs a sequential scan of the big tables.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from viewflow.workflow.models import Process

from casework.models import Case, CaseParticipant, Child
from tests.factories import MembershipFactory, SchoolFactory, TeamFactory, UserFactory
from workflows import inbox, paging
from workflows.flows import CaseFlow
from workflows.models import CaseTask

pytestmark = pytest.mark.django_db


def queue_tasks(school, count: int, *, new: int = 0, tag: str = "q") -> list[CaseTask]:
    """`count` cases at `school` (its team participates), each with an open unclaimed team
    review in the team's queue; the first `new` of them created just now, the others days ago."""
    team = school.teams.get()
    now = timezone.now()
    signaller = UserFactory(username=f"signaller-{tag}")
    children = Child.objects.bulk_create([
        Child(given_name="Kind", family_name=f"Naam{tag}{n}", birth_date=dt.date(2012, 1, 1) + dt.timedelta(days=n),
              match_key=f"kind|{tag}|{n}") for n in range(count)])
    cases = Case.objects.bulk_create([
        Case(child=child, school=school, region=school.region, sector=school.sector, registration="lrv",
             category="onbekend", absent_since=dt.date(2026, 9, 1), signalled_by=signaller, signaller_role="school")
        for child in children])
    CaseParticipant.objects.bulk_create([CaseParticipant(case=case, team=team, reason="school_team")
                                         for case in cases])
    processes = Process.objects.bulk_create([Process(flow_class=CaseFlow) for _ in cases])
    return CaseTask.objects.bulk_create([
        CaseTask(flow_task=CaseFlow.team_review, flow_task_type="HUMAN", status="NEW", process=process, case=case,
                 team=team, due_at=now + dt.timedelta(days=n % 30 - 10, minutes=n),
                 created=now - (dt.timedelta(minutes=n) if n < new else dt.timedelta(days=2 + n % 20, minutes=n)))
        for n, (case, process) in enumerate(zip(cases, processes, strict=True))])


@pytest.fixture
def big(vo_school, member):
    queue_tasks(vo_school, 600, new=3, tag="big")
    return member


def page_queries(fetch) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = fetch()
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/tasks/queue/", "/tasks/team/", "/tasks/focus/", "/api/tasks/?scope=queue",
                                 "/api/tasks/?scope=team"])
def test_an_inbox_page_costs_the_same_queries_with_5_or_600_tasks(api, vo_school, member, url):
    client = Client()
    client.force_login(member)
    fetch = (lambda: api(member).get(url)) if url.startswith("/api/") else (lambda: client.get(url))
    queue_tasks(vo_school, 5, new=1, tag="few")
    fetch()
    few = page_queries(fetch)
    queue_tasks(vo_school, 600, new=2, tag="many")
    assert page_queries(fetch) == few


def test_the_tabs_count_no_further_than_99(big):
    counts = inbox.tab_counts(big)
    assert counts["queue"]["total"] == 99 and str(counts["queue"]["total"]) == "99+"
    assert isinstance(counts["queue"]["total"], inbox.AtLeast) and isinstance(counts["team"]["total"], inbox.AtLeast)
    assert counts["mine"] == {"total": 0, "overdue": 0}
    client = Client()
    client.force_login(big)
    html = client.get("/tasks/queue/").content.decode()
    assert 'Teamtaken <span class="tab-count">(99+' in html


def test_the_page_counts_ten_pages_ahead_and_pages_like_the_single_order(big):
    for sort in ("due_at", "-due_at", "created", "-created", "case", "task"):
        expected = [task.pk for task in inbox.task_list(big, "queue", sort=sort, new_first=True)]
        paginator = paging.CappedPaginator(inbox.task_pages(big, "queue", sort=sort), 25)
        first = paginator.get_page(1)
        assert isinstance(paginator.count, inbox.AtLeast) and paginator.count == 11 * 25, sort
        assert str(paginator.num_pages) == "11+" and first.has_next()
        assert [task.pk for task in first.object_list] == expected[:25], sort
        assert [task.is_new for task in first.object_list[:4]] == [True, True, True, False]
        for number in (2, 13, 24):
            page = paging.CappedPaginator(inbox.task_pages(big, "queue", sort=sort), 25).get_page(number)
            assert [task.pk for task in page.object_list] == expected[(number - 1) * 25:number * 25], (sort, number)
        last = paging.CappedPaginator(inbox.task_pages(big, "queue", sort=sort), 25)
        assert last.get_page(24).has_next() is False and last.count == 600 and last.num_pages == 24


def test_the_api_says_when_its_count_is_a_lower_bound(api, big, vo_school):
    first = api(big).get("/api/tasks/?scope=queue").json()
    assert first["count"] == 550 and first["count_is_exact"] is False and first["next"]
    late = api(big).get("/api/tasks/?scope=queue&page=12").json()
    assert late["count"] == 600 and late["count_is_exact"] is True and late["next"] is None
    assert len(late["results"]) == 50


def test_a_page_past_the_last_is_a_404_however_far_and_last_is_the_last(api, big):
    """The capped count aims at the page asked for; a page number near 2**63 is a 404 with the
    error's shape (not an overflow of the count's LIMIT), and `last` counts to the end."""
    for number in (13, 10**9, 2**63 - 2, 2**63 - 1):
        response = api(big).get(f"/api/tasks/?scope=queue&page={number}")
        assert response.status_code == 404, number
        assert set(response.json()) == {"detail"}
    last = api(big).get("/api/tasks/?scope=queue&page=last").json()
    assert last["count"] == 600 and last["count_is_exact"] is True and last["next"] is None
    client = Client()
    client.force_login(big)
    assert client.get(f"/tasks/queue/?page={2**63 - 2}").status_code == 200  # the web inbox: its last page


def test_school_choices_are_the_schools_of_my_teams(vo_school, member):
    other = SchoolFactory(name="Buurschool", region=vo_school.region)
    queue_tasks(other, 2, tag="other")
    assert list(inbox.school_choices(member)) == [vo_school]
    ect = UserFactory(username="ect-member")
    MembershipFactory(user=ect, team=TeamFactory(kind="ect", region=vo_school.region, name="ECT test"))
    assert set(inbox.school_choices(ect)) == {vo_school, other}


def test_search_finds_by_name_prefix_pupil_number_and_exact_case_number(api, vo_school, member, outsider):
    mine = queue_tasks(vo_school, 30, tag="zoek")
    other_school = outsider.memberships.get().team.school
    theirs = queue_tasks(other_school, 5, tag="zoek2")
    found = api(member).get("/api/search/", {"q": "naamzoek1"}).json()
    assert {row["id"] for row in found["results"]} == {task.case_id for task in mine
                                                        if task.case.child.family_name.startswith("Naamzoek1")}
    assert api(member).get("/api/search/", {"q": "naamzoek2"}).json()["count"] == 11  # not zoek2's cases
    assert api(member).get("/api/search/", {"q": str(theirs[0].case_id)}).json()["count"] == 0
    assert api(member).get("/api/search/", {"q": str(mine[3].case_id)}).json()["results"][0]["id"] == mine[3].case_id


# --- PostgreSQL: the plans ------------------------------------------------------------------------------------

BIG_TABLES = ("workflows_casetask", "casework_case", "casework_caseparticipant", "casework_caseevent",
              "casework_child")


@pytest.mark.postgresql
@pytest.mark.parametrize("who", ["bench-big", "bench-small"])
def test_no_inbox_or_search_query_needs_a_sequential_scan(demo, who):
    """With sequential scans priced out (`enable_seqscan = off`), a plan still shows one only
    where no index can answer: every inbox and search query has an index path."""
    from bench import bigqueue, data
    from teams.models import User

    data.big_queue(cases=3_000, open_tasks=400, schools=5)
    clients = bigqueue.clients_for(User.objects.get(username=who))
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
    try:
        for name, kind, url in bigqueue.pages():
            rows = bigqueue.explain_page(clients, kind, url)
            assert rows, name
            scans = {row["sql"][:120]: row["seq_scans"] for row in rows
                     if set(row["seq_scans"]) & set(BIG_TABLES)}
            assert not scans, (name, scans)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_seqscan")
