"""The counting rules, accepted a second time: a cohort of children built only through the public API
(`/api/v1`), each sitting exactly on one rule's boundary on the peildatum 30 June 2026, and one test per
rule comparing `GET /api/v1/monitor?peildatum=2026-06-30` (and `GET /api/v1/monitor/quarter` for Q2
2026, where the rule is in the quarterly report) with what the table `EXPECTED` says.

`EXPECTED` is the single source of truth: child -> what it must count as on the peildatum, with the
rule and its source passage. Every expected figure is summed from it, so a failure names the figure,
the number the monitor computed, and the children of the rule that the figure counts (or must leave
out). A step of a child's history that the API refuses (a contract not built yet) is reported with the
child's name, and that child's later steps are skipped.

The history runs from January to early July 2026 under time_machine (tick=False); the real sweep runs
every simulated day, so the clocks act on their days (dreigend -> lrv, the three-month breach, the end
of an exemption, the start date of a place). The cohort is built once for the module and committed;
each test reads it in its own transaction; the module flushes the database at its end.

The markdown tables `child | rule | expected | computed` and `figure | expected | computed` are printed,
and written to the file named by the environment variable COHORT_TABLE when it is set.
"""

import datetime as dt
import json
import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from casework.services import sweep_due
from teams.models import School, User
from tests.test_seed_demo import committed_for_the_module, seed

P = dt.date(2026, 6, 30)  # the peildatum: the last day of Q2 2026
FIRST_DAY, LAST_DAY = dt.date(2026, 1, 5), P + dt.timedelta(days=4)
QUARTER = {"year": 2026, "quarter": 2}


def d(days: int) -> dt.date:
    """A day relative to the peildatum."""
    return P + dt.timedelta(days=days)


def years_before(day: dt.date, years: int) -> dt.date:
    return day.replace(year=day.year - years)


# --- what each child must count as on the peildatum ---------------------------------------------------

# Sources (docs/counting.md's table): "the pact" is Thuiszitterspact Groningen (2018).
LRV_SOURCE = 'the pact, §8: "die zonder geldige reden meer dan 4 weken verzuimt" (day 29 = first day absent + 28)'
PART_SOURCE = ('the pact, §8: thuiszitters "die feitelijk nog niet - naar vermogen - volledig aan het onderwijs '
               'deelnemen, tellen we als thuiszitter"')
WHERE_SOURCE = "the pact, §8: a count on a peildatum counts a pupil where they were enrolled that day"
AGE_SOURCE = ('the pact, §8: "een leerplichtige jeugdige tussen de 5 en 16 jaar of een jeugdige van 16 of 17 jaar '
              'die valt onder de kwalificatieplicht"')
ZIEK_SOURCE = ('the pact, §8: "welke leerlingen wel zijn ziekgemeld en thuiszitten en met welke reden" (sick and out '
               'for more than 4 weeks)')
PROMISE_SOURCE = ('the pact, §2: "binnen drie maanden ... een passend aanbod van zorg en/of onderwijs én is er '
                  'daadwerkelijk een plaats beschikbaar"')
AV_SOURCE = 'the pact, §8, Absoluut verzuimer: "niet staat ingeschreven op een school en ook niet vrijgesteld"'
VRIJ_SOURCE = 'the pact, §8: "Jeugdigen die een vrijstelling hebben, tellen we niet mee als thuiszitter"'
DOORBRAAK_SOURCE = ("evaluation 2022, part A, item 1: the MPL settles a place; when it does not, the SWV VO's "
                    "directeur-bestuurder forces the doorbraak")
DURATION_SOURCE = 'the pact, §6 Randvoorwaarden: "zegt de registratie over aantallen per jaar niets over de duur"'
QUARTER_SOURCE = "jaarplan, year calendar, theme 3 Kwaliteit, item 2: the quarterly report to the Inspectie"


@dataclass(frozen=True)
class Count:
    """What a child counts as on the peildatum. `as_` is lrv, av, dreigend, ziek, vrij, or None (counted
    nowhere: refused at intake, or out of every count); the rest says where and how."""

    rule: str
    source: str
    as_: str | None
    school: str | None = None  # demo school key ("vo", "vo_2", "mbo", "po") on the peildatum; None: none
    sector: str = "vo"
    region: str = "vo"
    category: str = "schoolweigeraar"
    bucket: str | None = None  # thuiszitters only
    without_offer: bool = False  # thuiszitters only
    traject: tuple[str, str] | None = None  # (level, setting) on the peildatum
    ground: str | None = None  # vrij only
    signalled: bool = True  # False: the signal must be refused (400), nothing written
    stays_out_of: tuple[str, ...] = ()  # figures this child is designed to stay out of

    def describe(self) -> str:
        if not self.signalled:
            return "refused at intake (400)"
        if self.as_ is None:
            return "not counted (" + ", ".join(self.stays_out_of) + ")" if self.stays_out_of else "not counted"
        parts = [self.as_, f"school {self.school or '-'}", self.sector]
        if self.bucket:
            parts.append(self.bucket)
        if self.as_ in ("lrv", "av"):
            parts.append("without offer" if self.without_offer else "not without offer")
        if self.traject:
            parts.append("in traject " + "/".join(self.traject))
        if self.ground:
            parts.append(f"ground {self.ground}")
        return ", ".join(parts)


