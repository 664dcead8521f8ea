"""The counting rules (docs/counting.md), accepted: a peildatum cohort built through the API, one child per counting rule, and
every monitor figure on the peildatum (31 December 2025) checked against an explicit table; the
quarterly CSV (Q4 2025) for the Inspectie (exact) and for the public (small numbers hidden).

The history runs through 2025 under time_machine (tick=False); the sweeper runs at every step, as
it would in production, so the clocks act at their moments (dreigend -> lrv at four weeks, the
three-month breach, the 18th birthday, the end of an exemption, the start date of a place).

The cohort (registration and count on the peildatum):

    child   school   history                                              on 2025-12-31
    Lars    vo       lrv since 4 Aug, three months breached, escalated    lrv, 3-6 months, without offer
    Dina    po       dreigend since 15 Dec (16 days)                      dreigend
    Daan    vo       dreigend, lrv automatically on 5 Nov (day 29)        lrv, 4 weeks-3 months
    Ahmed   -        av since 10 Dec                                      av, < 4 weeks
    Lieke   vo -> -  lrv, unenrolled: av since 27 Nov                     av, 4 weeks-3 months
    Arjen   - -> vo_2 av, enrolled: lrv since 19 Nov                      lrv, 4 weeks-3 months
    Zoe     vo       ziek (medisch_psychosociaal)                         ziek
    Sara    vo       ziek, lrv since 1 Nov                                lrv, 4 weeks-3 months
    Vera    vo       arrangement started 20 Oct, volledig (arrangement)   not counted; case open; in traject
    Pim     vo_2     lrv, gedeeltelijk (opdc_doorstart) since 20 Nov      lrv, 4 weeks-3 months; in traject
    Fleur   vo       exemption 5a until 31 Jul 2026                       vrij (5a)
    Hugo    vo_2     exemption 15 until 30 Jun 2026                       vrij (15)
    Sofie   vo       exemption 5b until 31 Jul 2026, case CLOSED          vrij (5b), not an open case
    Yara    -        signalled vrij without a school, 5c                  vrij (5c)
    Bas     vo       exemption 15 ended 30 Nov: back to lrv               lrv, 4 weeks-3 months (from 1 Dec)
    Tim     vo       lrv, 18 on 15 Nov                                    not counted; case open
    Mo      mbo      lrv at an MBO institution (17, no startkwalificatie) lrv (mbo), 4 weeks-3 months
    Kees    vo_2     lrv since 16 Jun, breached; place decided 1 Dec,
                     starting 12 Jan 2026                                 lrv, > 6 months, without offer
    Noor    vo       16 with a startkwalificatie: refused at intake       -
"""

import csv
import datetime as dt
import io
import json

import pytest
import time_machine
from django.utils import timezone

from casework.models import Case, CaseEvent, Deadline
from casework.services import sweep_due
from teams.models import School
from tests.factories import signal_payload
from tests.flowkit import (
    api_client,
    board_and_school,
    complete,
    mbo_institution,
    open_nodes,
    signal,
    users,
)
from tests.test_seed_demo import committed_for_the_module, seed

pytestmark = pytest.mark.django_db

PEILDATUM = "2025-12-31"


def at(day: str, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(f"{day}T{hour:02d}:00"))


