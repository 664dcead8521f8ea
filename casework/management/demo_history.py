"""A year of synthetic history for the demo (make run): cases over every path and outcome,
made through the services and the flow while travelling in time, so that the monitor has a
real history to show (with one recent case per counting rule, `demo_rules`). Development only
(seed_demo refuses production); needs time-machine.
"""

import datetime as dt
import heapq
import random

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from casework.management.demo_rules import plan_rule_cases
from casework.models import Case, Child
from casework.services import DuplicateSignal, SignalInput, signal_case, sweep_due
from notifications.services import mark_all_read, one_fan_out
from teams.models import Region, School, User
from workflows.inbox import nodes_named
from workflows.models import CaseTask
from workflows.services import TaskConflict, complete_task

# The users who act for a case's school team (or Leerplicht) in the history (`team_user`).
TEAM_USERS = {"aoj", "aoj_2", "kindteam", "outsider", "leerplicht"}

# The users whose notices older than READ_UP_TO_DAYS are read at the end of the history.
DEMO_READERS = ("aoj", "aoj_2", "kindteam", "ect", "ect_2", "leerplicht", "mpl_chair", "doe_chair", "swv_director",
                "outsider", "mbo", "deelverband", "privacy_officer", "mbo_stagnatie", "mbo_directie")
READ_UP_TO_DAYS = 3
# The routes a team takes up for a late returned review at the end of the history, in turn.
ROUTES_TAKEN_UP = ["doorbraak", "ect_consult", "jim"]
ROUTE_DATA = {"doorbraak": {"pupil_preference": "Een school dichtbij huis."},
              "ect_consult": {"ect_question": "Welk aanbod past?", "ect_question_kind": "plaatsing"}, "jim": {}}

GIVEN = ["Noah", "Emma", "Liam", "Julia", "Lucas", "Mila", "Finn", "Tess", "Daan", "Sara", "Sem", "Zoë", "Levi",
         "Nora", "Jesse", "Lotte", "Milan", "Evi", "Thijs", "Saar"]
FAMILY = ["Demovoorbeeld", "Proefpersoon", "Testgeval", "Fictief", "Verzonnen", "Oefenkind", "Nepnaam"]
PATHS = ["return", "return", "return", "ect_then_offer", "doorbraak", "arrangement", "vrijstelling", "dreigend",
         "open", "unreviewed"]


def history_exists() -> bool:
    return Child.objects.filter(family_name__startswith="Demo-").exists()


