"""Work lists: follow-up dates (snooze), distribution by a coordinator with a reason, saved filters."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.status import STATUS

from casework.models import CaseEvent
from notifications.models import Notification
from tests.flowkit import open_task, signal
from workflows.models import CaseTask, SavedWorklist
from workflows.services import announce_follow_ups

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(api, demo, u):
    """Three new VO cases: three team_review tasks in the AOJ-team's queue."""
    return [signal(api, u["aoj"], demo["schools"]["vo"], given_name=name, family_name="Werklijst")
            for name in ("Ada", "Bo", "Cas")]


def reviews(cases):
    return [open_task(case, "team_review") for case in cases]


def claim(api, user, task):
    response = api(user).post(f"/api/tasks/{task.pk}/claim/")
    assert response.status_code == 200, response.content


def listed(api, user, scope="mine", **params):
    response = api(user).get("/api/tasks/", {"scope": scope, **params})
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def state(tasks):
    return sorted(CaseTask.objects.filter(pk__in=[t.pk for t in tasks]).values_list("pk", "status", "owner_id"))


# --- follow-up dates ----------------------------------------------------------------------------------

def test_a_snoozed_task_leaves_the_default_list_and_comes_back_on_its_date(api, cases, u):
    task = reviews(cases)[0]
    claim(api, u["aoj_2"], task)
    follow_up_on = timezone.localdate() + timedelta(days=3)
    response = api(u["aoj_2"]).post(f"/api/tasks/{task.pk}/follow-up/", {"follow_up_on": follow_up_on.isoformat()},
                                    format="json")
    assert response.status_code == 200, response.content
    assert response.json()["follow_up_on"] == follow_up_on.isoformat()
    assert task.pk not in listed(api, u["aoj_2"])
    assert listed(api, u["aoj_2"], followup="snoozed") == [task.pk]
    assert task.pk in listed(api, u["aoj_2"], followup="all")
    Notification.objects.all().delete()

    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        assert task.pk not in listed(api, u["aoj_2"])
        assert announce_follow_ups() == 0
    with time_machine.travel(timezone.now() + timedelta(days=3), tick=False):
        assert task.pk in listed(api, u["aoj_2"])  # back on its date, whether or not the sweeper ran
        assert announce_follow_ups() == 1
        assert announce_follow_ups() == 0  # told once
        told = Notification.objects.get(kind="follow_up_due")
        assert told.recipient == u["aoj_2"] and told.task_id == task.pk
        assert CaseTask.objects.get(pk=task.pk).follow_up_on is None


def test_an_unclaimed_snoozed_task_is_announced_to_its_team(api, cases, u):
    task = reviews(cases)[0]
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert api(u["aoj_2"]).post(f"/api/tasks/{task.pk}/follow-up/", {"follow_up_on": tomorrow.isoformat()},
                                format="json").status_code == 200
    assert task.pk not in listed(api, u["aoj"], scope="queue")
    Notification.objects.all().delete()
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        call_command("sweep_deadlines")
    assert sorted(n.recipient.username for n in Notification.objects.filter(kind="follow_up_due")) == ["aoj", "aoj_2"]


def test_follow_up_dates_refused_clearly(api, cases, u):
    task = reviews(cases)[0]
    claim(api, u["aoj_2"], task)
    today = timezone.localdate().isoformat()
    past = api(u["aoj_2"]).post(f"/api/tasks/{task.pk}/follow-up/", {"follow_up_on": today}, format="json")
    assert past.status_code == 400 and "follow_up_on" in past.json()
    garbage = api(u["aoj_2"]).post(f"/api/tasks/{task.pk}/follow-up/", {"follow_up_on": "morgen"}, format="json")
    assert garbage.status_code == 400
    # a colleague who is not the assignee (nor coordinator) may not snooze it
    later = (timezone.localdate() + timedelta(days=5)).isoformat()
    other = api(u["ect"]).post(f"/api/tasks/{task.pk}/follow-up/", {"follow_up_on": later}, format="json")
    assert other.status_code == 404  # ECT is not on this new case yet: not even visible
    assert api(u["outsider"]).post(f"/api/tasks/{task.pk}/follow-up/", {"follow_up_on": later},
                                   format="json").status_code == 404
    assert CaseTask.objects.get(pk=task.pk).follow_up_on is None
    # waking it again: null
    assert api(u["aoj_2"]).post(f"/api/tasks/{task.pk}/follow-up/", {"follow_up_on": later},
                                format="json").status_code == 200
    assert api(u["aoj_2"]).post(f"/api/tasks/{task.pk}/follow-up/", {"follow_up_on": None},
                                format="json").json()["follow_up_on"] is None