R1, R2, R3, R4 = "1 confirmed start", "2 point-in-time attribution", "3 the 4-week line", "4 startkwalificatie"
R5, R6, R7, R0 = "5 ziek over 4 weeks", "6 promise and count", "7 quarterly report", "0 already true"

EXPECTED: dict[str, Count] = {
    # Rule 3, the 4-week line: day 29 (first day absent + 28) is the first day of LRV
    "dreigend_day27": Count(R3, LRV_SOURCE, "dreigend", "vo", category="spijbelaar"),
    "dreigend_day28": Count(R3, LRV_SOURCE, "dreigend", "vo", category="spijbelaar"),
    "dreigend_day29": Count(R3, LRV_SOURCE, "lrv", "vo", category="spijbelaar", bucket="4_weeks_3_months",
                            stays_out_of=("dreigend",)),  # the sweep makes it lrv on the peildatum itself
    "intake_lrv_day28": Count(R3, LRV_SOURCE, None, signalled=False),  # lrv at intake on day 28: 400
    "intake_lrv_day29": Count(R3, LRV_SOURCE, "lrv", "vo_2", category="schoolonthouding",
                              bucket="4_weeks_3_months"),  # lrv at intake on day 29: accepted
    # Rule 5, ziek counts only a pupil sick and out for more than 4 weeks
    "ziek_day29": Count(R5, ZIEK_SOURCE, "ziek", "vo", category="medisch_psychosociaal"),
    "ziek_day28": Count(R5, ZIEK_SOURCE, None, "vo", category="medisch_psychosociaal", stays_out_of=("ziek",)),
    "ziek_10_days": Count(R5, ZIEK_SOURCE, None, "vo_2", category="medisch_psychosociaal",
                          stays_out_of=("ziek",)),
    # Rule 4, startkwalificatie at intake (16/17): a date on or before the first day absent is refused;
    # a later date (obtained: not in the future) is kept and ends the qualification duty on that day,
    # and so does one recorded later on the case
    "sk_without_date": Count(R4, AGE_SOURCE, None, signalled=False),
    "sk_on_absent_day": Count(R4, AGE_SOURCE, None, signalled=False),
    "sk_future": Count(R4, AGE_SOURCE, None, signalled=False),
    "sk_on_peildatum": Count(R4, AGE_SOURCE, None, "mbo", sector="mbo", stays_out_of=("lrv",)),  # out from P
    "sk_after_absent": Count(R4, AGE_SOURCE, None, "mbo", sector="mbo", category="onbekend",
                             stays_out_of=("lrv",)),
    # Rule 1, a confirmed start ends the count (volledig) or keeps it (gedeeltelijk), at the new school
    "placed_full_on_p": Count(R1, PART_SOURCE, None, "vo_2", traject=("volledig", "andere_school"),
                              stays_out_of=("lrv",)),
    "placed_part": Count(R1, PART_SOURCE, "lrv", "vo_2", bucket="3_6_months",
                         traject=("gedeeltelijk", "andere_school")),  # started before its clock ran out
    "placed_full_after_p": Count(R1, PART_SOURCE, "lrv", "vo", bucket="4_weeks_3_months"),
    "arrangement_full": Count(R1, PART_SOURCE, None, "vo", traject=("volledig", "arrangement"),
                              stays_out_of=("lrv",)),
    # Rule 2, point-in-time attribution: school, sector and region of the peildatum
    "av_enrolled_after": Count(R2, WHERE_SOURCE, "av", None, category="schoolonthouding",
                               bucket="4_weeks_3_months"),  # enrolled at vo_2 three days later
    "av_enrolled_on_p": Count(R2, WHERE_SOURCE, "lrv", "vo", category="schoolonthouding",
                              bucket="4_weeks_3_months"),
    "vo_to_mbo_after": Count(R2, WHERE_SOURCE, "lrv", "vo_2", category="medisch_psychosociaal", bucket="4_weeks_3_months"),  # MBO from P + 1
    "moved_before": Count(R2, WHERE_SOURCE, "lrv", "vo_2", category="medisch_psychosociaal", bucket="4_weeks_3_months"),
    "unenrolled_after": Count(R2, WHERE_SOURCE, "lrv", "vo", category="schoolonthouding", bucket="4_weeks_3_months"),  # av from P + 2
    # Rule 6, the three-month promise and the count are two measures
    "rebound_part": Count(R6, PROMISE_SOURCE, "lrv", "vo_2", bucket="gt_6_months",
                          traject=("gedeeltelijk", "rebound")),  # partly in Rebound after 2 months
    "eigen_school_part": Count(R6, PROMISE_SOURCE, "lrv", "vo", bucket="3_6_months", without_offer=True,
                               traject=("gedeeltelijk", "eigen_school")),  # own school is no offered place
    "no_offer_due_on_p": Count(R6, PROMISE_SOURCE, "lrv", "vo", category="spijbelaar", bucket="3_6_months",
                               without_offer=True),  # absent 30 March: due 30 June
    "no_offer_due_after_p": Count(R6, PROMISE_SOURCE, "lrv", "vo_2", category="spijbelaar",
                                  bucket="4_weeks_3_months"),  # absent 1 April: due 1 July
    # Rule 7, the quarterly report
    "no_agreement": Count(R7, DOORBRAAK_SOURCE, "lrv", "vo", bucket="4_weeks_3_months"),  # MPL: no agreement;
    #                                                                   the director's place starts in July
    "exempt_5a_signal": Count(R7, VRIJ_SOURCE, "vrij", "vo", ground="5a"),  # at the signal, then the SWV's advice
    "exempt_15_signal": Count(R7, VRIJ_SOURCE, "vrij", None, ground="15"),  # at the signal, no school
    "exempt_5c_signal_q1": Count(R7, VRIJ_SOURCE, "vrij", None, ground="5c"),  # at the signal on 31 March (Q1)
    "exempt_5b_granted": Count(R7, VRIJ_SOURCE, "vrij", "vo", ground="5b"),  # by Leerplicht's decision in Q2
    "exemption_ended": Count(R7, DURATION_SOURCE, "lrv", "vo", category="medisch_psychosociaal",
                             bucket="lt_4_weeks"),  # exemption until 2 June: the duration runs from 3 June
    # Already true: compulsory school age, AV, MBO, PO, vrij by ground, categories, duration buckets
    "eighteen_on_p": Count(R0, AGE_SOURCE, None, "vo", category="onbekend", stays_out_of=("lrv",)),
    "eighteen_after_p": Count(R0, AGE_SOURCE, "lrv", "vo", category="onbekend", bucket="4_weeks_3_months"),
    "four_at_absence": Count(R0, AGE_SOURCE, None, signalled=False),
    "five_at_absence": Count(R0, AGE_SOURCE, "dreigend", "po", sector="po", region="po", category="spijbelaar"),
    "av_plain": Count(R0, AV_SOURCE, "av", None, category="schoolonthouding", bucket="4_weeks_3_months"),
    "mbo_lrv": Count(R0, LRV_SOURCE, "lrv", "mbo", sector="mbo", category="spijbelaar",
                     bucket="4_weeks_3_months"),
}

