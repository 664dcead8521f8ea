"""The monitor computed from a known history: counts at three peildata (a registration that
changed, a child with a new case after closure), period counts, CSV = API = page, small-number
suppression only in the public export, and who may see which region. Then the counting rules one
by one, on cases written straight to the tables (events, exemptions and clocks by hand)."""

import csv
import datetime as dt
import io
import re

import pytest
import time_machine
from django.utils import timezone

from casework import monitor
from casework.models import Case, CaseEvent, Child, Deadline, Vrijstelling
from casework.monitor import spells
from casework.services import sweep_due
from teams.models import Region
from tests.factories import CaseFactory, ChildFactory, SchoolFactory, UserFactory
from tests.flowkit import complete, signal, users

pytestmark = pytest.mark.django_db


def at(day: str, hour: int = 10):
    return timezone.make_aware(dt.datetime.fromisoformat(f"{day}T{hour:02d}:00"))


@pytest.fixture
def history(api, demo):
    """Six cases over autumn 2026 (VO region unless said otherwise)."""
    u = users(demo)
    vo, po = demo["schools"]["vo"], demo["schools"]["po"]
    vo_region = Region.objects.get(name="SWV VO Stad Demo")
    with time_machine.travel(at("2026-09-02"), tick=False) as clock:
        a = signal(api, u["aoj"], vo, given_name="Anna", absent_since="2026-08-01")
        clock.move_to(at("2026-09-03"))
        complete(api, u["aoj"], a, "team_review", {"plan": "ECT", "ect_question_kind": "handelingsadvies", "routes": ["ect_consult"]})
        clock.move_to(at("2026-09-05"))
        b = signal(api, u["aoj"], vo, given_name="Bram", registration="dreigend", absent_since="2026-09-01")
        clock.move_to(at("2026-09-01", 12))
        e1 = signal(api, u["aoj"], vo, given_name="Eva", absent_since="2026-08-01")
        clock.move_to(at("2026-09-10"))
        complete(api, u["ect"], a, "ect_draft", {"question": "Q", "advice": "A"})
        complete(api, u["ect_2"], a, "ect_approve", {"approved": True})
        f = signal(api, u["aoj"], vo, given_name="Fenna", absent_since="2026-08-10")
        clock.move_to(at("2026-09-15"))
        d = signal(api, u["kindteam"], po, given_name="Dirk", registration="ziek", birth_date="2017-01-01",
                   absent_since="2026-09-10")
        clock.move_to(at("2026-09-20"))
        complete(api, u["aoj"], e1, "team_review", {"plan": "Klaar", "outcome": "anders"})
        clock.move_to(at("2026-09-28", 12))
        sweep_due()  # Bram: 28 days out of school (1 September is day 1) is not yet more than four weeks
        assert Case.objects.get(pk=b.pk).registration == "dreigend"
        clock.move_to(at("2026-09-29", 12))
        sweep_due()  # day 29: lrv, since 29 September
        clock.move_to(at("2026-10-05"))
        c = signal(api, u["leerplicht"], None, given_name="Cas", registration="av", region=vo_region.pk,
                   signaller_role="leerplicht", absent_since="2026-09-20")
        clock.move_to(at("2026-10-10"))
        e2 = signal(api, u["aoj"], vo, given_name="Eva", absent_since="2026-09-01")
        clock.move_to(at("2026-10-12"))
        complete(api, u["aoj"], f, "team_review", {"plan": "5a", "routes": ["vrijstelling_advies"]})
        complete(api, u["leerplicht"], f, "vrijstelling_request", {"grounds": "5a", "motivation": "M",
                                                                  "medical_statement": True})
        clock.move_to(at("2026-10-15"))
        complete(api, u["ect"], f, "vrijstelling_advice", {"advice": "positief", "motivation": "M"})
        complete(api, u["leerplicht"], f, "vrijstelling_decision", {"granted": True, "until": "2027-07-31",
                                                                    "motivation": "M"})
        clock.move_to(at("2026-10-20"))
        complete(api, u["aoj"], a, "team_review", {"plan": "Terug", "outcome": "terug_naar_school"})
    assert e1.child_id == e2.child_id and e1.pk != e2.pk
    return {"u": u, "vo_region": vo_region, "cases": {"a": a, "b": b, "c": c, "d": d, "e1": e1, "e2": e2, "f": f}}


def numbers(api, user, **params):
    response = api(user).get("/api/monitor/", params)
    assert response.status_code == 200, response.content
    return response.json()


