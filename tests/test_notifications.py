"""Who hears what, the e-mail fallback and the notifications API."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from casework.services import sweep_due
from notifications import registry
from notifications.models import Notification, OutboxEntry
from notifications.presentation import TITLES, kind_choices
from notifications.rules import AUDIENCES
from notifications.services import choosable_kinds, mark_all_read, notify, notify_many
from notifications.tasks import email_unread
from tests.flowkit import board_and_school, complete, in_days, open_task, signal

pytestmark = pytest.mark.django_db


def told(kind=None, **filters):
    rows = Notification.objects.filter(**filters)
    if kind:
        rows = rows.filter(kind=kind)
    return sorted(rows.values_list("recipient__username", flat=True))


def test_new_task_tells_the_team_but_not_the_actor(api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    assert told("task_available", case=case) == ["aoj_2"]
    note = Notification.objects.get(kind="task_available")
    assert note.task == open_task(case, "team_review") and set(note.data) == set()


def test_four_eyes_drafter_is_not_told_and_reviews_reach_drafter_and_team(api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {"plan": "P", "ect_question_kind": "handelingsadvies", "routes": ["ect_consult"]})
    assert told("task_available", case=case, task__in=[open_task(case, "ect_draft")]) == ["ect", "ect_2"]
    complete(api, u["ect"], case, "ect_draft", {"question": "Q", "advice": "A"})
    assert told("task_available", task=open_task(case, "ect_approve")) == ["ect_2"]  # never the drafter
    complete(api, u["ect_2"], case, "ect_approve", {"approved": True})
    assert told("ect_advice_reviewed", case=case) == ["aoj", "aoj_2", "ect"]


def test_decisions_and_closure(api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {"plan": "P", "routes": ["doorbraak", "vrijstelling_advies"]})
    assert told("task_available", task=open_task(case, "doorbraak_decision")) == ["mpl_chair"]
    complete(api, u["leerplicht"], case, "vrijstelling_request", {"grounds": "5a", "motivation": "M",
                                                                 "medical_statement": False})
    complete(api, u["ect"], case, "vrijstelling_advice", {"advice": "negatief", "motivation": "M"})
    assert told("vrijstelling_advised", case=case) == ["leerplicht"]
    complete(api, u["leerplicht"], case, "vrijstelling_decision", {"granted": False, "motivation": "M"})
    board, school = board_and_school(demo, "vo")  # at its own school: the team stays on the case
    complete(api, u["mpl_chair"], case, "doorbraak_decision", {
        "school_board": board, "school": school, "start_date": in_days(0), "preference_followed": True})
    assert told("placement_decided", case=case) == ["aoj", "aoj_2"]
    # the place starts today: the case team is asked to confirm the start
    assert told("task_available", task=open_task(case, "start_confirmation")) == ["aoj", "aoj_2"]
    complete(api, u["aoj"], case, "start_confirmation", {"started": True, "started_on": in_days(0)})
    complete(api, u["aoj_2"], case, "team_review", {"plan": "Klaar", "outcome": "terug_naar_school"})
    assert told("case_closed", case=case) == ["aoj", "ect", "ect_2", "leerplicht", "mpl_chair"]
    # nobody outside the case ever heard of it
    assert not Notification.objects.filter(recipient__username__in=["outsider", "kindteam", "doe_chair",
                                                                    "privacy_officer"]).exists()


def test_clock_warning_goes_to_the_assignee_and_breach_up_the_ladder(api, demo, u):
    start = timezone.now()
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    task = open_task(case, "team_review")
    api(u["aoj_2"]).post(f"/api/tasks/{task.pk}/claim/")
    with time_machine.travel(start + dt.timedelta(hours=25), tick=False):
        sweep_due()
    assert told("deadline_warning", case=case) == ["aoj_2"]
    with time_machine.travel(start + dt.timedelta(hours=49), tick=False):
        sweep_due()
        sweep_due()
    assert told("deadline_breached", case=case) == ["aoj", "ect", "ect_2"]  # coordinator + the region's ECT
    assert case.participants.filter(team__kind="ect", reason="escalation").exists()


def test_three_month_breach_tells_the_chair_and_the_director(api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"], absent_since=(timezone.localdate() - dt.timedelta(days=80)))
    with time_machine.travel(timezone.now() + dt.timedelta(days=12), tick=False):
        sweep_due()
    assert {"aoj", "mpl_chair", "swv_director"} <= set(told("deadline_breached", case=case,
                                                            data__deadline_kind="offer_3_months"))


def test_rolled_back_action_leaves_no_notification(api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    before = Notification.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(kind="case_closed", case=case, actor=u["aoj"])
        raise RuntimeError("rolled back")
    assert Notification.objects.count() == before


# --- e-mail ------------------------------------------------------------------------------------


def test_email_after_the_delay_once_and_breach_at_once(api, demo, u, settings):
    settings.CASEWORK_BASE_URL = "https://casework.example.org"
    start = timezone.now()
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    assert email_unread() == 0 and len(mail.outbox) == 0
    with time_machine.travel(start + dt.timedelta(minutes=16), tick=False):
        assert email_unread() == 1
        assert email_unread() == 0  # a second run (a retry) sends nothing more
    [message] = mail.outbox
    assert message.to == ["aoj_2@casework.invalid"]
    assert f"zaak {case.pk}" in message.subject.lower() and "https://casework.example.org/task/" in message.body
    assert "Sanne" not in message.subject + message.body and "Testkind" not in message.body
    mail.outbox.clear()
    with time_machine.travel(start + dt.timedelta(hours=49), tick=False):
        sweep_due()
        email_unread()
    assert {m.to[0] for m in mail.outbox} >= {"aoj@casework.invalid"}
    assert all("Klok verlopen" in m.subject for m in mail.outbox if m.to == ["ect@casework.invalid"])


def test_email_preference_keeps_non_breach_mail_away(client, api, demo, u):
    client.force_login(u["aoj_2"])
    only_in_app = {f"channel-{kind}": "app" for kind, _label in choosable_kinds()}
    assert client.post("/notifications/preferences/", only_in_app).status_code == 302  # no e-mail
    start = timezone.now()
    signal(api, u["aoj"], demo["schools"]["vo"])
    with time_machine.travel(start + dt.timedelta(hours=1), tick=False):
        assert email_unread() == 0
    with time_machine.travel(start + dt.timedelta(hours=49), tick=False):
        sweep_due()
        email_unread()
    assert "aoj_2@casework.invalid" not in {m.to[0] for m in mail.outbox}  # not a coordinator: no breach mail
    assert "aoj@casework.invalid" in {m.to[0] for m in mail.outbox}


def test_email_task_retried_after_a_failure_sends_no_second_mail(api, demo, u, monkeypatch):
    start = timezone.now()
    signal(api, u["aoj"], demo["schools"]["vo"])
    sent = []

    def flaky_send_mail(**kwargs):
        sent.append(kwargs["recipient_list"])
        raise ConnectionError("SMTP went away after accepting the message")

    monkeypatch.setattr("notifications.tasks.send_mail", flaky_send_mail)
    with time_machine.travel(start + dt.timedelta(minutes=20), tick=False):
        with pytest.raises(ConnectionError):
            email_unread()
        monkeypatch.undo()
        assert email_unread() == 0  # the retry does not send it again
    assert sent == [["aoj_2@casework.invalid"]] and mail.outbox == []


# --- API and page --------------------------------------------------------------------------------


def test_api_lists_reads_and_marks(api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    mine = api(u["aoj_2"])
    body = mine.get("/api/notifications/?unread=1").json()
    [item] = body["results"]
    assert item["kind"] == "task_available" and item["case"] == case.pk
    assert item["title"] == f"Nieuwe taak: Teambespreking (zaak {case.pk})" and item["url"].startswith("/task/")
    assert mine.get("/api/notifications/", {"since": item["created_at"]}).json()["count"] == 0
    assert mine.get("/api/notifications/?since=gisteren").status_code == 400
    assert api(u["aoj"]).post(f"/api/notifications/{item['id']}/read/").status_code == 404  # not theirs
    assert mine.post(f"/api/notifications/{item['id']}/read/").json()["read_at"]
    assert mine.get("/api/notifications/?unread=1").json()["count"] == 0
    signal(api, u["aoj"], demo["schools"]["vo"], given_name="Tweede")
    assert mine.post("/api/notifications/read-all/").json() == {"marked": 1}


def test_page_and_badge(client, api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    client.force_login(u["aoj_2"])
    html = client.get("/tasks/queue/").content.decode()
    assert 'id="notification-badge" class="badge" aria-hidden="true">1<' in html
    assert 'aria-live="polite" data-one="{count} ongelezen melding" data-other="{count} ongelezen meldingen">1 ongelezen melding<' in html
    page = client.get("/notifications/").content.decode()
    assert f"Nieuwe taak: Teambespreking (zaak {case.pk})" in page
    note = Notification.objects.get(recipient=u["aoj_2"])
    response = client.post(f"/notifications/{note.pk}/read/", {"next": "/tasks/queue/"})
    assert response.status_code == 302 and Notification.objects.get(pk=note.pk).read_at
    client.post("/notifications/read-all/")
    assert 'class="badge empty"' in client.get("/tasks/queue/").content.decode()


def test_mark_all_read_before_a_moment_leaves_the_newer_unread(api, demo, u):
    with time_machine.travel(timezone.now() - dt.timedelta(days=5), tick=False):
        signal(api, u["aoj"], demo["schools"]["vo"])
    signal(api, u["aoj"], demo["schools"]["vo"], given_name="Tweede", family_name="Anderkind", pupil_number="L-2002")
    unread = Notification.objects.filter(recipient=u["aoj_2"], read_at__isnull=True)
    assert unread.count() == 2
    assert mark_all_read(user=u["aoj_2"], before=timezone.now() - dt.timedelta(days=3)) == 1
    assert list(unread) == [Notification.objects.filter(recipient=u["aoj_2"]).first()]  # the newest stays unread
    assert mark_all_read(user=u["aoj_2"]) == 1 and not unread.all().exists()


def test_every_kind_has_its_audience_title_and_label_and_no_other_kind_is_written():
    kinds = set(Notification.Kind.values)
    assert set(AUDIENCES) == kinds and set(TITLES) == kinds
    assert [kind for kind, _label in kind_choices()] == Notification.Kind.values
    before = OutboxEntry.objects.count()
    with pytest.raises(ValueError, match="unknown notification kind"):
        notify(kind="case_closd", case=None)
    with pytest.raises(ValueError, match="unknown notification kind"):
        notify_many([{"kind": Notification.Kind.CASE_CLOSED, "case": None}, {"kind": "deadline_warn", "case": None}])
    assert OutboxEntry.objects.count() == before


def test_notifications_name_tasks_by_id_and_read_them_through_the_registry(api, demo, u):
    for model in (Notification, OutboxEntry):
        assert not [field.name for field in model._meta.get_fields()
                    if field.related_model is not None and field.related_model._meta.app_label == "workflows"]
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    note = Notification.objects.filter(kind="task_available", case=case).with_tasks().first()
    assert note.task == open_task(case, "team_review") == registry.task(note.task_id)
    assert registry.task(None) is None and registry.tasks([None]) == {}
