"""Every user-visible step costs what it must: at most STATEMENT_LIMIT SQL statements and exactly
one commit.

The tests run with real transactions (`transaction=True`), so a commit is a real COMMIT. A
write outside any transaction (autocommit) is a commit of its own and is counted as one; so
is a COMMIT the driver issues. Statements are every round trip to the database except the
transaction's own BEGIN/COMMIT (savepoints count: each is a round trip).

A step over the limit is listed in OVER_LIMIT with its measured ceiling and the reason it
cannot come down inside this step's code (the test fails when such a step grows; the ceilings
are the larger of the SQLite and PostgreSQL counts, which differ by one or two statements).
"""

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from casework.models import Case, PublicSignal
from notifications import services as notices
from tests.flowkit import board_and_school, in_days, open_task, signal
from workflows.flows import ReviewFlow
from workflows.inbox import nodes_named
from workflows.models import CaseTask

pytestmark = [pytest.mark.django_db(transaction=True)]

STATEMENT_LIMIT = 25

# step -> (ceiling, why it is above STATEMENT_LIMIT). Empty when every step is within the limit.
_GATEWAYS = ("each gateway the flow passes is a task row: an If, Split, Switch or End that passes is written "
             "once, already done, with the link to the task before it (2 statements, workflows.nodes); a Join "
             "reads its incoming tokens and writes its row three times; viewflow's Function and Handle nodes "
             "write theirs as viewflow does (3)")
_MONITOR = "the monitor's spells rebuilt (see below)"
# The event push's transactional outbox (systems.outbox): a step that records events reads the active
# subscriptions once (one SELECT; with subscribers, their deliveries are one INSERT more).
_PUSH = "; the subscriptions read (systems.outbox)"
OVER_LIMIT: dict[str, tuple[int, str]] = {
    "complete team_review (three routes)": (38, _GATEWAYS + "; three routes: three teams joined, three route runs, "
                                            "three new tasks each announced" + _PUSH),
    "complete team_review (doorbraak)": (35, _GATEWAYS + "; starts the EscalationFlow (its process, start and "
                                         "gateway rows; a new process needs no lock) inside the step" + _PUSH),
    "complete team_review (po, two routes)": (46, _GATEWAYS + "; two routes, one starting the EscalationFlow" + _PUSH),
    "complete start_confirmation": (71, _GATEWAYS + "; the escalation's finish and end, then the waiting branch of "
                                    "the case flow released under its own lock (a second flow); a start at another "
                                    "school is a move: the dates checked, the school changed, the new team and "
                                    "Leerplicht joined, the old team's participation ended, its open tasks moved, "
                                    "the participation, move and hand-over events; " + _MONITOR + "; the rollup "
                                    "reads the case's exemption ends (days to placement run from the day after one)" + _PUSH),
    "complete start_confirmation (arrangement)": (30, "the start, its clocks and the participation from that day "
                                                  "(the last one read to check the date, the offers read to see whether it keeps the promise), the If "
                                                  "gateway; " + _MONITOR + _PUSH),
    "web task page POST (team_review)": (30, "the page's own reads (session, user, the next task of the list) on top of "
                                         "the team_review step" + _PUSH),
    # The monitor's summaries (casework.monitor.derived) add one bulk INSERT of rollup deltas to a step
    # that records a counted event, and one UPDATE when a case first reaches a milestone (first
    # review, escalation, a started place).
    "complete verify_signal": (32, "creates the case (as intake: 17) and ends the verification flow in the same step" + _PUSH),
    "complete doorbraak_decision": (26, "the decision, its placement and clocks, the escalation's next task announced" + _PUSH),
    "bench: team_review, outcome (closes)": (26, "the review, the closure (its clocks stopped, its participations ended) "
                                             "and the flow's end" + _PUSH),
    # The monitor's state intervals (casework.monitor.spells) are rebuilt once in a step that records a
    # dated fact (a registration, taking part, a move, an exemption, the three-month clock, a closure):
    # four reads (the case, its dated events, its three-month clocks, its exemptions), a DELETE and an
    # INSERT; a case the step opens (the intake) has them written from what the step holds: one INSERT.
}

