"""The complete quarterly report: the thuiszitters by duration (exact for the Inspectie, suppressed
for the public), doorbraak decisions that count only with a place, exemptions recorded with the
signal (a 5a only once the SWV's advice is on record), days to a placement that run from the end of
an exemption, and the startkwalificatie's date at intake. Built through the API and the flows;
every role that sees the monitor reads the page, the CSV and the API, the others get 404."""

import csv
import datetime as dt
import importlib
import io

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from casework import monitor, services
from casework.clocks import start_of_day
from casework.models import Case, CaseEvent, Child, Deadline, RouteRun, Vrijstelling
from casework.services import sweep_due
from teams.models import Region
from tests import monitor_replay as replay
from tests.factories import signal_payload
from tests.flowkit import board_and_school, complete, mbo_institution, open_nodes, signal, users
from tests.test_monitor_exports import assert_protected

pytestmark = pytest.mark.django_db

# Who sees the monitor: region roles, and the coordinators and chairs of the region's teams.
SEES_MONITOR = ["swv_director", "privacy_officer", "aoj", "outsider", "mpl_chair", "mbo"]
SEES_PO_ONLY = ["kindteam", "doe_chair"]
NO_MONITOR = ["aoj_2", "ect", "ect_2", "leerplicht"]
DURATION_ROWS = {"lt_4_weeks": "Thuiszitters, duur: korter dan 4 weken",
                 "4_weeks_3_months": "Thuiszitters, duur: 4 weken tot 3 maanden",
                 "3_6_months": "Thuiszitters, duur: 3 tot 6 maanden",
                 "gt_6_months": "Thuiszitters, duur: langer dan 6 maanden"}


def at(day: str, hour: int = 10):
    return timezone.make_aware(dt.datetime.fromisoformat(f"{day}T{hour:02d}:00"))


def vo_scope() -> monitor.Scope:
    return monitor.Scope(regions=[Region.objects.get(name="SWV VO Stad Demo").pk])


@pytest.fixture
def q4(api, demo):
    """(Read on 5 January 2027.) Five thuiszitters in the VO region on 31 December 2026, one in each duration bucket but
    two in "3 to 6 months"; in the quarter one MPL placement, and one MPL without agreement that
    the SWV director then decides."""
    u = users(demo)
    vo = demo["schools"]["vo"]
    board, school = board_and_school(demo)
    region = Region.objects.get(name="SWV VO Stad Demo")
    with time_machine.travel(at("2026-10-01"), tick=False) as clock:
        signal(api, u["aoj"], vo, given_name="Anna", absent_since="2026-03-01")  # > 6 months
        bram = signal(api, u["aoj"], vo, given_name="Bram", absent_since="2026-08-01")  # 3 - 6 months
        cas = signal(api, u["aoj"], vo, given_name="Cas", absent_since="2026-08-20")  # 3 - 6 months
        clock.move_to(at("2026-10-06"))
        signal(api, u["aoj"], vo, given_name="Dirk", absent_since="2026-10-05",
               registration="dreigend")  # 4 weeks - 3 months on the peildatum (lrv from day 29)
        for case in (bram, cas):
            complete(api, u["aoj"], case, "team_review", {"plan": "MPL.", "routes": ["doorbraak"]})
        clock.move_to(at("2026-10-20"))
        complete(api, u["mpl_chair"], bram, "doorbraak_decision", {
            "school_board": board, "school": school, "start_date": "2027-01-11", "preference_followed": True})
        complete(api, u["mpl_chair"], cas, "doorbraak_decision", {
            "decision": "geen_overeenstemming", "preference_followed": True, "motivation": "Geen akkoord."})
        clock.move_to(at("2026-10-27"))
        complete(api, u["swv_director"], cas, "director_decision", {
            "school_board": board, "school": school, "start_date": "2027-01-11", "motivation": "Doorzettingsmacht."})
        clock.move_to(at("2026-11-04", 12))
        sweep_due()  # the threatened one is lrv from day 29
        clock.move_to(at("2026-12-20"))
        signal(api, u["leerplicht"], None, given_name="Eva", registration="av", region=region.pk,
               signaller_role="leerplicht", absent_since="2026-12-10")  # < 4 weeks
    with time_machine.travel(at("2027-01-05"), tick=False):  # read once the quarter has ended
        yield {"u": u}


def csv_rows(client, audience: str) -> dict[str, list[str]]:
    response = client.get(f"/monitor/quarter.csv?year=2026&quarter=4&audience={audience}")
    assert response.status_code == 200
    return {row[0]: row[1:] for row in csv.reader(io.StringIO(response.content.decode()))}


