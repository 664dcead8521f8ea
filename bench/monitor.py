"""The quarterly monitor against one indexed COUNT(*), at 1 M events and at 10x the history.

History is written with bulk SQL (`INSERT ... SELECT generate_series`): cases, their events over
the past `years` years, and the summaries the services would have written with them (the daily
rollup as the sweeper leaves it after compaction, and the cases' milestones), rebuilt from the
events in SQL. The measured function is `casework.monitor.report` for the current quarter, the
one the monitor page and the API call. `python -m bench.monitor [events] [scale ...]` runs it on
its own database (casework_monitor_bench).
"""

import os
import statistics
import sys
import time

from bench.common import django_setup, setup_database

BENCH_URL = "postgres://postgres@127.0.0.1:5432/casework_monitor_bench"
KINDS = ["signalled", "registration_changed", "team_review", "note_added", "escalated", "placed", "closed",
         "deadline_met", "deadline_breached", "vrijstelling_advised", "offer_started", "task_assigned"]


def history(events: int, *, cases: int, years: int, tag: str) -> None:
    """`cases` cases and `events` events over them, spread over the past `years` years, with
    their rollup rows and milestones."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from bench import data
    from casework.monitor import spells
    from teams.models import School, Team

    school = School.objects.filter(pk__in=Team.objects.filter(school__isnull=False).values("school")).first()
    team = Team.objects.filter(school=school).first()
    first, last = data.bulk_cases(cases, school=school, team=team, signaller=get_user_model().objects.first(),
                                  with_tasks=False, tag=tag)
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO casework_caseevent (at, kind, data, case_id)
               SELECT now() - ((n::bigint * 7919) %% (%(days)s * 24)) * interval '1 hour', k.kind,
                      CASE k.kind
                        WHEN 'team_review' THEN jsonb_build_object('routes',
                             (ARRAY['["ect_consult"]', '["jim", "arrangement"]', '[]'])[1 + n %% 3]::jsonb)
                        WHEN 'closed' THEN jsonb_build_object('outcome',
                             (ARRAY['terug_naar_school', 'passend_aanbod', 'verhuisd'])[1 + n %% 3])
                        WHEN 'deadline_met' THEN jsonb_build_object('deadline_kind', 'team_action_48h', 'late', false)
                        WHEN 'deadline_breached' THEN jsonb_build_object('deadline_kind', 'offer_3_months')
                        WHEN 'offer_started' THEN jsonb_build_object('started_on',
                             (now() - ((n::bigint * 7919) %% (%(days)s * 24)) * interval '1 hour')::date::text)
                        ELSE jsonb_build_object('n', n) END,
                      %(first)s + (n %% (%(last)s - %(first)s + 1))
               FROM generate_series(1, %(count)s) AS n
               CROSS JOIN LATERAL (SELECT (%(kinds)s::text[])[1 + (n / 7) %% %(nkinds)s] AS kind) k""",
            {"count": events, "first": first, "last": last, "days": 365 * years, "kinds": KINDS,
             "nkinds": len(KINDS)})
        rebuild_summaries(cursor, first, last)
    spells.refresh_range(first, last)  # the peildatum's state intervals of the new cases
    data.analyze()