# step -> (commits, why). A second commit outside this code's reach; every other step commits once.
OTHER_COMMITS: dict[str, tuple[int, str]] = {
    "signal intake (POST /api/cases/)": (2, "the API view (casework.api) logs the read of the new case after the "
                                         "intake's transaction, in autocommit"),
    "complete start_confirmation": (2, "viewflow's after_lock_released: the case flow's waiting branch continues "
                                    "under its own process lock after the escalation's commit"),
}
# The web task page (GET and POST) commits once: the session is renewed at most once a minute
# (casework.http.middleware.SessionRenewalMiddleware): a request within a minute of the
# last save writes nothing; before, SESSION_SAVE_EVERY_REQUEST made it a second commit.

TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK"}
WRITES = ("INSERT", "UPDATE", "DELETE")


@dataclass
class Cost:
    statements: int = 0
    commits: int = 0
    sql: list[str] = field(default_factory=list)
    after_commit: list[str] = field(default_factory=list)  # the push (notifications), after the step's commit


@contextmanager
def measured():
    """The statements and commits of what runs inside (see the module's docstring). What runs in
    the commit hooks (`transaction.on_commit`: the notifications' push, fan-out) is kept apart in
    `after_commit`: it is delivery, which the notifications app owns, not the step."""
    cost = Cost()
    in_hooks = []
    spans = []  # positions in the connection's query log of what the commit hooks ran
    run_hooks = connection.run_and_clear_commit_hooks

    def hooks_apart():
        apart(run_hooks)()

    def observe(execute, sql, params, many, context):
        if not in_hooks and not context["connection"].in_atomic_block and sql.lstrip().upper().startswith(WRITES):
            cost.commits += 1  # a write outside a transaction commits by itself
        return execute(sql, params, many, context)

    def apart(publish):
        def publishing(*args, **kwargs):
            in_hooks.append(True)
            start = len(connection.queries_log)
            try:
                return publish(*args, **kwargs)
            finally:
                in_hooks.pop()
                spans.append((start, len(connection.queries_log)))
        return publishing

    # A task's step publishes its notices' fan-out once, after its commit (`one_fan_out`): with
    # Celery eager (no Redis) the fan-out runs there, in-process; it is delivery as well.
    publishers = {name: getattr(notices, name) for name in ("queue_fan_out", "queue_fan_out_many")}
    connection.run_and_clear_commit_hooks = hooks_apart
    for name, publish in publishers.items():
        setattr(notices, name, apart(publish))
    try:
        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(observe):
            yield cost
    finally:
        del connection.run_and_clear_commit_hooks  # back to the class's method
        for name, publish in publishers.items():
            setattr(notices, name, publish)
    hooked = {position for start, end in spans for position in range(start, end)}
    for position, query in enumerate(captured.captured_queries, start=captured.initial_queries):
        (cost.after_commit if position in hooked else cost.sql).append(query["sql"])
    cost.commits += sum(1 for sql in cost.sql if sql == "COMMIT")
    cost.statements = sum(1 for sql in cost.sql if sql not in TRANSACTION_CONTROL)


class Steps:
    """Runs each step measured, checks its answer, and keeps its cost for the verdict."""

    def __init__(self):
        self.costs: dict[str, Cost] = {}

    def run(self, name: str, step: Callable, expect: int = 200):
        with measured() as cost:
            response = step()
        assert response.status_code == expect, (name, response.status_code, getattr(response, "content", b"")[:500])
        self.costs[name] = cost
        return response

    def call(self, name: str, step: Callable):
        """A step called as a service (as `make bench` calls it), measured."""
        with measured() as cost:
            result = step()
        self.costs[name] = cost
        return result

    def verdict(self):
        report = "\n".join(f"{name:42} {cost.statements:4} statements {cost.commits} commit(s)"
                           f"   (+{len(cost.after_commit)} after commit)"
                           for name, cost in self.costs.items())
        print("\n" + report)  # `pytest -s` shows the table (the closing note's numbers)
        problems = []
        for name, cost in self.costs.items():
            ceiling, _why = OVER_LIMIT.get(name, (STATEMENT_LIMIT, ""))
            if cost.statements > ceiling:
                problems.append(f"{name}: {cost.statements} statements > {ceiling}\n  " + "\n  ".join(cost.sql))
            if cost.commits != OTHER_COMMITS.get(name, (1, ""))[0]:
                problems.append(f"{name}: {cost.commits} commits\n  " + "\n  ".join(cost.sql))
        assert not problems, "\n".join(problems)