# Q2 2026 in the quarterly report (period figures): who counts
EXPECTED_PERIOD = {
    # decisions with a place: the MPL's plaatsing (three) and the director's place after no agreement (one)
    "doorbraak_decisions": ["placed_full_on_p", "placed_part", "placed_full_after_p", "no_agreement"],
    "doorbraak_no_agreement": ["no_agreement"],
    # granted in the quarter, including those recorded at the signal (the 5a after the SWV's advice);
    # not the 5c recorded on 31 March, nor the exemption granted in January
    "exemptions_granted": ["exempt_5a_signal", "exempt_15_signal", "exempt_5b_granted"],
}


# --- the builders: each child's history as dated API calls ----------------------------------------------

@dataclass
class World:
    clients: dict[str, APIClient]
    schools: dict[str, int]
    regions: dict[str, int]
    cases: dict[str, int] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    def call(self, key: str, what: str, user: str, method: str, path: str, body=None, expect=(200,)):
        response = getattr(self.clients[user], method)(f"/api/v1{path}", body, format="json")
        if response.status_code not in expect:
            body = response.content.decode()
            if "json" in response.get("Content-Type", ""):
                body = response.json().get("invalidParams", body)
            self.failures[key] = f"{what}: {method.upper()} {path} answered {response.status_code} {str(body)[:300]}"
            return None
        return response

    def task(self, key: str, user: str, node: str) -> int | None:
        for scope in ("queue", "team", "mine"):
            response = self.clients[user].get("/api/v1/tasks", {"scope": scope, "node": node, "pageSize": 100})
            if response.status_code != 200:
                continue
            for task in response.json()["results"]:
                if task["case"] == self.cases[key] and task["status"] in ("open", "claimed"):
                    return task["id"]
        self.failures[key] = f"{node}: no open task for {user}"
        return None


@dataclass
class Step:
    day: dt.date
    key: str
    run: Callable[[World], None]


def signal(key, day, user, school, *, absent, birth="2013-03-15", registration="lrv", category=None,
           role="school", child=None, expect=201, **extra) -> Step:
    category = category or EXPECTED[key].category

    def run(w: World):
        body = {"child": {"given_name": key.replace("_", " ").title().replace(" ", ""), "family_name": "Cohorttwee",
                          "birth_date": str(birth), "pupil_number": f"C2-{key}", **(child or {})},
                "school": w.schools[school] if school else None,
                "sector": "po" if school == "po" else ("mbo" if school == "mbo" else "vo"),
                "registration": registration, "category": category, "absent_since": str(absent),
                "signaller_role": role, "summary": "Synthetisch cohort.", **extra}
        if school is None:
            body["region"] = w.regions["vo"]
        response = w.call(key, "signal", user, "post", "/cases", body, expect=(expect,))
        if response is not None and expect == 201:
            w.cases[key] = response.json()["id"]
    return Step(day, key, run)


def complete(key, day, user, node, payload) -> Step:
    def run(w: World):
        task = w.task(key, user, node)
        if task is not None:
            w.call(key, node, user, "post", f"/tasks/{task}/complete", payload)
    return Step(day, key, run)


