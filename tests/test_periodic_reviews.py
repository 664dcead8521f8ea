"""Periodic work does not pile up: at most one open review per case and reason, the next one
planned from the day the last was done (Evaluatie 1ste jaar Thuiszitterspact Groningen,
statement 4, item 3: sick pupils are discussed cyclically, with the ECT)."""

import datetime as dt
import importlib

import pytest
import time_machine
from django.apps import apps
from django.utils import timezone

from casework.models import CaseEvent, Deadline
from casework.services import sweep_due
from notifications.models import Notification
from tests.flowkit import complete, open_nodes, signal
from workflows.flows import ReviewFlow
from workflows.models import CaseTask

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)  # a Monday morning


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def sick_case(api, u, demo, given_name="Zoe", birth_date="2012-03-01"):
    case = signal(api, u["aoj"], demo["schools"]["vo"], given_name=given_name, birth_date=birth_date,
                  registration="ziek", category="medisch_psychosociaal", absent_since="2025-12-15")
    complete(api, u["aoj"], case, "team_review", {"plan": "Contact met JGZ.", "routes": ["jim"]})
    return case


def reviews(case, status=("NEW", "ASSIGNED", "STARTED")):
    return CaseTask.objects.filter(case=case, flow_task=ReviewFlow.case_review, status__in=status)


def day(days: int) -> dt.datetime:
    return START + dt.timedelta(days=days)


def ziek_clocks(case):
    return list(Deadline.objects.filter(case=case, kind="ziek_review").order_by("sequence"))


def test_never_reviewed_sick_pupil_has_exactly_one_open_review(api, demo, u, clock):
    case = sick_case(api, u, demo)
    for days in range(7, 190, 7):  # six months, swept weekly
        clock.move_to(day(days))
        sweep_due()
        assert reviews(case).count() == (1 if days >= 42 else 0), days
    assert open_nodes(case).count("case_review") == 1
    clocks = ziek_clocks(case)
    # the first clock asked for the review; the second found it open: breached, and no third runs
    assert [(c.sequence, c.state) for c in clocks] == [(1, "met"), (2, "breached")]
    assert not Deadline.objects.filter(case=case, kind="ziek_review", met_at__isnull=True).exists()
    breach = CaseEvent.objects.get(case=case, kind="deadline_breached", data__deadline_kind="ziek_review")
    assert breach.data["review_open"] is True
    # the open review's team is told once that it is overdue
    told = Notification.objects.filter(kind="deadline_breached", case=case, data__deadline_kind="ziek_review")
    assert told.filter(recipient=u["aoj"]).count() == 1
    task = reviews(case).get()
    assert task.due_at < timezone.now()  # late: first on the urgency list


def test_late_review_plans_the_next_one_42_days_after_it(api, demo, u, clock):
    case = sick_case(api, u, demo)
    clock.move_to(day(43))
    sweep_due()
    assert reviews(case).count() == 1
    clock.move_to(day(90))  # the rhythm's next moment (day 84) passed with the review open
    sweep_due()
    assert reviews(case).count() == 1
    complete(api, u["aoj"], case, "case_review", {"notes": "Besproken met de JGZ en het ECT."})
    assert reviews(case).count() == 0
    running = Deadline.objects.get(case=case, kind="ziek_review", met_at__isnull=True, stopped_at__isnull=True)
    assert timezone.localdate(running.due_at) == timezone.localdate(day(90)) + dt.timedelta(days=42)
    clock.move_to(day(90 + 41))
    sweep_due()
    assert reviews(case).count() == 0
    clock.move_to(day(90 + 42) + dt.timedelta(hours=1))
    sweep_due()
    assert reviews(case).count() == 1
    assert reviews(case, status=("DONE",)).count() == 1


def test_review_on_time_replans_from_the_day_it_was_done(api, demo, u, clock):
    case = sick_case(api, u, demo)
    clock.move_to(day(43))
    sweep_due()
    clock.move_to(day(50))
    complete(api, u["aoj"], case, "case_review", {"notes": "Besproken."})
    running = [c for c in ziek_clocks(case) if c.state == "open"]
    assert [timezone.localdate(c.due_at) for c in running] == [timezone.localdate(day(50)) + dt.timedelta(days=42)]
    stopped = Deadline.objects.get(case=case, kind="ziek_review", stop_reason="reviewed")
    assert timezone.localdate(stopped.due_at) == timezone.localdate(day(84))
    clock.move_to(day(85))
    sweep_due()
    assert reviews(case).count() == 0  # the old rhythm asks nothing


def test_arrangement_evaluation_one_at_a_time_next_from_the_day_done(api, demo, u, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {"plan": "Arrangement.", "routes": ["arrangement"]})
    complete(api, u["aoj"], case, "arrangement_setup", {
        "education": "OPDC", "care_provider": "Zorg", "funding": "swv", "start_date": "2026-01-12",
        "end_date": "2026-07-10", "evaluation_weeks": 4})
    clock.move_to(dt.datetime(2026, 1, 12, 8, 0, tzinfo=dt.UTC))
    sweep_due()
    complete(api, u["aoj"], case, "start_confirmation", {"started": True, "started_on": "2026-01-12"})
    for days in range(14, 120, 7):  # months without an evaluation
        clock.move_to(day(days))
        sweep_due()
        assert open_nodes(case).count("arrangement_evaluation") == 1
    evaluation = Deadline.objects.get(case=case, kind="arrangement_evaluation")
    assert evaluation.state == "breached"
    assert Notification.objects.filter(kind="deadline_breached", case=case, recipient=u["aoj"],
                                       data__deadline_kind="arrangement_evaluation").count() == 1
    clock.move_to(day(120))
    complete(api, u["aoj"], case, "arrangement_evaluation", {"result": "voortzetten"})
    second = Deadline.objects.get(case=case, kind="arrangement_evaluation", sequence=2)
    assert timezone.localdate(second.warn_at) == timezone.localdate(day(120)) + dt.timedelta(weeks=4)
    assert open_nodes(case).count("arrangement_evaluation") == 1


