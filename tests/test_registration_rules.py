"""Every intake and registration rule, the allowed and the refused path.

Intake (POST /api/cases/), registration changes (POST /api/cases/{id}/registration/), taking
part (POST /api/cases/{id}/participation/), exemption grounds, the three-month promise kept by a
place that actually starts, who decides by sector, ziekgemeld pupils and the end of the duty at 18.
A refusal answers 400 with the field named in the contract and writes nothing (rows are counted
before and after). Time is fixed with time_machine: "today" is Wednesday 15 October 2025.
"""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from casework.models import (
    Case,
    CaseEvent,
    CaseParticipant,
    Child,
    Deadline,
    RouteRun,
    Vrijstelling,
)
from casework.services import sweep_due
from teams.models import Region, School
from tests.factories import signal_payload
from tests.flowkit import (
    OPEN,
    board_and_school,
    complete,
    mbo_institution,
    open_nodes,
    open_task,
    signal,
)
from workflows.models import CaseTask

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 10, 15)
SETTINGS = ["eigen_school", "andere_school", "arrangement", "opdc_doorstart", "rebound", "dagbesteding", "zorg",
            "ander_onderwijs"]


def at(day, hour: int = 10) -> dt.datetime:
    """A local (Europe/Amsterdam) moment on `day`."""
    day = day if isinstance(day, dt.date) else dt.date.fromisoformat(day)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def start_of_day(day) -> dt.datetime:
    return at(day, 0)


def ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).isoformat()


@pytest.fixture
def clock():
    with time_machine.travel(at(TODAY), tick=False) as traveller:
        yield traveller


@pytest.fixture
def vo(demo) -> School:
    return School.objects.get(pk=demo["schools"]["vo"])


@pytest.fixture
def vo_region(vo) -> Region:
    return vo.region


@pytest.fixture
def mbo(demo):
    """The demo's MBO institution with its own team (team kind mbo) and that team's coordinator."""
    school, team, user = mbo_institution(demo)
    return {"school": school, "team": team, "user": user}


def rows() -> tuple[int, ...]:
    """What a refused request must leave as it was."""
    return (Case.objects.count(), CaseEvent.objects.count(), Child.objects.count(), Deadline.objects.count(),
            Vrijstelling.objects.count(), CaseParticipant.objects.count())


def intake(school, *, startkwalificatie=None, startkwalificatie_on=None, drop=(), **overrides) -> dict:
    payload = signal_payload(school, **overrides)
    if startkwalificatie is not None:
        payload["child"]["startkwalificatie"] = startkwalificatie
    if startkwalificatie_on is not None:
        payload["child"]["startkwalificatie_on"] = startkwalificatie_on
    for key in drop:
        payload.pop(key)
    return payload


def post_signal(api, user, payload):
    return api(user).post("/api/cases/", payload, format="json")


def changes(case) -> list[dict]:
    return [e.data for e in CaseEvent.objects.filter(case=case, kind="registration_changed").order_by("at", "pk")]


def fresh(case) -> Case:
    return Case.objects.get(pk=case.pk)


def change(api, user, case, registration, *, since=None, reason="Besproken in het team.", **extra):
    payload = {"registration": registration, "since": since or TODAY.isoformat(), "reason": reason, **extra}
    if reason is None:
        payload.pop("reason")
    return api(user).post(f"/api/cases/{case.pk}/registration/", payload, format="json")


def take_part(api, user, case, level, setting="", *, since=None, note="Afspraak met ouders."):
    payload = {"level": level, "since": since or TODAY.isoformat(), "setting": setting, "note": note}
    return api(user).post(f"/api/cases/{case.pk}/participation/", payload, format="json")


def deadline(case, kind, sequence=1) -> Deadline:
    return Deadline.objects.get(case=case, kind=kind, sequence=sequence)


# --- intake ---------------------------------------------------------------------------------------

ABSENT = TODAY - dt.timedelta(days=29)  # 2025-09-16: long enough for lrv


def _years_before(day: dt.date, years: int, *, plus_days: int = 0) -> str:
    return (day.replace(year=day.year - years) + dt.timedelta(days=plus_days)).isoformat()


REFUSED_INTAKE = {
    # lrv needs more than 4 weeks out of school at the signal (the first day absent is day 1): day 28 is
    # still dreigend
    "lrv_on_day_28": ({"registration": "lrv", "absent_since": ago(27)}, "registration"),
    "lrv_after_2_days": ({"registration": "lrv", "absent_since": ago(2)}, "registration"),
    # age on absent_since: 4 (turns 5 the next day) and 18 (that very day) are outside the duty
    "age_4": ({"absent_since": ABSENT.isoformat(), "birth_date": _years_before(ABSENT, 5, plus_days=1)}, "birth_date"),
    "age_18": ({"absent_since": ABSENT.isoformat(), "birth_date": _years_before(ABSENT, 18)}, "birth_date"),
    "age_20": ({"absent_since": ABSENT.isoformat(), "birth_date": _years_before(ABSENT, 20)}, "birth_date"),
    # grounds and end date belong to a vrij registration only
    "grounds_on_lrv": ({"vrijstelling_grounds": "5a"}, "vrijstelling_grounds"),
    "until_on_lrv": ({"vrijstelling_until": "2026-07-31"}, "vrijstelling_until"),
    "grounds_on_dreigend": ({"registration": "dreigend", "absent_since": ago(5), "vrijstelling_grounds": "15",
                             "vrijstelling_until": "2026-07-31"}, "vrijstelling_grounds"),
    # the sector comes from the school: a different one is refused
    "sector_mismatch": ({"sector": "po"}, "sector"),
}