def test_snooze_from_the_task_page(client, cases, u):
    task = reviews(cases)[0]
    client.force_login(u["aoj_2"])
    client.post(reverse("task-claim", args=[task.pk]))
    # the follow-up date is a secondary choice, folded away below the completion and set apart
    page = client.get(reverse("task-detail", args=[task.pk])).content.decode()
    complete_at, folded_at = page.index("Taak afronden</button>"), page.index('<details class="follow-up">')
    assert complete_at < folded_at
    assert "<summary>Nu niet: later weer oppakken</summary>" in page
    assert '<button type="submit" class="secondary small">Opvolgdatum instellen</button>' in page[folded_at:]
    follow_up_on = timezone.localdate() + timedelta(days=7)
    response = client.post(reverse("task-follow-up", args=[task.pk]), {"follow_up_on": follow_up_on.isoformat()})
    assert response.status_code == 302
    assert CaseTask.objects.get(pk=task.pk).follow_up_on == follow_up_on
    inbox = client.get(reverse("inbox", kwargs={"scope": "mine"}))
    assert task.pk not in [t.pk for t in inbox.context["page"].object_list]
    snoozed = client.get(reverse("inbox", kwargs={"scope": "mine"}), {"followup": "snoozed"})
    assert [t.pk for t in snoozed.context["page"].object_list] == [task.pk]


# --- distribution -----------------------------------------------------------------------------------------

def bulk(api, user, **payload):
    return api(user).post("/api/tasks/bulk/", payload, format="json")


def test_bulk_assign_writes_one_history_row_per_task_and_tells_the_assignee(api, cases, u):
    tasks = reviews(cases)[:2]
    Notification.objects.all().delete()
    response = bulk(api, u["aoj"], action="assign", tasks=[t.pk for t in tasks], assignee=u["aoj_2"].pk,
                    reason="Verdeling na het teamoverleg")
    assert response.status_code == 200, response.content
    assert sorted(row["id"] for row in response.json()["changed"]) == sorted(t.pk for t in tasks)
    for task in tasks:
        task.refresh_from_db()
        assert task.owner == u["aoj_2"] and task.status == STATUS.ASSIGNED
        events = CaseEvent.objects.filter(case=task.case, kind="task_assigned")
        assert events.count() == 1
        event = events.get()
        assert event.actor == u["aoj"]
        assert event.data["reason"] == "Verdeling na het teamoverleg"
        assert event.data["task_id"] == task.pk and event.data["user_id"] == u["aoj_2"].pk
    told = Notification.objects.filter(kind="task_assigned")
    assert sorted(n.task_id for n in told) == sorted(t.pk for t in tasks)
    assert {n.recipient.username for n in told} == {"aoj_2"}
    assert listed(api, u["aoj_2"]) == sorted([t.pk for t in tasks],
                                             key=lambda pk: (CaseTask.objects.get(pk=pk).due_at, pk))