def review(key, day, user, routes, plan="Plan van aanpak besproken.") -> Step:
    return complete(key, day, user, "team_review", {"plan": plan, "routes": routes})


def decide(key, day, school, start, decision="plaatsing") -> Step:
    """The MPL chair's doorbraak decision: a place at `school` from `start`, or no agreement."""
    def run(w: World):
        payload = {"decision": decision, "motivation": "Besproken in de commissie."}
        if decision == "plaatsing":
            board = School.objects.get(pk=w.schools[school]).board_id
            payload.update(school_board=board, school=w.schools[school], start_date=str(start),
                           preference_followed=True)
        complete(key, day, "mpl_chair", "doorbraak_decision", payload).run(w)
    return Step(day, key, run)


def director(key, day, school, start) -> Step:
    def run(w: World):
        board = School.objects.get(pk=w.schools[school]).board_id
        complete(key, day, "swv_director", "director_decision", {
            "school_board": board, "school": w.schools[school], "start_date": str(start),
            "motivation": "Doorzettingsmacht."}).run(w)
    return Step(day, key, run)


def confirm_start(key, day, user, started_on, level, setting) -> Step:
    return complete(key, day, user, "start_confirmation", {
        "started": True, "started_on": str(started_on), "level": level, "setting": setting})


def arrange(key, day, user, start) -> Step:
    return complete(key, day, user, "arrangement_setup", {
        "education": "OPDC", "care_provider": "Zorgaanbieder", "funding": "swv", "start_date": str(start),
        "end_date": str(d(200)), "evaluation_weeks": 6})


def move(key, day, user, registration, since, school=None, reason="Gewijzigd volgens de administratie.") -> Step:
    """A dated registration change: av -> lrv (enrolled at `school`), lrv -> av, or the same
    registration with a new `school` (a change of school)."""
    def run(w: World):
        body = {"registration": registration, "since": str(since), "reason": reason}
        if school:
            body["school"] = w.schools[school]
        w.call(key, f"registration {registration}", user, "post", f"/cases/{w.cases[key]}/registration", body)
    return Step(day, key, run)


def startkwalificatie(key, day, user, *, obtained_on) -> Step:
    def run(w: World):
        w.call(key, "startkwalificatie", user, "post", f"/cases/{w.cases[key]}/startkwalificatie",
               {"obtained_on": str(obtained_on)})
    return Step(day, key, run)


def take_part(key, day, user, level, setting, since) -> Step:
    def run(w: World):
        w.call(key, f"participation {level}", user, "post", f"/cases/{w.cases[key]}/participation",
               {"level": level, "setting": setting, "since": str(since), "note": "Afgesproken met ouders."})
    return Step(day, key, run)


def exemption(key, day, grounds, until, *, team_user="aoj", advice_day=None, decision_day) -> list[Step]:
    """The team chooses the exemption route, Leerplicht asks (5a: with the statement and the ECT's advice)
    and grants it until `until`."""
    steps = [review(key, day, team_user, ["vrijstelling_advies"]),
             complete(key, day, "leerplicht", "vrijstelling_request", {
                 "grounds": grounds, "motivation": "Besproken met ouders.", "medical_statement": grounds == "5a"})]
    if advice_day:
        steps.append(advise(key, advice_day))
    steps.append(complete(key, decision_day, "leerplicht", "vrijstelling_decision", {
        "granted": True, "until": str(until), "motivation": "Toegekend."}))
    return steps


def advise(key, day) -> Step:
    return complete(key, day, "ect", "vrijstelling_advice", {
        "advice": "positief", "motivation": "Past bij wat de jeugdarts schrijft.", "alternatives": ""})