@pytest.mark.parametrize("case_id", list(REFUSED_INTAKE))
def test_intake_refused_writes_nothing(api, u, vo, clock, case_id):
    overrides, field = REFUSED_INTAKE[case_id]
    before = rows()
    response = post_signal(api, u["aoj"], intake(vo, **overrides))
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert rows() == before


def test_lrv_refusal_says_dreigend(api, u, vo, clock):
    response = post_signal(api, u["aoj"], intake(vo, registration="lrv", absent_since=ago(10)))
    assert response.status_code == 400
    assert "dreigend" in " ".join(response.json()["registration"]).lower()


ALLOWED_INTAKE = {
    "lrv_on_day_29": {"registration": "lrv", "absent_since": ago(28)},
    "dreigend_after_2_days": {"registration": "dreigend", "absent_since": ago(2)},
    "dreigend_on_day_28": {"registration": "dreigend", "absent_since": ago(27)},
    "ziek_after_3_days": {"registration": "ziek", "absent_since": ago(3), "category": "medisch_psychosociaal"},
    "age_5_on_the_day": {"absent_since": ABSENT.isoformat(), "birth_date": _years_before(ABSENT, 5)},
    "age_17": {"absent_since": ABSENT.isoformat(), "birth_date": _years_before(ABSENT, 17, plus_days=-60)},
    "age_17_one_day_before_18": {"absent_since": ABSENT.isoformat(),
                                 "birth_date": _years_before(ABSENT, 18, plus_days=1)},
    "age_16_without_startkwalificatie": {"absent_since": ABSENT.isoformat(),
                                         "birth_date": _years_before(ABSENT, 16, plus_days=-30)},
    "sector_matching_the_school": {"sector": "vo"},
}


@pytest.mark.parametrize("case_id", list(ALLOWED_INTAKE))
def test_intake_allowed(api, u, vo, clock, case_id):
    response = post_signal(api, u["aoj"], intake(vo, **ALLOWED_INTAKE[case_id]))
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=response.json()["id"])
    assert case.registration == ALLOWED_INTAKE[case_id].get("registration", "lrv")


def test_sixteen_with_startkwalificatie_refused_without_allowed(api, u, vo, clock):
    birth = _years_before(ABSENT, 16, plus_days=-30)
    before = rows()
    refused = post_signal(api, u["aoj"], intake(vo, birth_date=birth, absent_since=ABSENT.isoformat(),
                                                startkwalificatie=True, startkwalificatie_on=ABSENT.isoformat()))
    assert refused.status_code == 400, refused.content
    assert "startkwalificatie_on" in refused.json()  # obtained by the first day out of school: no duty
    assert rows() == before
    allowed = post_signal(api, u["aoj"], intake(vo, birth_date=birth, absent_since=ABSENT.isoformat(),
                                                startkwalificatie=False))
    assert allowed.status_code == 201, allowed.content
    assert Child.objects.get().startkwalificatie is False


def test_sector_is_taken_from_the_school(api, u, demo, clock):
    po = School.objects.get(pk=demo["schools"]["po"])
    response = post_signal(api, u["kindteam"], intake(po, drop=["sector"], birth_date="2016-04-04"))
    assert response.status_code == 201, response.content
    assert response.json()["sector"] == "po"
    assert fresh(Case.objects.get(pk=response.json()["id"])).sector == "po"


def test_sector_required_without_school(api, u, vo_region, clock):
    payload = intake(None, drop=["sector"], registration="av", region=vo_region.pk, signaller_role="leerplicht")
    before = rows()
    response = post_signal(api, u["leerplicht"], payload)
    assert response.status_code == 400, response.content
    assert "sector" in response.json()
    assert rows() == before
    payload["sector"] = "vo"
    assert post_signal(api, u["leerplicht"], payload).status_code == 201


def test_av_intake_goes_to_leerplicht(api, u, vo_region, clock):
    case = signal(api, u["leerplicht"], None, registration="av", region=vo_region.pk, signaller_role="leerplicht",
                  absent_since=ago(3))
    assert case.school_id is None
    assert CaseParticipant.objects.filter(case=case, team__kind="leerplicht", reason="leerplicht").exists()


def test_intake_writes_the_first_registration_change(api, u, vo, clock):
    case = signal(api, u["aoj"], vo.pk, absent_since=ago(40))
    [first] = changes(case)
    # The registration holds from the first day out of school (so later changes may be dated back).
    assert {k: first[k] for k in ("from", "to", "since", "trigger")} == {
        "from": None, "to": "lrv", "since": ago(40), "trigger": "signalled"}
    assert "reason" in first


# --- vrij at intake -------------------------------------------------------------------------------