def test_durations_and_doorbraak_decisions_in_the_quarterly_report_for_every_role_that_sees_it(api, client, q4):
    u = q4["u"]
    durations = {"lt_4_weeks": 1, "4_weeks_3_months": 1, "3_6_months": 2, "gt_6_months": 1}
    for role in SEES_MONITOR:
        answer = api(u[role]).get("/api/monitor/quarter/", {"year": 2026, "quarter": 4})
        assert answer.status_code == 200, role
        counts, period = answer.json()["counts"], answer.json()["period"]
        assert counts["durations"] == durations and counts["thuiszitters"] == 5, role
        assert (period["doorbraak_decisions"], period["doorbraak_no_agreement"]) == (2, 1), role
        client.force_login(u[role])
        exact = csv_rows(client, "inspectie")
        assert {key: exact[label] for key, label in DURATION_ROWS.items()} == {
            key: [str(n)] for key, n in durations.items()}, role
        assert exact["Doorbraakbesluiten met een plaats in het kwartaal"] == ["2"]
        assert exact["MPL zonder overeenstemming in het kwartaal"] == ["1"]
        page = client.get("/monitor/quarter/?year=2026&quarter=4")
        assert page.status_code == 200, role
        html = page.content.decode()
        assert "Thuiszitters, duur: 3 tot 6 maanden</th><td>2</td>" in html, role
        assert "Doorbraakbesluiten met een plaats" in html and "MPL zonder overeenstemming" in html, role
        public = csv_rows(client, "public")
        assert all(public[label][0] in (monitor.SMALL, monitor.HIDDEN) for label in DURATION_ROWS.values()), role
    for role in SEES_PO_ONLY:  # their region has none of these cases
        answer = api(u[role]).get("/api/monitor/quarter/", {"year": 2026, "quarter": 4}).json()
        assert answer["counts"]["durations"] == dict.fromkeys(durations, 0), role
        client.force_login(u[role])
        assert client.get("/monitor/quarter/?year=2026&quarter=4").status_code == 200, role
        assert csv_rows(client, "inspectie")[DURATION_ROWS["gt_6_months"]] == ["0"], role


def test_the_others_get_404_for_the_quarterly_report(api, client, q4):
    u = q4["u"]
    for role in NO_MONITOR:
        assert api(u[role]).get("/api/monitor/quarter/", {"year": 2026, "quarter": 4}).status_code == 404, role
        client.force_login(u[role])
        assert client.get("/monitor/quarter/?year=2026&quarter=4").status_code == 404, role
        assert client.get("/monitor/quarter.csv?year=2026&quarter=4").status_code == 404, role
    assert api(None).get("/api/monitor/quarter/", {"year": 2026, "quarter": 4}).status_code in (401, 403)


def test_the_public_table_hides_the_durations_so_that_nothing_follows_from_the_total(api, q4):
    director = q4["u"]["swv_director"]
    exact = api(director).get("/api/monitor/quarter/", {"year": 2026, "quarter": 4}).json()["counts"]
    public = api(director).get("/api/monitor/quarter/", {"year": 2026, "quarter": 4, "audience": "public"}).json()
    rows = {row["key"]: row for row in public["rows"]}
    assert rows["thuiszitters"]["total"] == 5  # the headline stays
    assert {rows[f"duur:{key}"]["total"] for key in DURATION_ROWS} == {monitor.SMALL}
    table = monitor.quarter_table(vo_scope(), 2026, 4)  # the exact cells
    cells = {}
    for row in table["rows"]:
        cells[(row["key"], "total")] = row["total"]
        for sector, value in (row["by_sector"] or {}).items():
            cells[(row["key"], sector)] = value
    assert cells[("duur:3_6_months", "total")] == exact["durations"]["3_6_months"] == 2
    relations = monitor.table_relations()
    assert (("thuiszitters", "total"), [(f"duur:{key}", "total") for key in DURATION_ROWS]) in relations
    assert_protected(cells, monitor.suppress_table(cells, relations), relations)


def test_doorbraak_counts_equal_the_replay_and_survive_compaction(q4):
    first, last = monitor.quarter_bounds(2026, 4)
    expected = replay.period_counts(vo_scope(), first, last)
    assert (expected["doorbraak_decisions"], expected["doorbraak_no_agreement"]) == (2, 1)
    assert monitor.period_counts(vo_scope(), first, last) == expected
    services.compact_tallies()
    assert monitor.period_counts(vo_scope(), first, last) == expected


