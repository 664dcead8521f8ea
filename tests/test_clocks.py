"""The clocks: started with the case, warned, breached, met and stopped, moved by time-machine."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.clocks import add_months
from casework.models import Case, CaseEvent, CaseParticipant, Deadline
from casework.services import sweep_due
from tests.flowkit import board_and_school, complete, in_days, open_nodes, open_task, signal
from workflows.flows import EscalationFlow
from workflows.models import CaseProcess

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 9, 7, 9, 0, tzinfo=dt.UTC)  # a Monday morning


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def clock_events(case, kind=None):
    events = CaseEvent.objects.filter(case=case, kind__startswith="deadline_").order_by("pk")
    return [(e.kind, e.data["deadline_kind"]) for e in events if kind is None or e.data["deadline_kind"] == kind]


def deadline(case, kind, sequence=1) -> Deadline:
    return Deadline.objects.get(case=case, kind=kind, sequence=sequence)


def start_and_confirm(api, u, case, clock, start: dt.date):
    """Move to the offered place's start date, let the sweeper release the wait, confirm the start."""
    clock.move_to(timezone.make_aware(dt.datetime.combine(start, dt.time(8, 0))))
    assert sweep_due().passed == 1  # the offer_start clock
    assert open_nodes(case) == ["start_confirmation"]
    complete(api, u["aoj"], case, "start_confirmation", {"started": True, "started_on": start.isoformat()})
    assert open_nodes(case) == ["arrangement_evaluation"]