def vrij_payload(vo_region, **overrides):
    base = {"registration": "vrij", "region": vo_region.pk, "signaller_role": "leerplicht", "absent_since": ago(40),
            "category": "onbekend", "vrijstelling_grounds": "5b", "vrijstelling_until": "2026-07-31",
            "given_name": "Vera"}
    return intake(None, **{**base, **overrides})


def test_vrij_without_school_allowed_and_counted(api, u, vo_region, clock):
    response = post_signal(api, u["leerplicht"], vrij_payload(vo_region))
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=response.json()["id"])
    assert (case.registration, case.school_id, case.region_id) == ("vrij", None, vo_region.pk)
    # without a school the case is Leerplicht's
    assert CaseParticipant.objects.filter(case=case, team__kind="leerplicht").exists()
    assert api(u["leerplicht"]).get(f"/api/cases/{case.pk}/").status_code == 200
    counts = api(u["swv_director"]).get("/api/monitor/", {"peildatum": TODAY.isoformat()}).json()["counts"]
    assert (counts["vrij"], counts["thuiszitters"]) == (1, 0)
    assert counts["vrij_by_ground"] == {"5a": 0, "5b": 1, "5c": 0, "15": 0}


def test_vrij_with_school_allowed(api, u, vo, clock):
    payload = intake(vo, registration="vrij", absent_since=ago(40), vrijstelling_grounds="15",
                     vrijstelling_until="2026-07-31")
    response = post_signal(api, u["aoj"], payload)
    assert response.status_code == 201, response.content
    assert Case.objects.get(pk=response.json()["id"]).school_id == vo.pk


@pytest.mark.parametrize(("overrides", "field"), [
    ({"vrijstelling_grounds": None}, "vrijstelling_grounds"),
    ({"vrijstelling_grounds": "5d"}, "vrijstelling_grounds"),
    ({"vrijstelling_until": None}, "vrijstelling_until"),
    ({"vrijstelling_until": TODAY.isoformat()}, "vrijstelling_until"),  # must be after today
    ({"vrijstelling_until": "2025-01-31"}, "vrijstelling_until"),
    ({"region": None}, "region"),  # without a school the region is needed
], ids=["no_grounds", "bad_grounds", "no_until", "until_today", "until_past", "no_region"])
def test_vrij_refused(api, u, vo_region, clock, overrides, field):
    payload = vrij_payload(vo_region)
    for key, value in overrides.items():
        if value is None:
            payload.pop(key)
        else:
            payload[key] = value
    before = rows()
    response = post_signal(api, u["leerplicht"], payload)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert rows() == before


# --- registration changes -----------------------------------------------------------------------


@pytest.fixture
def cases(api, u, demo, vo_region, clock):
    """One case per registration, signalled today (15 October 2025)."""
    vo = demo["schools"]["vo"]
    return {
        "lrv": signal(api, u["aoj"], vo, given_name="Lars", absent_since="2025-09-01"),
        "dreigend": signal(api, u["aoj"], vo, given_name="Dina", registration="dreigend", absent_since="2025-10-01"),
        "ziek": signal(api, u["aoj"], vo, given_name="Zoe", registration="ziek", absent_since="2025-09-01",
                       category="medisch_psychosociaal"),
        "ziek_kort": signal(api, u["aoj"], vo, given_name="Zara", registration="ziek", absent_since="2025-10-06"),
        "av": signal(api, u["leerplicht"], None, given_name="Ahmed", registration="av", region=vo_region.pk,
                     signaller_role="leerplicht", absent_since="2025-09-01", category="schoolonthouding"),
        "vrij": Case.objects.get(pk=post_signal(api, u["leerplicht"], vrij_payload(vo_region)).json()["id"]),
    }


ALLOWED_CHANGES = [
    # (case, to, actor, extra payload)
    ("lrv", "ziek", "aoj", {}),
    ("ziek", "lrv", "aoj", {}),
    ("dreigend", "ziek", "aoj", {}),
    ("ziek_kort", "dreigend", "aoj", {}),
    ("lrv", "av", "aoj", {}),  # unenrolled: the school is cleared
]


@pytest.mark.parametrize(("start", "to", "actor", "extra"), ALLOWED_CHANGES,
                         ids=[f"{s}->{t}" for s, t, _, _ in ALLOWED_CHANGES])
def test_allowed_change_is_dated(api, u, cases, clock, start, to, actor, extra):
    case = cases[start]
    clock.move_to(at("2025-10-20"))
    response = change(api, u[actor], case, to, since="2025-10-18", reason="Besproken met ouders.", **extra)
    assert response.status_code == 200, response.content
    assert response.json()["registration"] == to
    assert fresh(case).registration == to
    last = changes(case)[-1]
    assert {k: last[k] for k in ("from", "to", "since", "reason")} == {
        "from": start.removesuffix("_kort"), "to": to, "since": "2025-10-18", "reason": "Besproken met ouders."}
    assert last.get("trigger")


def test_lrv_to_av_clears_the_school(api, u, cases, clock):
    response = change(api, u["aoj"], cases["lrv"], "av", reason="Uitgeschreven.")
    assert response.status_code == 200, response.content
    assert response.json()["school"] is None
    assert fresh(cases["lrv"]).school_id is None


