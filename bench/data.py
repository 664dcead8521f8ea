"""Data generators for the benchmarks (and tests that need volume): server-side bulk inserts on
PostgreSQL (`INSERT ... SELECT generate_series`), millions of rows in seconds, no flow logic.

Cases made here are "background" cases of a team: they count for the indexes and the query
plans, they have a team participant, a task in that team's queue and as many events and open
clocks as asked. They never belong to the benchmark user's own team unless asked.
"""

from django.db import connection
from django.utils import timezone

from workflows.flows import CaseFlow


def flow_task_ref(node) -> str:
    """How viewflow stores a node reference in a task row."""
    from viewflow.workflow.fields import get_task_ref

    return get_task_ref(node)


def flow_class_ref(flow_class) -> str:
    from viewflow.workflow.fields import get_flow_ref

    return get_flow_ref(flow_class)


def bulk_cases(count: int, *, school, team, signaller, with_tasks: bool = True, tag: str = "bulk") -> tuple[int, int]:
    """`count` open cases at `school`, worked by `team`, each with an open team_review task.
    Returns (first case id, last case id)."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH kids AS (
                INSERT INTO casework_child (given_name, family_name, birth_date, pupil_number, startkwalificatie,
                                            match_key)
                SELECT 'Kind', %(tag)s || '-' || n, DATE '2012-01-01' + (n %% 1000), '', false,
                       'kind|' || %(tag)s || '-' || n || '|' || (DATE '2012-01-01' + (n %% 1000))
                FROM generate_series(1, %(count)s) AS n
                RETURNING id
            )
            INSERT INTO casework_case (sector, registration, category, absent_since, signalled_at, signaller_role,
                                       summary, status, outcome, participation, participation_setting, region_id,
                                       school_id, signalled_by_id, child_id)
            SELECT %(sector)s, 'lrv', 'onbekend', DATE '2026-09-01', %(now)s, 'school', '', 'active', '', 'geen', '',
                   %(region)s, %(school)s, %(user)s, id
            FROM kids
            RETURNING id
            """,
            {"tag": tag, "count": count, "sector": school.sector, "now": now, "region": school.region_id,
             "school": school.pk, "user": signaller.pk},
        )
        ids = [row[0] for row in cursor.fetchall()]
        first, last = min(ids), max(ids)
        cursor.execute(
            """INSERT INTO casework_caseparticipant (reason, since, case_id, team_id)
               SELECT 'school_team', %(now)s, id, %(team)s FROM casework_case WHERE id BETWEEN %(first)s AND %(last)s""",
            {"now": now, "team": team.pk, "first": first, "last": last},
        )
        if with_tasks:
            cursor.execute(
                """WITH procs AS (
                       INSERT INTO viewflow_process (flow_class, status, created, data)
                       SELECT %(flow)s, 'NEW', %(now)s, '{}'::jsonb FROM generate_series(%(first)s, %(last)s)
                       RETURNING id
                   ), numbered AS (
                       SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM procs
                   )
                   INSERT INTO workflows_casetask (flow_task, flow_task_type, status, created, token, data,
                                                   required_role, region_role, due_at, case_id, process_id, team_id)
                   SELECT %(task)s, 'HUMAN', 'NEW', %(now)s, 'start', '{}'::jsonb, '', '',
                          %(now)s + interval '7 days', %(first)s + i, id, %(team)s
                   FROM numbered""",
                {"flow": flow_class_ref(CaseFlow), "task": flow_task_ref(CaseFlow.team_review), "now": now,
                 "first": first, "last": last, "team": team.pk},
            )
    return first, last