# --- exemptions recorded with the signal ---------------------------------------------------------


def exempted(api, user, school_id, grounds: str, **overrides) -> Case:
    return signal(api, user, school_id, registration="vrij", vrijstelling_grounds=grounds,
                  vrijstelling_until="2027-07-31", **overrides)


def granted_and_vrij(day: str, scope=None) -> tuple[int, int]:
    scope = scope or vo_scope()
    first, last = monitor.quarter_bounds(2026, 4)
    return (monitor.period_counts(scope, first, last)["exemptions_granted"],
            monitor.counts_on(scope, dt.date.fromisoformat(day))["vrij"])


def test_a_5a_recorded_with_the_signal_counts_as_granted_once_the_ect_advised(api, demo):
    u = users(demo)
    with time_machine.travel(at("2026-10-05"), tick=False) as clock:
        case = exempted(api, u["aoj"], demo["schools"]["vo"], "5a", given_name="Ilse")
        exemption = Vrijstelling.objects.get(case=case)
        assert (exemption.granted, exemption.starts_on, exemption.recorded_with_signal) == (None, None, True)
        event = CaseEvent.objects.get(case=case, kind="vrijstelling_recorded")
        assert (event.data["granted"], event.data["awaiting_advice"], event.data["grounds"]) == (False, True, "5a")
        assert "vrijstelling_advice" in open_nodes(case)
        assert RouteRun.objects.filter(case=case, route="vrijstelling_advies", ended_at__isnull=True).exists()
        assert granted_and_vrij("2026-10-05") == (0, 0)  # not yet: the advice is not on record
        assert monitor.counts_on(vo_scope(), dt.date(2026, 10, 5))["thuiszitters"] == 0
        complete(api, u["aoj"], case, "vrijstelling_advice", {"advice": "positief", "motivation": "M"}, expect=403)
        clock.move_to(at("2026-10-09"))
        complete(api, u["ect"], case, "vrijstelling_advice", {"advice": "positief", "motivation": "Besproken."})
        exemption.refresh_from_db()
        assert (exemption.granted, exemption.starts_on, exemption.advice) == (True, dt.date(2026, 10, 9), "positief")
        assert "vrijstelling_advice" not in open_nodes(case)
        assert not RouteRun.objects.filter(case=case, ended_at__isnull=True).exists()
        advised = CaseEvent.objects.get(case=case, kind="vrijstelling_advised")
        assert (advised.data["granted"], advised.data["until"]) == (True, "2027-07-31")
        assert granted_and_vrij("2026-10-08") == (1, 0)  # from the advice's day on
        assert granted_and_vrij("2026-10-09") == (1, 1)
        director = u["swv_director"]
        answer = api(director).get("/api/monitor/quarter/", {"year": 2026, "quarter": 4}).json()
    assert answer["period"]["exemptions_granted"] == 1 and answer["counts"]["vrij"] == 1
    assert answer["counts"]["vrij_by_ground"]["5a"] == 1
    first, last = monitor.quarter_bounds(2026, 4)
    assert monitor.period_counts(vo_scope(), first, last) == replay.period_counts(vo_scope(), first, last)


def test_other_grounds_recorded_with_the_signal_count_as_granted_at_once(api, demo):
    u = users(demo)
    with time_machine.travel(at("2026-10-05"), tick=False):
        case = exempted(api, u["aoj"], demo["schools"]["vo"], "5b", given_name="Jan")
        exemption = Vrijstelling.objects.get(case=case)
        assert (exemption.granted, exemption.starts_on) == (True, dt.date(2026, 10, 5))
        assert CaseEvent.objects.get(case=case, kind="vrijstelling_recorded").data["granted"] is True
        assert "vrijstelling_advice" not in open_nodes(case)
        assert granted_and_vrij("2026-10-05") == (1, 1)
    first, last = monitor.quarter_bounds(2026, 4)
    assert replay.period_counts(vo_scope(), first, last)["exemptions_granted"] == 1


def test_an_mbo_5a_recorded_with_the_signal_is_advised_by_the_institutions_team(api, demo):
    u = users(demo)
    school, _team, mbo_user = mbo_institution(demo)
    with time_machine.travel(at("2026-10-05"), tick=False):
        case = exempted(api, mbo_user, school.pk, "5a", given_name="Mo", birth_date="2010-06-01")
        # the VO ECT is not on an MBO case: it cannot even see the task
        complete(api, u["ect"], case, "vrijstelling_advice", {"advice": "positief", "motivation": "M"}, expect=404)
        complete(api, mbo_user, case, "vrijstelling_advice", {"advice": "voorwaardelijk", "motivation": "Mbo."})
        assert Vrijstelling.objects.get(case=case).granted is True
        assert granted_and_vrij("2026-10-05", monitor.Scope(regions=[case.region_id], sector="mbo")) == (1, 1)