def history() -> list[Step]:
    """Every child's history; the dates are relative to the peildatum P = 30 June 2026."""
    vo, vo_2 = "vo", "vo_2"
    steps = [
        # rule 3
        signal("dreigend_day27", d(-10), "aoj", vo, registration="dreigend", absent=d(-26)),
        signal("dreigend_day28", d(-10), "aoj", vo, registration="dreigend", absent=d(-27)),
        signal("dreigend_day29", d(-10), "aoj", vo, registration="dreigend", absent=d(-28)),
        signal("intake_lrv_day28", d(0), "aoj", vo, absent=d(-27), expect=400),
        signal("intake_lrv_day29", d(0), "outsider", vo_2, absent=d(-28)),
        # rule 5
        signal("ziek_day29", d(-20), "aoj", vo, registration="ziek", absent=d(-28)),
        signal("ziek_day28", d(-20), "aoj", vo, registration="ziek", absent=d(-27)),
        signal("ziek_10_days", d(-5), "outsider", vo_2, registration="ziek", absent=d(-9)),
        # rule 4: 16 on the first day absent
        signal("sk_without_date", d(-30), "mbo", "mbo", birth="2010-01-10", absent=d(-60), expect=400,
               child={"startkwalificatie": True}),
        signal("sk_on_absent_day", d(-30), "mbo", "mbo", birth="2010-01-11", absent=d(-60), expect=400,
               child={"startkwalificatie": True, "startkwalificatie_on": str(d(-60))}),
        signal("sk_future", d(-30), "mbo", "mbo", birth="2010-01-14", absent=d(-60), expect=400,
               child={"startkwalificatie": True, "startkwalificatie_on": str(d(-29))}),
        signal("sk_after_absent", d(-30), "mbo", "mbo", birth="2010-01-13", absent=d(-60),
               child={"startkwalificatie": True, "startkwalificatie_on": str(d(-59))}),
        signal("sk_on_peildatum", d(-30), "mbo", "mbo", birth="2010-01-12", absent=d(-60)),
        startkwalificatie("sk_on_peildatum", d(0), "mbo", obtained_on=d(0)),
        # rule 1
        signal("placed_full_on_p", d(-30), "aoj", vo, absent=d(-60)),
        review("placed_full_on_p", d(-29), "aoj", ["doorbraak"]),
        decide("placed_full_on_p", d(-20), vo_2, start=d(0)),
        confirm_start("placed_full_on_p", d(0), "aoj", d(0), "volledig", "andere_school"),
        signal("placed_part", d(-60), "aoj", vo, absent=d(-100)),
        review("placed_part", d(-59), "aoj", ["doorbraak"]),
        decide("placed_part", d(-30), vo_2, start=d(-10)),
        confirm_start("placed_part", d(-10), "aoj", d(-10), "gedeeltelijk", "andere_school"),
        signal("placed_full_after_p", d(-30), "aoj", vo, absent=d(-60)),
        review("placed_full_after_p", d(-29), "aoj", ["doorbraak"]),
        decide("placed_full_after_p", d(-20), vo_2, start=d(1)),
        confirm_start("placed_full_after_p", d(1), "aoj", d(1), "volledig", "andere_school"),
        signal("arrangement_full", d(-20), "aoj", vo, absent=d(-50)),
        review("arrangement_full", d(-19), "aoj", ["arrangement"]),
        arrange("arrangement_full", d(-15), "aoj", start=d(-7)),
        confirm_start("arrangement_full", d(-7), "aoj", d(-7), "volledig", "arrangement"),
        # rule 2
        signal("av_enrolled_after", d(-35), "leerplicht", None, registration="av", role="leerplicht", absent=d(-40)),
        move("av_enrolled_after", d(3), "leerplicht", "lrv", d(3), school=vo_2),
        signal("av_enrolled_on_p", d(-35), "leerplicht", None, registration="av", role="leerplicht", absent=d(-40)),
        move("av_enrolled_on_p", d(0), "leerplicht", "lrv", d(0), school=vo),
        signal("vo_to_mbo_after", d(-15), "outsider", vo_2, absent=d(-45)),
        move("vo_to_mbo_after", d(1), "outsider", "lrv", d(1), school="mbo"),
        signal("moved_before", d(-50), "aoj", vo, absent=d(-80)),
        move("moved_before", d(-14), "aoj", "lrv", d(-14), school=vo_2),
        signal("unenrolled_after", d(-20), "aoj", vo, absent=d(-50)),
        move("unenrolled_after", d(2), "aoj", "av", d(2), reason="Uitgeschreven door de ouders."),
        # rule 6
        signal("rebound_part", d(-150), "outsider", vo_2, absent=d(-182)),
        take_part("rebound_part", d(-121), "outsider", "gedeeltelijk", "rebound", d(-121)),  # absent + 61 days
        signal("eigen_school_part", d(-150), "aoj", vo, absent=d(-181)),
        take_part("eigen_school_part", d(-121), "aoj", "gedeeltelijk", "eigen_school", d(-121)),
        signal("no_offer_due_on_p", d(-60), "aoj", vo, absent=dt.date(2026, 3, 30)),
        signal("no_offer_due_after_p", d(-60), "outsider", vo_2, absent=dt.date(2026, 4, 1)),
        # rule 7
        signal("no_agreement", d(-45), "aoj", vo, absent=d(-75)),
        review("no_agreement", d(-44), "aoj", ["doorbraak"]),
        decide("no_agreement", d(-40), None, None, decision="geen_overeenstemming"),
        director("no_agreement", d(-35), vo_2, start=d(20)),
        signal("exempt_5a_signal", d(-50), "leerplicht", vo, registration="vrij", role="leerplicht", absent=d(-70),
               vrijstelling_grounds="5a", vrijstelling_until="2027-06-30"),
        advise("exempt_5a_signal", d(-45)),
        signal("exempt_15_signal", d(-40), "leerplicht", None, registration="vrij", role="leerplicht",
               absent=d(-60), category="onbekend", vrijstelling_grounds="15", vrijstelling_until="2027-06-30"),
        signal("exempt_5c_signal_q1", dt.date(2026, 3, 31), "leerplicht", None, registration="vrij",
               role="leerplicht", absent=dt.date(2026, 3, 2), category="onbekend", vrijstelling_grounds="5c",
               vrijstelling_until="2027-06-30"),
        signal("exempt_5b_granted", d(-80), "aoj", vo, absent=d(-120)),
        *exemption("exempt_5b_granted", d(-79), "5b", "2027-07-31", decision_day=d(-60)),
        signal("exemption_ended", dt.date(2026, 1, 12), "aoj", vo, absent=dt.date(2025, 11, 3)),
        *exemption("exemption_ended", dt.date(2026, 1, 13), "15", d(-28), decision_day=dt.date(2026, 1, 20)),
        # already true
        signal("eighteen_on_p", d(-25), "aoj", vo, birth=years_before(P, 18), absent=d(-60)),
        signal("eighteen_after_p", d(-25), "aoj", vo, birth=years_before(d(1), 18), absent=d(-60)),
        signal("four_at_absence", d(-10), "kindteam", "po", registration="dreigend", absent=d(-12),
               birth=years_before(d(-11), 5), expect=400),
        signal("five_at_absence", d(-10), "kindteam", "po", registration="dreigend", absent=d(-12),
               birth=years_before(d(-12), 5)),
        signal("av_plain", d(-30), "leerplicht", None, registration="av", role="leerplicht", absent=d(-35)),
        signal("mbo_lrv", d(-10), "mbo", "mbo", birth="2009-02-02", absent=d(-40)),
    ]
    return sorted(steps, key=lambda step: step.day)  # stable: a child's steps of one day keep their order


