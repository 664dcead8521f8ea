"""The monitor computed from a known history: counts at three peildata (a registration that
changed, a child with a new case after closure), period counts, CSV = API = page, small-number
suppression only in exports, and who may see which region."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.utils import timezone

from casework.deadlines import sweep_due
from teams.models import Region
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
        a = signal(api, u["aoj"], vo, given_name="Anna", absent_since="2026-08-20")
        clock.move_to(at("2026-09-03"))
        complete(api, u["aoj"], a, "team_review", {"plan": "ECT", "routes": ["ect_consult"]})
        clock.move_to(at("2026-09-05"))
        b = signal(api, u["aoj"], vo, given_name="Bram", registration="dreigend", absent_since="2026-09-01")
        clock.move_to(at("2026-09-01", 12))
        e1 = signal(api, u["aoj"], vo, given_name="Eva", absent_since="2026-08-25")
        clock.move_to(at("2026-09-10"))
        complete(api, u["ect"], a, "ect_draft", {"question": "Q", "advice": "A"})
        complete(api, u["ect_2"], a, "ect_approve", {"approved": True})
        f = signal(api, u["aoj"], vo, given_name="Fenna", absent_since="2026-09-01")
        clock.move_to(at("2026-09-15"))
        d = signal(api, u["kindteam"], po, given_name="Dirk", registration="ziek", birth_date="2017-01-01",
                   absent_since="2026-09-10")
        clock.move_to(at("2026-09-20"))
        complete(api, u["aoj"], e1, "team_review", {"plan": "Klaar", "outcome": "anders"})
        clock.move_to(at("2026-09-29", 12))
        sweep_due()  # Bram: four weeks out of school -> lrv
        clock.move_to(at("2026-10-05"))
        c = signal(api, u["leerplicht"], None, given_name="Cas", registration="av", region=vo_region.pk,
                   signaller_role="leerplicht", absent_since="2026-09-20")
        clock.move_to(at("2026-10-10"))
        e2 = signal(api, u["aoj"], vo, given_name="Eva", absent_since="2026-10-01")
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


EXPECTED = {  # on each peildatum, over both regions: (lrv, av, vrij, ziek, dreigend)
    "2026-09-15": (3, 0, 0, 1, 1),  # Anna, Eva, Fenna lrv; Dirk ziek (PO); Bram still dreigend
    "2026-10-01": (3, 0, 0, 1, 0),  # Eva's first case closed; Bram became lrv on 29 September
    "2026-11-01": (2, 1, 1, 1, 0),  # Anna back at school; Cas av; Eva's new case; Fenna exempted
}


@pytest.mark.parametrize("day", list(EXPECTED))
def test_counts_on_three_peildata(api, history, day):
    director = history["u"]["swv_director"]  # director of both regions
    counts = numbers(api, director, peildatum=day)["counts"]
    lrv, av, vrij, ziek, dreigend = EXPECTED[day]
    assert (counts["lrv"], counts["av"], counts["vrij"], counts["ziek"], counts["dreigend"]) == (
        lrv, av, vrij, ziek, dreigend)
    assert counts["thuiszitters"] == lrv + av
    assert sum(counts["durations"].values()) == counts["open_cases"] == lrv + av + vrij + ziek + dreigend


def test_counts_per_region_sector_and_school(api, history):
    director = history["u"]["swv_director"]
    vo_only = numbers(api, director, peildatum="2026-09-15", region=history["vo_region"].pk)["counts"]
    assert (vo_only["lrv"], vo_only["ziek"], vo_only["dreigend"]) == (3, 0, 1)
    po = numbers(api, director, peildatum="2026-09-15", sector="po")["counts"]
    assert (po["ziek"], po["open_cases"]) == (1, 1)
    school = history["cases"]["a"].school_id
    at_school = numbers(api, director, peildatum="2026-11-01", school=school)["counts"]
    assert (at_school["lrv"], at_school["av"], at_school["vrij"]) == (2, 0, 1)  # Cas (av) has no school
    assert numbers(api, director, peildatum="2026-11-01")["counts"]["thuiszitters_by_school"] == {str(school): 2}


def test_duration_buckets(api, history):
    counts = numbers(api, history["u"]["swv_director"], peildatum="2026-11-01")["counts"]
    # Bram 61 days, Cas 42, Dirk 52, Eva 31 (new case), Fenna 61: all between 4 weeks and 3 months
    assert counts["durations"] == {"lt_4_weeks": 0, "4_weeks_3_months": 5, "3_6_months": 0, "gt_6_months": 0}


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


def test_csv_api_and_page_agree_and_only_exports_suppress(api, client, history, settings):
    director = history["u"]["swv_director"]
    api_counts = api(director).get("/api/monitor/quarter/", {"year": 2026, "quarter": 4}).json()["counts"]
    client.force_login(director)
    settings.CASEWORK_SUPPRESS_SMALL_NUMBERS = False
    rows = list(csv.reader(io.StringIO(client.get("/monitor/quarter.csv?year=2026&quarter=4").content.decode())))
    by_label = {row[0]: row[1] for row in rows[2:]}
    assert by_label["Langdurig relatief verzuim (LRV)"] == str(api_counts["lrv"])
    assert by_label["Absoluut verzuim (AV)"] == str(api_counts["av"])
    assert by_label["Vrijstelling 5a"] == str(api_counts["vrij"])
    assert by_label["Ziekgemeld"] == str(api_counts["ziek"])
    page = client.get("/monitor/quarter/?year=2026&quarter=4")
    assert page.context["result"]["counts"] == api_counts
    settings.CASEWORK_SUPPRESS_SMALL_NUMBERS = True
    rows = list(csv.reader(io.StringIO(client.get("/monitor/quarter.csv?year=2026&quarter=4").content.decode())))
    assert {row[0]: row[1] for row in rows[2:]}["Langdurig relatief verzuim (LRV)"] == "< 5"
    dashboard = client.get("/monitor/?peildatum=2026-12-31").content.decode()
    assert "&lt; 5" not in dashboard and "< 5" not in dashboard.split("<main>")[1].split("</main>")[0]


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
        html = client.get(url).content.decode()
        for name in ("Anna", "Bram", "Cas", "Dirk", "Eva", "Fenna", "Testkind"):
            assert name not in html, (url, name)