def change(api, user, case, registration, since, reason, **extra):
    response = api(user).post(f"/api/cases/{case.pk}/registration/",
                              {"registration": registration, "since": since, "reason": reason, **extra}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def take_part(api, user, case, level, since, setting, note="Afgesproken met ouders en school."):
    response = api(user).post(f"/api/cases/{case.pk}/participation/",
                              {"level": level, "since": since, "setting": setting, "note": note}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def ask_exemption(api, u, team_user, case, grounds):
    """The team chooses the vrijstelling route; Leerplicht asks for it (5a: with the doctor's statement)."""
    complete(api, team_user, case, "team_review", {"plan": "Vrijstelling aanvragen.",
                                                  "routes": ["vrijstelling_advies"]})
    complete(api, u["leerplicht"], case, "vrijstelling_request", {
        "grounds": grounds, "motivation": "Besproken met ouders.", "medical_statement": grounds == "5a"})


def grant(api, u, case, until):
    complete(api, u["leerplicht"], case, "vrijstelling_decision", {
        "granted": True, "until": until, "motivation": "Toegekend."})


def build(demo: dict) -> dict:
    """The cohort, through the API, on the demo's reference data (`seed_demo --json --no-cases`)."""
    api, u = api_client, users(demo)
    vo, vo_2, po = demo["schools"]["vo"], demo["schools"]["vo_2"], demo["schools"]["po"]
    vo_region = School.objects.get(pk=vo).region
    mbo, _mbo_team, mbo_user = mbo_institution(demo)
    aoj, outsider, leerplicht = u["aoj"], u["outsider"], u["leerplicht"]  # outsider: coordinator at vo_2
    c = {}

    def kid(name, birth, user, school, **overrides):
        c[name] = signal(api, user, school, given_name=name, family_name="Cohort", birth_date=birth, **overrides)
        return c[name]

    with time_machine.travel(at("2025-04-07"), tick=False) as traveller:

        def go(day, hour=10):
            traveller.move_to(at(day, hour))
            sweep_due()

        # Bas: exemption (15) from 15 April until 30 November, then back to lrv
        kid("Bas", "2011-02-14", aoj, vo, absent_since="2025-03-03", category="medisch_psychosociaal")
        go("2025-04-08")
        ask_exemption(api, u, aoj, c["Bas"], "15")
        go("2025-04-15")
        grant(api, u, c["Bas"], "2025-11-30")
        # Sofie: exemption (5b), then the case is closed with outcome vrijstelling
        go("2025-07-07")
        kid("Sofie", "2012-05-05", aoj, vo, absent_since="2025-06-02")
        go("2025-07-08")
        ask_exemption(api, u, aoj, c["Sofie"], "5b")
        go("2025-07-15")
        grant(api, u, c["Sofie"], "2026-07-31")
        go("2025-07-20")
        complete(api, aoj, c["Sofie"], "team_review", {"plan": "Vrijgesteld.", "outcome": "vrijstelling"})
        # Kees: lrv; nobody acts, the three-month clock runs out on 16 September
        go("2025-07-21")
        kid("Kees", "2010-09-09", outsider, vo_2, absent_since="2025-06-16")
        go("2025-09-08")
        kid("Lars", "2011-01-20", aoj, vo, absent_since="2025-08-04")
        go("2025-09-17")
        assert Case.objects.get(pk=c["Kees"].pk).status == "escalated"
        # Fleur: exemption 5a, with the ECT's advice
        go("2025-09-22")
        kid("Fleur", "2012-11-30", aoj, vo, absent_since="2025-08-18")
        go("2025-09-23")
        ask_exemption(api, u, aoj, c["Fleur"], "5a")
        go("2025-09-26")
        complete(api, u["ect"], c["Fleur"], "vrijstelling_advice", {"advice": "positief", "motivation": "Past."})
        go("2025-09-29")
        kid("Tim", "2007-11-15", aoj, vo, absent_since="2025-08-25")  # 17 then; 18 on 15 November
        go("2025-10-01")
        grant(api, u, c["Fleur"], "2026-07-31")
        # Vera: an arrangement that starts on 20 October; she takes part fully
        go("2025-10-06")
        kid("Vera", "2011-07-07", aoj, vo, absent_since="2025-09-01")
        complete(api, aoj, c["Vera"], "team_review", {"plan": "Arrangement.", "routes": ["arrangement"]})
        kid("Hugo", "2010-12-12", outsider, vo_2, absent_since="2025-09-01")
        go("2025-10-07")
        complete(api, aoj, c["Vera"], "arrangement_setup", {
            "education": "OPDC", "care_provider": "Zorgaanbieder", "funding": "swv", "start_date": "2025-10-20",
            "end_date": "2026-06-30", "evaluation_weeks": 6})
        ask_exemption(api, u, outsider, c["Hugo"], "15")
        go("2025-10-08")
        kid("Sara", "2012-03-03", aoj, vo, registration="ziek", absent_since="2025-10-06", category="onbekend")
        go("2025-10-10")
        kid("Daan", "2011-04-04", aoj, vo, registration="dreigend", absent_since="2025-10-08", category="spijbelaar")
        grant(api, u, c["Hugo"], "2026-06-30")
        # Noor: 16 with a startkwalificatie is no longer of compulsory school age: refused, nothing written
        go("2025-10-15")
        before = (Case.objects.count(), CaseEvent.objects.count())
        refused = signal_payload(School.objects.get(pk=vo), given_name="Noor", family_name="Cohort",
                                 birth_date="2009-06-01", absent_since="2025-09-01")
        refused["child"].update(startkwalificatie=True, startkwalificatie_on="2025-06-30")
        response = api(aoj).post("/api/cases/", refused, format="json")
        assert response.status_code == 400 and "startkwalificatie_on" in response.json(), response.content
        assert (Case.objects.count(), CaseEvent.objects.count()) == before
        go("2025-10-20", 9)  # the start date of Vera's place: the flow asks whether she started
        complete(api, aoj, c["Vera"], "start_confirmation", {"started": True, "started_on": "2025-10-20"})
        take_part(api, aoj, c["Vera"], "volledig", "2025-10-20", "arrangement")
        go("2025-10-22")
        kid("Arjen", "2011-08-08", leerplicht, None, registration="av", region=vo_region.pk,
            signaller_role="leerplicht", absent_since="2025-10-20", category="schoolonthouding")
        go("2025-11-03")
        change(api, aoj, c["Sara"], "lrv", "2025-11-01", "Hersteld, maar niet terug naar school.")
        go("2025-11-04", 12)  # Lars: three months out of school
        go("2025-11-05")  # Daan: day 29 (absent_since + 28 days) -> lrv
        kid("Yara", "2013-01-13", leerplicht, None, registration="vrij", region=vo_region.pk,
            signaller_role="leerplicht", absent_since="2025-09-01", category="onbekend",
            vrijstelling_grounds="5c", vrijstelling_until="2026-07-31")
        go("2025-11-10")
        kid("Mo", "2008-03-01", mbo_user, mbo.pk, absent_since="2025-10-06", category="spijbelaar")
        go("2025-11-12")
        kid("Pim", "2012-10-10", outsider, vo_2, absent_since="2025-10-10")
        go("2025-11-15")  # Tim turns 18
        go("2025-11-17")
        kid("Lieke", "2010-06-06", aoj, vo, absent_since="2025-10-13")
        go("2025-11-20")
        change(api, leerplicht, c["Arjen"], "lrv", "2025-11-19", "Ingeschreven op het Zuiderpoort Lyceum.",
               school=vo_2)
        take_part(api, outsider, c["Pim"], "gedeeltelijk", "2025-11-20", "opdc_doorstart")
        go("2025-11-24")
        kid("Zoe", "2011-11-11", aoj, vo, registration="ziek", absent_since="2025-11-20",
            category="medisch_psychosociaal")
        go("2025-11-28")
        change(api, aoj, c["Lieke"], "av", "2025-11-27", "Uitgeschreven door de ouders.")
        go("2025-12-01")
        board, school = board_and_school(demo, "vo")
        complete(api, u["mpl_chair"], c["Kees"], "doorbraak_decision", {
            "decision": "plaatsing", "school_board": board, "school": school, "start_date": "2026-01-12",
            "preference_followed": True, "motivation": ""})
        go("2025-12-02")  # Bas's exemption ended on 30 November
        go("2025-12-12")
        kid("Ahmed", "2012-02-02", leerplicht, None, registration="av", region=vo_region.pk,
            signaller_role="leerplicht", absent_since="2025-12-10", category="schoolonthouding")
        go("2025-12-17")
        kid("Dina", "2017-03-01", u["kindteam"], po, registration="dreigend", absent_since="2025-12-15",
            category="spijbelaar")
        go("2026-01-02")  # the report is made after the quarter
        c["Kees"].refresh_from_db()
        return {"cases": c, "vo_region": vo_region, "mbo": mbo, "schools": {"vo": vo, "vo_2": vo_2, "mbo": mbo.pk},
                "director": u["swv_director"]}


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    """The demo's reference data and the cohort, committed once for the module (Celery in-process,
    each service's work after commit at its commit); flushed at the end, as after a transactional
    test."""
    yield from committed_for_the_module(django_db_blocker, lambda: build(json.loads(seed("--json", "--no-cases"))))


@pytest.fixture
def cohort(built, db):
    """The cohort as the report is made: on 2 January 2026, after the quarter; each test reads it
    in its own transaction, rolled back."""
    with time_machine.travel(at("2026-01-02"), tick=False):
        yield built


def monitor(api, user, day):
    response = api(user).get("/api/monitor/", {"peildatum": day})
    assert response.status_code == 200, response.content
    return response.json()


def expected(cohort) -> dict:
    """Every figure of GET /api/monitor/?peildatum=2025-12-31, with who counts where."""
    schools, vo_region, mbo = cohort["schools"], cohort["vo_region"], cohort["mbo"]
    by_region = {vo_region.pk: 9}  # all but Mo's are VO-region cases; Mo's institution may be elsewhere
    by_region[mbo.region_id] = by_region.get(mbo.region_id, 0) + 1
    no_sector = {"lrv": 0, "av": 0, "vrij": 0, "ziek": 0, "dreigend": 0}
    return {
        "peildatum": PEILDATUM,
        "lrv": 8,  # Lars, Daan (dreigend->lrv), Arjen (av->lrv), Sara (ziek->lrv), Pim (partly), Bas (exemption
        #            ended), Mo (MBO), Kees (place starts in January). Not: Vera (fully), Tim (18)
        "av": 2,  # Ahmed, Lieke (lrv->av)
        "thuiszitters": 10,
        "vrij": 4,  # Fleur 5a, Hugo 15, Sofie 5b (case closed), Yara 5c (no school). Not: Bas (ended)
        "ziek": 1,  # Zoe. Not: Sara (lrv since 1 November)
        "dreigend": 1,  # Dina (PO). Not: Daan (lrv since 5 November)
        "open_cases": 17,  # everyone but Sofie (closed) and Noor (refused); Tim counts here (no age rule)
        "durations": {
            "lt_4_weeks": 1,  # Ahmed 21 days
            "4_weeks_3_months": 7,  # Daan 84, Arjen 72, Sara 86, Pim 82, Mo 86, Lieke 79, Bas 30 (out again
            #                          from the day after his exemption ended, 1 December)
            "3_6_months": 1,  # Lars 149
            "gt_6_months": 1,  # Kees 198
        },
        "by_sector": {
            "po": {**no_sector, "dreigend": 1},  # Dina
            "vo": {"lrv": 7, "av": 2, "vrij": 4, "ziek": 1, "dreigend": 0},
            "so": dict(no_sector),
            "vso": dict(no_sector),
            "mbo": {**no_sector, "lrv": 1},  # Mo
        },
        "thuiszitters_by_region": {str(k): v for k, v in sorted(by_region.items())},
        "thuiszitters_by_school": {
            str(schools["vo"]): 4,  # Lars, Daan, Sara, Bas
            str(schools["vo_2"]): 3,  # Arjen (enrolled there), Pim, Kees
            str(schools["mbo"]): 1,  # Mo. Ahmed and Lieke have no school
        },
        "thuiszitters_by_category": {
            "schoolweigeraar": 4,  # Lars, Pim, Kees, Lieke
            "schoolonthouding": 2,  # Arjen, Ahmed
            "spijbelaar": 2,  # Daan, Mo
            "medisch_psychosociaal": 1,  # Bas
            "onbekend": 1,  # Sara
        },
        "ziek_by_category": {"schoolweigeraar": 0, "schoolonthouding": 0, "spijbelaar": 0,
                             "medisch_psychosociaal": 1, "onbekend": 0},  # Zoe
        "vrij_by_ground": {"5a": 1, "5b": 1, "5c": 1, "15": 1},  # Fleur, Sofie, Yara, Hugo (not Bas: ended)
        "in_traject": {
            "total": 2,
            "gedeeltelijk": {"eigen_school": 0, "andere_school": 0, "arrangement": 0, "opdc_doorstart": 1,  # Pim
                             "rebound": 0, "dagbesteding": 0, "zorg": 0, "ander_onderwijs": 0},
            "volledig": {"eigen_school": 0, "andere_school": 0, "arrangement": 1,  # Vera
                         "opdc_doorstart": 0, "rebound": 0, "dagbesteding": 0, "zorg": 0, "ander_onderwijs": 0},
        },
        "without_offer_over_3_months": 2,  # Lars (due 4 Nov), Kees (due 16 Sep; his place starts 12 Jan)
    }


def test_every_monitor_figure_on_the_peildatum(api, cohort):
    counts = monitor(api, cohort["director"], PEILDATUM)["counts"]
    want = expected(cohort)
    assert {key: counts.get(key) for key in want} == want


def test_quarter_api_gives_the_same_counts(api, cohort):
    director = cohort["director"]
    quarter = api(director).get("/api/monitor/quarter/", {"year": 2025, "quarter": 4})
    assert quarter.status_code == 200, quarter.content
    assert quarter.json()["counts"] == monitor(api, director, PEILDATUM)["counts"]


def test_period_of_the_quarter(api, cohort):
    period = monitor(api, cohort["director"], PEILDATUM)["period"]
    # signalled in Q4: Vera, Hugo, Sara, Daan, Arjen, Yara, Mo, Pim, Lieke, Zoe, Ahmed, Dina (Noor was refused)
    assert period["new_signals"] == 12
    # days absent to a confirmed start: only Vera (1 September -> 20 October); Kees's place has not started
    assert period["days_absent_to_placement"] == {"cases": 1, "median": 49, "p90": 49}


def test_the_history_is_read_by_its_dates(api, cohort):
    director, cases = cohort["director"], cohort["cases"]
    on = {day: monitor(api, director, day)["counts"] for day in
          ("2025-09-30", "2025-11-04", "2025-11-05", "2025-11-14", "2025-11-15", "2025-11-30")}
    # Sofie's case closed in July, her exemption counts on every peildatum while it runs
    assert on["2025-09-30"]["vrij_by_ground"]["5b"] == 1
    # Daan: dreigend up to 4 November, lrv from the 5th (day 29: absent_since + 28 days)
    assert (on["2025-11-04"]["dreigend"], on["2025-11-05"]["dreigend"]) == (1, 0)
    daan = CaseEvent.objects.filter(case=cases["Daan"], kind="registration_changed").order_by("at", "pk").last()
    assert (daan.data["from"], daan.data["to"], daan.data["since"]) == ("dreigend", "lrv", "2025-11-05")
    # Tim: counted on 14 November, not from his 18th birthday. lrv on the 14th: Kees, Lars, Tim, Sara, Daan,
    # Mo, Pim (Bas is still exempted, Vera takes part fully, Arjen is still av)
    assert (on["2025-11-14"]["lrv"], on["2025-11-15"]["lrv"]) == (7, 6)
    # Bas's exemption runs up to and including 30 November
    assert on["2025-11-30"]["vrij_by_ground"]["15"] == 2  # Hugo, Bas
    assert on["2025-11-30"]["vrij"] == 5  # Fleur, Hugo, Sofie, Yara, Bas


def test_cohort_cases_are_where_the_rules_put_them(cohort):
    cases = {name: Case.objects.get(pk=case.pk) for name, case in cohort["cases"].items()}
    assert cases["Sofie"].status == "closed" and cases["Sofie"].outcome == "vrijstelling"
    assert cases["Vera"].status != "closed" and cases["Vera"].participation == "volledig"
    assert cases["Lieke"].school_id is None and cases["Arjen"].school_id == cohort["schools"]["vo_2"]
    assert cases["Bas"].registration == "lrv"
    tim_offer = Deadline.objects.get(case=cases["Tim"], kind="offer_3_months")
    assert tim_offer.stop_reason == "einde_leerplicht" and tim_offer.breached_at is None
    kees_offer = Deadline.objects.get(case=cases["Kees"], kind="offer_3_months")
    assert kees_offer.breached_at is not None and kees_offer.met_at is None  # the place has not started
    vera_offer = Deadline.objects.get(case=cases["Vera"], kind="offer_3_months")
    assert vera_offer.met_at == at("2025-10-20", 0) and vera_offer.breached_at is None
    assert "doorbraak_decision" not in open_nodes(cases["Tim"])


# --- the quarterly CSV ------------------------------------------------------------------------------

SECTOR_COLUMNS = ["totaal", "po", "vo", "so", "vso", "mbo"]
# The exact quarterly table (rows with sectors: total, po, vo, so, vso, mbo); the labels are the CSV's
EXACT_SECTOR_ROWS = {
    "Langdurig relatief verzuim (LRV)": [8, 0, 7, 0, 0, 1],
    "Absoluut verzuim (AV)": [2, 0, 2, 0, 0, 0],
    "Vrijstelling (alle gronden)": [4, 0, 4, 0, 0, 0],
    "Ziekgemeld": [1, 0, 1, 0, 0, 0],
    "Dreigend thuiszitter": [1, 1, 0, 0, 0, 0],
    "Thuiszitters (LRV + AV)": [10, 0, 9, 0, 0, 1],
}
EXACT_SINGLE_ROWS = {
    "Vrijstelling 5a": 1, "Vrijstelling 5b": 1, "Vrijstelling 5c": 1, "Vrijstelling 15": 1,
    "Zonder aanbod na 3 maanden": 2,
    "Nieuwe meldingen in het kwartaal": 12,
    "Teruggeleid naar onderwijs in het kwartaal": 0,
}


def quarter_csv(client, user, audience=None) -> dict[str, list[str]]:
    client.force_login(user)
    url = "/monitor/quarter.csv?year=2025&quarter=4" + (f"&audience={audience}" if audience else "")
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["peildatum", PEILDATUM]
    assert rows[1] == ["categorie", *SECTOR_COLUMNS]
    table = {row[0]: row[1:] for row in rows[2:]}
    assert len(table) == len(rows) - 2  # one row per label
    return table


def test_quarter_csv_for_the_inspectie_is_exact(client, cohort):
    table = quarter_csv(client, cohort["director"])
    assert table == quarter_csv(client, cohort["director"], "inspectie")  # the default audience
    for label, values in EXACT_SECTOR_ROWS.items():
        assert table[label] == [str(v) for v in values], label
    for label, value in EXACT_SINGLE_ROWS.items():
        assert table[label] == [str(value)], label
    thuiszitters = [row for label, row in table.items() if label.startswith("Thuiszitters: ")]
    assert sorted(int(row[0]) for row in thuiszitters) == [1, 1, 2, 2, 4]
    assert not any("< 5" in cell for row in table.values() for cell in row)


def is_count(cell: str) -> bool:
    return cell.isdigit()


def test_quarter_csv_for_the_public_hides_small_numbers(client, cohort):
    exact = quarter_csv(client, cohort["director"])
    public = quarter_csv(client, cohort["director"], "public")
    assert set(exact) <= set(public)
    hidden = set()
    for label, row in exact.items():
        for column, (true, shown) in enumerate(zip(row, public[label], strict=True)):
            if not is_count(true):
                continue
            if 1 <= int(true) <= 4:
                assert shown == "< 5", (label, column, shown)  # primary suppression
            else:
                # a count of 0 or 5+ is published as it is, or hidden whole (secondary), never altered
                assert shown == true or not any(ch.isdigit() for ch in shown), (label, column, shown)
            if shown != true:
                hidden.add((label, column))
    # secondary suppression: no relation of a total and its parts has exactly one hidden cell (which
    # would follow from the others). Rows: total = sum of sectors; columns: LRV + AV = thuiszitters;
    # thuiszitters, ziek and vrij totals = their breakdowns.
    relations = [[(label, i) for i in range(6)] for label in EXACT_SECTOR_ROWS]
    relations += [[("Langdurig relatief verzuim (LRV)", i), ("Absoluut verzuim (AV)", i),
                   ("Thuiszitters (LRV + AV)", i)] for i in range(6)]
    relations.append([("Thuiszitters (LRV + AV)", 0)] + [(label, 0) for label in exact
                                                         if label.startswith("Thuiszitters: ")])
    relations.append([("Ziekgemeld", 0)] + [(label, 0) for label in exact if label.startswith("Ziekgemeld: ")])
    relations.append([("Vrijstelling (alle gronden)", 0)] + [(f"Vrijstelling {g}", 0) for g in ("5a", "5b", "5c",
                                                                                              "15")])
    for relation in relations:
        assert len([cell for cell in relation if cell in hidden]) != 1, relation
    # this cohort needs it: MBO's single LRV pupil must not follow from 8 - 7
    assert public["Langdurig relatief verzuim (LRV)"][5] == "< 5"
    assert {public["Langdurig relatief verzuim (LRV)"][0], public["Langdurig relatief verzuim (LRV)"][2]} != {"8", "7"}
    # the large counts that nothing forces to hide are published
    assert public["Nieuwe meldingen in het kwartaal"] == ["12"]


def test_public_quarter_api_hides_small_numbers(api, cohort):
    response = api(cohort["director"]).get("/api/monitor/quarter/", {"year": 2025, "quarter": 4,
                                                                     "audience": "public"})
    assert response.status_code == 200, response.content
    cells = [cell for row in response.json()["rows"]
             for cell in [row["total"], *(row["by_sector"] or {}).values()]]
    assert not any(isinstance(cell, int) and 1 <= cell <= 4 for cell in cells)
    assert "< 5" in cells
