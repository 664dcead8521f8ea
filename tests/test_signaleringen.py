"""Notifications people can manage: the list grouped by case with the child's name only for who may
see the case, filters by kind, by "mine / my teams" and unread, a group marked read, each item a
link that opens its task or case, dates with the year when not this year; per kind a channel (in
the app, by e-mail, or the daily digest at CASEWORK_DIGEST_HOUR in Europe/Amsterdam)."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from casework.access import can_see_case
from casework.models import AccessLog
from notifications.models import Channel, KindPreference, Notification, Preference
from notifications.services import choosable_kinds, set_channels
from notifications.tasks import email_unread, send_digests
from tests.flowkit import open_task, signal
from tests.test_role_walk import ROLES

pytestmark = pytest.mark.django_db
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def notice(user, kind="deadline_breached", case=None, at=None, **fields):
    data = fields.pop("data", {"deadline_kind": "offer_3_months"} if kind == "deadline_breached" else {})
    return Notification.objects.create(recipient=user, kind=kind, case=case, data=data,
                                       created_at=at or timezone.now(), **fields)


def groups_in(html: str) -> list[str]:
    return re.findall(r'<h2 id="group-([^"]+)"', html)


@pytest.fixture
def two_cases(api, demo, u):
    first = signal(api, u["aoj"], demo["schools"]["vo"])
    second = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Tweede", family_name="Anderkind",
                    pupil_number="L-2002")
    return first, second


def test_grouped_by_case_latest_first_with_counts_and_the_childs_name(client, u, two_cases):
    first, second = two_cases  # aoj_2 has a new task on each; the second is the latest
    now = timezone.now()
    for minutes in (1, 2, 3):
        notice(u["aoj_2"], case=first, at=now - dt.timedelta(minutes=minutes))
    notice(u["aoj_2"], kind="agenda_published", data={"meeting_id": 1, "starts": "1 jan."},
           at=now - dt.timedelta(days=1))
    client.force_login(u["aoj_2"])
    html = client.get("/notifications/").content.decode()
    assert groups_in(html) == [str(second.pk), str(first.pk), "none"]
    assert f"Zaak {first.pk}: {first.child}" in html and str(first.school) in html
    assert "4 meldingen, <strong>4 ongelezen</strong>" in html  # the first case: its task and three breaches
    assert "Niet over een zaak" in html
    shown = AccessLog.objects.filter(user=u["aoj_2"], action=AccessLog.Action.LIST_VIEW).latest("pk")
    assert set(shown.shown_case_ids) == {first.pk, second.pk}


def test_no_childs_name_for_someone_who_cannot_see_the_case(client, u, two_cases):
    first, _second = two_cases
    notice(u["outsider"], case=first)  # told before, no longer on the case
    client.force_login(u["outsider"])
    html = client.get("/notifications/").content.decode()
    assert f'<h2 id="group-{first.pk}">Zaak {first.pk}</h2>' in html
    assert str(first.child) not in html and first.child.family_name not in html


def test_dates_carry_the_year_only_when_not_this_year(client, u):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=AMSTERDAM), tick=False):
        notice(u["aoj"], at=dt.datetime(2026, 1, 22, 2, 5, tzinfo=AMSTERDAM))
        notice(u["aoj"], at=dt.datetime(2025, 12, 30, 14, 5, tzinfo=AMSTERDAM))
        client.force_login(u["aoj"])
        html = client.get("/notifications/").content.decode()
    times = re.findall(r"<time datetime=\"[^\"]+\">([^<]+)</time>", html)
    assert times == ["22 jan. 02:05", "30 dec. 2025 14:05"]


def test_each_item_is_a_link_that_opens_its_task_and_marks_it_read(client, u, two_cases):
    first, _second = two_cases
    note = Notification.objects.get(recipient=u["aoj_2"], case=first)
    client.force_login(u["aoj_2"])
    html = client.get("/notifications/").content.decode()
    assert f'<a href="/notifications/{note.pk}/open/">' in html
    assert f'action="/notifications/{note.pk}/read/"' not in html  # no item is a POST button any more
    opened = client.get(f"/notifications/{note.pk}/open/")
    task = open_task(first, "team_review")
    assert opened.status_code == 302 and opened["Location"] == f"/task/{task.pk}/"
    read_at = Notification.objects.get(pk=note.pk).read_at
    assert read_at is not None
    assert client.get(f"/notifications/{note.pk}/open/").status_code == 302  # again: still read, unchanged
    assert Notification.objects.get(pk=note.pk).read_at == read_at
    client.force_login(u["aoj"])
    assert client.get(f"/notifications/{note.pk}/open/").status_code == 404  # not theirs


def test_filters_by_kind_by_mine_or_my_teams_and_unread(client, u, two_cases):
    first, second = two_cases
    task = open_task(first, "team_review")
    task.owner = u["aoj_2"]
    task.save(update_fields=["owner"])
    notice(u["aoj_2"], case=second)
    notice(u["aoj_2"], kind="mentioned", case=second, data={"user_ids": [u["aoj_2"].pk]}, read_at=timezone.now())
    client.force_login(u["aoj_2"])

    def kinds(**query) -> list[str]:
        response = client.get("/notifications/", query)
        return sorted(item.notification.kind for group in response.context["groups"] for item in group.items)

    assert kinds() == ["deadline_breached", "mentioned", "task_available", "task_available"]
    assert kinds(kind="deadline_breached") == ["deadline_breached"]
    assert kinds(scope="mine") == ["mentioned", "task_available"]  # the task that is theirs, the mention
    assert kinds(scope="teams") == ["deadline_breached", "task_available"]
    assert kinds(unread="1") == ["deadline_breached", "task_available", "task_available"]
    assert kinds(kind="nonsense", scope="everyone") == kinds()  # unknown values: not filtered
    assert kinds(case=str(first.pk)) == ["task_available"]
    html = client.get("/notifications/", {"kind": "deadline_breached"}).content.decode()
    assert '<option value="deadline_breached" selected>Klok verlopen</option>' in html


def test_a_group_is_marked_read_and_the_others_stay_unread(client, u, two_cases):
    first, second = two_cases
    notice(u["aoj_2"], case=first)
    meeting = notice(u["aoj_2"], kind="agenda_published", data={"meeting_id": 1, "starts": "1 jan."})
    client.force_login(u["aoj_2"])
    response = client.post("/notifications/read-group/", {"case": first.pk, "next": "/notifications/?unread=1"})
    assert response.status_code == 302 and response["Location"] == "/notifications/?unread=1"
    unread = Notification.objects.filter(recipient=u["aoj_2"], read_at__isnull=True)
    assert sorted(unread.values_list("case_id", flat=True), key=str) == sorted([second.pk, None], key=str)
    assert client.post("/notifications/read-group/", {"case": "none", "next": "https://evil.example/"})[
        "Location"] == "/notifications/"
    assert Notification.objects.get(pk=meeting.pk).read_at is not None
    client.force_login(u["aoj"])  # someone else's group: nothing of aoj_2 changes
    client.post("/notifications/read-group/", {"case": second.pk})
    assert unread.count() == 1
    assert client.post("/notifications/read-group/", {"case": "x"}).status_code == 404


def test_the_list_costs_the_same_queries_for_many_groups(client, u, two_cases, django_assert_max_num_queries):
    first, second = two_cases
    notice(u["aoj_2"], kind="ect_advice_reviewed", case=first, data={"approved": False, "advice_id": 999})
    client.force_login(u["aoj_2"])
    client.get("/notifications/")
    with django_assert_max_num_queries(12) as few:
        client.get("/notifications/")
    for index in range(60):
        notice(u["aoj_2"], case=(first, second)[index % 2])
        notice(u["aoj_2"], kind="ect_advice_reviewed", case=first, data={"approved": False, "advice_id": index})
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/notifications/")
    assert [len(group.items) for group in response.context["groups"]] == [5, 5]
    assert "Alle 92 meldingen van deze groep tonen" in response.content.decode()


def test_group_pages(client, u, demo, api):
    cases = [signal(api, u["aoj"], demo["schools"]["vo"], given_name=f"Kind{n}", family_name="Pagina",
                    pupil_number=f"P-{n}") for n in range(11)]
    client.force_login(u["aoj_2"])
    first_page = client.get("/notifications/")
    assert len(first_page.context["groups"]) == 10 and first_page.context["page"].paginator.num_pages == 2
    second_page = client.get("/notifications/", {"page": 2}).context["groups"]
    assert [group.case_id for group in second_page] == [cases[0].pk]


# --- the channel per kind ---------------------------------------------------------------------------


def test_preferences_page_keeps_a_channel_per_kind(client, u):
    client.force_login(u["aoj_2"])
    page = client.get("/notifications/preferences/")
    html = page.content.decode()
    assert page.status_code == 200 and 'name="channel-task_available"' in html
    assert 'name="channel-deadline_breached"' not in html  # always e-mailed at once
    assert "om 7:00" in html
    chosen = {f"channel-{kind}": "email" for kind, _label in choosable_kinds()}
    chosen["channel-task_available"] = "digest"
    chosen["channel-case_closed"] = "app"
    assert client.post("/notifications/preferences/", chosen).status_code == 302
    assert dict(KindPreference.objects.filter(user=u["aoj_2"]).exclude(channel="email")
                .values_list("kind", "channel")) == {"task_available": "digest", "case_closed": "app"}
    assert Preference.objects.get(user=u["aoj_2"]).last_digest_at is not None  # the digest starts now
    assert '<option value="digest" selected>' in client.get("/notifications/preferences/").content.decode()
    chosen["channel-case_closed"] = "pigeon"
    refused = client.post("/notifications/preferences/", chosen)
    assert refused.status_code == 200 and "Kies hoe u" in refused.content.decode()
    assert KindPreference.objects.get(user=u["aoj_2"], kind="case_closed").channel == "app"


def test_email_follows_the_channel_and_a_breach_is_always_mailed(api, demo, u):
    set_channels(user=u["aoj_2"], channels={"task_available": Channel.APP})
    set_channels(user=u["aoj"], channels={"deadline_warning": Channel.DIGEST})
    start = timezone.now()
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    notice(u["aoj"], kind="deadline_warning", case=case, data={"deadline_kind": "team_action_48h"})
    notice(u["aoj"], kind="deadline_breached", case=case)
    set_channels(user=u["aoj"], channels={"registration_changed": Channel.APP})
    with time_machine.travel(start + dt.timedelta(minutes=20), tick=False):
        email_unread()
    assert [m.to for m in mail.outbox] == [["aoj@casework.invalid"]]
    assert "Klok verlopen" in mail.outbox[0].subject


def test_the_digest_goes_once_a_day_at_seven_amsterdam_time(u, settings, two_cases):
    settings.CASEWORK_BASE_URL = "https://casework.example.org"
    first, _second = two_cases
    Notification.objects.filter(recipient=u["aoj_2"]).update(read_at=timezone.now())  # their new tasks: read
    with time_machine.travel(dt.datetime(2026, 12, 7, 18, 0, tzinfo=AMSTERDAM), tick=False):
        set_channels(user=u["aoj_2"], channels={"deadline_warning": Channel.DIGEST})
    evening = dt.datetime(2026, 12, 7, 20, 0, tzinfo=AMSTERDAM)
    warning = notice(u["aoj_2"], kind="deadline_warning", case=first, data={"deadline_kind": "team_action_48h"},
                     at=evening)
    notice(u["aoj_2"], kind="case_closed", case=first, at=evening)  # not a digest kind
    with time_machine.travel(dt.datetime(2026, 12, 8, 6, 59, tzinfo=AMSTERDAM), tick=False):
        assert send_digests() == 0  # before seven
    with time_machine.travel(dt.datetime(2026, 12, 8, 7, 0, 30, tzinfo=AMSTERDAM), tick=False):
        assert email_unread() == 1  # the case_closed only: the warning waits for the digest
        mail.outbox.clear()
        assert send_digests() == 1
        assert send_digests() == 0  # the same hour again: nothing more
    with time_machine.travel(dt.datetime(2026, 12, 8, 7, 40, tzinfo=AMSTERDAM), tick=False):
        assert send_digests() == 0
    [digest] = mail.outbox
    assert digest.to == ["aoj_2@casework.invalid"] and "dagelijkse samenvatting (1 melding)" in digest.subject
    assert f"https://casework.example.org/notifications/{warning.pk}/open/" in digest.body
    assert "Klok loopt bijna af" in digest.body and str(first.child) not in digest.body
    mail.outbox.clear()
    # the next day: only what came since; summer or winter, seven o'clock in Amsterdam
    later = notice(u["aoj_2"], kind="deadline_warning", case=first, data={"deadline_kind": "team_action_48h"},
                   at=dt.datetime(2026, 12, 8, 12, 0, tzinfo=AMSTERDAM))
    with time_machine.travel(dt.datetime(2026, 12, 9, 6, 5, tzinfo=dt.UTC), tick=False):  # 07:05 CET
        assert send_digests() == 1
    assert f"/notifications/{later.pk}/open/" in mail.outbox[0].body
    assert f"/notifications/{warning.pk}/open/" not in mail.outbox[0].body
    with time_machine.travel(dt.datetime(2027, 7, 1, 5, 5, tzinfo=dt.UTC), tick=False):  # 07:05 CEST
        assert send_digests() == 0  # nothing new: no e-mail
        assert Preference.objects.get(user=u["aoj_2"]).last_digest_at == timezone.now()


def test_the_digest_hour_is_a_setting(u, settings):
    settings.CASEWORK_DIGEST_HOUR = 18
    with time_machine.travel(dt.datetime(2026, 12, 7, 9, 0, tzinfo=AMSTERDAM), tick=False):
        set_channels(user=u["aoj"], channels={"mentioned": Channel.DIGEST})
    notice(u["aoj"], kind="mentioned", data={"user_ids": [u["aoj"].pk]},
           at=dt.datetime(2026, 12, 7, 9, 30, tzinfo=AMSTERDAM))
    with time_machine.travel(dt.datetime(2026, 12, 7, 17, 59, tzinfo=AMSTERDAM), tick=False):
        assert send_digests() == 0
    with time_machine.travel(dt.datetime(2026, 12, 7, 18, 1, tzinfo=AMSTERDAM), tick=False):
        assert send_digests() == 1


@pytest.mark.parametrize("role", ROLES)
def test_every_role_gets_its_grouped_list_and_its_preferences(client, u, two_cases, role):
    """Each demo user, in a team or not (the director, the privacy officer and Leerplicht are in
    none of the case's teams): the child's name only where they may see the case."""
    first, _second = two_cases
    user = u[role]
    notice(user, case=first)
    notice(user, kind="agenda_published", data={"meeting_id": 1, "starts": "1 jan."})
    client.force_login(user)
    response = client.get("/notifications/")
    html = response.content.decode()
    assert response.status_code == 200
    assert (str(first.child) in html) == can_see_case(user, first), role
    assert f"Zaak {first.pk}" in html and "Niet over een zaak" in html
    assert client.get("/notifications/", {"scope": "teams", "unread": "1"}).status_code == 200
    assert client.get("/notifications/preferences/").status_code == 200
    client.post("/notifications/read-group/", {"case": first.pk})
    assert not Notification.objects.filter(recipient=user, case=first, read_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_the_old_switch_becomes_only_in_the_app_for_every_kind_but_the_breach(django_user_model):
    """The migration: who had switched off e-mail for what is not a breach now has "only in
    casework" for each such kind; the others keep e-mail; and back."""
    executor = MigrationExecutor(connection)
    before, after = [("notifications", "0003_outbox_attempts")], [("notifications", "0004_channel_per_kind")]
    quiet, loud = (django_user_model.objects.create(username=name) for name in ("stil", "luid"))
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps.get_model("notifications", "Preference")
        old.objects.create(user_id=quiet.pk, email_non_breach=False)
        old.objects.create(user_id=loud.pk, email_non_breach=True)
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        new = executor.loader.project_state(after).apps.get_model("notifications", "KindPreference")
        assert set(new.objects.filter(user_id=quiet.pk).values_list("channel", flat=True)) == {"app"}
        assert {kind for kind, _label in choosable_kinds()} == set(
            new.objects.filter(user_id=quiet.pk).values_list("kind", flat=True))
        assert not new.objects.filter(user_id=loud.pk).exists()
        executor = MigrationExecutor(connection)
        executor.migrate(before)
        old = executor.loader.project_state(before).apps.get_model("notifications", "Preference")
        assert dict(old.objects.values_list("user_id", "email_non_breach")) == {quiet.pk: False, loud.pk: True}
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