def bulk_events(count: int, *, first_case: int, last_case: int) -> None:
    """`count` CaseEvents spread over the cases first_case..last_case, over the past year."""
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO casework_caseevent (at, kind, data, case_id)
               SELECT now() - (n %% 365) * interval '1 day',
                      (ARRAY['signalled','team_review','ect_advice_drafted','ect_advice_approved','placed'])[1 + n %% 5],
                      jsonb_build_object('n', n), %(first)s + (n %% (%(last)s - %(first)s + 1))
               FROM generate_series(1, %(count)s) AS n""",
            {"count": count, "first": first_case, "last": last_case},
        )


def bulk_deadlines(count: int, *, first_case: int, last_case: int, due_in_seconds: float, start_sequence: int = 1,
                   kind: str = "arrangement_evaluation") -> None:
    """`count` running clocks over the cases, all due `due_in_seconds` from now (negative: due)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO casework_deadline (kind, sequence, due_at, warn_at, stop_reason, case_id)
               SELECT %(kind)s, %(start)s + n, now() + %(due)s * interval '1 second', NULL, '',
                      %(first)s + (n %% (%(last)s - %(first)s + 1))
               FROM generate_series(0, %(count)s - 1) AS n""",
            {"kind": kind, "start": start_sequence, "due": due_in_seconds, "count": count, "first": first_case,
             "last": last_case},
        )


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def big_queue(*, cases: int, open_tasks: int, small_tasks: int = 20, events_per_case: int = 3, done_share: int = 3,
              schools: int = 20, tag: str = "bq", search_term: str = "Naam123") -> dict:
    """The big-queue scenario: a region with `schools` extra schools and a team per school, `cases`
    cases in all. Team "Bench groot" has `open_tasks` open unclaimed team_review tasks (plus
    `done_share` times as many cases with a completed task: its history); team "Bench klein" has
    `small_tasks`; every other case belongs to another school's team (with an open task too).
    The small team also has as many cases (with a completed task: history) whose child's family
    name contains `search_term` as the big team has, so a search for it finds the same number of
    cases in both teams. Each case has `events_per_case` events. Users bench-big and bench-small are members of the big
    and the small team. Returns {"big": team, "small": team, "big_user": user, "small_user": user}."""
    from teams.models import Membership, Region, School, SchoolBoard, Team, User

    region = Region.objects.get(name="SWV VO Stad Demo")
    board = SchoolBoard.objects.first()
    made = School.objects.bulk_create([
        School(name=f"Bench school {n}", brin=f"B{n:03d}", sector="vo", board=board, region=region)
        for n in range(schools)])
    teams = Team.objects.bulk_create([
        Team(name=f"Bench team {n}", kind="aoj", region=region, school=school) for n, school in enumerate(made)])
    big, small = teams[0], teams[1]
    big.name, small.name = "Bench groot", "Bench klein"
    Team.objects.bulk_update([big, small], ["name"])
    big_user = User.objects.create(username="bench-big", first_name="Groot")
    small_user = User.objects.create(username="bench-small", first_name="Klein")
    Membership.objects.bulk_create([Membership(user=big_user, team=big, role="member"),
                                    Membership(user=small_user, team=small, role="member")])
    signaller = User.objects.get(username="aoj")
    big_history = open_tasks * done_share
    background = cases - open_tasks - big_history - small_tasks
    if background < 0:
        raise ValueError("cases must exceed the big team's open and done tasks")
    _scenario_cases(open_tasks, team=big, schools=made[:1], signaller=signaller, status="NEW", tag=f"{tag}o")
    _scenario_cases(big_history, team=big, schools=made[:1], signaller=signaller, status="DONE", tag=f"{tag}d")
    _scenario_cases(small_tasks, team=small, schools=made[1:2], signaller=signaller, status="NEW", tag=f"{tag}s")
    _scenario_cases(_matching(big, search_term), team=small, schools=made[1:2], signaller=signaller, status="DONE",
                    tag=f"{tag}m", family=search_term)
    per_team = max(1, background // (len(teams) - 2))
    for team, school in zip(teams[2:], made[2:], strict=True):
        _scenario_cases(min(per_team, background), team=team, schools=[school], signaller=signaller,
                        status="NEW", tag=f"{tag}{team.pk}")
        background -= per_team
        if background <= 0:
            break
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO casework_caseevent (at, kind, data, case_id)
               SELECT now() - ((c.id + n) %% 365) * interval '1 day',
                      (ARRAY['signalled','team_review','ect_advice_drafted','ect_advice_approved','placed'])[1 + n %% 5],
                      '{}'::jsonb, c.id
               FROM casework_case c CROSS JOIN generate_series(1, %(n)s) AS n""",
            {"n": events_per_case})
    analyze()
    return {"big": big, "small": small, "big_user": big_user, "small_user": small_user}