def test_a_coordinator_reassigns_and_releases_claimed_tasks(api, cases, u):
    first, second, _ = reviews(cases)
    claim(api, u["aoj_2"], first)
    claim(api, u["aoj_2"], second)
    Notification.objects.all().delete()
    moved = bulk(api, u["aoj"], action="assign", tasks=[first.pk], assignee=u["aoj"].pk, reason="Zelf oppakken")
    assert moved.status_code == 200
    released = bulk(api, u["aoj"], action="release", tasks=[second.pk], reason="Afwezig wegens ziekte")
    assert released.status_code == 200, released.content
    assert state([first, second]) == sorted([(first.pk, STATUS.ASSIGNED, u["aoj"].pk),
                                             (second.pk, STATUS.NEW, None)])
    # the colleague who lost the tasks is told; the coordinator is not told about their own action
    assert sorted(n.task_id for n in Notification.objects.filter(kind="task_released", recipient=u["aoj_2"])) \
        == sorted([first.pk, second.pk])
    assert not Notification.objects.filter(recipient=u["aoj"], kind__in=["task_assigned", "task_released"]).exists()
    assert CaseEvent.objects.get(case=second.case, kind="task_released").data["previous_owner_id"] == u["aoj_2"].pk


def test_a_non_coordinator_may_not_reassign_claimed_tasks_and_nothing_changes(api, cases, u):
    claimed_by_coordinator, free, _ = reviews(cases)
    claim(api, u["aoj"], claimed_by_coordinator)
    before = state([claimed_by_coordinator, free])
    events_before = CaseEvent.objects.count()
    Notification.objects.all().delete()
    # the batch holds one task aoj_2 could distribute and one claimed by a colleague: all or nothing
    response = bulk(api, u["aoj_2"], action="assign", tasks=[free.pk, claimed_by_coordinator.pk],
                    assignee=u["aoj_2"].pk, reason="Ik neem ze over")
    assert response.status_code == 403
    assert "coördinator" in response.json()["detail"] or "coordinator" in response.json()["detail"]
    release = bulk(api, u["aoj_2"], action="release", tasks=[claimed_by_coordinator.pk], reason="Terug")
    assert release.status_code == 403
    assert state([claimed_by_coordinator, free]) == before
    assert CaseEvent.objects.count() == events_before
    assert not Notification.objects.exists()


def test_a_member_may_hand_queue_tasks_to_a_colleague(api, cases, u):
    task = reviews(cases)[0]
    response = bulk(api, u["aoj_2"], action="assign", tasks=[task.pk], assignee=u["aoj"].pk, reason="Jouw school")
    assert response.status_code == 200
    assert state([task]) == [(task.pk, STATUS.ASSIGNED, u["aoj"].pk)]


@pytest.mark.parametrize("payload, field", [
    ({"action": "assign", "reason": "x"}, "tasks"),
    ({"action": "assign", "reason": "   "}, "reason"),
    ({"action": "assign", "reason": "x", "assignee": None}, "assignee"),
    ({"action": "move", "reason": "x"}, "action"),
])
def test_bulk_input_errors_are_400_and_change_nothing(api, cases, u, payload, field):
    tasks = reviews(cases)
    payload = {"tasks": [t.pk for t in tasks], **payload} if field != "tasks" else {**payload, "tasks": []}
    before = state(tasks)
    response = bulk(api, u["aoj"], **payload)
    assert response.status_code == 400
    assert field in response.json()
    assert state(tasks) == before


def test_bulk_refuses_an_assignee_who_cannot_take_the_task(api, cases, u):
    task = reviews(cases)[0]
    response = bulk(api, u["aoj"], action="assign", tasks=[task.pk], assignee=u["ect"].pk, reason="Voor ECT")
    assert response.status_code == 400 and "assignee" in response.json()
    assert state([task]) == [(task.pk, STATUS.NEW, None)]