def test_av_to_lrv_enrols_at_the_school(api, u, demo, cases, clock):
    vo_2 = demo["schools"]["vo_2"]
    response = change(api, u["leerplicht"], cases["av"], "lrv", reason="Ingeschreven.", school=vo_2)
    assert response.status_code == 200, response.content
    case = fresh(cases["av"])
    assert (case.registration, case.school_id) == ("lrv", vo_2)
    assert changes(case)[-1]["from"] == "av" and changes(case)[-1]["to"] == "lrv"


def test_team_may_record_lrv_before_the_clock(api, u, demo, clock):
    """dreigend -> lrv by hand once the pupil is out of school more than four weeks; the clock,
    due the same day, then leaves the registration alone (no second change)."""
    case = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Daan", registration="dreigend",
                  absent_since="2025-09-20")
    clock.move_to(at("2025-10-18", 8))  # day 29 (20 September is day 1); the sweeper has not run yet
    assert change(api, u["aoj"], case, "lrv", since="2025-10-17", reason="Vier weken thuis.").status_code == 400
    response = change(api, u["aoj"], case, "lrv", since="2025-10-18", reason="Vijf weken thuis.")
    assert response.status_code == 200, response.content
    last = changes(case)[-1]
    assert (last["since"], last["reason"]) == ("2025-10-18", "Vijf weken thuis.")
    sweep_due()
    assert [(c["from"], c["to"]) for c in changes(case)] == [(None, "dreigend"), ("dreigend", "lrv")]
    assert deadline(case, "lrv_4_weeks").breached_at is None


REFUSED_CHANGES = [
    ("lrv", "vrij", "aoj", {}, "registration"),  # vrij only by a granted exemption
    ("vrij", "lrv", "leerplicht", {"school": "vo"}, "registration"),  # left only by its end or revocation
    ("av", "ziek", "leerplicht", {}, "registration"),
    ("lrv", "dreigend", "aoj", {}, "registration"),
    ("ziek", "av", "aoj", {}, "registration"),
    ("dreigend", "av", "aoj", {}, "registration"),
    ("lrv", "lrv", "aoj", {}, "registration"),
    ("lrv", "onbekend", "aoj", {}, "registration"),
    ("av", "lrv", "leerplicht", {}, "school"),  # enrolment needs the school
    ("lrv", "av", "aoj", {"school": "vo_2"}, "school"),  # unenrolled: no school
]


@pytest.mark.parametrize(("start", "to", "actor", "extra", "field"), REFUSED_CHANGES,
                         ids=[f"{s}->{t}{'+school' if e else ''}" for s, t, _, e, _ in REFUSED_CHANGES])
def test_refused_change_writes_nothing(api, u, demo, cases, clock, start, to, actor, extra, field):
    case = cases[start]
    extra = {key: demo["schools"][value] for key, value in extra.items()}
    before, registration, school = rows(), fresh(case).registration, fresh(case).school_id
    response = change(api, u[actor], case, to, **extra)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert rows() == before
    assert (fresh(case).registration, fresh(case).school_id) == (registration, school)


@pytest.mark.parametrize(("since", "reason", "field"), [
    ("2025-10-16", "Ziek gemeld.", "since"),  # in the future
    ("2025-01-01", "Ziek gemeld.", "since"),  # before the first day out of school
    ("gisteren", "Ziek gemeld.", "since"),
    (TODAY.isoformat(), None, "reason"),
    (TODAY.isoformat(), "   ", "reason"),
], ids=["future", "before_absence", "not_a_date", "no_reason", "blank_reason"])
def test_change_needs_a_valid_date_and_a_reason(api, u, cases, clock, since, reason, field):
    before = rows()
    response = change(api, u["aoj"], cases["lrv"], "ziek", since=since, reason=reason)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert rows() == before and fresh(cases["lrv"]).registration == "lrv"


def test_change_not_before_the_previous_change(api, u, cases, clock):
    clock.move_to(at("2025-10-25"))
    assert change(api, u["aoj"], cases["lrv"], "ziek", since="2025-10-20").status_code == 200
    before = rows()
    response = change(api, u["aoj"], cases["lrv"], "lrv", since="2025-10-19")
    assert response.status_code == 400 and "since" in response.json()
    assert rows() == before
    assert change(api, u["aoj"], cases["lrv"], "lrv", since="2025-10-20").status_code == 200  # the same day is fine


def test_who_may_change_the_registration(api, u, cases, clock):
    case = cases["lrv"]
    # outsider (another school's team) does not see the case: 404, as everywhere
    assert change(api, u["outsider"], case, "ziek").status_code == 404
    assert change(api, u["kindteam"], case, "ziek").status_code == 404
    # the ECT joins through a consult: it sees the case, but does not hold it
    complete(api, u["aoj"], case, "team_review", {"plan": "ECT vragen.", "ect_question_kind": "handelingsadvies", "routes": ["ect_consult"]})
    assert api(u["ect"]).get(f"/api/cases/{case.pk}/").status_code == 200
    before = rows()
    assert change(api, u["ect"], case, "ziek").status_code == 403
    assert rows() == before and fresh(case).registration == "lrv"
    # a plain member of the case team may
    assert change(api, u["aoj_2"], case, "ziek").status_code == 200


