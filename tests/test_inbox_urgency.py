"""An inbox that leads with urgency: counts on the tabs (one aggregate query), "Mijn werk"
(focus) as the landing view by choice, due dates in words, the next task after completing one,
the completion date and what was recorded, new tasks on the first page, and the reflow at 320 px."""

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.template import Context, Template
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from viewflow.workflow.status import STATUS

from teams.models import User
from tests.browser import (
    axe_violations,
    chromium,
    live_asgi_server,
    log_in,
    overflows_at,
    usable_passwords,
)
from tests.flowkit import open_task, signal
from workflows import inbox
from workflows.models import CaseTask
from workflows.templatetags.inbox_tags import due_in_words
from workflows.web.tasks import TASKS_PER_PAGE

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=AMSTERDAM)


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def review(api, demo, u, name: str, *, due_in: dt.timedelta | None = None, owner=None) -> CaseTask:
    """A new VO case's team review in the AOJ-team's queue, with its due date moved by `due_in`
    from now and claimed by `owner` (when given)."""
    task = open_task(signal(api, u["aoj"], demo["schools"]["vo"], given_name=name, family_name="Urgent"),
                     "team_review")
    if due_in is not None:
        task.due_at = timezone.now() + due_in
    if owner is not None:
        task.owner, task.status, task.assigned = owner, STATUS.ASSIGNED, timezone.now()
    task.save()
    return task


def messages_of(response) -> list[str]:
    """The messages the response added (those of earlier responses not shown yet come first)."""
    return [str(message) for message in get_messages(response.wsgi_request)][-1:]


# --- due dates in words ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("due", "state", "dutch", "english"), [
    (NOW + dt.timedelta(days=2), "later", "nog 2 dagen", "2 days left"),
    (NOW + dt.timedelta(days=9, hours=5), "later", "nog 9 dagen", "9 days left"),
    (NOW + dt.timedelta(hours=3), "today", "vandaag", "today"),
    (NOW.replace(hour=23, minute=59), "today", "vandaag", "today"),
    (NOW + dt.timedelta(days=1, hours=-9), "tomorrow", "morgen", "tomorrow"),
    (NOW - dt.timedelta(hours=1), "overdue", "sinds vandaag te laat", "overdue since today"),
    (NOW - dt.timedelta(days=1), "overdue", "1 dag te laat", "1 day overdue"),
    (NOW - dt.timedelta(days=3, hours=2), "overdue", "3 dagen te laat", "3 days overdue"),
])
def test_a_due_date_in_words(due, state, dutch, english):
    with time_machine.travel(NOW, tick=False):
        with translation.override("nl"):
            words = due_in_words(due)
        assert (words.state, words.words) == (state, dutch)
        assert str(due.year) in words.full  # the full date keeps its year
        with translation.override("en"):
            assert due_in_words(due).words == english


def test_calendar_days_count_not_hours():
    """Late in the evening, a deadline two hours away just after midnight is "morgen"."""
    late_evening = dt.datetime(2026, 11, 27, 23, 0, tzinfo=AMSTERDAM)
    with time_machine.travel(late_evening, tick=False), translation.override("nl"):
        assert due_in_words(late_evening + dt.timedelta(hours=2)).words == "morgen"
        assert due_in_words(late_evening - dt.timedelta(hours=23, minutes=30)).words == "1 dag te laat"


def test_a_closed_task_is_never_late_and_no_deadline_is_none():
    with time_machine.travel(NOW, tick=False), translation.override("nl"):
        closed = due_in_words(NOW - dt.timedelta(days=4), still_open=False)
        assert closed.state == "closed" and "te laat" not in closed.words and "2026" in closed.words
        assert due_in_words(None) is None


def test_the_due_tag_has_an_icon_text_and_the_full_date_for_hover_and_screen_readers():
    template = Template("{% load inbox_tags %}{% due task %}")
    with time_machine.travel(NOW, tick=False), translation.override("nl"):
        late = template.render(Context({"task": SimpleNamespace(due_at=NOW - dt.timedelta(days=3),
                                                                 status=STATUS.ASSIGNED)}))
        none = template.render(Context({"task": SimpleNamespace(due_at=None, status=STATUS.NEW)}))
    full = due_in_words(NOW - dt.timedelta(days=3)).full
    assert '<svg class="due-icon" aria-hidden="true"' in late  # an icon, not colour alone
    assert "3 dagen te laat" in late and f'title="{full}"' in late
    assert f'<span class="visually-hidden"> ({full})</span>' in late
    assert 'datetime="2026-11-24T10:00:00+01:00"' in late
    assert none.strip() == "—"