def test_bulk_with_a_task_of_an_invisible_case_is_404_and_changes_nothing(api, cases, u, demo):
    theirs = signal(api, u["outsider"], demo["schools"]["vo_2"], given_name="Dirk", family_name="Elders")
    other = open_task(theirs, "team_review")
    mine = reviews(cases)[0]
    response = bulk(api, u["aoj"], action="assign", tasks=[mine.pk, other.pk], assignee=u["aoj_2"].pk, reason="x")
    assert response.status_code == 404
    assert state([mine, other]) == sorted([(mine.pk, STATUS.NEW, None), (other.pk, STATUS.NEW, None)])


def test_a_done_task_is_409(api, cases, u):
    task = reviews(cases)[0]
    done = api(u["aoj"]).post(f"/api/tasks/{task.pk}/complete/", {"plan": "Gesprek", "routes": [],
                                                                  "outcome": "terug_naar_school"}, format="json")
    assert done.status_code == 200, done.content
    response = bulk(api, u["aoj"], action="assign", tasks=[task.pk], assignee=u["aoj_2"].pk, reason="x")
    assert response.status_code == 409


def test_distribute_from_the_team_overview(client, cases, u):
    tasks = reviews(cases)
    client.force_login(u["aoj"])
    overview = client.get(reverse("inbox", kwargs={"scope": "team"}))
    assert overview.status_code == 200
    assert sorted(t.pk for t in overview.context["page"].object_list) == sorted(t.pk for t in tasks)
    assert 'form="bulk-form"' in overview.content.decode()
    response = client.post(reverse("tasks-distribute"), {
        "action": "assign", "tasks": [tasks[0].pk, tasks[1].pk], "assignee": u["aoj_2"].pk,
        "reason": "Verdeeld in het overleg", "next": "/tasks/team/"})
    assert response.status_code == 302 and response["Location"] == "/tasks/team/"
    assert CaseTask.objects.filter(owner=u["aoj_2"]).count() == 2
    history = client.get(reverse("case-detail", args=[tasks[0].case_id])).content.decode()
    assert "Taak toegewezen" in history and "Verdeeld in het overleg" in history
    missing_reason = client.post(reverse("tasks-distribute"), {
        "action": "release", "tasks": [tasks[0].pk], "reason": "", "next": "/tasks/team/"})
    assert missing_reason.status_code == 302
    assert CaseTask.objects.filter(owner=u["aoj_2"]).count() == 2


# --- saved work lists ---------------------------------------------------------------------------------------

def test_save_list_and_remove_work_lists_over_the_api(api, u):
    client = api(u["aoj_2"])
    response = client.post("/api/worklists/", {"name": "Te laat", "scope": "queue",
                                               "filters": {"due": "overdue", "sort": "created"}}, format="json")
    assert response.status_code == 201, response.content
    # the same name replaces it
    again = client.post("/api/worklists/", {"name": "Te laat", "scope": "queue", "filters": {"due": "week"}},
                        format="json")
    assert again.status_code == 201 and again.json()["id"] == response.json()["id"]
    assert [row["filters"] for row in client.get("/api/worklists/").json()] == [{"due": "week"}]
    bad = client.post("/api/worklists/", {"name": "x", "scope": "queue", "filters": {"due": "ooit"}}, format="json")
    assert bad.status_code == 400
    # someone else's list is not found
    assert api(u["aoj"]).delete(f"/api/worklists/{response.json()['id']}/").status_code == 404
    assert client.delete(f"/api/worklists/{response.json()['id']}/").status_code == 204
    assert client.get("/api/worklists/").json() == []


def test_the_inbox_with_saved_work_lists_keeps_a_constant_query_count(client, api, demo, u):
    client.force_login(u["aoj"])
    for n in range(3):
        SavedWorklist.objects.create(user=u["aoj"], name=f"Lijst {n}", scope="team", filters={"due": "week"})
    url = reverse("inbox", kwargs={"scope": "team"}) + "?due=week&list=1"

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries), response

    signal(api, u["aoj"], demo["schools"]["vo"], given_name="Een", family_name="Eerste")
    client.get(url)
    few, response = queries()
    assert response.context["page"].paginator.count == 1
    for n in range(12):
        signal(api, u["aoj"], demo["schools"]["vo"], given_name=f"Kind{n}", family_name="Veel")
    many, response = queries()
    assert response.context["page"].paginator.count == 13
    assert many == few
    assert "Lijst 2" in response.content.decode()