@pytest.fixture
def steps():
    return Steps()


def task_of(case, node: str) -> CaseTask:
    return open_task(case, node)


def complete_step(steps, api, user, case, node: str, payload: dict, *, name: str | None = None, expect: int = 200):
    task = task_of(case, node)
    return steps.run(name or f"complete {node}",
                     lambda: api(user).post(f"/api/tasks/{task.pk}/complete/", payload, format="json"), expect)


def test_intake_claim_unclaim_and_the_vo_path(api, demo, u, steps):
    from teams.models import School
    from tests.factories import signal_payload

    school = School.objects.get(pk=demo["schools"]["vo"])
    signal(api, u["aoj"], school.pk, given_name="Warm")  # warm up (content types, first-use caches)
    steps.run("signal intake (POST /api/cases/)",
              lambda: api(u["aoj"]).post("/api/cases/", signal_payload(school), format="json"), 201)
    case = Case.objects.get(child__given_name="Sanne")

    review = task_of(case, "team_review")
    steps.run("claim", lambda: api(u["aoj"]).post(f"/api/tasks/{review.pk}/claim/"))
    steps.run("unclaim", lambda: api(u["aoj"]).post(f"/api/tasks/{review.pk}/unclaim/"))
    complete_step(steps, api, u["aoj"], case, "team_review",
                  {"plan": "ECT, JIM, vrijstelling.", "ect_question_kind": "handelingsadvies", "routes": ["ect_consult", "jim", "vrijstelling_advies"],
                   "ect_question": "Welk aanbod past?"}, name="complete team_review (three routes)")
    complete_step(steps, api, u["ect"], case, "ect_draft", {"question": "Welk aanbod past?", "advice": "OPDC."})
    complete_step(steps, api, u["ect_2"], case, "ect_approve", {"approved": False, "reason": "Onderbouwing."},
                  name="complete ect_approve (rejected)")
    complete_step(steps, api, u["ect"], case, "ect_draft", {"question": "Welk aanbod past?", "advice": "OPDC, onderbouwd."},
                  name="complete ect_draft (redraft)")
    complete_step(steps, api, u["ect_2"], case, "ect_approve", {"approved": True})
    complete_step(steps, api, u["aoj_2"], case, "jim_assignment", {
        "mentor_name": "Oom Piet (synthetisch)", "relation": "oom", "contact": "06-00000000", "consent": True,
        "share": ["plan"]})
    complete_step(steps, api, u["leerplicht"], case, "vrijstelling_request",
                  {"grounds": "5a", "motivation": "Niet in staat.", "medical_statement": True})
    complete_step(steps, api, u["ect"], case, "vrijstelling_advice",
                  {"advice": "negatief", "motivation": "Liever onderwijs.", "alternatives": "OPDC."})
    complete_step(steps, api, u["leerplicht"], case, "vrijstelling_decision",
                  {"granted": False, "motivation": "Niet verleend."})
    complete_step(steps, api, u["aoj"], case, "team_review", {"plan": "Naar de MPL.", "routes": ["doorbraak"]},
                  name="complete team_review (doorbraak)")
    board, other = board_and_school(demo)
    complete_step(steps, api, u["mpl_chair"], case, "doorbraak_decision", {
        "school_board": board, "school": other, "start_date": in_days(0), "preference_followed": True})
    complete_step(steps, api, u["aoj"], case, "start_confirmation", {"started": True, "started_on": in_days(0)})
    # started at Zuiderpoort Lyceum: its team (the demo's `outsider`) holds the case now
    complete_step(steps, api, u["outsider"], case, "team_review",
                  {"plan": "Gestart.", "routes": [], "outcome": "terug_naar_school"},
                  name="complete team_review (closes)")
    assert Case.objects.get(pk=case.pk).status == Case.Status.CLOSED
    steps.verdict()