# --- counts on the tabs, and "Mijn werk" -------------------------------------------------------------------

@pytest.fixture
def worked(api, demo, u):
    """aoj_2's situation: one task of theirs, one overdue claimed by a colleague, one unclaimed
    overdue, one unclaimed due in three days, one unclaimed due in ten days, one they may not take
    (four eyes), and another school's overdue task."""
    tasks = {
        "mine": review(api, demo, u, "Eigen", due_in=dt.timedelta(days=20), owner=u["aoj_2"]),
        "colleague_late": review(api, demo, u, "Collega", due_in=-dt.timedelta(days=2), owner=u["aoj"]),
        "late": review(api, demo, u, "Laat", due_in=-dt.timedelta(hours=3)),
        "soon": review(api, demo, u, "Binnenkort", due_in=dt.timedelta(days=3)),
        "later": review(api, demo, u, "Later", due_in=dt.timedelta(days=10)),
        "four_eyes": review(api, demo, u, "Vierogen", due_in=dt.timedelta(days=1)),
    }
    tasks["four_eyes"].excluded_user = u["aoj_2"]
    tasks["four_eyes"].save()
    other = open_task(signal(api, u["kindteam"], demo["schools"]["po"], given_name="Ander", family_name="Team"),
                      "team_review")
    CaseTask.objects.filter(pk=other.pk).update(due_at=timezone.now() - dt.timedelta(days=5))
    return tasks


def ids(tasks, *names) -> set[int]:
    return {tasks[name].pk for name in names}


def test_focus_is_my_tasks_my_teams_overdue_and_what_i_may_take_this_week(worked, u):
    focus = {task.pk for task in inbox.task_list(u["aoj_2"], "focus")}
    assert focus == ids(worked, "mine", "colleague_late", "late", "soon")
    # for the colleague: their own claimed task, the same overdue one and what they may take (four
    # eyes does not bind them); not aoj_2's task, which is not overdue
    assert {task.pk for task in inbox.task_list(u["aoj"], "focus")} == ids(
        worked, "colleague_late", "late", "soon", "four_eyes")


def test_tab_counts_in_one_aggregate_query(worked, u):
    with CaptureQueriesContext(connection) as ctx:
        counts = inbox.tab_counts(u["aoj_2"])
    assert counts == {"focus": {"total": 4, "overdue": 2}, "mine": {"total": 1, "overdue": 0},
                      "queue": {"total": 3, "overdue": 1}, "team": {"total": 6, "overdue": 2}}
    on_tasks = [query["sql"] for query in ctx.captured_queries if "workflows_casetask" in query["sql"]]
    assert len(on_tasks) == 1 and "COUNT(" in on_tasks[0]
    # the counts agree with the lists themselves
    for scope, count in counts.items():
        assert inbox.task_list(u["aoj_2"], scope).count() == count["total"]


def test_tab_counts_reuse_their_statement_with_its_times_moved(worked, u):
    """The counts' statement is built once per shape of user and reused later with its times (now,
    a week ahead, today) moved: it counts what a statement built at that later time counts (on
    PostgreSQL; SQLite builds it every time)."""
    now = timezone.now()
    kept = 1 if connection.vendor == "postgresql" else 0
    inbox._COUNTS_SQL.clear()
    first = inbox.tab_counts(u["aoj_2"], now)
    assert len(inbox._COUNTS_SQL) == kept
    moved = []
    for later in (now + dt.timedelta(hours=30), now + dt.timedelta(days=9, hours=13), now - dt.timedelta(days=2)):
        reused = inbox.tab_counts(u["aoj_2"], later)
        assert len(inbox._COUNTS_SQL) == kept  # not built again
        inbox._COUNTS_SQL.clear()
        assert reused == inbox.tab_counts(u["aoj_2"], later)  # built for `later`
        moved.append(reused != first)
        inbox._COUNTS_SQL.clear()
        inbox.tab_counts(u["aoj_2"], now)
    assert any(moved)  # the times moved the counts: the test tells the reuse from a stale statement


