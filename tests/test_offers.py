"""Offers with a place (Thuiszitterspact Groningen, §2): an arrangement and a placement decision may wait for their
start side by side; a failed start ends what never began; a confirmed start needs no more waiting."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from casework import services
from casework.models import Arrangement, Case, Deadline, Offer, RouteRun
from casework.services import sweep_due
from tests.flowkit import board_and_school, complete, open_nodes, signal

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 9, 7, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def day(n: int) -> dt.date:
    return START.date() + dt.timedelta(days=n)


def morning(n: int):
    return timezone.make_aware(dt.datetime.combine(day(n), dt.time(8, 0)))


def arrangement(start: dt.date) -> dict:
    return {"education": "OPDC", "care_provider": "Zorg", "funding": "beide", "start_date": start.isoformat(),
            "end_date": (start + dt.timedelta(weeks=20)).isoformat(), "evaluation_weeks": 6}


def test_an_arrangement_that_does_not_start_ends_and_the_case_can_close(api, demo, u, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {"plan": "Arrangement", "routes": ["arrangement"]})
    complete(api, u["aoj"], case, "arrangement_setup", arrangement(day(0)))
    assert open_nodes(case) == ["start_confirmation"]
    complete(api, u["aoj"], case, "start_confirmation", {"started": False, "reason": "Zorgaanbieder haakte af"})
    assert open_nodes(case) == ["team_review"]
    assert Arrangement.objects.get(case=case).ended_at is not None
    assert not RouteRun.objects.filter(case=case, ended_at__isnull=True).exists()
    evaluation = Deadline.objects.filter(case=case, kind="arrangement_evaluation")
    assert all(clock_row.stopped_at for clock_row in evaluation)
    assert Case.objects.get(pk=case.pk).status == "active"  # the place fell through: back with the team
    offer_clock = Deadline.objects.get(case=case, kind="offer_3_months")
    assert offer_clock.met_at is None and offer_clock.stopped_at is None  # the promise is not kept
    complete(api, u["aoj"], case, "team_review", {"plan": "Anders", "outcome": "anders"})
    assert Case.objects.get(pk=case.pk).status == "closed"


def test_arrangement_and_placement_wait_for_their_own_start(api, demo, u, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {"plan": "Beide", "routes": ["arrangement", "doorbraak"]})
    complete(api, u["aoj"], case, "arrangement_setup", arrangement(day(3)))
    board, school = board_and_school(demo)
    complete(api, u["mpl_chair"], case, "doorbraak_decision", {
        "school_board": board, "school": school, "start_date": day(20).isoformat(), "preference_followed": True})
    assert Offer.objects.filter(case=case, status="pending").count() == 2  # one per route
    assert open_nodes(case) == []
    clock.move_to(morning(3))
    sweep_due()
    assert open_nodes(case) == ["start_confirmation"]  # only the arrangement's wait is released
    complete(api, u["aoj"], case, "start_confirmation", {"started": True, "started_on": day(3).isoformat()})
    arrangement_offer = Offer.objects.get(case=case, source="arrangement")
    assert (arrangement_offer.status, arrangement_offer.started_on) == ("started", day(3))
    assert Offer.objects.get(case=case, source="doorbraak").status == "pending"
    assert open_nodes(case) == ["arrangement_evaluation"]
    clock.move_to(morning(20))
    sweep_due()
    assert sorted(open_nodes(case)) == ["arrangement_evaluation", "start_confirmation"]
    complete(api, u["aoj"], case, "start_confirmation", {"started": True, "started_on": day(20).isoformat()})
    assert Offer.objects.get(case=case, source="doorbraak").status == "started"


def test_a_confirmed_start_leaves_no_start_clock_running(api, demo, u, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {"plan": "Arrangement", "routes": ["arrangement"]})
    complete(api, u["aoj"], case, "arrangement_setup", arrangement(day(0)))
    start_clock = Deadline.objects.get(case=case, kind="offer_start")
    complete(api, u["aoj"], case, "start_confirmation", {"started": True, "started_on": day(0).isoformat()})
    start_clock.refresh_from_db()
    assert start_clock.state == "stopped" and start_clock.stop_reason == "confirmed"
    breached = api(u["aoj"]).get("/api/cases/", {"deadline_state": "breached"}).json()["results"]
    assert case.pk not in [row["id"] for row in breached]


def test_a_new_placement_replaces_the_pending_one_and_its_wait(api, demo, u, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {"plan": "Plek", "routes": ["doorbraak"]})
    board, school = board_and_school(demo)
    complete(api, u["mpl_chair"], case, "doorbraak_decision", {
        "school_board": board, "school": school, "start_date": day(10).isoformat(), "preference_followed": True})
    first = Offer.objects.get(case=case)
    services.decide_as_director(case=case, actor=u["swv_director"], school_board=first.placement.school_board,
                                school=None, start_date=day(30), motivation="Later, andere plek")
    first.refresh_from_db()
    assert first.status == "failed"
    assert Deadline.objects.get(offer=first).stop_reason == "replaced"
    clock.move_to(morning(10))
    sweep_due()
    assert open_nodes(case) == []  # the replaced offer's date releases nothing