def test_a_5a_at_the_signal_in_a_region_without_an_ect_is_refused(api, demo):
    u = users(demo)
    from teams.models import Team

    Team.objects.filter(kind=Team.Kind.ECT).update(kind=Team.Kind.WIJ)
    before = Case.objects.count()
    response = api(u["aoj"]).post("/api/cases/", signal_payload(
        _school(demo), registration="vrij", vrijstelling_grounds="5a", vrijstelling_until="2099-07-31"), format="json")
    assert response.status_code == 400 and "vrijstelling_grounds" in response.json()
    assert Case.objects.count() == before


def _school(demo):
    from teams.models import School

    return School.objects.get(pk=demo["schools"]["vo"])


# --- days absent to a placement after an exemption --------------------------------------------------


def test_days_to_placement_run_from_the_day_after_the_exemption_ended(api, demo):
    u = users(demo)
    with time_machine.travel(at("2026-09-01"), tick=False) as clock:
        case = exempted(api, u["aoj"], demo["schools"]["vo"], "5b", given_name="Kim", absent_since="2026-06-01")
        clock.move_to(at("2026-10-01"))
        services.revoke_vrijstelling(case=case, actor=u["leerplicht"], last_day=dt.date(2026, 9, 30),
                                     reason="Weer leerbaar.")
        assert Case.objects.get(pk=case.pk).registration == "lrv"
        complete(api, u["aoj"], case, "team_review", {"plan": "Arrangement.", "routes": ["arrangement"]})
        complete(api, u["aoj"], case, "arrangement_setup", {
            "education": "OPDC", "care_provider": "Zorg", "funding": "swv", "start_date": "2026-11-15",
            "end_date": "2027-06-30", "evaluation_weeks": 6})
        clock.move_to(at("2026-11-15", 9))
        sweep_due()
        complete(api, u["aoj"], case, "start_confirmation", {"started": True, "started_on": "2026-11-15"})
    first, last = monitor.quarter_bounds(2026, 4)
    timing = monitor.period_counts(vo_scope(), first, last)["days_absent_to_placement"]
    assert timing == {"cases": 1, "median": 45.0, "p90": 45.0}  # 1 October to 15 November, not from 1 June
    assert monitor.period_counts(vo_scope(), first, last) == replay.period_counts(vo_scope(), first, last)


# --- the startkwalificatie at intake ---------------------------------------------------------------


SIXTEEN = {"birth_date": "2010-03-01", "absent_since": "2026-09-01"}  # 16 on the first day out of school


def with_diploma(school, diploma: dict, **overrides) -> dict:
    """A signal whose child object carries `diploma` (startkwalificatie, startkwalificatie_on)."""
    payload = signal_payload(school, **overrides)
    payload["child"].update(diploma)
    return payload


def signalled(api, user, school, diploma: dict, **overrides) -> Case:
    response = api(user).post("/api/cases/", with_diploma(school, diploma, **overrides), format="json")
    assert response.status_code == 201, response.content
    return Case.objects.get(pk=response.json()["id"])


def test_a_startkwalificatie_without_its_date_is_refused(api, member, vo_school):
    with time_machine.travel(at("2026-10-01"), tick=False):
        before = (Case.objects.count(), Child.objects.count())
        response = api(member).post("/api/cases/", with_diploma(vo_school, {"startkwalificatie": True}, **SIXTEEN),
                                    format="json")
        assert response.status_code == 400 and "startkwalificatie_on" in response.json(), response.json()
        assert (Case.objects.count(), Child.objects.count()) == before


@pytest.mark.parametrize("obtained", ["2026-09-01", "2026-06-30"])
def test_a_startkwalificatie_on_or_before_the_first_day_out_of_school_at_16_is_refused(api, member, vo_school,
                                                                                      obtained):
    with time_machine.travel(at("2026-10-01"), tick=False):
        before = (Case.objects.count(), Child.objects.count())
        response = api(member).post("/api/cases/", with_diploma(
            vo_school, {"startkwalificatie": True, "startkwalificatie_on": obtained}, **SIXTEEN), format="json")
        assert response.status_code == 400 and "startkwalificatie_on" in response.json(), response.json()
        assert (Case.objects.count(), Child.objects.count()) == before