def at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def build(demo: dict) -> World:
    users = {role: User.objects.get(username=name) for role, name in demo["users"].items()}
    clients = {}
    for role, user in users.items():
        clients[role] = APIClient()
        clients[role].force_authenticate(user)
    schools = {key: demo["schools"][key] for key in ("vo", "vo_2", "po", "mbo")}
    regions = {key: School.objects.get(pk=schools[school]).region_id for key, school in (("vo", "vo"), ("po", "po"))}
    world = World(clients=clients, schools=schools, regions=regions)
    by_day = defaultdict(list)
    for step in history():
        by_day[step.day].append(step)
    with time_machine.travel(at(FIRST_DAY, 6), tick=False) as traveller:
        day = FIRST_DAY
        while day <= LAST_DAY:
            traveller.move_to(at(day, 6))
            sweep_due()
            if by_day[day]:
                traveller.move_to(at(day, 10))
                for step in by_day[day]:
                    if step.key not in world.failures:  # a refused step leaves the child's later steps undone
                        step.run(world)
                sweep_due()
            day += dt.timedelta(days=1)
    return world


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    """The demo's reference data and the cohort, committed once for the module (Celery in-process, each
    service's work after commit at its commit); flushed at the end, as after a transactional test."""
    yield from committed_for_the_module(django_db_blocker, lambda: build(json.loads(seed("--json", "--no-cases"))))


@pytest.fixture
def cohort(built, db):
    with time_machine.travel(at(LAST_DAY, 12), tick=False):
        yield built


# --- the expected figures, summed from EXPECTED -----------------------------------------------------------

def counted(school: str | None = None, sector: str | None = None) -> dict[str, Count]:
    """The children EXPECTED counts somewhere on the peildatum, within an optional scope."""
    return {key: c for key, c in EXPECTED.items() if c.signalled
            and (school is None or c.school == school) and (sector is None or c.sector == sector)}


def figures_of(c: Count, w: World) -> list[str]:
    """The figures (dotted paths in the monitor's `counts`) a child's entry adds one to."""
    if c.as_ is None:
        paths = []
    else:
        paths = [c.as_, f"by_sector.{c.sector}.{c.as_}"]
    if c.as_ in ("lrv", "av"):
        paths += ["thuiszitters", f"thuiszitters_by_region.{w.regions[c.region]}",
                  f"thuiszitters_by_category.{c.category}", f"durations.{c.bucket}"]
        if c.school:
            paths.append(f"thuiszitters_by_school.{w.schools[c.school]}")
        if c.without_offer:
            paths.append("without_offer_over_3_months")
    elif c.as_ == "ziek":
        paths.append(f"ziek_by_category.{c.category}")
    elif c.as_ == "vrij":
        paths.append(f"vrij_by_ground.{c.ground}")
    if c.traject and (c.as_ in ("lrv", "av", "dreigend", "ziek") or c.traject[0] == "volledig"):
        paths += ["in_traject.total", f"in_traject.{c.traject[0]}.{c.traject[1]}"]
    return paths


def expected_figures(w: World, school: str | None = None, sector: str | None = None) -> dict[str, int]:
    figures: dict[str, int] = defaultdict(int)
    for c in counted(school, sector).values():
        for path in figures_of(c, w):
            figures[path] += 1
        figures["open_cases"] += 1  # no case of the cohort is closed
    return figures


def flatten(counts: dict, prefix: str = "") -> dict[str, int]:
    flat = {}
    for key, value in counts.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        elif isinstance(value, int):
            flat[f"{prefix}{key}"] = value
    return flat


def monitor(w: World, day: dt.date = P, **scope) -> dict:
    response = w.clients["swv_director"].get("/api/v1/monitor", {"peildatum": str(day), **{
        key: value for key, value in scope.items() if value is not None}})
    assert response.status_code == 200, response.content
    return response.json()


def quarter(w: World) -> dict:
    response = w.clients["swv_director"].get("/api/v1/monitor/quarter", QUARTER)
    assert response.status_code == 200, response.content
    return response.json()