def test_po_path_arrangement_and_case_review(api, demo, u, steps):
    case = signal(api, u["kindteam"], demo["schools"]["po"], birth_date="2017-03-01")
    signal(api, u["kindteam"], demo["schools"]["po"], given_name="Warm", birth_date="2016-03-01")
    complete_step(steps, api, u["kindteam"], case, "team_review",
                  {"plan": "DOE-team en arrangement.", "routes": ["doorbraak", "arrangement"]},
                  name="complete team_review (po, two routes)")
    board, school = board_and_school(demo, "po")
    complete_step(steps, api, u["doe_chair"], case, "doe_advice",
                  {"advice": "Plaatsen met ondersteuning.", "school_board": board, "school": school})
    complete_step(steps, api, u["swv_director"], case, "director_decision", {
        "school_board": board, "school": school, "start_date": in_days(7), "motivation": "Doorzettingsmacht."})
    complete_step(steps, api, u["kindteam"], case, "arrangement_setup", {
        "education": "OPDC Stad", "care_provider": "Zorgaanbieder Demo", "funding": "beide",
        "start_date": in_days(0), "end_date": in_days(120), "evaluation_weeks": 6})
    complete_step(steps, api, u["kindteam"], case, "start_confirmation", {"started": True, "started_on": in_days(0)},
                  name="complete start_confirmation (arrangement)")
    complete_step(steps, api, u["kindteam"], case, "arrangement_evaluation",
                  {"result": "voortzetten", "notes": "Gaat goed."})
    ReviewFlow.start.run(case=case, reason="ziek_review")
    complete_step(steps, api, u["kindteam"], case, "case_review", {"notes": "Besproken."})
    steps.verdict()


def test_the_web_task_page_and_a_public_signal(api, demo, u, steps):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    signal(api, u["aoj"], demo["schools"]["vo"], given_name="Warm")
    page = Client()
    page.force_login(u["aoj"])
    review = task_of(case, "team_review")
    page.get(f"/task/{review.pk}/")  # warm up (the session's first read, templates)
    steps.run("web task page GET", lambda: page.get(f"/task/{review.pk}/"))
    steps.run("web task page POST (team_review)", lambda: page.post(f"/task/{review.pk}/", {
        "plan": "JIM zoeken.", "routes": ["jim"]}), 302)

    Client().post("/melden/", {
        "reporter_role": "ouder", "given_name": "Pim", "family_name": "Publiek", "birth_date": "2013-04-04",
        "school": demo["schools"]["vo"], "region": "", "absent_since": in_days(-40),
        "description": "Mijn zoon durft niet meer naar school.", "reporter_name": "Ouder (synthetisch)",
        "reporter_contact": "06-99999999", "website": ""})
    assert PublicSignal.objects.count() == 1
    verify = CaseTask.objects.get(flow_task__in=nodes_named("verify_signal"))
    steps.run("complete verify_signal", lambda: api(u["leerplicht"]).post(
        f"/api/tasks/{verify.pk}/complete/", {"verified": True, "registration": "lrv", "category": "schoolweigeraar"},
        format="json"))
    steps.verdict()


def test_the_bench_case_path(demo, u, steps):
    """The case path `make bench` times (bench.run.bench_case_path), called as the benchmark calls
    it: the intake service, then four tasks completed through the task write path."""
    from datetime import date, timedelta

    from casework.services import SignalInput, signal_case
    from teams.models import School
    from workflows.services import complete_task

    school = School.objects.get(pk=demo["schools"]["vo"])

    def intake(family_name):
        return lambda: signal_case(actor=u["aoj"], data=SignalInput(
            given_name="Bench", family_name=family_name, birth_date=date(2012, 3, 1), sector="vo",
            registration="lrv", category="onbekend", absent_since=date.today() - timedelta(days=40),
            signaller_role="school", school=school))

    intake("Warm")()  # warm up (content types, first-use caches)
    case = steps.call("bench: signal (signal_case)", intake("Pad"))

    def done(name, node, user, data):
        task = task_of(case, node)
        steps.call(name, lambda: complete_task(user=user, task_id=task.pk, data=data))

    done("bench: team_review, route to ECT", "team_review", u["aoj"], {"plan": "P", "ect_question_kind": "handelingsadvies", "routes": ["ect_consult"]})
    done("bench: ect_draft", "ect_draft", u["ect"], {"question": "Q", "advice": "A"})
    done("bench: ect_approve (the join passes)", "ect_approve", u["ect_2"], {"approved": True})
    done("bench: team_review, outcome (closes)", "team_review", u["aoj"], {"plan": "P", "outcome": "terug_naar_school"})
    assert Case.objects.get(pk=case.pk).status == Case.Status.CLOSED
    steps.verdict()