EXPECTED = {  # on each peildatum, over both regions: (lrv, av, vrij, ziek, dreigend, sick for 4 weeks or less)
    "2026-09-15": (3, 0, 0, 0, 1, 1),  # Anna, Eva, Fenna lrv; Dirk sick (PO) 6 days: not ziek; Bram dreigend
    "2026-10-01": (3, 0, 0, 0, 0, 1),  # Eva's first case closed; Bram lrv from 29 September; Dirk 22 days
    "2026-11-01": (2, 1, 1, 1, 0, 0),  # Anna back at school; Cas av; Eva's new case; Fenna exempted; Dirk ziek
}


@pytest.mark.parametrize("day", list(EXPECTED))
def test_counts_on_three_peildata(api, history, day):
    director = history["u"]["swv_director"]  # director of both regions
    counts = numbers(api, director, peildatum=day)["counts"]
    lrv, av, vrij, ziek, dreigend, short_sick = EXPECTED[day]
    assert (counts["lrv"], counts["av"], counts["vrij"], counts["ziek"], counts["dreigend"]) == (
        lrv, av, vrij, ziek, dreigend)
    assert counts["thuiszitters"] == lrv + av == sum(counts["durations"].values())  # durations: thuiszitters only
    assert counts["open_cases"] == lrv + av + vrij + ziek + dreigend + short_sick  # (all of compulsory school age)
    assert sum(counts["thuiszitters_by_category"].values()) == lrv + av
    assert counts["ziek_by_category"]["schoolweigeraar"] == ziek  # (the signals' category)


def test_counts_per_region_sector_and_school(api, history):
    director = history["u"]["swv_director"]
    vo_only = numbers(api, director, peildatum="2026-09-15", region=history["vo_region"].pk)["counts"]
    assert (vo_only["lrv"], vo_only["ziek"], vo_only["dreigend"]) == (3, 0, 1)
    po = numbers(api, director, peildatum="2026-09-15", sector="po")["counts"]
    assert (po["ziek"], po["open_cases"]) == (0, 1)  # Dirk, sick for 6 days: not yet ziek
    assert numbers(api, director, peildatum="2026-11-01", sector="po")["counts"]["ziek"] == 1  # 53 days
    school = history["cases"]["a"].school_id
    at_school = numbers(api, director, peildatum="2026-11-01", school=school)["counts"]
    assert (at_school["lrv"], at_school["av"], at_school["vrij"]) == (2, 0, 1)  # Cas (av) has no school
    assert numbers(api, director, peildatum="2026-11-01")["counts"]["thuiszitters_by_school"] == {str(school): 2}


def test_duration_buckets(api, history):
    counts = numbers(api, history["u"]["swv_director"], peildatum="2026-11-01")["counts"]
    # the thuiszitters only: Bram 61 days, Cas 42, Eva 61 (new case): all between 4 weeks and 3 months
    assert counts["durations"] == {"lt_4_weeks": 0, "4_weeks_3_months": 3, "3_6_months": 0, "gt_6_months": 0}
    on_15_september = numbers(api, history["u"]["swv_director"], peildatum="2026-09-15")["counts"]
    # Anna 45 days, Eva 45, Fenna 36; Bram (dreigend) and Dirk (ziek) are no thuiszitters
    assert on_15_september["durations"] == {"lt_4_weeks": 0, "4_weeks_3_months": 3, "3_6_months": 0,
                                            "gt_6_months": 0}


def test_period_counts_and_compliance(api, history):
    director = history["u"]["swv_director"]
    q3 = numbers(api, director, peildatum="2026-09-30", since="2026-07-01")["period"]
    assert (q3["new_signals"], q3["returns"], q3["ect_consults"]) == (5, 0, 1)
    assert q3["routes"]["ect_consult"] == 1 and q3["ladder"]["team"] == 2 and q3["ladder"]["ect"] >= 1
    assert q3["closed"]["anders"] == 1
    q4 = numbers(api, director, peildatum="2026-10-31", since="2026-10-01")["period"]
    assert (q4["new_signals"], q4["returns"], q4["exemptions_advised"], q4["exemptions_granted"]) == (2, 1, 1, 1)
    team_clock = q3["compliance"]["team_action_48h"]
    assert team_clock["met"] >= 2 and team_clock["met_share"] is not None
    assert q3["days_signal_to_team_action"]["cases"] == 2 and q3["days_signal_to_team_action"]["median"] is not None


def quarter_csv(client, audience: str | None = None) -> dict[str, list[str]]:
    query = "year=2026&quarter=4" + (f"&audience={audience}" if audience else "")
    response = client.get(f"/monitor/quarter.csv?{query}")
    assert response.status_code == 200
    return {row[0]: row[1:] for row in csv.reader(io.StringIO(response.content.decode()))}