def test_migration_cancels_duplicates_keeping_the_oldest(api, demo, u, clock):
    case = sick_case(api, u, demo)
    other = sick_case(api, u, demo, given_name="Ada", birth_date="2012-06-02")
    for target in (case, case, case, other):  # the old behaviour: a new review whatever was open
        clock.shift(dt.timedelta(hours=1))
        ReviewFlow.start.run(case=target, reason="ziek_review")
    clock.shift(dt.timedelta(hours=1))
    ReviewFlow.start.run(case=case, reason="exemption_ended")
    assert reviews(case).count() == 4
    oldest = reviews(case).filter(process__data__reason="ziek_review").order_by("created", "pk").first()
    migration = importlib.import_module("workflows.migrations.0007_one_open_review")
    assert migration.merge_open_reviews(apps) == 2
    assert list(reviews(case).filter(process__data__reason="ziek_review")) == [oldest]
    assert reviews(case).filter(process__data__reason="exemption_ended").count() == 1
    assert reviews(other).count() == 1
    merged = CaseEvent.objects.filter(case=case, kind="review_merged")
    assert merged.count() == 2
    assert {e.data["kept_task_id"] for e in merged} == {oldest.pk}
    assert all(e.data["trigger"] == "ziek_review" for e in merged)
    cancelled = reviews(case, status=("CANCELED",))
    assert cancelled.count() == 2 and all(t.process.status == "CANCELED" for t in cancelled)
    assert migration.merge_open_reviews(apps) == 0  # once is enough


def test_a_second_request_for_the_same_review_starts_no_task(api, demo, u, clock):
    from casework.signals import review_needed
    case = sick_case(api, u, demo)
    review_needed.send(sender=type(case), case=case, reason="ziek_review")
    review_needed.send(sender=type(case), case=case, reason="ziek_review")
    assert reviews(case).count() == 1


def test_overdue_notice_goes_to_the_reviews_owner(api, demo, u, clock):
    case = sick_case(api, u, demo)
    clock.move_to(day(43))
    sweep_due()
    task = reviews(case).get()
    assert api(u["aoj_2"]).post(f"/api/tasks/{task.pk}/claim/").status_code == 200
    clock.move_to(day(85))
    sweep_due()
    sweep_due()
    told = Notification.objects.filter(kind="deadline_breached", case=case, data__deadline_kind="ziek_review")
    assert told.filter(recipient=u["aoj_2"]).count() == 1
    # the owner does the review late: the next one 42 days after it
    clock.move_to(day(100))
    complete(api, u["aoj_2"], case, "case_review", {"notes": "Laat besproken."})
    running = Deadline.objects.get(case=case, kind="ziek_review", met_at__isnull=True, stopped_at__isnull=True)
    assert timezone.localdate(running.due_at) == timezone.localdate(day(100)) + dt.timedelta(days=42)


def test_po_sick_pupil_review_by_the_kindteam(api, demo, u, clock):
    case = signal(api, u["kindteam"], demo["schools"]["po"], given_name="Bo", birth_date="2016-04-04",
                  registration="ziek", category="medisch_psychosociaal", absent_since="2025-12-15")
    complete(api, u["kindteam"], case, "team_review", {"plan": "Contact met JGZ.", "routes": ["jim"]})
    for days in range(7, 190, 7):
        clock.move_to(day(days))
        sweep_due()
    assert reviews(case).count() == 1
    complete(api, u["kindteam"], case, "case_review", {"notes": "Besproken met het ECT."})
    running = Deadline.objects.get(case=case, kind="ziek_review", met_at__isnull=True, stopped_at__isnull=True)
    assert timezone.localdate(running.due_at) == timezone.localdate(day(189)) + dt.timedelta(days=42)


def test_closing_the_case_ends_its_open_review(api, demo, u, clock):
    """A periodic review has no point once the case is closed: it lapses with the closure and a late
    answer is refused with the reason (it stayed open in everyone's inbox before)."""
    from casework.signals import review_needed
    case = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Ella", birth_date="2012-03-01",
                  registration="ziek", category="medisch_psychosociaal", absent_since="2025-12-15")
    review_needed.send(sender=type(case), case=case, reason="ziek_review")
    task = reviews(case).get()
    complete(api, u["aoj"], case, "team_review", {"plan": "Terug naar school.", "outcome": "terug_naar_school"})
    case.refresh_from_db()
    assert case.status == "closed"
    assert not reviews(case).exists()
    task.refresh_from_db()
    assert (task.status, task.data["ended"]) == ("CANCELED", "case_closed")
    assert task.process.status == "CANCELED"
    late = api(u["aoj"]).post(f"/api/tasks/{task.pk}/complete/", {"notes": "Toch besproken."}, format="json")
    assert late.status_code == 409
    assert "De zaak is gesloten, daarom is deze taak vervallen." in late.json()["detail"]
    assert CaseEvent.objects.filter(case=case, kind="case_reviewed").count() == 0