def rebuild_summaries(cursor, first: int, last: int) -> None:
    """The rollup (compacted) and milestones of the cases first..last, from their events."""
    day = "(e.at AT TIME ZONE current_setting('TimeZone'))::date"
    cursor.execute(
        f"""INSERT INTO casework_monitortally (day, region_id, sector, school_id, measure, case_ref, n, compacted)
            SELECT d, region_id, sector, school_id, measure, NULL, count(*), true FROM (
                SELECT {day} AS d, c.region_id, c.sector, c.school_id,
                       CASE WHEN e.kind = 'closed' THEN 'closed:' || (e.data ->> 'outcome')
                            WHEN e.kind = 'deadline_met' THEN 'compliance:' || (e.data ->> 'deadline_kind') || ':met'
                            WHEN e.kind = 'deadline_breached'
                                 THEN 'compliance:' || (e.data ->> 'deadline_kind') || ':breached'
                            WHEN e.kind = 'offer_started'
                                 THEN 'absent_to_start:' || ((e.data ->> 'started_on')::date - c.absent_since)
                            ELSE e.kind END AS measure
                FROM casework_caseevent e JOIN casework_case c ON c.id = e.case_id
                WHERE e.case_id BETWEEN %(first)s AND %(last)s AND e.kind IN
                      ('signalled', 'placed', 'vrijstelling_advised', 'closed', 'deadline_met', 'deadline_breached',
                       'offer_started')
                UNION ALL
                SELECT {day}, c.region_id, c.sector, c.school_id, 'route:' || r.route
                FROM casework_caseevent e JOIN casework_case c ON c.id = e.case_id
                CROSS JOIN LATERAL jsonb_array_elements_text(e.data -> 'routes') AS r(route)
                WHERE e.case_id BETWEEN %(first)s AND %(last)s AND e.kind = 'team_review') t
            GROUP BY 1, 2, 3, 4, 5""",  # noqa: S608 (no user text)
        {"first": first, "last": last})
    cursor.execute(
        f"""INSERT INTO casework_monitortally (day, region_id, sector, school_id, measure, case_ref, n, compacted)
            SELECT DISTINCT {day}, c.region_id, c.sector, c.school_id,
                   CASE e.kind WHEN 'team_review' THEN 'rung:team' WHEN 'escalated' THEN 'rung:mpl_doe'
                               ELSE 'rung:director' END, e.case_id, 1, true
            FROM casework_caseevent e JOIN casework_case c ON c.id = e.case_id
            WHERE e.case_id BETWEEN %(first)s AND %(last)s
              AND (e.kind IN ('team_review', 'escalated')
                   OR (e.kind = 'deadline_breached' AND e.data ->> 'deadline_kind' = 'offer_3_months'))""",  # noqa: S608
        {"first": first, "last": last})
    for kind, column in (("team_review", "first_reviewed_at"), ("escalated", "escalated_at"),
                         ("offer_started", "offer_started_at")):
        cursor.execute(
            f"""UPDATE casework_case c SET {column} = f.at
                FROM (SELECT case_id, min(at) AS at FROM casework_caseevent
                      WHERE kind = %(kind)s AND case_id BETWEEN %(first)s AND %(last)s GROUP BY case_id) f
                WHERE c.id = f.case_id AND (c.{column} IS NULL OR c.{column} > f.at)""",  # noqa: S608
            {"kind": kind, "first": first, "last": last})


def measure(rounds: int, target: float, label: str) -> dict:
    """The quarterly monitor (`casework.monitor.report` for this quarter, all regions) against one
    indexed COUNT(*) of this quarter's events, medians of `rounds` runs each, interleaved."""
    import datetime as dt

    from django.db import connection

    from casework import monitor
    from casework.models import CaseEvent
    from teams.models import Region

    scope = monitor.Scope(regions=list(Region.objects.values_list("pk", flat=True)))
    today = dt.date.today()
    first, last = monitor.quarter_bounds(today.year, (today.month - 1) // 3 + 1)
    events = CaseEvent.objects.count()

    def report():
        monitor.report(scope, min(last, today), first)

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM casework_caseevent WHERE case_id > 0 AND at >= %s", [first])
            cursor.fetchone()

    runs: dict[str, list[float]] = {"ours": [], "base": []}
    report(), baseline()  # warm
    for _ in range(rounds):
        for name, action in (("ours", report), ("base", baseline)):
            started = time.perf_counter()
            action()
            runs[name].append(time.perf_counter() - started)
    ours, base = statistics.median(runs["ours"]), statistics.median(runs["base"])
    ratio = ours / base
    return {"name": f"quarterly monitor report at {events:,} events ({label})", "unit": "ms", "value": ours * 1000,
            "baseline": base * 1000, "ratio": ratio, "target": f"<= {target}x", "holds": ratio <= target,
            "baseline_is": "one indexed COUNT(*) of this quarter's events, same run, interleaved medians",
            "runs_ms": {name: [round(v * 1000, 1) for v in values] for name, values in runs.items()}}


def run(*, events: int = 1_000_000, scales: tuple[int, ...] = (1, 10), rounds: int = 5) -> list[dict]:
    """The monitor rows of `make bench`: `events` events over one year, then the history grown to
    each scale (more years at the same rate: the quarter holds as many events as before)."""
    from casework.models import CaseEvent

    rows = []
    for scale in scales:
        have = CaseEvent.objects.count()
        want = events * scale
        if want > have:
            years = scale
            history(want - have, cases=max(1_000, (want - have) // 10), years=years, tag=f"mon{scale}")
        rows.append(measure(rounds, 1.5 if scale == 1 else 1.2, f"{scale}x history"))
    return rows


def main(argv: list[str]) -> int:
    os.environ["DATABASE_URL"] = os.environ.get("MONITOR_BENCH_URL", BENCH_URL)
    setup_database(os.environ["DATABASE_URL"])
    django_setup()
    events = int(argv[0]) if argv else 1_000_000
    scales = tuple(int(a) for a in argv[1:]) or (1,)
    for row in run(events=events, scales=scales):
        print(f"{row['name']}: {row['value']:.1f} ms vs {row['baseline']:.1f} ms = {row['ratio']:.2f}x "
              f"(target {row['target']}: {'holds' if row['holds'] else 'MISSED'}) runs {row['runs_ms']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