def test_csv_api_and_page_agree_and_only_the_public_export_suppresses(api, client, history):
    director = history["u"]["swv_director"]
    api_counts = api(director).get("/api/monitor/quarter/", {"year": 2026, "quarter": 4}).json()["counts"]
    client.force_login(director)
    exact = quarter_csv(client)  # the Inspectie's, by default
    assert exact == quarter_csv(client, "inspectie")
    assert exact["Langdurig relatief verzuim (LRV)"][0] == str(api_counts["lrv"])
    assert exact["Absoluut verzuim (AV)"][0] == str(api_counts["av"])
    assert exact["Vrijstelling (alle gronden)"][0] == str(api_counts["vrij"])
    assert exact["Vrijstelling 5a"] == [str(api_counts["vrij_by_ground"]["5a"])]
    assert exact["Ziekgemeld"][0] == str(api_counts["ziek"])
    assert exact["Thuiszitters (LRV + AV)"][0] == str(api_counts["thuiszitters"])
    assert exact["Zonder aanbod na 3 maanden"] == [str(api_counts["without_offer_over_3_months"])]
    page = client.get("/monitor/quarter/?year=2026&quarter=4")
    assert page.context["result"]["counts"] == api_counts
    html = page.content.decode()
    assert "audience=inspectie" in html and "audience=public" in html  # both exports are linked
    public = quarter_csv(client, "public")
    assert public["Langdurig relatief verzuim (LRV)"][0] == "< 5"
    api_public = api(director).get("/api/monitor/quarter/", {"year": 2026, "quarter": 4, "audience": "public"})
    assert {row["label"]: row["total"] for row in api_public.json()["rows"]}["Langdurig relatief verzuim (LRV)"] == "< 5"
    dashboard = client.get("/monitor/", {"peildatum": timezone.localdate().isoformat()}).content.decode()
    assert "&lt; 5" not in dashboard and "< 5" not in dashboard.split("<main")[1].split("</main>")[0]


def test_who_may_see_which_region(api, history):
    u = history["u"]
    po_region = Region.objects.get(name="SWV PO Stad Demo")
    assert api(u["aoj"]).get("/api/monitor/", {"peildatum": "2026-11-01"}).status_code == 200  # coordinator
    assert api(u["aoj"]).get("/api/monitor/", {"peildatum": "2026-11-01", "region": po_region.pk}).status_code == 404
    assert api(u["kindteam"]).get("/api/monitor/", {"peildatum": "2026-11-01", "region": po_region.pk}).status_code == 200
    assert api(u["aoj_2"]).get("/api/monitor/", {"peildatum": "2026-11-01"}).status_code == 404  # member only
    assert api(u["aoj"]).get("/api/monitor/", {"peildatum": "not-a-date"}).status_code == 400
    assert api(u["aoj"]).get("/api/monitor/quarter/", {"year": 2026, "quarter": 5}).status_code == 400


def test_monitor_pages_show_no_names(client, history):
    client.force_login(history["u"]["swv_director"])
    for url in ["/monitor/?peildatum=2026-11-01", "/monitor/quarter/?year=2026&quarter=4"]:
        # without the random CSRF tokens, which can hold "Cas" by chance
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", client.get(url).content.decode())
        for name in ("Anna", "Bram", "Cas", "Dirk", "Eva", "Fenna", "Testkind"):
            assert name not in html, (url, name)


# --- the counting rules, on cases written straight to the tables ----------------------------------------


D = dt.date(2026, 11, 2)  # the peildatum of the rule tests


def make_case(school, *, registration="lrv", since="2026-10-01", born=dt.date(2012, 5, 17), history=True, **fields):
    """An open case signalled on 1 October 2026 with its intake event (unless `history=False`)."""
    fields.setdefault("signalled_at", at("2026-10-01"))
    fields.setdefault("absent_since", dt.date(2026, 8, 1))
    case = CaseFactory(school=school, registration=registration, child=ChildFactory(birth_date=born), **fields)
    if history:
        change(case, registration, since, case.signalled_at)
    return case


def change(case, registration, since, moment, kind="registration_changed", **data):
    if kind == "registration_changed":
        data = {"from": None, "to": registration, "since": since, "reason": "", "trigger": "test", **data}
    else:
        data = {"from": "geen", "level": registration, "since": since, "note": "", **data}
    return CaseEvent.objects.create(case=case, kind=kind, at=moment, data=data)


@pytest.fixture
def school(db):
    return SchoolFactory(name="Regelcollege")


