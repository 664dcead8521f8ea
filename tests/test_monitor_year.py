"""The school year view: the pupils out during a school year (as DUO and the municipality count)
beside the counts on its peildata (as the SWV counts), from the same dated history; on the page
and over the API, as the roles that see the monitor."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from casework import monitor
from casework.models import Provision
from teams.models import School
from tests.flowkit import api_client, complete, signal, users
from tests.systemkit import bearer, connect, token_of

pytestmark = pytest.mark.django_db


def record(user, case, what: str, body: dict) -> None:
    """A dated fact recorded through the API (v1), as the team or Leerplicht records it."""
    answer = api_client(user).post(f"/api/v1/cases/{case.pk}/{what}", body, format="json")
    assert answer.status_code == 200, answer.content


def at(day: dt.date):
    return time_machine.travel(timezone.make_aware(dt.datetime.combine(day, dt.time(12))), tick=False)


@pytest.fixture
def year(demo):
    """Built through the API with time moved. A: LRV from its signal on 1 Sep 2025, unenrolled (AV) from 15 Nov. B: threatened from 10 Jan
    2026 (out since 5 Jan), LRV from day 29 by itself, with a thuiswerkplan from 2 March to 31 May.
    C: reported sick (a verbijzondering, never a thuiszitter). D: in the PO region (out of the VO
    scope)."""
    people = users(demo)
    with at(dt.date(2025, 9, 1)):
        a = signal(api_client, people["aoj"], demo["schools"]["vo"], given_name="Anna", family_name="Jaar",
                   absent_since="2025-07-01", registration="lrv")
        c = signal(api_client, people["aoj"], demo["schools"]["vo"], given_name="Cor", family_name="Ziek",
                   absent_since="2025-08-20", registration="ziek", category="medisch_psychosociaal")
        d = signal(api_client, people["kindteam"], demo["schools"]["po"], given_name="Dirk", family_name="Po",
                   absent_since="2025-07-01", registration="lrv")
    with at(dt.date(2025, 9, 10)):
        complete(api_client, people["aoj"], a, "team_review", {
            "plan": "ECT vragen.", "routes": ["ect_consult"], "ect_question_kind": "plaatsing"})
    with at(dt.date(2025, 9, 20)):
        complete(api_client, people["ect"], a, "ect_draft", {"question": "Welke plek?", "advice": "OPDC."})
    with at(dt.date(2025, 9, 25)):
        complete(api_client, people["ect_2"], a, "ect_approve", {"approved": True})
    with at(dt.date(2025, 11, 15)):
        record(people["aoj"], a, "registration", {"registration": "av", "since": "2025-11-15",
                                                  "reason": "Uitgeschreven zonder nieuwe school."})
    with at(dt.date(2026, 1, 10)):
        b = signal(api_client, people["aoj"], demo["schools"]["vo"], given_name="Bas", family_name="Dreig",
                   absent_since="2026-01-05", registration="dreigend")
    with at(dt.date(2026, 2, 15)):
        complete(api_client, people["aoj"], b, "team_review", {
            "plan": "ECT vragen.", "routes": ["ect_consult"], "ect_question_kind": "handelingsadvies"})
    with at(dt.date(2026, 2, 20)):
        complete(api_client, people["ect"], b, "ect_draft", {"question": "Wat nu?", "advice": "Eerst thuis."})
    with at(dt.date(2026, 2, 22)):
        complete(api_client, people["ect_2"], b, "ect_approve", {"approved": False, "reason": "Te vaag."})
    with at(dt.date(2026, 2, 25)):
        complete(api_client, people["ect"], b, "ect_draft", {"question": "Wat nu?", "advice": "Halve dagen school."})
    with at(dt.date(2026, 3, 1)):
        complete(api_client, people["ect_2"], b, "ect_approve", {"approved": True})
    with at(dt.date(2026, 3, 5)):  # B works at home from 2 March to 31 May
        record(people["aoj"], b, "thuiswerkplan", {
            "starts_on": "2026-03-02", "until": "2026-05-31", "provides": "Weektaken via de leeromgeving.",
            "contact_moments": "Maandag en donderdag bellen.", "school_contact": "Mentor (synthetisch)"})
    with at(dt.date(2026, 2, 10)):
        a.refresh_from_db()
        imported = api_client(people["leerplicht"]).post("/api/v1/absence-reports", {"rows": [{
            "brin": School.objects.get(pk=demo["schools"]["vo"]).brin[:4], "family_name": "Jaar", "given_names": "Anna",
            "birth_date": a.child.birth_date.isoformat(), "kind": "absoluut", "first_day": "2025-11-15"}]},
            format="json")
        assert imported.json()["results"][0]["outcome"] == "linked", imported.content
    vo = School.objects.get(pk=demo["schools"]["vo"]).region_id
    # KPI 6: E and F were referred to the OPDC in the spring of 2024 (their two-year terms end in
    # this school year); E came back to a regular school on 1 October 2025, F did not; B went to
    # Rebound on 1 April 2026.
    opdc = Provision.objects.get(region_id=vo, kind="opdc_doorstart")
    rebound = Provision.objects.get(region_id=vo, kind="rebound")
    with at(dt.date(2024, 2, 1)):
        e = signal(api_client, people["aoj"], demo["schools"]["vo"], given_name="Eva", family_name="Opdc",
                   absent_since="2024-01-01", registration="lrv")
        f = signal(api_client, people["aoj"], demo["schools"]["vo"], given_name="Fien", family_name="Opdc",
                   absent_since="2024-01-01", registration="lrv")
    with at(dt.date(2024, 5, 1)):
        for case, day in ((e, "2024-03-01"), (f, "2024-05-01")):
            record(people["aoj"], case, "participation", {"level": "gedeeltelijk", "since": day,
                                                          "setting": "opdc_doorstart", "provision": opdc.pk})
    with at(dt.date(2025, 10, 1)):
        record(people["aoj"], e, "participation", {"level": "volledig", "since": "2025-10-01",
                                                   "setting": "eigen_school"})
    with at(dt.date(2026, 4, 1)):
        record(people["aoj"], b, "participation", {"level": "gedeeltelijk", "since": "2026-04-01",
                                                   "setting": "rebound", "provision": rebound.pk})
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "scope": monitor.Scope(regions=[vo]), "people": people}


def test_the_year_beside_its_peildata(year):
    report = monitor.year_report(year["scope"], "2025-2026", dt.date(2026, 8, 15))
    assert (report["from"], report["until"], report["complete"]) == ("2025-08-01", "2026-07-31", True)
    # A (AV from November), B (LRV from day 29), E (out until its return on 1 October) and F.
    assert report["year"] == {"thuiszitters": 4, "thuiswerkplan": 1, "lrv": 4, "av": 1, "by_sector": {"vo": 4},
                              "durations": {"lt_4_weeks": 0, "4_weeks_3_months": 1, "3_6_months": 1,
                                            "gt_6_months": 2}}
    assert [(row["peildatum"], row["thuiszitters"], row["lrv"], row["av"], row["ziek"], row["thuiswerkplan"])
            for row in report["peildata"]] == [
        ("2025-09-30", 3, 3, 0, 1, 0), ("2025-12-31", 2, 1, 1, 1, 0), ("2026-03-31", 3, 2, 1, 1, 1),
        ("2026-06-30", 3, 2, 1, 1, 0)]
    for row in report["peildata"]:  # the same history: each peildatum is the monitor's count that day
        counts = monitor.counts_on(year["scope"], dt.date.fromisoformat(row["peildatum"]))
        assert (counts["thuiszitters"], counts["lrv"], counts["av"]) == (row["thuiszitters"], row["lrv"], row["av"])
    assert report["absence_reports"] == {"absoluut": 1}


def test_a_running_year_is_counted_up_to_today_and_a_future_one_refused(year):
    running = monitor.year_report(year["scope"], "2025-2026", dt.date(2025, 10, 31))
    assert (running["until"], running["complete"]) == ("2025-10-31", False)
    assert running["year"]["thuiszitters"] == 3 and [row["peildatum"] for row in running["peildata"]] == ["2025-09-30"]
    for label in ("2026-2027", "2025-2027", "2025", ""):
        with pytest.raises(ValueError):
            monitor.year_report(year["scope"], label, dt.date(2025, 10, 31))


def test_the_page_and_the_api_as_the_roles_that_see_the_monitor(year):
    people = year["people"]
    with at(dt.date(2026, 8, 15)):
        for role in ("swv_director", "privacy_officer", "deelverband"):
            client = Client()
            client.force_login(people[role])
            page = client.get("/monitor/year/", {"school_year": "2025-2026"})
            assert page.status_code == 200, role
        director = Client()
        director.force_login(people["swv_director"])
        text = director.get("/monitor/year/", {"school_year": "2025-2026",
                                               "region": year["scope"].regions[0]}).content.decode()
        assert "2025-2026" in text and "peildata-caption" in text, text[text.find("<main"):][:3000]
        assert director.get("/monitor/year/", {"school_year": "1999-2000"}).status_code == 400
        for role in ("aoj_2", "ect"):
            client = Client()
            client.force_login(people[role])
            assert client.get("/monitor/year/").status_code == 404, role
        answer = api_client(people["swv_director"]).get("/api/v1/monitor/year", {"schoolYear": "2025-2026"})
        assert answer.status_code == 200
        expected = monitor.year_report(monitor.Scope(regions=monitor.monitor_regions(people["swv_director"])),
                                       "2025-2026", dt.date(2026, 8, 15))
        assert answer.json() == expected
        for bad in ("2027-2028", "2025/2026"):
            refused = api_client(people["swv_director"]).get("/api/v1/monitor/year", {"schoolYear": bad})
            assert refused.status_code == 400 and refused.json()["invalidParams"][0]["name"] == "schoolYear"
        system = bearer(token_of(connect(scopes=["monitor:read"])))
        mine = system.get("/api/v1/monitor/year", {"schoolYear": "2025-2026"}).json()
        assert mine["year"]["thuiszitters"] == 4  # its region only


def test_the_ects_caseload(year):
    """KPI 8 by hand: A's consult (a placement question) from 10 to 25 September, approved at the
    first reading; B's (advice on what to do) from 15 February to 1 March, rejected at the first
    reading and approved at the second; both drafted by the same consultant."""
    ect = monitor.year_report(year["scope"], "2025-2026", dt.date(2026, 8, 15))["ect"]
    assert (ect["started"], ect["closed"]) == (2, 2)
    assert ect["by_kind"] == {"plaatsing": 1, "vrijstelling": 0, "handelingsadvies": 1, "thuiswerkplan": 0,
                              "terugkeer": 0, "overig": 0, "clock": 0}
    assert ect["by_sector"] == {"vo": 2} and sum(ect["by_school"].values()) == 1  # A is AV now: no school
    assert ect["days_to_close"] == {"median": 14.5, "mean": 14.5}
    assert ect["first_reading"] == {"approved": 1, "rejected": 1, "pending": 0}
    assert ect["by_consultant"] == [{"consultant": str(year["people"]["ect"]), "started": 2, "closed": 2}]
    autumn = monitor.year_report(year["scope"], "2025-2026", dt.date(2025, 12, 1))["ect"]
    assert (autumn["started"], autumn["closed"], autumn["first_reading"]["approved"]) == (1, 1, 1)


def test_referrals_and_returns(year):
    """KPI 6 by hand: B's referral to Rebound in the year; E's return from the OPDC in the year;
    E's and F's two-year OPDC terms end in the year (1 March and 1 May 2026): one of the two came
    back within it."""
    kpi6 = monitor.year_report(year["scope"], "2025-2026", dt.date(2026, 8, 15))["referrals"]
    assert kpi6["referrals"] == {"rebound": 1, "ttvo": 0, "maatwerk_cl3": 0, "maatwerk_cl4": 0, "opdc_doorstart": 0}
    assert kpi6["returns"] == {"rebound": 0, "ttvo": 0, "maatwerk_cl3": 0, "maatwerk_cl4": 0, "opdc_doorstart": 1}
    assert kpi6["within_term"] == {"cohort": 2, "returned": 1, "share": 0.5}
    earlier = monitor.year_report(year["scope"], "2023-2024", dt.date(2026, 8, 15))["referrals"]
    assert earlier["referrals"]["opdc_doorstart"] == 2 and earlier["within_term"]["cohort"] == 0


def test_the_jaarverslag_csv_and_a_school_locations_page_hide_small_numbers(year):
    import csv  # noqa: PLC0415 - only here
    import io  # noqa: PLC0415 - only here
    people = year["people"]
    with at(dt.date(2026, 8, 15)):
        director = Client()
        director.force_login(people["swv_director"])
        page = director.get("/monitor/year/", {"school_year": "2025-2026", "region": year["scope"].regions[0]})
        text = page.content.decode()
        assert 'id="monitor-data"' in text and "monitor-year-csv" not in text and "/monitor/year.csv?" in text
        answer = director.get("/monitor/year.csv", {"school_year": "2025-2026", "region": year["scope"].regions[0]})
        assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
        table = list(csv.reader(io.StringIO(answer.content.decode())))
        header, rows = table[0], {row[0]: row[1:] for row in table[1:]}
        vo_school = School.objects.get(name="Noorderlicht College")
        assert header[1] == "Alle schoollocaties" and vo_school.name in header
        thuiszitters = rows["KPI 1: thuiszitters in het schooljaar (ergens LRV of AV)"]
        assert thuiszitters[0] == "< 5"  # 4 pupils: never shown as such outside the SWV
        assert all(cell in ("0", "< 5", "x", "—") or int(cell) >= 5 for label, cells in rows.items()
                   if not label.startswith("KPI 9") for cell in cells)
        assert all(set(cells) == {"—"} for label, cells in rows.items() if label.startswith("KPI 9"))  # no answers
        school_page = director.get(f"/monitor/year/school/{vo_school.pk}/", {"school_year": "2025-2026"})
        assert school_page.status_code == 200 and vo_school.name in school_page.content.decode()
        assert "&lt; 5" in school_page.content.decode()
        outsider = Client()
        outsider.force_login(people["ect"])
        assert outsider.get(f"/monitor/year/school/{vo_school.pk}/").status_code == 404
        assert outsider.get("/monitor/year.csv").status_code == 404
        po_school = School.objects.get(name="Basisschool De Vlinder")
        assert director.get(f"/monitor/year/school/{po_school.pk}/", {
            "school_year": "2025-2026", "region": year["scope"].regions[0]}).status_code == 404