def test_the_tabs_show_the_counts_and_say_how_many_are_overdue(worked, u):
    html = browser(u["aoj_2"]).get(reverse("inbox", kwargs={"scope": "queue"})).content.decode()
    assert ('Teamtaken <span class="tab-count">(3<span class="visually-hidden">, waarvan 1 te laat</span>)</span>'
            in html)
    assert 'Mijn taken <span class="tab-count">(1)</span></a>' in html
    assert 'Mijn werk <span class="tab-count">(4<span class="visually-hidden">, waarvan 2 te laat</span>)' in html
    assert html.count('class="tab-late" aria-hidden="true"') == 3  # focus, queue and team


def test_the_inbox_costs_the_same_queries_whatever_the_number_of_tasks(api, demo, u):
    client = browser(u["aoj"])
    review(api, demo, u, "Een", due_in=dt.timedelta(days=2))
    client.get(reverse("inbox-default"))  # warm up

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("inbox-default"))
        assert response.status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for n in range(8):
        review(api, demo, u, f"Kind{n}", due_in=dt.timedelta(days=n - 3), owner=u["aoj"] if n % 2 else None)
    assert count() == few


# --- the landing view and the preferences ------------------------------------------------------------------

def test_tasks_lands_on_my_work_by_default_and_on_the_chosen_list(worked, u):
    client = browser(u["aoj_2"])
    landing = client.get(reverse("inbox-default"))
    assert landing.context["scope"] == "focus"
    html = landing.content.decode()
    assert 'href="/tasks/focus/" aria-current="page"' in html and "Mijn werk toont" in html
    assert {task.pk for task in landing.context["page"].object_list} == ids(
        worked, "mine", "colleague_late", "late", "soon")
    saved = client.post(reverse("inbox-preferences"), {"inbox_landing": "queue", "after_complete": "case",
                                                       "next": "/tasks/team/?due=overdue"})
    assert saved.status_code == 302 and saved["Location"] == "/tasks/team/?due=overdue"
    assert messages_of(saved) == ["Voorkeuren opgeslagen."]
    user = User.objects.get(pk=u["aoj_2"].pk)
    assert (user.inbox_landing, user.after_complete) == ("queue", "case")
    assert client.get(reverse("inbox-default")).context["scope"] == "queue"


def test_unknown_preferences_are_refused_and_change_nothing(u):
    client = browser(u["aoj_2"])
    refused = client.post(reverse("inbox-preferences"), {"inbox_landing": "archive", "after_complete": "elsewhere",
                                                         "next": "https://elsewhere.example/"})
    assert refused.status_code == 302 and refused["Location"] == reverse("inbox-default")
    assert messages_of(refused) == ["Kies een van de lijsten. Kies waarheen u gaat na het afronden van een taak."]
    user = User.objects.get(pk=u["aoj_2"].pk)
    assert (user.inbox_landing, user.after_complete) == ("focus", "case")


# --- after completing a task -------------------------------------------------------------------------------

CLOSE = {"plan": "Gesprek gevoerd", "outcome": "terug_naar_school"}


def test_completing_goes_to_the_next_task_of_the_same_list_then_back_to_the_list(api, demo, u):
    first = review(api, demo, u, "Eerste", due_in=dt.timedelta(days=1), owner=u["aoj"])
    second = review(api, demo, u, "Tweede", due_in=dt.timedelta(days=2), owner=u["aoj"])
    review(api, demo, u, "Wachtrij", due_in=dt.timedelta(hours=5))  # in the queue, not in "mine"
    User.objects.filter(pk=u["aoj"].pk).update(after_complete="next")
    client = browser(u["aoj"])
    listing = client.get(reverse("inbox", kwargs={"scope": "mine"}), {"sort": "due_at"})
    assert listing.context["list_url"] == "/tasks/mine/?sort=due_at"
    link = f"/task/{first.pk}/?next_list=/tasks/mine/%3Fsort%3Ddue_at"
    assert link in listing.content.decode()
    page = client.get(link).content.decode()
    assert '<input type="hidden" name="next_list" value="/tasks/mine/?sort=due_at">' in page
    assert 'href="/tasks/mine/?sort=due_at">← Terug naar de lijst' in page

    done = client.post(f"/task/{first.pk}/", {**CLOSE, "next_list": "/tasks/mine/?sort=due_at"})
    assert done.status_code == 302, done.content.decode()[:2000]
    assert done["Location"] == f"/task/{second.pk}/?next_list=%2Ftasks%2Fmine%2F%3Fsort%3Ddue_at"
    assert messages_of(done) == ["Taak afgerond: Teambespreking voor Eerste Urgent. "
                                 "Volgende taak: Teambespreking voor Tweede Urgent."]

    last = client.post(f"/task/{second.pk}/", {**CLOSE, "next_list": "/tasks/mine/?sort=due_at"})
    assert last["Location"] == "/tasks/mine/?sort=due_at"
    assert messages_of(last) == ["Taak afgerond: Teambespreking voor Tweede Urgent. "
                                 "Er zijn geen taken meer in deze lijst."]


