"""The quarterly monitor against an index-only COUNT(*), at 1 M events and at 10x the history.

History is written with bulk SQL (`bench.monitor_history`): cases with realistic lives (most
closed; registration, school, participation and exemption facts dated and typed as the services
write them), the summaries the services would have written with them (the daily rollup as the
sweeper leaves it after compaction, and the cases' milestones, rebuilt from the events in SQL)
and the state intervals (`casework.monitor.spells.refresh_range`, the same `build` the services
call). The measured function is `casework.monitor.report` for the current quarter, the one the
monitor page and the API call. `python -m bench.monitor [--keep] [--explain] [events] [scale ...]`
runs it on its own database (MONITOR_BENCH_URL, by default casework_monitor_bench).
"""

import os
import statistics
import sys
import time

from bench.common import django_setup, setup_database

BENCH_URL = "postgres://postgres@127.0.0.1:5432/casework_monitor_bench"
TAG = "mon"  # the monitor's children are named after it: its cases among the other benchmarks' ones
YEARS = 4  # the history of `events` events: cases live 20 to 240 days, so most are closed


def history(events: int, *, years: int, offset_days: int, tag: str) -> None:
    """`events` events over `events // 10` cases with realistic histories (`bench.monitor_history`),
    signalled over `years` years up to `offset_days` ago, with the rollup rows, milestones and
    state intervals the services would have written with them."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from bench import data
    from bench.monitor_history import realistic
    from casework.monitor import spells
    from teams.models import School, Team

    team = Team.objects.filter(school__isnull=False).select_related("school").first()
    schools = list(School.objects.filter(region=team.school.region, sector=team.school.sector)
                   .order_by("pk").values_list("pk", flat=True))
    first, last = realistic(cases=max(1_000, events // 10), events=events, years=years, offset_days=offset_days,
                            schools=schools, region=team.school.region_id, team=team.pk,
                            user=get_user_model().objects.first().pk, tag=tag)
    with connection.cursor() as cursor:
        rebuild_summaries(cursor, first, last)
    started = time.perf_counter()
    spells.refresh_range(first, last)  # the peildatum's state intervals, as the services write them
    print(f"  spells of {last - first + 1:,} cases in {time.perf_counter() - started:.0f} s", flush=True)
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


BASELINE_INDEX = "CREATE INDEX IF NOT EXISTS bench_caseevent_at_case ON casework_caseevent (at, case_id)"
BASELINE = "SELECT COUNT(*) FROM casework_caseevent WHERE at >= %s AND case_id >= %s"


def explain(sql: str, params=(), *, analyze: bool = False) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {'(ANALYZE, BUFFERS) ' if analyze else ''}{sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def counts_explain() -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement `counts_on` runs for today, all regions."""
    import datetime as dt

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from casework import monitor
    from teams.models import Region

    scope = monitor.Scope(regions=list(Region.objects.values_list("pk", flat=True)))
    with CaptureQueriesContext(connection) as queries:
        monitor.counts_on(scope, dt.date.today())
    return [f"{query['sql']}\n\n{explain(query['sql'], analyze=True)}" for query in queries.captured_queries]


def history_shape() -> dict:
    """How realistic the history is: cases, closed share, dated registration events, spells."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT (SELECT count(*) FROM casework_case), (SELECT count(*) FROM casework_case WHERE closed_at IS NOT NULL),
                      (SELECT count(*) FROM casework_caseevent WHERE kind = 'registration_changed'),
                      (SELECT count(*) FROM casework_caseevent WHERE kind = 'registration_changed'
                         AND data ? 'since' AND data ? 'to' AND data ? 'sector'),
                      (SELECT count(*) FROM casework_caseevent WHERE kind = 'school_changed'),
                      (SELECT count(*) FROM casework_caseevent WHERE kind = 'participation_changed'),
                      (SELECT count(*) FROM casework_vrijstelling WHERE granted),
                      (SELECT count(*) FROM casework_monitorspell)""")
        names = ("cases", "closed", "registration_changed", "registration_changed_dated", "school_changed",
                 "participation_changed", "exemptions_granted", "spells")
        return dict(zip(names, cursor.fetchone(), strict=True))