def build_history(*, cases: int = 100, days: int = 365, seed: int = 2026, on_day=None) -> int:
    """Create `cases` cases signalled over the last `days` days. Returns how many were made."""
    import time_machine  # a development dependency: only the demo travels in time


    rng = random.Random(seed)  # noqa: S311 (synthetic demo data, reproducible on purpose; not security)
    users = {u.username: u for u in User.objects.filter(username__in=[
        "aoj", "aoj_2", "kindteam", "ect", "ect_2", "leerplicht", "mpl_chair", "doe_chair", "swv_director",
        "outsider", "mbo"])}
    schools = {s.brin: s for s in School.objects.filter(brin__in=["99AA", "99AB", "99AC", "99AD"])}
    vo_region = Region.objects.get(name="SWV VO Stad Demo")
    now = timezone.now().replace(microsecond=0)
    start = now - dt.timedelta(days=days)
    agenda = []  # (when, order, callable)
    order = 0

    def later(when, action):
        nonlocal order
        if when < now:
            order += 1
            heapq.heappush(agenda, (when, order, action))

    plan = later

    def done(case, node, user, data):
        def action():
            task = CaseTask.objects.filter(case=case, flow_task__in=nodes_named(node),
                                           status__in=["NEW", "ASSIGNED"]).first()
            if task is None:
                return
            actor = user
            now_at = Case.objects.select_related("school").get(pk=case.pk)
            if now_at.school_id != case.school_id and user.username in TEAM_USERS:
                actor = team_user(now_at)  # the pupil started at another school: its team holds the case now
            try:
                complete_task(user=actor, task_id=task.pk, data=data)
            except (ValidationError, PermissionDenied, TaskConflict):
                # The history took another turn (e.g. a clock escalated the case before the planned
                # closure): the rules say no, as they would to a person; the demo moves on.
                skipped.append(node)
        return action

    def team_user(case):
        if case.school_id is None:
            return users["leerplicht"]  # an absoluut verzuimer's case is Leerplicht's
        if case.school.brin == "99AD":
            return users["mbo"]  # the MBO institution's own team
        if case.school.brin == "99AB":
            return users["outsider"]  # the Zuiderpoort Lyceum's AOJ-team
        return users["kindteam"] if case.sector in ("po", "so") else users[rng.choice(["aoj", "aoj_2"])]

    def finish(case):
        """A week after a case's last planned step, its teams do what is still open (tasks a clock
        asked for, or a path that had no end planned) and close it, as teams working daily do."""
        def action():
            other = schools["99AC"] if case.sector == "po" else schools["99AB"]
            today = timezone.localdate()
            for _round in range(6):
                now_at = Case.objects.select_related("school").get(pk=case.pk)
                team = team_user(now_at)
                finishing = {
                    "team_review": (team, {"plan": "Afgerond.", "outcome": "terug_naar_school"}),
                    "case_review": (team, {"notes": "Besproken in het team."}),
                    "ect_draft": (users["ect"], {"question": "Welk aanbod?", "advice": "Maatwerk."}),
                    "ect_approve": (users["ect_2"], {"approved": True}),
                    "doe_advice": (users["doe_chair"], {"advice": "Terug naar de eigen school.",
                                                        "school_board": other.board_id, "school": other.pk}),
                    "director_decision": (users["swv_director"], {
                        "school_board": other.board_id, "school": other.pk, "start_date": today.isoformat(),
                        "motivation": "Doorzetten."}),
                    "doorbraak_decision": (users["mpl_chair"], {
                        "school_board": other.board_id, "school": other.pk, "start_date": today.isoformat(),
                        "preference_followed": True}),
                    "start_confirmation": (team, {"started": True, "started_on": today.isoformat()}),
                }
                progressed = False
                for task in CaseTask.objects.filter(case=case, status__in=["NEW", "ASSIGNED"]).order_by("pk"):
                    node = task.flow_task.name
                    if node not in finishing:
                        continue
                    user, data = finishing[node]
                    try:
                        complete_task(user=user, task_id=task.pk, data=data)
                        progressed = True
                    except (ValidationError, PermissionDenied, TaskConflict, Http404):
                        skipped.append(node)
                if not progressed:
                    return
        return action

    def catch_up():
        """The day before today the teams take up what has run late on the open cases: a returned
        team review takes a route in turn (doorbraak, ECT consult, a mentor), a due evaluation continues, a review is
        discussed; what the rules refuse stays late, as it would for a person."""
        cutoff = timezone.now()
        for task in (CaseTask.objects.filter(status__in=["NEW", "ASSIGNED"], due_at__lt=cutoff)
                     .select_related("case__school").order_by("pk")):
            case, node = task.case, task.flow_task.name
            team = team_user(case)
            attempts = {
                "team_review": [(team, {"plan": "Vervolg besproken.", "routes": [route], **ROUTE_DATA[route]})
                                for route in ROUTES_TAKEN_UP[task.pk % 3:] + ROUTES_TAKEN_UP[:task.pk % 3]],
                "case_review": [(team, {"notes": "Besproken in het team."})],
                "jim_assignment": [(team, {"mentor_name": "Tante (demo)", "relation": "tante",
                                           "contact": "06-00000000", "consent": True, "share": ["plan"]})],
                "arrangement_evaluation": [(team, {"result": "voortzetten", "notes": "Gaat goed."})],
            }.get(node, [])
            for user, data in attempts:
                try:
                    complete_task(user=user, task_id=task.pk, data=data)
                    break
                except (ValidationError, PermissionDenied, TaskConflict, Http404):
                    skipped.append(node)

    def plan_path(case, path, signalled):
        last = signalled + dt.timedelta(weeks=4)
        planned = []

        def later(when, action):  # noqa: F811 (the case's own steps, remembered for `finish`)
            planned.append(when)
            plan(when, action)
        walk_path(case, path, signalled, later)
        plan(max([last, *planned]) + dt.timedelta(days=7), finish(case))

    def walk_path(case, path, signalled, later):
        review = signalled + dt.timedelta(hours=rng.choice([5, 20, 30, 60]))
        team = team_user(case)
        weeks = dt.timedelta(weeks=rng.randint(2, 10))
        if path == "unreviewed":
            return
        if path == "dreigend":
            later(review, done(case, "team_review", team, {"plan": "Gesprek met ouders en school.", "routes": ["jim"]}))
            later(review + dt.timedelta(days=3), done(case, "jim_assignment", team, {
                "mentor_name": "Buurvrouw (demo)", "relation": "buurvrouw", "contact": "06-00000000",
                "consent": True, "share": ["plan"]}))
            return
        if path == "open":
            later(review, done(case, "team_review", team, {"plan": "Thuiswerkplan en ECT.", "ect_question_kind": "thuiswerkplan",
                                                                "routes": ["ect_consult"]}))
            later(review + dt.timedelta(days=7), done(case, "ect_draft", users["ect"], {"question": "Welk aanbod?",
                                                                                        "advice": "Maatwerk."}))
            return
        if path == "return":
            later(review, done(case, "team_review", team, {"plan": "Terugkeerplan op school.", "routes": ["jim"]}))
            later(review + dt.timedelta(days=2), done(case, "jim_assignment", team, {
                "mentor_name": "Oom (demo)", "relation": "oom", "contact": "06-00000000", "consent": True,
                "share": ["plan"]}))
            later(review + weeks, done(case, "team_review", team, {"plan": "Weer op school.",
                                                                  "outcome": "terug_naar_school"}))
        elif path == "ect_then_offer":
            later(review, done(case, "team_review", team, {"plan": "ECT-consult.", "ect_question_kind": "handelingsadvies",
                                                                "routes": ["ect_consult"]}))
            later(review + dt.timedelta(days=7), done(case, "ect_draft", users["ect"], {
                "question": "Welke plek past?", "advice": "Plaatsing in het VSO."}))
            later(review + dt.timedelta(days=8), done(case, "ect_approve", users["ect_2"], {"approved": True}))
            later(review + weeks + dt.timedelta(days=10), done(case, "team_review", team, {
                "plan": "Passend aanbod gevonden.", "outcome": "passend_aanbod"}))
        elif path == "doorbraak":
            later(review, done(case, "team_review", team, {"plan": "Geen plek: escalatie.", "routes": ["doorbraak"]}))
            other = schools["99AC"] if case.sector == "po" else schools["99AB"]
            if case.sector == "po":
                later(review + dt.timedelta(days=9), done(case, "doe_advice", users["doe_chair"], {
                    "advice": "Plaatsen met extra ondersteuning.", "school_board": other.board_id, "school": other.pk}))
                later(review + dt.timedelta(days=16), done(case, "director_decision", users["swv_director"], {
                    "school_board": other.board_id, "school": other.pk,
                    "start_date": (review + dt.timedelta(days=30)).date().isoformat(), "motivation": "Doorzetten."}))
            else:
                later(review + dt.timedelta(days=12), done(case, "doorbraak_decision", users["mpl_chair"], {
                    "school_board": other.board_id, "school": other.pk,
                    "start_date": (review + dt.timedelta(days=30)).date().isoformat(),
                    "preference_followed": True}))
            later(review + dt.timedelta(days=31), done(case, "start_confirmation", team, {
                "started": True, "started_on": (review + dt.timedelta(days=30)).date().isoformat()}))
            later(review + dt.timedelta(days=40), done(case, "team_review", team, {
                "plan": "Gestart op de nieuwe school.", "outcome": "terug_naar_school"}))
        elif path == "arrangement":
            later(review, done(case, "team_review", team, {"plan": "Onderwijs-zorgarrangement.",
                                                          "routes": ["arrangement"]}))
            begin = (review + dt.timedelta(days=5)).date()
            later(review + dt.timedelta(days=3), done(case, "arrangement_setup", team, {
                "education": "OPDC Stad (demo)", "care_provider": "Jeugdhulp Demo", "funding": "beide",
                "start_date": begin.isoformat(), "end_date": (begin + dt.timedelta(weeks=20)).isoformat(),
                "evaluation_weeks": 6}))
            later(review + dt.timedelta(days=6), done(case, "start_confirmation", team, {
                "started": True, "started_on": begin.isoformat()}))
            later(review + dt.timedelta(weeks=6, days=6), done(case, "arrangement_evaluation", team, {
                "result": "voortzetten", "notes": "Gaat goed."}))
            later(review + dt.timedelta(weeks=12, days=6), done(case, "arrangement_evaluation", team, {
                "result": "beeindigen", "notes": "Terug naar school."}))
            later(review + dt.timedelta(weeks=13), done(case, "team_review", team, {
                "plan": "Afgerond.", "outcome": "terug_naar_school"}))
        elif path == "vrijstelling":
            later(review, done(case, "team_review", team, {"plan": "Advies vrijstelling.",
                                                          "routes": ["vrijstelling_advies"]}))
            later(review + dt.timedelta(days=4), done(case, "vrijstelling_request", users["leerplicht"], {
                "grounds": "5a", "motivation": "Verzoek ouders.", "medical_statement": True}))
            later(review + dt.timedelta(days=11), done(case, "vrijstelling_advice", users["ect"], {
                "advice": rng.choice(["positief", "voorwaardelijk"]), "motivation": "Besproken in het ECT."}))
            later(review + dt.timedelta(days=18), done(case, "vrijstelling_decision", users["leerplicht"], {
                "granted": True, "until": (review + dt.timedelta(days=300)).date().isoformat(),
                "motivation": "Verleend."}))
            later(review + dt.timedelta(days=25), done(case, "team_review", team, {
                "plan": "Vrijstelling verleend.", "outcome": "vrijstelling"}))

    made = 0
    skipped: list[str] = []
    for n in range(cases):
        signalled = start + dt.timedelta(days=days * n / cases, hours=rng.randint(8, 16))
        path = rng.choice(PATHS)
        sector_school = rng.choice(["99AA", "99AA", "99AB", "99AC", None])
        if n in (cases - 2, cases - 4):
            # This week's and last week's doorbraak of a primary pupil: the DOE-team's advice and
            # the director's decision are waiting, so each has something to do in the demo.
            path, sector_school = "doorbraak", "99AC"
        if path == "dreigend" and sector_school is None:
            sector_school = "99AA"  # a threatened thuiszitter is enrolled somewhere
        absent = (signalled - dt.timedelta(days=rng.choice([3, 10, 20, 35, 50]))).date()

        def open_case(n=n, path=path, brin=sector_school, absent=absent, signalled=signalled):
            nonlocal made
            school = schools.get(brin) if brin else None
            registration = "dreigend" if path == "dreigend" else ("av" if school is None else
                                                                  rng.choice(["lrv", "lrv", "ziek"]))
            if registration == "lrv" and (signalled.date() - absent).days <= 28:
                registration = "dreigend"  # LRV only after more than four weeks out of school
            data = SignalInput(
                given_name=rng.choice(GIVEN), family_name=f"Demo-{rng.choice(FAMILY)}-{n}",
                birth_date=dt.date(2010 + rng.randint(0, 4) if school is None or school.sector != "po"
                                   else 2016 + rng.randint(0, 3), rng.randint(1, 12), rng.randint(1, 28)),
                school=school, region=vo_region if school is None else None,
                sector=school.sector if school else "vo", registration=registration,
                category=rng.choice(["schoolweigeraar", "schoolonthouding", "spijbelaar", "medisch_psychosociaal"]),
                absent_since=absent, signaller_role="leerplicht" if school is None else "school",
                summary="Synthetisch demodossier: geen echte persoon.")
            actor = {None: users["leerplicht"], "99AB": users["outsider"], "99AC": users["kindteam"]}.get(
                brin, users["aoj"])
            try:
                case = signal_case(actor=actor, data=data)
            except DuplicateSignal:
                return
            made += 1
            plan_path(case, path, signalled)

        later(signalled, open_case)

    plan_rule_cases(later, done, users, schools, now)
    later((now - dt.timedelta(days=1)).replace(hour=10, minute=0, second=0), catch_up)

    with time_machine.travel(start, tick=False) as traveller:
        while agenda:
            day = agenda[0][0]
            # One simulated day: the sweep just after midnight, then the day's actions (which may
            # plan more for the same day), with one fan-out of the day's notices at its end.
            with one_fan_out():
                traveller.move_to(day.replace(hour=0, minute=5))
                sweep_due()
                if on_day is not None:
                    on_day(day)
                while agenda and agenda[0][0].date() == day.date():
                    when, _, action = heapq.heappop(agenda)
                    traveller.move_to(when)
                    action()
    sweep_due()
    # The demo users work daily: what they were told before the last few days, they have read.
    for user in User.objects.filter(username__in=DEMO_READERS):
        mark_all_read(user=user, before=now - dt.timedelta(days=READ_UP_TO_DAYS))
    return made