def test_the_next_task_follows_the_list_and_its_filters(api, demo, u):
    done = review(api, demo, u, "Klaar", due_in=dt.timedelta(days=1), owner=u["aoj"])
    review(api, demo, u, "Overmorgen", due_in=dt.timedelta(days=30))
    urgent = review(api, demo, u, "Dringend", due_in=-dt.timedelta(days=1))
    User.objects.filter(pk=u["aoj"].pk).update(after_complete="next")
    response = browser(u["aoj"]).post(f"/task/{done.pk}/", {**CLOSE, "next_list": "/tasks/queue/?due=overdue"})
    assert response["Location"].startswith(f"/task/{urgent.pk}/?next_list=")


def test_after_completing_by_default_the_case_page_says_done_and_what_comes_next(api, demo, u):
    """The default: "Taak afgerond" naming the child, on the case page, with the case's next step;
    never another child's form (a second task of the same list waits)."""
    assert User._meta.get_field("after_complete").default == "case"
    task = review(api, demo, u, "Zaakkeuze", owner=u["aoj"])
    review(api, demo, u, "Volgende", owner=u["aoj"])
    client = browser(u["aoj"])
    response = client.post(f"/task/{task.pk}/", {**CLOSE, "next_list": "/tasks/mine/"})
    assert response["Location"] == reverse("case-detail", args=[task.case_id])
    assert messages_of(response) == ["Taak afgerond: Teambespreking voor Zaakkeuze Urgent. De zaak is gesloten."]

    routed = review(api, demo, u, "Route", owner=u["aoj"])
    response = client.post(f"/task/{routed.pk}/", {"plan": "Het ECT raadplegen", "ect_question_kind": "handelingsadvies", "routes": ["ect_consult"],
                                                   "ect_question": "Wat heeft Route nodig?"})
    assert response["Location"] == reverse("case-detail", args=[routed.case_id])
    draft = CaseTask.objects.get(case=routed.case, flow_task_type="HUMAN", status=STATUS.NEW)
    assert messages_of(response) == [f"Taak afgerond: Teambespreking voor Route Urgent. Volgende stap: "
                                     f"{draft.title} ({draft.team})."]
    page = client.get(response["Location"]).content.decode()
    notices = page[page.index('<div role="status"><ul class="messages">'):page.index("</ul></div>")]
    assert '<li class="success">Taak afgerond: Teambespreking voor Route Urgent. Volgende stap: ' in notices


def test_a_foreign_return_address_is_ignored(api, demo, u):
    task = review(api, demo, u, "Omleiding", owner=u["aoj"])
    User.objects.filter(pk=u["aoj"].pk).update(after_complete="next")
    client = browser(u["aoj"])
    page = client.get(f"/task/{task.pk}/", {"next_list": "https://elsewhere.example/tasks/mine/"})
    assert page.context["next_list"] == "" and 'href="https://elsewhere' not in page.content.decode()
    response = client.post(f"/task/{task.pk}/", {**CLOSE, "next_list": "//elsewhere.example/tasks/mine/"})
    assert response["Location"] == "/tasks/focus/"  # the landing list: nothing left in it


# --- the archive and a completed task ----------------------------------------------------------------------

def test_the_archive_shows_when_and_the_task_page_what_was_recorded(api, demo, u):
    task = review(api, demo, u, "Archief", due_in=dt.timedelta(days=1), owner=u["aoj"])
    client = browser(u["aoj"])
    assert client.post(f"/task/{task.pk}/", CLOSE).status_code == 302
    finished = timezone.localtime(CaseTask.objects.get(pk=task.pk).finished)
    archive = client.get(reverse("inbox", kwargs={"scope": "archive"}))
    html = archive.content.decode()
    assert [row.pk for row in archive.context["page"].object_list] == [task.pk]
    assert "<th>Afgerond op</th>" in html
    assert (f'<time datetime="{finished.isoformat()}">{date_format(finished, "DATETIME_FORMAT")}</time>'
            in html)
    page = client.get(f"/task/{task.pk}/").content.decode()
    assert "<dt>Afgerond op</dt>" in page and "Taak afronden" not in page
    assert 'id="context-recorded"' in page  # what it recorded (workflows.context, workflows/_task_context.html)