def test_save_a_work_list_from_the_inbox(client, u):
    client.force_login(u["aoj"])
    response = client.post(reverse("worklist-save"), {"name": "Mijn achterstand", "scope": "mine", "due": "overdue",
                                                      "sort": "due_at"})
    saved = SavedWorklist.objects.get(user=u["aoj"], name="Mijn achterstand")
    assert saved.filters == {"due": "overdue", "sort": "due_at"}
    assert response.status_code == 302 and f"list={saved.pk}" in response["Location"]
    page = client.get(response["Location"])
    assert page.context["filters"]["due"] == "overdue"
    client.post(reverse("worklist-delete", args=[saved.pk]))
    assert not SavedWorklist.objects.filter(pk=saved.pk).exists()


def test_the_inbox_sorts_by_due_date_ascending_by_default(api, cases, u):
    tasks = reviews(cases)
    CaseTask.objects.filter(pk=tasks[0].pk).update(due_at=timezone.now() + timedelta(days=9))
    CaseTask.objects.filter(pk=tasks[1].pk).update(due_at=timezone.now() + timedelta(days=1))
    CaseTask.objects.filter(pk=tasks[2].pk).update(due_at=timezone.now() + timedelta(days=4))
    assert listed(api, u["aoj"], scope="queue") == [tasks[1].pk, tasks[2].pk, tasks[0].pk]
    assert listed(api, u["aoj"], scope="queue", sort="-due_at") == [tasks[0].pk, tasks[2].pk, tasks[1].pk]


def test_column_headers_sort_and_toggle(client, cases, u):
    client.force_login(u["aoj"])
    page = client.get(reverse("inbox", kwargs={"scope": "queue"}), {"due": "week"})
    links = page.context["sort_links"]
    assert links["deadline"]["direction"] == "ascending"  # the default
    assert "sort=-due_at" in links["deadline"]["query"] and "due=week" in links["deadline"]["query"]
    assert "sort=created" in links["waiting"]["query"]
    again = client.get(reverse("inbox", kwargs={"scope": "queue"}) + "?" + links["deadline"]["query"])
    assert again.context["sort"] == "-due_at"
    assert again.context["sort_links"]["deadline"]["direction"] == "descending"
    assert "sort=due_at" in again.context["sort_links"]["deadline"]["query"]


def test_nonsense_from_the_distribution_form_is_a_message_not_a_crash(client, cases, u):
    task = reviews(cases)[0]
    client.force_login(u["aoj"])
    for assignee in ("99999999999999999999999", "-1", "abc"):
        response = client.post(reverse("tasks-distribute"), {"action": "assign", "tasks": [task.pk],
                                                              "assignee": assignee, "reason": "x",
                                                              "next": "/tasks/team/"})
        assert response.status_code == 302
    response = client.post(reverse("tasks-distribute"), {"action": "assign", "tasks": ["1e99", "x"],
                                                          "assignee": u["aoj_2"].pk, "reason": "x"})
    assert response.status_code == 302
    assert state([task]) == [(task.pk, STATUS.NEW, None)]


def test_out_of_range_filters_are_ignored_not_a_crash(api, client, cases, u):
    huge = "9" * 25
    client.force_login(u["aoj"])
    assert client.get(reverse("inbox", kwargs={"scope": "queue"}), {"team": huge, "school": huge}).status_code == 200
    assert api(u["aoj"]).get("/api/tasks/", {"scope": "queue", "team": huge}).status_code == 200
    assert api(u["aoj"]).post("/api/worklists/", {"name": "x", "scope": "queue", "filters": {"team": huge}},
                              format="json").status_code == 400