def involved(rule: str, path: str, w: World, school=None, sector=None) -> list[str]:
    """The rule's children (within the scope) that a figure counts or must leave out."""
    name = path.split(".")[-1]
    return [key for key, c in counted(school, sector).items() if c.rule == rule
            and (path in figures_of(c, w) or path in c.stays_out_of or name in c.stays_out_of
                 or path == "without_offer_over_3_months" and c.as_ in ("lrv", "av"))]


def compare(rule: str, w: World, computed: dict, paths: list[str], *, school=None, sector=None, label="") -> list[str]:
    """The mismatches of `paths` between the monitor and EXPECTED, each naming the rule's children."""
    want, got = expected_figures(w, school, sector), flatten(computed)
    problems = []
    for path in paths:
        if got.get(path, 0) != want.get(path, 0):
            keys = involved(rule, path, w, school, sector) or involved(rule, path, w)  # or who must stay out
            children = ", ".join(f"{key} ({EXPECTED[key].describe()})" for key in keys)
            problems.append(f"{label}{path}: computed {got.get(path, 0)}, expected {want.get(path, 0)}"
                            f" [rule {rule}; children: {children or 'others of the cohort'}]")
    return problems


def build_problems(rule: str, w: World) -> list[str]:
    return [f"{key} (rule {rule}): {w.failures[key]}" for key, c in EXPECTED.items()
            if c.rule == rule and key in w.failures]


def check(rule: str, problems: list[str], w: World) -> None:
    problems = build_problems(rule, w) + problems
    assert not problems, "\n".join([f"rule {rule}:"] + problems)


def registration_paths(*names: str) -> list[str]:
    return [*names, *(f"by_sector.{sector}.{name}" for sector in ("po", "vo", "mbo") for name in names)]


def school_paths(w: World) -> list[str]:
    return [f"thuiszitters_by_school.{school}" for school in w.schools.values()]


def case_events(w: World, key: str) -> list[dict]:
    response = w.clients["aoj"].get(f"/api/v1/cases/{w.cases[key]}")
    assert response.status_code == 200, response.content
    return response.json()["events"]


# --- one test per rule --------------------------------------------------------------------------------
#
# Each rule's test reads the figures (within a scope) that only that rule's children move, so that it
# passes as soon as its own rule is built, whatever the other rules do: the categories and schools of the
# cohort are chosen for that (e.g. at school vo_2 the only thuiszitters with category
# medisch_psychosociaal are the two pupils of rule 2 who moved there). The shared totals (lrv,
# thuiszitters, by school, durations, open cases) are in the last test, which holds every figure at once.

def scoped(rule: str, w: World, probes: list[tuple[dict, list[str]]]) -> list[str]:
    problems = []
    for scope, paths in probes:
        computed = monitor(w, **{key: w.schools[value] if key == "school" else value for key, value in scope.items()})
        label = ", ".join(f"{key}={value}" for key, value in scope.items())
        problems += compare(rule, w, computed["counts"], paths, label=f"{label or 'all'}: ", **scope)
    return problems


def case_school(w: World, key: str) -> int | None:
    # read as Leerplicht, which holds access to a case wherever the pupil moves
    response = w.clients["leerplicht"].get(f"/api/v1/cases/{w.cases[key]}")
    return response.json().get("school") if response.status_code == 200 else None


def test_rule_1_a_confirmed_start_ends_the_count(cohort):
    w = cohort
    problems = scoped(R1, w, [({}, ["in_traject.volledig.andere_school", "in_traject.volledig.arrangement",
                                    "in_traject.gedeeltelijk.andere_school"])])
    for key in ("placed_full_on_p", "placed_part", "placed_full_after_p"):  # enrolled at the new school
        if key in w.cases and key not in w.failures and case_school(w, key) != w.schools["vo_2"]:
            problems.append(f"{key}: a confirmed start at vo_2 did not enrol the pupil there")
    check(R1, problems, w)


def test_rule_2_point_in_time_attribution(cohort):
    w = cohort
    check(R2, scoped(R2, w, [
        ({"school": "vo"}, ["thuiszitters_by_category.schoolonthouding"]),  # av_enrolled_on_p, unenrolled_after
        ({"school": "vo_2"}, ["thuiszitters_by_category.medisch_psychosociaal", "av"]),  # moved_before,
        #                                                  vo_to_mbo_after; not av_enrolled_after (no school on P)
        ({"sector": "mbo"}, ["thuiszitters_by_category.medisch_psychosociaal"]),  # not vo_to_mbo_after
        ({"sector": "vo"}, ["av"]),  # av_enrolled_after, av_plain
    ]), w)