def test_automatic_lrv_is_dated_at_four_weeks(api, u, demo, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Bram", registration="dreigend",
                  absent_since="2025-10-01")
    assert deadline(case, "lrv_4_weeks").due_at == start_of_day("2025-10-29")  # day 29: absent_since + 28 days
    clock.move_to(at("2025-10-28", 23))
    sweep_due()
    assert fresh(case).registration == "dreigend"
    clock.move_to(at("2025-10-29", 7))
    assert sweep_due().passed == 1
    assert fresh(case).registration == "lrv"
    last = changes(case)[-1]
    assert (last["from"], last["to"], last["since"], last["trigger"]) == ("dreigend", "lrv", "2025-10-29",
                                                                        "lrv_4_weeks")
    # the monitor reads the date: dreigend on the 28th, lrv on the 29th
    director = u["swv_director"]
    on = {day: api(director).get("/api/monitor/", {"peildatum": day}).json()["counts"]
          for day in ("2025-10-28", "2025-10-29")}
    assert (on["2025-10-28"]["dreigend"], on["2025-10-28"]["lrv"]) == (1, 0)
    assert (on["2025-10-29"]["dreigend"], on["2025-10-29"]["lrv"]) == (0, 1)


# --- taking part ----------------------------------------------------------------------------------

ALLOWED_PARTICIPATION = [("geen", "")] + [(level, s) for level in ("gedeeltelijk", "volledig") for s in SETTINGS]


@pytest.mark.parametrize(("level", "setting"), ALLOWED_PARTICIPATION,
                         ids=[f"{level}-{setting or 'none'}" for level, setting in ALLOWED_PARTICIPATION])
def test_participation_allowed(api, u, cases, clock, level, setting):
    case = cases["lrv"]
    clock.move_to(at("2025-10-22"))
    response = take_part(api, u["aoj"], case, level, setting, since="2025-10-20", note="Drie ochtenden.")
    assert response.status_code == 200, response.content
    assert (response.json()["participation"], response.json()["participation_setting"]) == (level, setting)
    event = CaseEvent.objects.filter(case=case, kind="participation_changed").get()
    assert event.data == {"from": "geen", "level": level, "since": "2025-10-20", "setting": setting,
                          "note": "Drie ochtenden."}
    detail = api(u["aoj"]).get(f"/api/cases/{case.pk}/").json()
    assert (detail["participation"], detail["participation_setting"]) == (level, setting)
    assert fresh(case).registration == "lrv"  # taking part changes the count, not the registration