def test_clocks_start_with_the_signal(api, demo, u, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"], absent_since="2026-08-24", registration="dreigend")
    team = deadline(case, "team_action_48h")
    assert (team.due_at, team.warn_at) == (START + dt.timedelta(hours=48), START + dt.timedelta(hours=24))
    lrv = deadline(case, "lrv_4_weeks")  # LRV only after MORE than four weeks: day 29 (day 1: absent_since)
    assert timezone.localtime(lrv.due_at) == timezone.make_aware(dt.datetime(2026, 9, 21))
    offer = deadline(case, "offer_3_months")
    assert timezone.localtime(offer.due_at).date() == dt.date(2026, 11, 24)
    assert timezone.localtime(offer.warn_at).date() == dt.date(2026, 10, 27)
    assert {d.state for d in case.deadlines.all()} == {"open"}
    # the first review is due with the 48-hour clock
    assert open_task(case, "team_review").due_at == team.due_at


def test_48_hour_warning_then_breach_each_once(api, client, demo, u, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    clock.move_to(START + dt.timedelta(hours=23))
    assert sweep_due().total == 0
    clock.move_to(START + dt.timedelta(hours=25))
    assert sweep_due().warned == 1
    assert sweep_due().total == 0  # a second sweep changes nothing
    assert deadline(case, "team_action_48h").state == "warning"
    clock.move_to(START + dt.timedelta(hours=49))
    first = sweep_due()
    assert first.breached == 1
    assert sweep_due().total == 0
    assert clock_events(case, "team_action_48h") == [
        ("deadline_warning", "team_action_48h"), ("deadline_breached", "team_action_48h")]
    assert deadline(case, "team_action_48h").state == "breached"
    client.force_login(u["aoj"])
    page = client.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "clock-breached" in page and "Teamactie binnen 48 uur" in page and "te laat" in page
    # acting late still records that the team acted, but the breach stands
    complete(api, u["aoj"], case, "team_review", {"plan": "Laat, maar gedaan.", "routes": ["jim"]})
    late = deadline(case, "team_action_48h")
    assert late.met_at is not None and late.state == "breached"


def test_team_acting_in_time_meets_the_clock(api, demo, u, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    clock.move_to(START + dt.timedelta(hours=10))
    complete(api, u["aoj"], case, "team_review", {"plan": "Direct opgepakt.", "routes": ["jim"]})
    clock.move_to(START + dt.timedelta(hours=100))
    assert sweep_due().breached == 0
    assert deadline(case, "team_action_48h").state == "met"
    assert clock_events(case, "team_action_48h") == [("deadline_met", "team_action_48h")]


def test_dreigend_becomes_lrv_after_four_weeks(api, demo, u, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"], absent_since="2026-08-31", registration="dreigend")
    intake = CaseEvent.objects.get(case=case, kind="registration_changed")
    school = Case.objects.get(pk=case.pk).school
    assert intake.data == {"from": None, "to": "dreigend", "since": "2026-08-31", "reason": "",
                           "trigger": "signalled", "school": school.pk, "sector": school.sector,
                           "region": school.region_id}
    # four weeks (28 days, 31 August being day 1) out of school is not yet "more than four weeks"
    clock.move_to(dt.datetime(2026, 9, 27, 21, 0, tzinfo=dt.UTC))  # day 28, late evening local time
    sweep_due()
    assert Case.objects.get(pk=case.pk).registration == "dreigend"
    clock.move_to(dt.datetime(2026, 9, 28, 6, 0, tzinfo=dt.UTC))  # day 29
    assert sweep_due().passed == 1
    assert Case.objects.get(pk=case.pk).registration == "lrv"
    changed = CaseEvent.objects.filter(case=case, kind="registration_changed").exclude(pk=intake.pk).get()
    assert changed.data == {"from": "dreigend", "to": "lrv", "since": "2026-09-28", "reason": "",
                            "trigger": "lrv_4_weeks", "school": school.pk, "sector": school.sector,
                            "region": school.region_id}
    assert deadline(case, "lrv_4_weeks").state == "met"  # a mark, not a failure
    assert sweep_due().total == 0
    assert CaseEvent.objects.filter(case=case, kind="registration_changed").count() == 2


def test_lrv_mark_leaves_another_registration_alone(api, demo, u, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"], absent_since="2026-08-31", registration="dreigend")
    Case.objects.filter(pk=case.pk).update(registration="ziek")
    clock.move_to(dt.datetime(2026, 10, 1, tzinfo=dt.UTC))
    sweep_due()
    assert Case.objects.get(pk=case.pk).registration == "ziek"


def test_three_month_breach_escalates_vo_to_mpl_and_tells_director(api, demo, u, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"], absent_since="2026-08-01")
    complete(api, u["aoj"], case, "team_review", {"plan": "Thuiswerkplan.", "routes": ["jim"]})
    clock.move_to(dt.datetime(2026, 10, 10, tzinfo=dt.UTC))
    assert sweep_due().warned == 1  # four weeks before
    assert Case.objects.get(pk=case.pk).status == "active"
    clock.move_to(dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC))
    assert sweep_due().breached == 1
    case.refresh_from_db()
    assert case.status == "escalated"
    assert open_nodes(case) == ["doorbraak_decision", "jim_assignment"]
    assert open_task(case, "doorbraak_decision").team.kind == "mpl"
    assert CaseParticipant.objects.filter(case=case, user=u["swv_director"], reason="escalation").exists()
    escalated = CaseEvent.objects.get(case=case, kind="escalated")
    assert escalated.data == {"trigger": "offer_3_months"}
    assert sweep_due().total == 0
    assert CaseProcess.objects.filter(case=case, flow_class=EscalationFlow).count() == 1


def test_three_month_breach_escalates_po_to_doe(api, demo, u, clock):
    case = signal(api, u["kindteam"], demo["schools"]["po"], absent_since="2026-07-01", birth_date="2017-05-05")
    clock.move_to(dt.datetime(2026, 10, 2, tzinfo=dt.UTC))
    assert sweep_due().breached >= 1
    case.refresh_from_db()
    assert case.status == "escalated"
    assert "doe_advice" in open_nodes(case)
    assert CaseParticipant.objects.filter(case=case, team__kind="doe").exists()


def test_late_signal_starts_breached_and_escalates_at_once(api, demo, u, clock):
    absent = (START - dt.timedelta(days=100)).date().isoformat()
    case = signal(api, u["aoj"], demo["schools"]["vo"], absent_since=absent)
    case.refresh_from_db()
    assert deadline(case, "offer_3_months").state == "breached"
    assert case.status == "escalated"
    assert open_nodes(case) == ["doorbraak_decision", "team_review"]
    assert sweep_due().total == 0


def test_team_doorbraak_route_joins_the_running_escalation(api, demo, u, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"], absent_since=(START - dt.timedelta(days=100)).date())
    complete(api, u["aoj"], case, "team_review", {"plan": "Doorbraak.", "routes": ["doorbraak"]})
    assert CaseProcess.objects.filter(case=case, flow_class=EscalationFlow).count() == 1
    assert open_nodes(case) == ["doorbraak_decision"]
    board, school = board_and_school(demo)
    complete(api, u["mpl_chair"], case, "doorbraak_decision", {
        "school_board": board, "school": school, "start_date": in_days(7), "preference_followed": True})
    assert Case.objects.get(pk=case.pk).status == "placed"
    # the decision alone keeps no promise: the flow waits for the start date
    assert open_nodes(case) == []
    assert deadline(case, "offer_3_months").met_at is None
    clock.move_to(START + dt.timedelta(days=7))
    assert sweep_due().passed == 1  # the offer_start clock
    assert open_nodes(case) == ["start_confirmation"]
    complete(api, u["aoj"], case, "start_confirmation", {"started": True, "started_on": "2026-09-14"})
    assert open_nodes(case) == ["team_review"]  # the waiting branch was released
    offer = deadline(case, "offer_3_months")
    assert offer.state == "breached" and offer.met_at == timezone.make_aware(dt.datetime(2026, 9, 14))


def test_exemption_stops_the_three_month_clock(api, demo, u, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"], absent_since="2026-08-08")
    complete(api, u["aoj"], case, "team_review", {"plan": "Vrijstelling.", "routes": ["vrijstelling_advies"]})
    complete(api, u["leerplicht"], case, "vrijstelling_request", {"grounds": "5a", "motivation": "M",
                                                                 "medical_statement": True})
    complete(api, u["ect"], case, "vrijstelling_advice", {"advice": "positief", "motivation": "M"})
    complete(api, u["leerplicht"], case, "vrijstelling_decision", {"granted": True, "until": "2027-07-01",
                                                                   "motivation": "M"})
    offer = deadline(case, "offer_3_months")
    assert offer.state == "stopped" and offer.stop_reason == "vrijstelling"
    clock.move_to(dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    assert sweep_due().breached == 0
    assert Case.objects.get(pk=case.pk).status == "active"


def test_placement_meets_and_closure_stops(api, demo, u, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {"plan": "Arrangement.", "routes": ["arrangement"]})
    complete(api, u["aoj"], case, "arrangement_setup", {
        "education": "OPDC", "care_provider": "Zorg", "funding": "swv", "start_date": "2026-09-14",
        "end_date": "2026-12-18", "evaluation_weeks": 2})
    # the arrangement is a place only when the child starts: the clock runs until the confirmed start
    assert deadline(case, "offer_3_months").state == "open"
    assert open_nodes(case) == []
    start_and_confirm(api, u, case, clock, dt.date(2026, 9, 14))
    offer = deadline(case, "offer_3_months")
    assert offer.state == "met" and offer.met_at == timezone.make_aware(dt.datetime(2026, 9, 14))
    evaluation = deadline(case, "arrangement_evaluation")
    assert timezone.localtime(evaluation.warn_at).date() == dt.date(2026, 9, 28)
    assert timezone.localtime(evaluation.due_at).date() == dt.date(2026, 10, 5)
    assert open_task(case, "arrangement_evaluation").due_at == evaluation.due_at


def test_arrangement_evaluation_breach_and_next_moment(api, demo, u, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {"plan": "Arrangement.", "routes": ["arrangement"]})
    complete(api, u["aoj"], case, "arrangement_setup", {
        "education": "OPDC", "care_provider": "Zorg", "funding": "swv", "start_date": "2026-09-14",
        "end_date": "2026-12-18", "evaluation_weeks": 2})
    start_and_confirm(api, u, case, clock, dt.date(2026, 9, 14))
    clock.move_to(dt.datetime(2026, 9, 28, 12, 0, tzinfo=dt.UTC))
    assert sweep_due().warned == 1  # the evaluation moment
    clock.move_to(dt.datetime(2026, 10, 6, tzinfo=dt.UTC))
    assert sweep_due().breached == 1
    assert deadline(case, "arrangement_evaluation").state == "breached"
    complete(api, u["aoj"], case, "arrangement_evaluation", {"result": "voortzetten"})
    second = deadline(case, "arrangement_evaluation", 2)
    assert timezone.localtime(second.warn_at).date() == dt.date(2026, 10, 20)
    assert second.state == "open"  # the next moment, two weeks after the (late) evaluation


def test_task_due_dates_follow_the_meeting_rhythm(api, demo, u, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {"plan": "ECT en MPL.", "ect_question_kind": "handelingsadvies", "routes": ["ect_consult", "doorbraak"]})
    assert open_task(case, "ect_draft").due_at == START + dt.timedelta(days=7)
    assert open_task(case, "doorbraak_decision").due_at == START + dt.timedelta(days=14)


def test_moving_the_clock_back_breaks_nothing(api, demo, u, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    clock.move_to(START + dt.timedelta(hours=50))
    assert sweep_due().breached == 1
    clock.move_to(START - dt.timedelta(days=3))
    assert sweep_due().total == 0
    assert deadline(case, "team_action_48h").state == "breached"


def test_api_shows_clocks_and_filters_by_state(api, demo, u, clock):
    late = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Laat")
    fresh = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Vers", absent_since="2026-09-01",
                   registration="dreigend")
    complete(api, u["aoj"], fresh, "team_review", {"plan": "P", "routes": ["jim"]})
    clock.move_to(START + dt.timedelta(hours=49))
    sweep_due()
    body = api(u["aoj"]).get(f"/api/cases/{late.pk}/").json()
    clocks = {d["kind"]: d for d in body["deadlines"]}
    assert clocks["team_action_48h"]["state"] == "breached" and clocks["team_action_48h"]["breached_at"]
    assert set(clocks["team_action_48h"]) >= {"kind", "due_at", "warn_at", "state", "met_at", "breached_at"}
    breached = api(u["aoj"]).get("/api/cases/?deadline_state=breached").json()
    assert [c["id"] for c in breached["results"]] == [late.pk]
    assert api(u["aoj"]).get("/api/cases/?deadline_state=soon").status_code == 400
    # the inbox: overdue first by default, and the "te laat" filter
    queue = api(u["aoj_2"]).get("/api/tasks/?scope=queue").json()["results"]
    assert [t["case"] for t in queue][0] == late.pk
    overdue = api(u["aoj_2"]).get("/api/tasks/?scope=queue&due=overdue").json()["results"]
    assert [t["case"] for t in overdue] == [late.pk]
    week = api(u["aoj_2"]).get("/api/tasks/?scope=queue&due=week").json()["results"]
    assert {t["case"] for t in week} == {late.pk, fresh.pk}


def test_coordinator_overview_lists_team_clocks(api, client, demo, u, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    clock.move_to(START + dt.timedelta(hours=49))
    sweep_due()
    client.force_login(u["aoj"])  # coordinator of the AOJ-team
    page = client.get("/clocks/?state=breached").content.decode()
    assert str(case.child) in page and "clock-row-breached" in page
    client.force_login(u["aoj_2"])  # a plain member
    assert str(case.child) not in client.get("/clocks/").content.decode()
    client.force_login(u["outsider"])
    assert str(case.child) not in client.get("/clocks/").content.decode()


def test_sweep_query_count_does_not_grow_with_rows_not_due(api, demo, u, clock):
    cases = [signal(api, u["aoj"], demo["schools"]["vo"], given_name=f"K{n}") for n in range(2)]
    far = START + dt.timedelta(days=400)

    def add_future_rows(count, offset):
        Deadline.objects.bulk_create([
            Deadline(case=cases[i % 2], kind="arrangement_evaluation", sequence=offset + i, due_at=far,
                     warn_at=far) for i in range(count)])

    add_future_rows(10, 100)
    clock.move_to(START + dt.timedelta(hours=1))
    with CaptureQueriesContext(connection) as few:
        assert sweep_due().total == 0
    add_future_rows(10_000, 1000)
    with CaptureQueriesContext(connection) as many:
        assert sweep_due().total == 0
    assert len(many.captured_queries) == len(few.captured_queries)


def test_add_months_clamps_to_month_end():
    assert add_months(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2027, 12, 15), 3) == dt.date(2028, 3, 15)