def test_the_signal_form_refuses_it_in_dutch(client, member, vo_school):
    from tests.test_signal import form_data

    client.force_login(member)
    with time_machine.travel(at("2026-10-01"), tick=False):
        response = client.post(reverse("case-signal"), form_data(
            vo_school, startkwalificatie="on", startkwalificatie_on="2026-08-31", **SIXTEEN))
    assert response.status_code == 400
    assert response.context["form"].errors["startkwalificatie_on"] == [
        "Een jongere van 16 of 17 die op de eerste dag thuis al een startkwalificatie had, is niet leerplichtig "
        "(de kwalificatieplicht was al voorbij): geen melding."]
    assert not Case.objects.exists()


def test_a_later_startkwalificatie_is_stored_and_ends_the_duty_then(api, member, vo_school):
    with time_machine.travel(at("2026-10-01"), tick=False):
        case = signalled(api, member, vo_school, {"startkwalificatie_on": "2026-09-20"}, **SIXTEEN)
        child = Child.objects.get(pk=case.child_id)
        assert (child.startkwalificatie, child.startkwalificatie_on) == (True, dt.date(2026, 9, 20))
        end = Deadline.objects.filter(case=case, kind="leerplicht_end").order_by("-sequence").first()
        assert end.due_at == start_of_day(dt.date(2026, 9, 20))
        assert CaseEvent.objects.filter(case=case, kind="leerplicht_ended").exists()  # past already: at once
        assert CaseEvent.objects.get(case=case, kind="startkwalificatie_recorded").data["obtained_on"] == "2026-09-20"
        assert monitor.counts_on(monitor.Scope(regions=[case.region_id]), dt.date(2026, 10, 1))["thuiszitters"] == 0
        assert api(member).get(f"/api/cases/{case.pk}/").json()["child"]["startkwalificatie_on"] == "2026-09-20"


def test_a_startkwalificatie_under_16_is_kept_and_ends_the_duty_at_16(api, member, vo_school):
    with time_machine.travel(at("2026-10-01"), tick=False):
        case = signalled(api, member, vo_school, {"startkwalificatie": True, "startkwalificatie_on": "2026-06-01"},
                         birth_date="2012-05-17", absent_since="2026-08-20")
        assert Child.objects.get(pk=case.child_id).startkwalificatie_on == dt.date(2026, 6, 1)
        end = Deadline.objects.filter(case=case, kind="leerplicht_end").order_by("-sequence").first()
        assert end.due_at == start_of_day(dt.date(2028, 5, 17))
        assert monitor.counts_on(monitor.Scope(regions=[case.region_id]), dt.date(2026, 10, 1))["thuiszitters"] == 1


def test_the_api_schema_documents_the_new_fields(api, member):
    schema = api(member).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    child = schema["components"]["schemas"]["Child"]["properties"]["startkwalificatie_on"]
    assert child["format"] == "date" and "absent_since" in child["description"]
    text = str(schema)
    assert "doorbraak_no_agreement" in text and "geen_overeenstemming" in text


# --- an existing database -------------------------------------------------------------------------


def test_the_migration_rederives_the_changed_measures_from_the_events(q4):
    """A database summarised by the old rules: every MPL decision under `doorbraak_decided`, days to
    placement from the first day out of school. The migration's step rebuilds those rows."""
    from django.apps import apps

    from casework.models import MonitorTally

    rebuild = importlib.import_module("casework.migrations.0022_quarter").rebuild_changed_measures
    first, last = monitor.quarter_bounds(2026, 4)
    expected = replay.period_counts(vo_scope(), first, last)
    new_rows = MonitorTally.objects.filter(measure__startswith="doorbraak:")
    old = [MonitorTally(day=row.day, region_id=row.region_id, sector=row.sector, school_id=row.school_id,
                        measure="doorbraak_decided", n=row.n) for row in new_rows]
    new_rows.delete()
    MonitorTally.objects.bulk_create([*old, MonitorTally(day=dt.date(2026, 11, 1), region_id=old[0].region_id,
                                                         sector="vo", measure="absent_to_start:400", n=1)])
    assert monitor.period_counts(vo_scope(), first, last) != expected
    rebuild(apps, None)
    assert not MonitorTally.objects.filter(measure="doorbraak_decided").exists()
    assert monitor.period_counts(vo_scope(), first, last) == expected
    assert (expected["doorbraak_decisions"], expected["doorbraak_no_agreement"]) == (2, 1)