def test_the_task_page_shows_its_deadline_in_words_and_its_status(api, demo, u, time_machine):
    # days late are counted in calendar days: the clock at midday, so that "3 days and an hour ago"
    # is three days ago whenever the test runs (just after midnight it would be four)
    time_machine.move_to(timezone.localtime().replace(hour=12, minute=0), tick=True)
    task = review(api, demo, u, "Termijn", due_in=-dt.timedelta(days=3, hours=1))
    page = browser(u["aoj"]).get(f"/task/{task.pk}/").content.decode()
    assert "<dt>Termijn</dt>" in page and "3 dagen te laat" in page
    assert "<dt>Status</dt><dd>open</dd>" in page
    # the decision context sits right above the form, inside the main card
    assert page.index('<dt>Termijn</dt>') < page.index('name="next_list"') < page.index("Taak afronden")


# --- new tasks are never hidden on page 2 ------------------------------------------------------------------

def test_a_new_task_is_on_the_first_page_whatever_the_sort(api, demo, u):
    older = [review(api, demo, u, f"Oud{n}", due_in=dt.timedelta(days=2, hours=n)) for n in range(TASKS_PER_PAGE + 1)]
    CaseTask.objects.filter(pk__in=[task.pk for task in older]).update(
        created=timezone.now() - dt.timedelta(days=3))
    new = review(api, demo, u, "Nieuwkomer", due_in=dt.timedelta(days=14))
    client = browser(u["aoj_2"])
    for sort in ("due_at", "-due_at", "created", "case", "task"):
        first = client.get(reverse("inbox", kwargs={"scope": "queue"}), {"sort": sort})
        assert [task.pk for task in first.context["new_tasks"]] == [new.pk], sort
        assert new.pk not in [task.pk for task in first.context["tasks"]]
        assert 'id="inbox-new-heading">Nieuw' in first.content.decode()
        second = client.get(reverse("inbox", kwargs={"scope": "queue"}), {"sort": sort, "page": 2})
        assert new.pk not in [task.pk for task in second.context["page"].object_list]
    # the API keeps the plain sort
    api_ids = [row["id"] for row in api(u["aoj_2"]).get("/api/tasks/?scope=queue&page_size=100").json()["results"]]
    assert api_ids[-1] == new.pk or new.pk not in api_ids[:TASKS_PER_PAGE]


# --- in a real browser: WCAG 2.1 AA and reflow at 320 px ---------------------------------------------------

@pytest.mark.django_db(transaction=True)
@pytest.mark.browser
def test_the_inbox_meets_wcag_and_reflows_as_cards(api, demo, u, settings):
    review(api, demo, u, "Laatkomer", due_in=-dt.timedelta(days=2), owner=u["aoj"])
    review(api, demo, u, "Vandaag", due_in=dt.timedelta(hours=2))
    old = review(api, demo, u, "Eerder", due_in=dt.timedelta(days=5))
    CaseTask.objects.filter(pk=old.pk).update(created=timezone.now() - dt.timedelta(days=4))
    done = review(api, demo, u, "Afgerond", owner=u["aoj"])
    assert browser(u["aoj"]).post(f"/task/{done.pk}/", CLOSE).status_code == 302
    usable_passwords(settings, ["aoj"], demo["password"])
    with live_asgi_server() as base_url, chromium() as chrome:
        page = chrome.new_context(locale="en-GB", bypass_csp=True).new_page()
        log_in(page, base_url, "aoj", demo["password"])
        for path in ("/tasks/", "/tasks/queue/", "/tasks/team/", "/tasks/archive/", f"/task/{done.pk}/"):
            page.set_viewport_size({"width": 1280, "height": 900})
            page.goto(f"{base_url}{path}")
            assert page.evaluate("document.documentElement.lang") == "nl"
            if path == "/tasks/":
                page.click("details.preferences summary")  # the preferences form is checked open
            assert axe_violations(page) == [], path
            assert overflows_at(page, 320) == [], path
            assert axe_violations(page) == [], f"{path} at 320 px"
        page.goto(f"{base_url}/tasks/")
        page.set_viewport_size({"width": 320, "height": 900})
        card = page.locator("#inbox-list [data-task-id]").first
        assert card.evaluate("row => getComputedStyle(row).display") == "grid"
        assert page.locator("#inbox-list input[type=checkbox][name=tasks][form=bulk-form]").count() >= 1