def _matching(team, term: str) -> int:
    """How many of `team`'s cases have a child whose family name contains `term`."""
    with connection.cursor() as cursor:
        cursor.execute("""SELECT count(DISTINCT p.case_id) FROM casework_caseparticipant p
                          JOIN casework_case c ON c.id = p.case_id JOIN casework_child k ON k.id = c.child_id
                          WHERE p.team_id = %s AND upper(k.family_name) LIKE upper(%s)""", [team.pk, f"%{term}%"])
        return cursor.fetchone()[0]


def _scenario_cases(count: int, *, team, schools, signaller, status: str, tag: str, family: str = "Naam") -> None:
    """`count` cases at `schools[0]` with `team` as participant and one task of the team's queue in
    `status` (NEW: open and unclaimed, due dates and ages spread over weeks; DONE: history). The
    children are named `family` followed by a number."""
    if count <= 0:
        return
    now = timezone.now()
    school = schools[0]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH kids AS (
                INSERT INTO casework_child (given_name, family_name, birth_date, pupil_number, startkwalificatie,
                                            match_key)
                SELECT 'Kind', %(family)s || (n %% 7919), DATE '2012-01-01' + (n %% 1000), 'LL-' || n, false,
                       'kind|' || %(tag)s || '-' || n || '|' || (DATE '2012-01-01' + (n %% 1000))
                FROM generate_series(1, %(count)s) AS n
                RETURNING id
            ), cases AS (
                INSERT INTO casework_case (sector, registration, category, absent_since, signalled_at, signaller_role,
                                           summary, status, outcome, participation, participation_setting, region_id,
                                           school_id, signalled_by_id, child_id)
                SELECT 'vo', 'lrv', 'onbekend', DATE '2026-09-01', %(now)s - (id %% 400) * interval '1 day',
                       'school', '', 'active', '', 'geen', '', %(region)s, %(school)s, %(user)s, id
                FROM kids
                RETURNING id
            ), parts AS (
                INSERT INTO casework_caseparticipant (reason, since, case_id, team_id)
                SELECT 'school_team', %(now)s, id, %(team)s FROM cases
                RETURNING case_id
            ), procs AS (
                INSERT INTO viewflow_process (flow_class, status, created, data)
                SELECT %(flow)s, 'NEW', %(now)s, jsonb_build_object('case', case_id) FROM parts
                RETURNING id, (data->>'case')::bigint AS case_id
            )
            INSERT INTO workflows_casetask (flow_task, flow_task_type, status, created, finished, token, data,
                                            required_role, region_role, due_at, case_id, process_id, team_id)
            SELECT %(task)s, 'HUMAN', %(status)s,
                   %(now)s - (case_id %% 60) * interval '1 day' - (case_id %% 1440) * interval '1 minute',
                   CASE WHEN %(status)s = 'DONE' THEN %(now)s END, 'start', '{}'::jsonb, '', '',
                   %(now)s + ((case_id %% 90) - 20) * interval '1 day', case_id, id, %(team)s
            FROM procs
            """,
            {"tag": tag, "count": count, "now": now, "region": school.region_id, "school": school.pk,
             "user": signaller.pk, "team": team.pk, "status": status, "flow": flow_class_ref(CaseFlow), "family": family,
             "task": flow_task_ref(CaseFlow.team_review)})