def measure(rounds: int, target: float, label: str) -> list[dict]:
    """Two rows against the same baseline, an index-only COUNT(*) of this quarter's events: the
    quarterly monitor (`casework.monitor.report` for this quarter, all regions: the peildatum
    count and the period's counts) and the peildatum count alone (`counts_on`); medians of
    `rounds` runs each, the three interleaved."""
    import datetime as dt

    from django.db import connection
    from django.db.models import Min

    from casework import monitor
    from casework.models import Case, CaseEvent
    from teams.models import Region

    scope = monitor.Scope(regions=list(Region.objects.values_list("pk", flat=True)))
    today = dt.date.today()
    first, last = monitor.quarter_bounds(today.year, (today.month - 1) // 3 + 1)
    events = CaseEvent.objects.count()
    first_case = Case.objects.filter(child__family_name__startswith=TAG).aggregate(first=Min("pk"))["first"]
    with connection.cursor() as cursor:  # the baseline's index, present while every side runs
        cursor.execute(BASELINE_INDEX)
        cursor.execute("VACUUM ANALYZE casework_caseevent")  # all-visible: the count reads the index only
        cursor.execute("VACUUM ANALYZE casework_monitorspell")  # the same for the peildatum count's index
    since = monitor.start_of(first)
    plan = explain(BASELINE, [since, first_case], analyze=True)

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute(BASELINE, [since, first_case])
            cursor.fetchone()

    actions = {"report": lambda: monitor.report(scope, min(last, today), first),
               "count": lambda: monitor.counts_on(scope, min(last, today)), "base": baseline}
    runs: dict[str, list[float]] = {name: [] for name in actions}
    for action in actions.values():  # warm
        action()
    for _ in range(rounds):
        for name, action in actions.items():
            started = time.perf_counter()
            action()
            runs[name].append(time.perf_counter() - started)
    base = statistics.median(runs["base"])
    baseline_is = ("COUNT(*) of this quarter's events of the monitor's cases (at >= the quarter's first day, case_id "
                   ">= the first of them) as an Index Only "
                   "Scan of a btree on casework_caseevent (at, case_id) that the bench creates before every side "
                   f"runs (table vacuumed: no heap fetches; plan in baseline_plan); same run, medians of {rounds} "
                   "interleaved rounds")
    shape = history_shape()
    rows = []
    for name, what in (("report", "quarterly monitor report"), ("count", "peildatum count (counts_on)")):
        ours = statistics.median(runs[name])
        rows.append({
            "name": f"{what} at {events:,} events ({label})", "unit": "ms", "value": ours * 1000,
            "baseline": base * 1000, "ratio": ours / base, "target": f"<= {target}x", "holds": ours / base <= target,
            "baseline_is": baseline_is, "baseline_plan": plan, "history": shape,
            "runs_ms": {side: [round(v * 1000, 1) for v in runs[side]] for side in (name, "base")}})
    return rows


def run(*, events: int = 1_000_000, scales: tuple[int, ...] = (1, 10), rounds: int = 5) -> list[dict]:
    """The monitor rows of `make bench` (two per scale, see `measure`): `events` events over four years, then the history grown to
    each scale: older years at the same rate (the last four years, and so the quarter and the open
    cases, stay as they were; what grows is the closed history behind them)."""
    from casework.models import CaseEvent

    rows = []
    for scale in scales:
        have = CaseEvent.objects.filter(case__child__family_name__startswith=TAG).count()  # the monitor's own
        want = events * scale
        if want > have:
            years = YEARS * max(1, round((want - have) / events))
            offset = round(YEARS * 365 * have / events)
            history(want - have, years=years, offset_days=offset, tag=f"{TAG}{scale}")
        rows += measure(rounds, 1.5 if scale == 1 else 1.2, f"{scale}x history")
    return rows


def main(argv: list[str]) -> int:
    """`python -m bench.monitor [--keep] [--explain] [events] [scale ...]`: --keep measures the
    database as it is (grown to the scales if needed) instead of creating it afresh; --explain
    prints the EXPLAIN (ANALYZE, BUFFERS) of the peildatum count after each row."""
    os.environ["DATABASE_URL"] = os.environ.get("MONITOR_BENCH_URL", BENCH_URL)
    flags = {arg for arg in argv if arg.startswith("--")}
    argv = [arg for arg in argv if not arg.startswith("--")]
    if "--keep" not in flags:
        setup_database(os.environ["DATABASE_URL"])
    django_setup(migrate=True)
    events = int(argv[0]) if argv else 1_000_000
    scales = tuple(int(a) for a in argv[1:]) or (1,)
    for scale in scales:
        rows = run(events=events, scales=(scale,), rounds=9)
        for row in rows:
            print(f"{row['name']}: {row['value']:.1f} ms vs {row['baseline']:.1f} ms = {row['ratio']:.2f}x "
                  f"(target {row['target']}: {'holds' if row['holds'] else 'MISSED'}) runs {row['runs_ms']}")
        print(f"  history {rows[0]['history']}\n  baseline plan:\n{rows[0]['baseline_plan']}", flush=True)
        if "--explain" in flags:
            print("\n\n".join(counts_explain()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