def test_rule_3_the_four_week_line(cohort):
    w = cohort
    problems = scoped(R3, w, [({}, ["by_sector.vo.dreigend"]),  # day 27 and 28; not day 29
                              ({"school": "vo"}, ["thuiszitters_by_category.spijbelaar"]),  # day 29, no_offer_due_on_p
                              ({"school": "vo_2"}, ["thuiszitters_by_category.schoolonthouding"])])  # intake day 29
    if "dreigend_day29" in w.cases:  # the sweep's change is dated on day 29 itself
        sinces = [e["data"].get("since") for e in case_events(w, "dreigend_day29")
                  if e["kind"] == "registration_changed" and e["data"].get("to") == "lrv"]
        if sinces != [str(P)]:
            problems.append(f"dreigend_day29: the sweep's change to lrv is dated {sinces}, expected ['{P}']")
    if "dreigend_day28" in w.cases:
        early = [e["data"].get("since") for e in case_events(w, "dreigend_day28")
                 if e["kind"] == "registration_changed" and e["data"].get("to") == "lrv"]
        if early != [str(d(1))]:
            problems.append(f"dreigend_day28: changed to lrv {early}, expected ['{d(1)}'] (its day 29)")
    check(R3, problems, w)


def test_rule_4_startkwalificatie_at_intake(cohort):
    w = cohort
    problems = scoped(R4, w, [({"sector": "mbo"}, ["thuiszitters_by_category.onbekend"])])  # sk_after_absent
    if "sk_on_peildatum" in w.cases:  # counted the day before its startkwalificatie, not from it (at the MBO
        # institution nothing else changes between these two days)
        before = monitor(w, d(-1), school=w.schools["mbo"])["counts"]["lrv"]
        on = monitor(w, P, school=w.schools["mbo"])["counts"]["lrv"]
        if before - on != 1:
            problems.append(f"sk_on_peildatum: the MBO institution's lrv is {before} on {d(-1)} and {on} on {P}: "
                            "expected one less from the day of the startkwalificatie")
    check(R4, problems, w)


def test_rule_5_ziek_over_four_weeks(cohort):
    w = cohort
    check(R5, scoped(R5, w, [({}, [*registration_paths("ziek"), "ziek_by_category.medisch_psychosociaal"])]), w)


def test_rule_6_the_promise_and_the_count_are_two_measures(cohort):
    w = cohort
    check(R6, scoped(R6, w, [
        ({}, ["in_traject.gedeeltelijk.rebound", "in_traject.gedeeltelijk.eigen_school"]),
        ({"school": "vo_2"}, ["without_offer_over_3_months"]),  # not rebound_part, not no_offer_due_after_p
    ]), w)


def test_rule_7_the_quarterly_report(cohort):
    w = cohort
    report = quarter(w)
    problems = compare(R7, w, report["counts"], ["vrij", *(f"vrij_by_ground.{g}" for g in ("5a", "5b", "5c", "15")),
                                                 "durations.lt_4_weeks"], label="quarter counts: ")
    for figure, children in EXPECTED_PERIOD.items():
        want = sum(1 for key in children if EXPECTED[key].signalled)
        got = report["period"].get(figure)
        if got != want:
            problems.append(f"quarter period.{figure}: computed {got}, expected {want} [children: {', '.join(children)}]")
    if report["counts"] != monitor(w)["counts"]:
        problems.append("the quarter's counts differ from the monitor's on its last day")
    check(R7, problems, w)


def test_already_true_rules(cohort):
    w = cohort
    check(R0, scoped(R0, w, [
        ({}, ["by_sector.po.dreigend", "av", "vrij", *(f"vrij_by_ground.{g}" for g in ("5a", "5b", "5c", "15"))]),
        ({"school": "vo"}, ["thuiszitters_by_category.onbekend"]),  # eighteen_after_p, not eighteen_on_p
        ({"school": "mbo"}, ["thuiszitters_by_category.spijbelaar"]),  # mbo_lrv
    ]), w)


def test_every_figure_and_the_table(cohort):
    """Every figure of the peildatum against EXPECTED at once, and the table for the closing note."""
    w, counts = cohort, monitor(cohort)["counts"]
    want, got = expected_figures(w), flatten(counts)
    wrong = {path for path in set(want) | set(got) if want.get(path, 0) != got.get(path, 0)}
    rows = ["| child | rule | expected | computed |", "|---|---|---|---|"]
    for key, c in EXPECTED.items():
        mine = [path for path in figures_of(c, w) + list(c.stays_out_of) if path in wrong]
        computed = "; ".join([f"not built: {w.failures[key]}"[:160]] if key in w.failures else []
                             + [f"{path} = {got.get(path, 0)} (expected {want.get(path, 0)})" for path in mine])
        rows.append(f"| {key} | {c.rule} | {c.describe()} | {computed or 'as expected'} |")
    table = "\n".join(rows) + "\n"
    figures = ["| figure on the peildatum | expected | computed |", "|---|---|---|"]
    figures += [f"| {path} | {want.get(path, 0)} | {got.get(path, 0)} |" for path in sorted(set(want) | set(got))
                if want.get(path, 0) or got.get(path, 0)]
    table += "\n" + "\n".join(figures) + "\n"
    print(table)
    if os.environ.get("COHORT_TABLE"):
        with open(os.environ["COHORT_TABLE"], "w", encoding="utf-8") as out:
            out.write(table)
    assert len([c for c in EXPECTED.values() if c.signalled]) >= 25
    assert not wrong and not w.failures, "\n".join(sorted(
        [f"{path}: computed {got.get(path, 0)}, expected {want.get(path, 0)}" for path in wrong]
        + [f"{key}: {failure}" for key, failure in w.failures.items()]))