def count(school, day=D) -> dict:
    # These tests write clocks, exemptions and children straight to the tables, past the services
    # that keep the spells: rebuild every case's spells as those services would, then count.
    spells.refresh(Case.objects.values_list("pk", flat=True))
    return monitor.counts_on(monitor.Scope(regions=[school.region_id]), day)


def test_registration_on_a_day_is_the_latest_since_then_at_then_pk(school):
    case = make_case(school)
    change(case, "ziek", "2026-10-10", at("2026-10-20"))  # recorded late, dated back
    later = change(case, "lrv", "2026-10-15", at("2026-10-16"))
    assert count(school, dt.date(2026, 10, 9))["lrv"] == 1
    assert count(school, dt.date(2026, 10, 12))["ziek"] == 1  # on the 12th: ziek (since the 10th)
    assert count(school, dt.date(2026, 10, 15))["lrv"] == 1
    change(case, "ziek", "2026-10-15", at("2026-10-16"))  # same since, same at: the higher pk wins
    assert count(school, dt.date(2026, 10, 15))["ziek"] == 1
    CaseEvent.objects.filter(pk=later.pk).update(at=at("2026-10-17"))  # same since: the later `at` wins
    assert (count(school, dt.date(2026, 10, 15))["lrv"], count(school, dt.date(2026, 10, 15))["ziek"]) == (1, 0)
    change(case, "dreigend", "2026-11-05", at("2026-10-18"))  # dated after the peildatum: not yet
    assert count(school)["lrv"] == 1


def test_a_case_without_registration_history_counts_its_current_registration(school):
    make_case(None, registration="av", history=False, region=school.region, sector="vo")  # (av: no school)
    counts = count(school)
    assert (counts["av"], counts["thuiszitters"], counts["open_cases"]) == (1, 1, 1)


def test_taking_part_fully_is_no_thuiszitter_but_in_traject(school):
    fully, partly, sick = make_case(school), make_case(school, registration="dreigend",
                                                      absent_since=dt.date(2026, 10, 6)), make_case(
        school, registration="ziek", category="medisch_psychosociaal")
    make_case(school)  # not taking part
    change(fully, "volledig", "2026-10-20", at("2026-10-21"), kind="participation_changed", setting="rebound")
    change(partly, "gedeeltelijk", "2026-10-06", at("2026-10-06"), kind="participation_changed",
           setting="eigen_school")
    change(sick, "volledig", "2026-10-05", at("2026-10-05"), kind="participation_changed", setting="zorg")
    before = count(school, dt.date(2026, 10, 19))
    assert (before["lrv"], before["dreigend"], before["ziek"]) == (2, 1, 1)
    counts = count(school)
    assert (counts["lrv"], counts["dreigend"], counts["ziek"], counts["open_cases"]) == (1, 1, 1, 4)
    assert counts["ziek_by_category"]["medisch_psychosociaal"] == 1  # sick counts whatever the level
    assert counts["in_traject"]["total"] == 3
    assert counts["in_traject"]["volledig"] == {**dict.fromkeys(monitor.SETTINGS, 0), "rebound": 1, "zorg": 1}
    assert counts["in_traject"]["gedeeltelijk"]["eigen_school"] == 1
    assert set(counts["in_traject"]) == {"total", "gedeeltelijk", "volledig"}


def test_only_children_of_compulsory_school_age_count(school):
    make_case(school, born=dt.date(2021, 11, 2))  # 5 on the peildatum
    make_case(school, born=dt.date(2021, 11, 3))  # 4
    make_case(school, born=dt.date(2008, 11, 3))  # 17
    make_case(school, born=dt.date(2008, 11, 2))  # 18 on the peildatum
    with_diploma = make_case(school, born=dt.date(2010, 1, 1))  # 16, startkwalificatie on the peildatum
    later_diploma = make_case(school, born=dt.date(2010, 1, 1))  # 16, startkwalificatie after it
    young_diploma = make_case(school, born=dt.date(2011, 1, 1))  # 15: the duty holds anyway
    for case, day in ((with_diploma, D), (later_diploma, D + dt.timedelta(days=1)), (young_diploma, D)):
        Child.objects.filter(pk=case.child_id).update(startkwalificatie=True, startkwalificatie_on=day)
    counts = count(school)
    assert (counts["lrv"], counts["open_cases"]) == (4, 7)
    leap = make_case(school, born=dt.date(2008, 2, 29), signalled_at=at("2026-01-05"), since="2026-01-05")
    assert count(school, dt.date(2026, 2, 28))["lrv"] == 1  # born on 29 February: 17 on the 28th
    assert count(school, dt.date(2026, 3, 1))["lrv"] == 0  # 18 on 1 March
    assert count(school, dt.date(2026, 3, 1))["open_cases"] == 1 and leap.pk