def test_participation_history_keeps_the_previous_level(api, u, demo, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Pim", absent_since="2025-09-01")
    assert api(u["aoj"]).get(f"/api/cases/{case.pk}/").json()["participation"] == "geen"
    assert take_part(api, u["aoj"], case, "gedeeltelijk", "opdc_doorstart").status_code == 200
    clock.move_to(at("2025-11-03"))
    assert take_part(api, u["aoj"], case, "volledig", "opdc_doorstart", since="2025-11-03").status_code == 200
    events = CaseEvent.objects.filter(case=case, kind="participation_changed").order_by("at", "pk")
    assert [(e.data["from"], e.data["level"]) for e in events] == [("geen", "gedeeltelijk"),
                                                                  ("gedeeltelijk", "volledig")]
    counts = {day: api(u["swv_director"]).get("/api/monitor/", {"peildatum": day}).json()["counts"]
              for day in ("2025-11-02", "2025-11-03")}
    assert counts["2025-11-02"]["lrv"] == 1  # partly: still a thuiszitter
    assert counts["2025-11-03"]["lrv"] == 0  # fully, as far as they can: no longer counted
    assert counts["2025-11-03"]["in_traject"]["volledig"]["opdc_doorstart"] == 1


@pytest.mark.parametrize(("level", "setting", "field"), [
    ("gedeeltelijk", "", "setting"),
    ("volledig", "", "setting"),
    ("volledig", "school", "setting"),
    ("half", "arrangement", "level"),
    ("", "arrangement", "level"),
], ids=["partly_no_setting", "fully_no_setting", "bad_setting", "bad_level", "no_level"])
def test_participation_refused(api, u, cases, clock, level, setting, field):
    case = cases["lrv"]
    before = rows()
    response = take_part(api, u["aoj"], case, level, setting)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert rows() == before
    assert (fresh(case).participation, fresh(case).participation_setting) == ("geen", "")


def test_participation_only_for_who_sees_the_case(api, u, cases, clock):
    before = rows()
    assert take_part(api, u["outsider"], cases["lrv"], "volledig", "arrangement").status_code == 404
    assert rows() == before


# --- exemptions -----------------------------------------------------------------------------------


def request_exemption(api, u, case, grounds, *, medical_statement=True, team_user="aoj"):
    complete(api, u[team_user], case, "team_review", {"plan": "Vrijstelling.", "routes": ["vrijstelling_advies"]})
    complete(api, u["leerplicht"], case, "vrijstelling_request", {
        "grounds": grounds, "motivation": "Besproken.", "medical_statement": medical_statement})


@pytest.mark.parametrize("grounds", ["5b", "5c", "15"])
def test_grounds_other_than_5a_skip_the_advice(api, u, cases, clock, grounds):
    case = cases["lrv"]
    request_exemption(api, u, case, grounds, medical_statement=False)
    assert "vrijstelling_advice" not in open_nodes(case)
    assert "vrijstelling_decision" in open_nodes(case)
    complete(api, u["leerplicht"], case, "vrijstelling_decision", {
        "granted": True, "until": "2026-07-31", "motivation": "Toegekend."})
    record = Vrijstelling.objects.get(case=case)
    assert (record.grounds, record.granted, record.until) == (grounds, True, dt.date(2026, 7, 31))
    assert record.starts_on is not None and record.starts_on <= TODAY
    assert fresh(case).registration == "vrij"
    assert (changes(case)[-1]["from"], changes(case)[-1]["to"]) == ("lrv", "vrij")


def test_5a_goes_through_the_ect_advice(api, u, cases, clock):
    case = cases["lrv"]
    request_exemption(api, u, case, "5a")
    assert "vrijstelling_advice" in open_nodes(case) and "vrijstelling_decision" not in open_nodes(case)
    assert open_task(case, "vrijstelling_advice").team.kind == "ect"
    complete(api, u["ect"], case, "vrijstelling_advice", {"advice": "positief", "motivation": "M"})
    complete(api, u["leerplicht"], case, "vrijstelling_decision", {
        "granted": True, "until": "2026-07-31", "motivation": "Toegekend."})
    assert Vrijstelling.objects.get(case=case).granted is True


def test_5a_granted_needs_the_medical_statement(api, u, cases, clock):
    case = cases["lrv"]
    request_exemption(api, u, case, "5a", medical_statement=False)
    complete(api, u["ect"], case, "vrijstelling_advice", {"advice": "positief", "motivation": "M"})
    before = rows()
    response = complete(api, u["leerplicht"], case, "vrijstelling_decision", {
        "granted": True, "until": "2026-07-31", "motivation": "Toegekend."}, expect=400)
    assert "granted" in response.json()
    assert rows() == before
    assert Vrijstelling.objects.get(case=case).granted is None and fresh(case).registration == "lrv"
    # refusing it is possible without the statement
    complete(api, u["leerplicht"], case, "vrijstelling_decision", {"granted": False, "motivation": "Geen verklaring."})
    assert Vrijstelling.objects.get(case=case).granted is False and fresh(case).registration == "lrv"


def test_mbo_exemption_advice_by_the_institution_team(api, u, mbo, clock):
    case = signal(api, mbo["user"], mbo["school"].pk, given_name="Mo", birth_date="2008-06-01",
                  absent_since="2025-09-01")
    assert CaseParticipant.objects.filter(case=case, team=mbo["team"], reason="school_team").exists()
    complete(api, mbo["user"], case, "team_review", {"plan": "Vrijstelling.", "routes": ["vrijstelling_advies"]})
    complete(api, u["leerplicht"], case, "vrijstelling_request", {
        "grounds": "5a", "motivation": "M", "medical_statement": True})
    assert open_task(case, "vrijstelling_advice").team_id == mbo["team"].pk
    task = open_task(case, "vrijstelling_advice")
    refused = api(u["ect"]).post(f"/api/tasks/{task.pk}/complete/", {"advice": "positief", "motivation": "M"},
                                 format="json")
    assert refused.status_code in (403, 404), refused.content  # the VO ECT does not advise on MBO pupils
    complete(api, mbo["user"], case, "vrijstelling_advice", {"advice": "positief", "motivation": "M"})
    assert "vrijstelling_decision" in open_nodes(case)


def case_team_tasks(case) -> int:
    """Open human tasks of the case for its school team."""
    team = CaseParticipant.objects.get(case=case, reason="school_team").team
    return CaseTask.objects.filter(case=case, status__in=OPEN, flow_task_type="HUMAN", team=team).count()


def test_exemption_end_returns_to_lrv_and_the_team(api, u, demo, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Bas", absent_since="2025-09-01")
    request_exemption(api, u, case, "15", medical_statement=False)
    complete(api, u["leerplicht"], case, "vrijstelling_decision", {
        "granted": True, "until": "2025-12-15", "motivation": "Tot de kerst."})
    end = Deadline.objects.get(case=case, kind="exemption_end")
    assert timezone.localdate(end.due_at) in (dt.date(2025, 12, 15), dt.date(2025, 12, 16))
    complete(api, u["aoj"], case, "team_review", {"plan": "Mentor houdt contact.", "routes": ["jim"]})
    waiting = case_team_tasks(case)
    clock.move_to(at("2025-12-17"))
    sweep_due()
    assert fresh(case).registration == "lrv"  # enrolled at school
    last = changes(case)[-1]
    assert (last["from"], last["to"], last["trigger"]) == ("vrij", "lrv", last["trigger"])
    assert last["since"] in ("2025-12-15", "2025-12-16")
    assert case_team_tasks(case) == waiting + 1  # the case team reviews what now
    assert Vrijstelling.objects.get(case=case).until == dt.date(2025, 12, 15)
    # counted once on each day: vrij up to and including `until`, lrv from the day after
    director = u["swv_director"]
    on = {day: api(director).get("/api/monitor/", {"peildatum": day}).json()["counts"]
          for day in ("2025-12-15", "2025-12-16")}
    assert (on["2025-12-15"]["vrij"], on["2025-12-15"]["lrv"]) == (1, 0)
    assert (on["2025-12-16"]["vrij"], on["2025-12-16"]["lrv"]) == (0, 1)
    assert on["2025-12-15"]["vrij_by_ground"]["15"] == 1


def test_exemption_without_school_ends_in_av(api, u, vo_region, clock):
    response = post_signal(api, u["leerplicht"], vrij_payload(vo_region, vrijstelling_until="2025-11-30"))
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=response.json()["id"])
    clock.move_to(at("2025-12-02"))
    sweep_due()
    assert fresh(case).registration == "av"
    assert (changes(case)[-1]["from"], changes(case)[-1]["to"]) == ("vrij", "av")


# --- the three-month promise ----------------------------------------------------------------------


@pytest.fixture
def late_case(api, u, demo, clock):
    """A VO pupil out of school since 1 August 2025: the three-month clock is due on 1 November."""
    case = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Kees", absent_since="2025-08-01")
    assert deadline(case, "offer_3_months").due_at == start_of_day("2025-11-01")
    complete(api, u["aoj"], case, "team_review", {"plan": "Doorbraak vragen.", "routes": ["doorbraak"]})
    return case


def decide_placement(api, u, demo, case, start_date):
    board, school = board_and_school(demo)
    complete(api, u["mpl_chair"], case, "doorbraak_decision", {
        "decision": "plaatsing", "school_board": board, "school": school, "start_date": start_date,
        "preference_followed": True, "motivation": ""})


def test_place_decided_before_but_starting_after_the_due_date_is_a_breach(api, u, demo, late_case, clock):
    decide_placement(api, u, demo, late_case, "2025-11-10")
    offer = deadline(late_case, "offer_3_months")
    assert offer.met_at is None  # a decision is not a place
    assert "start_confirmation" not in open_nodes(late_case)  # the flow waits for the start date
    clock.move_to(at("2025-11-02"))
    sweep_due()
    assert deadline(late_case, "offer_3_months").breached_at is not None
    clock.move_to(at("2025-11-10", 9))
    sweep_due()
    assert "start_confirmation" in open_nodes(late_case)
    complete(api, u["aoj"], late_case, "start_confirmation", {"started": True, "started_on": "2025-11-10"})
    offer = deadline(late_case, "offer_3_months")
    assert offer.met_at == start_of_day("2025-11-10")
    assert offer.breached_at is not None and offer.state == "breached"
    started = CaseEvent.objects.get(case=late_case, kind="offer_started")
    assert started.data["started_on"] == "2025-11-10"


def test_place_starting_before_the_due_date_meets_the_clock_on_its_start(api, u, demo, late_case, clock):
    clock.move_to(at("2025-10-16"))
    decide_placement(api, u, demo, late_case, "2025-10-27")
    assert deadline(late_case, "offer_3_months").met_at is None
    clock.move_to(at("2025-10-27", 9))
    sweep_due()
    clock.move_to(at("2025-10-28", 15))  # the team confirms a day later
    complete(api, u["aoj"], late_case, "start_confirmation", {"started": True, "started_on": "2025-10-27"})
    offer = deadline(late_case, "offer_3_months")
    assert offer.met_at == start_of_day("2025-10-27")
    assert offer.breached_at is None and offer.state == "met"
    clock.move_to(at("2025-11-03"))
    assert sweep_due().breached == 0


def test_place_that_falls_through_returns_to_the_team(api, u, demo, late_case, clock):
    clock.move_to(at("2025-10-16"))
    decide_placement(api, u, demo, late_case, "2025-10-27")
    clock.move_to(at("2025-10-27", 9))
    sweep_due()
    before = rows()
    refused = complete(api, u["aoj"], late_case, "start_confirmation", {"started": False}, expect=400)
    assert "reason" in refused.json()
    refused = complete(api, u["aoj"], late_case, "start_confirmation", {"started": True}, expect=400)
    assert "started_on" in refused.json()
    assert rows() == before
    complete(api, u["aoj"], late_case, "start_confirmation", {"started": False, "reason": "School weigert alsnog."})
    assert CaseEvent.objects.filter(case=late_case, kind="offer_failed").exists()
    assert not CaseEvent.objects.filter(case=late_case, kind="offer_started").exists()
    offer = deadline(late_case, "offer_3_months")
    assert offer.met_at is None and offer.stopped_at is None  # still running
    assert "team_review" in open_nodes(late_case)
    clock.move_to(at("2025-11-02"))
    sweep_due()
    assert deadline(late_case, "offer_3_months").state == "breached"


def test_arrangement_is_an_offer_with_a_start(api, u, demo, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Vera", absent_since="2025-09-01")
    complete(api, u["aoj"], case, "team_review", {"plan": "Arrangement.", "routes": ["arrangement"]})
    complete(api, u["aoj"], case, "arrangement_setup", {
        "education": "OPDC", "care_provider": "Zorg", "funding": "swv", "start_date": "2025-10-20",
        "end_date": "2026-06-30", "evaluation_weeks": 6})
    assert deadline(case, "offer_3_months").met_at is None
    assert Deadline.objects.filter(case=case, kind="offer_start").exists()
    clock.move_to(at("2025-10-20", 9))
    sweep_due()
    complete(api, u["aoj"], case, "start_confirmation", {"started": True, "started_on": "2025-10-20"})
    assert deadline(case, "offer_3_months").met_at == start_of_day("2025-10-20")


def test_vo_doorbraak_without_agreement_goes_to_the_director(api, u, demo, late_case, clock):
    complete(api, u["mpl_chair"], late_case, "doorbraak_decision", {
        "decision": "geen_overeenstemming", "preference_followed": True,
        "motivation": "De besturen komen er niet uit."})
    assert "director_decision" in open_nodes(late_case)
    assert "doorbraak_decision" not in open_nodes(late_case)
    assert deadline(late_case, "offer_3_months").met_at is None
    board, school = board_and_school(demo)
    complete(api, u["mpl_chair"], late_case, "director_decision", {
        "school_board": board, "school": school, "start_date": "2025-10-27", "motivation": "M"}, expect=403)
    complete(api, u["swv_director"], late_case, "director_decision", {
        "school_board": board, "school": school, "start_date": "2025-10-27", "motivation": "Doorzettingsmacht."})
    assert CaseEvent.objects.filter(case=late_case, kind="director_decided").exists()
    clock.move_to(at("2025-10-27", 9))
    sweep_due()
    assert "start_confirmation" in open_nodes(late_case)


# --- who decides, by sector -----------------------------------------------------------------------


def test_mbo_case_goes_to_its_institution_and_has_no_doorbraak(api, u, mbo, clock):
    case = signal(api, mbo["user"], mbo["school"].pk, given_name="Mo", birth_date="2008-06-01",
                  absent_since="2025-09-01")
    assert fresh(case).sector == "mbo"
    assert CaseParticipant.objects.filter(case=case, team__kind="mbo", reason="school_team").exists()
    assert not CaseParticipant.objects.filter(case=case, team__kind="aoj").exists()
    before = rows()
    response = complete(api, mbo["user"], case, "team_review", {"plan": "Doorbraak.", "routes": ["doorbraak"]},
                        expect=400)
    assert "routes" in response.json()
    assert rows() == before
    # three months without a place: no MPL for MBO
    complete(api, mbo["user"], case, "team_review", {"plan": "JIM.", "routes": ["jim"]})
    clock.move_to(at("2025-12-02"))
    sweep_due()
    assert "doorbraak_decision" not in open_nodes(case)
    assert not CaseParticipant.objects.filter(case=case, team__kind="mpl").exists()


def test_ziek_case_past_three_months_gets_the_ect_not_the_mpl(api, u, demo, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Zoe", registration="ziek",
                  category="medisch_psychosociaal", absent_since="2025-08-01")
    complete(api, u["aoj"], case, "team_review", {"plan": "Contact met JGZ.", "routes": ["jim"]})
    assert not CaseParticipant.objects.filter(case=case, team__kind="ect").exists()
    clock.move_to(at("2025-11-02"))
    sweep_due()
    assert "doorbraak_decision" not in open_nodes(case)
    assert not CaseEvent.objects.filter(case=case, kind="escalated").exists()
    assert fresh(case).status != "escalated"
    assert not CaseParticipant.objects.filter(case=case, team__kind="mpl").exists()
    assert CaseParticipant.objects.filter(case=case, team__kind="ect").exists()
    assert RouteRun.objects.filter(case=case, route="ect_consult").exists()


def test_ziek_case_gets_a_cyclical_review(api, u, demo, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Zoe", registration="ziek",
                  category="medisch_psychosociaal", absent_since="2025-10-10")
    review = Deadline.objects.filter(case=case, kind="ziek_review").get()
    assert timezone.localdate(review.due_at) == TODAY + dt.timedelta(weeks=6)


# --- end of the duty at 18 ------------------------------------------------------------------------


def test_turning_18_stops_the_clocks_and_starts_no_escalation(api, u, demo, clock):
    case = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Tim", birth_date="2007-11-10",
                  absent_since="2025-09-01")
    complete(api, u["aoj"], case, "team_review", {"plan": "JIM.", "routes": ["jim"]})
    assert deadline(case, "leerplicht_end").due_at == start_of_day("2025-11-10")
    clock.move_to(at("2025-11-09"))
    sweep_due()
    assert deadline(case, "offer_3_months").stopped_at is None
    clock.move_to(at("2025-11-10"))
    sweep_due()
    offer = deadline(case, "offer_3_months")
    assert offer.stopped_at is not None and offer.stop_reason == "einde_leerplicht"
    assert not Deadline.objects.filter(case=case, met_at__isnull=True, breached_at__isnull=True,
                                       stopped_at__isnull=True).exclude(kind="leerplicht_end").exists()
    clock.move_to(at("2025-12-05"))  # past the three months
    sweep_due()
    assert deadline(case, "offer_3_months").breached_at is None
    assert not CaseEvent.objects.filter(case=case, kind="escalated").exists()
    assert "doorbraak_decision" not in open_nodes(case)
    counts = {day: api(u["swv_director"]).get("/api/monitor/", {"peildatum": day}).json()["counts"]
              for day in ("2025-11-09", "2025-11-10")}
    assert (counts["2025-11-09"]["lrv"], counts["2025-11-10"]["lrv"]) == (1, 0)
    assert counts["2025-11-10"]["open_cases"] == 1  # the case itself is still open until the team closes it