def test_an_exemption_counts_while_it_runs_open_or_closed(school):
    user = UserFactory()

    def exempt(case, grounds, **fields):
        return Vrijstelling.objects.create(case=case, grounds=grounds, motivation="M", medical_statement=True,
                                           requested_by=user, **{"granted": True, "starts_on": dt.date(2026, 10, 1),
                                                                 "until": dt.date(2027, 7, 31), **fields})

    exempt(make_case(school, registration="vrij"), "5a")
    closed = make_case(school, registration="vrij")
    Case.objects.filter(pk=closed.pk).update(closed_at=at("2026-10-15"), status="closed")
    exempt(closed, "15")
    exempt(make_case(school, registration="vrij"), "5b", ended_on=dt.date(2026, 11, 1))
    exempt(make_case(school, registration="vrij"), "5c", starts_on=dt.date(2026, 11, 3))
    exempt(make_case(school, registration="vrij"), "5a", granted=False)
    exempt(make_case(school, registration="vrij", born=dt.date(2008, 1, 1)), "5a")  # 18
    counts = count(school)
    assert counts["vrij"] == 2 and counts["by_sector"]["vo"]["vrij"] == 2
    assert counts["vrij_by_ground"] == {"5a": 1, "5b": 0, "5c": 0, "15": 1}
    assert count(school, dt.date(2026, 11, 1))["vrij_by_ground"]["5b"] == 1  # its last day
    assert count(school, dt.date(2026, 11, 3))["vrij_by_ground"]["5c"] == 1


def test_without_an_offer_after_three_months(school):
    overdue, met, stopped, met_late, not_due = (make_case(school) for _ in range(5))
    sick = make_case(school, registration="ziek")
    for case, fields in ((overdue, {}), (met, {"met_at": at("2026-10-25")}),
                         (stopped, {"stopped_at": at("2026-10-25")}), (met_late, {"met_at": at("2026-11-03")}),
                         (sick, {})):
        Deadline.objects.create(case=case, kind=Deadline.Kind.OFFER_3_MONTHS, due_at=at("2026-10-20"), **fields)
    Deadline.objects.create(case=not_due, kind=Deadline.Kind.OFFER_3_MONTHS, due_at=at("2026-11-03", 0))
    assert count(school)["without_offer_over_3_months"] == 2  # overdue, met_late (sick is no thuiszitter)
    assert count(school, dt.date(2026, 11, 3))["without_offer_over_3_months"] == 2  # + not_due, - met_late


def test_days_out_of_school_to_the_start_of_a_place(school):
    first, second, outside = (make_case(school, absent_since=dt.date(2026, 8, 1)) for _ in range(3))
    CaseEvent.objects.create(case=first, kind="offer_started", at=at("2026-12-02"), data={"started_on": "2026-10-31"})
    CaseEvent.objects.create(case=second, kind="offer_started", at=at("2026-11-20"), data={"started_on": "2026-11-20"})
    CaseEvent.objects.create(case=outside, kind="offer_started", at=at("2026-12-01"), data={"started_on": "2026-09-30"})
    CaseEvent.objects.create(case=outside, kind="placed", at=at("2026-11-01"), data={})
    stats = monitor.timing_absent_to_placement(monitor.Scope(regions=[school.region_id]), dt.date(2026, 10, 1),
                                               dt.date(2026, 12, 31))
    assert stats == {"cases": 2, "median": 101.0, "p90": 109.0}  # 91 and 111 days


def test_the_cost_does_not_grow_with_the_events_per_case(school, django_assert_num_queries):
    cases = [make_case(school) for _ in range(3)]
    scope = monitor.Scope(regions=[school.region_id])
    with django_assert_num_queries(1):  # the day's spells grouped, with the open cases (COUNT ... FILTER)
        small = monitor.counts_on(scope, D)
    for case in cases:
        for i in range(20):
            change(case, "lrv", f"2026-10-{i + 2:02d}", at(f"2026-10-{i + 2:02d}"))
            change(case, "gedeeltelijk", f"2026-10-{i + 2:02d}", at(f"2026-10-{i + 2:02d}"),
                   kind="participation_changed", setting="rebound")
    with django_assert_num_queries(1):
        large = monitor.counts_on(scope, D)
    assert small["lrv"] == large["lrv"] == 3 and large["in_traject"]["total"] == 3
