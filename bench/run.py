"""`make bench`: casework's costs as ratios against baselines measured in the same run.

Runs on PostgreSQL + Redis (its own database, created afresh), prints a table and writes
bench/results.json. `--quick` is a small smoke run (CI-sized volumes and durations).

Project imports sit inside the functions: Django is set up by `main` only after it has chosen
the benchmark database.
"""

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date, timedelta
from urllib.parse import urlparse

from bench.common import ROOT, demo_users, p95
from bench.network import bench_intake, bench_push

RESULTS = ROOT / "bench" / "results.json"


def setup_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def django_setup(migrate: bool = True):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casework.settings")
    os.environ["CASEWORK_BENCH"] = "1"
    os.environ["DEBUG"] = "0"
    import django

    django.setup()
    from django.core.management import call_command

    if migrate:
        call_command("migrate", verbosity=0)
        call_command("seed_demo", "--no-cases", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115


# --- 1. the full VO case path vs a bare viewflow flow ------------------------------------------


def bench_case_path(cases: int) -> dict:
    from django.db import transaction

    from bench.flows import BareFlow
    from casework.services import SignalInput, signal_case
    from teams.models import School
    from workflows.inbox import nodes_named
    from workflows.models import CaseTask
    from workflows.services import complete_task

    users = demo_users()
    school = School.objects.get(brin="99AA")

    def one_case(n):
        case = signal_case(actor=users["aoj"], data=SignalInput(
            given_name="Bench", family_name=f"Pad{n}-{time.time_ns()}", birth_date=date(2012, 3, 1), sector="vo",
            registration="lrv", category="onbekend", absent_since=date.today() - timedelta(days=40),
            signaller_role="school",
            school=school))

        def done(node, user, data):
            task = CaseTask.objects.get(case=case, flow_task__in=nodes_named(node), status__in=["NEW", "ASSIGNED"])
            complete_task(user=user, task_id=task.pk, data=data)

        done("team_review", users["aoj"], {"plan": "P", "routes": ["ect_consult"]})
        done("ect_draft", users["ect"], {"question": "Q", "advice": "A"})
        done("ect_approve", users["ect_2"], {"approved": True})
        done("team_review", users["aoj"], {"plan": "P", "outcome": "terug_naar_school"})

    def one_bare(n):
        process = BareFlow.start.run()
        user = users["aoj"]
        for _ in range(4):
            task = BareFlow.task_class.objects.get(process=process, status="NEW")
            with BareFlow.lock(process.pk), transaction.atomic():
                activation = task.flow_task.activation_class(task)
                activation.assign(user)
                activation.start(None)
                activation.execute()

    one_case(-1)
    one_bare(-1)  # warm up both
    ours, bare = [], []
    for n in range(cases):  # interleaved, so that machine noise hits both alike
        started = time.perf_counter()
        one_case(n)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        one_bare(n)
        bare.append(time.perf_counter() - started)
    value, base = statistics.median(ours), statistics.median(bare)
    return {"name": "full VO case path (signal, 4 tasks) per case", "unit": "ms",
            "value": value * 1000, "baseline": base * 1000, "ratio": value / base, "target": "<= 1.5x",
            "ok": value / base <= 1.5, "baseline_is": "bare viewflow flow, 4 View nodes, same user"}


# --- 2. the inbox at scale ----------------------------------------------------------------------


def measure_inbox(client_html, client_api, rounds: int):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = {"html": [], "api": [], "search": []}
    queries = {}
    for name, fetch in (("html", lambda: client_html.get("/tasks/queue/")),
                        ("api", lambda: client_api.get("/api/tasks/?scope=queue")),
                        ("search", lambda: client_api.get("/api/search/?q=kind+own"))):
        fetch()
        with CaptureQueriesContext(connection) as ctx:
            assert fetch().status_code == 200
        queries[name] = len(ctx.captured_queries)
        for _ in range(rounds):
            started = time.perf_counter()
            fetch()
            timings[name].append(time.perf_counter() - started)
    return {name: p95(values) for name, values in timings.items()}, queries


def bench_inbox(small: int, big: int, events: int, rounds: int) -> list[dict]:
    from django.test import Client
    from rest_framework.test import APIClient

    from bench import data
    from teams.models import School, Team

    users = demo_users()
    other_school = School.objects.get(brin="99AB")
    other_team = Team.objects.get(school=other_school, kind="aoj")
    own_school = School.objects.get(brin="99AA")
    own_team = Team.objects.get(school=own_school, kind="aoj")
    # The user's own queue: 20 tasks, in both worlds.
    data.bulk_cases(20, school=own_school, team=own_team, signaller=users["aoj"], tag="own")
    first, last = data.bulk_cases(small, school=other_school, team=other_team, signaller=users["outsider"],
                                  tag="small")
    data.bulk_events(small * 10, first_case=first, last_case=last)
    data.analyze()
    html, api = Client(), APIClient()
    html.force_login(users["aoj_2"])
    api.force_authenticate(users["aoj_2"])
    small_p95, small_queries = measure_inbox(html, api, rounds)
    first, last = data.bulk_cases(big - small, school=other_school, team=other_team, signaller=users["outsider"],
                                  tag="big")
    data.bulk_events(events - small * 10, first_case=first, last_case=last)
    data.analyze()
    big_p95, big_queries = measure_inbox(html, api, rounds)
    results = []
    labels = {"html": "inbox HTML", "api": "inbox API", "search": "search API (20 own cases)"}
    for name in ("html", "api", "search"):
        ratio = big_p95[name] / small_p95[name]
        results.append({
            "name": f"{labels[name]} p95, {big:,} cases / {events:,} events", "unit": "ms",
            "value": big_p95[name] * 1000, "baseline": small_p95[name] * 1000, "ratio": ratio,
            "target": "<= 1.2x, same query count",
            "ok": ratio <= 1.2 and big_queries[name] == small_queries[name],
            "baseline_is": f"same page with {small:,} cases",
            "queries": {"big": big_queries[name], "small": small_queries[name]},
        })
    return results


# --- 3. the deadline sweep ----------------------------------------------------------------------


def bench_sweep(open_rows: int, due: int) -> dict:
    from django.utils import timezone

    from bench import data
    from casework.models import Case
    from casework.services import sweep_due

    first = Case.objects.order_by("pk").values_list("pk", flat=True).first()
    last = Case.objects.order_by("-pk").values_list("pk", flat=True).first()
    sequence = 10_000_000

    def run_with(not_due: int):
        nonlocal sequence
        if not_due:
            data.bulk_deadlines(not_due, first_case=first, last_case=last, due_in_seconds=10 * 365 * 86400,
                                start_sequence=sequence)
            sequence += not_due
        data.bulk_deadlines(due, first_case=first, last_case=last, due_in_seconds=-60, start_sequence=sequence)
        sequence += due
        data.analyze()
        started = time.perf_counter()
        result = sweep_due(timezone.now())
        elapsed = time.perf_counter() - started
        assert result.breached == due, result
        return elapsed

    small = run_with(1_000)
    big = run_with(open_rows - 1_000)
    return {"name": f"deadline sweep, {open_rows:,} open deadlines with {due:,} due", "unit": "ms",
            "value": big * 1000, "baseline": small * 1000, "ratio": big / small, "target": "<= 2x",
            "ok": big / small <= 2, "baseline_is": f"1,000 open deadlines, {due:,} due"}


# --- 4. notification push to connected websocket clients ----------------------------------------


def bench_monitor(rounds: int) -> dict:
    import datetime as dt

    from django.db import connection

    from casework import monitor
    from casework.models import CaseEvent
    from teams.models import Region

    scope = monitor.Scope(regions=list(Region.objects.values_list("pk", flat=True)))
    today = dt.date.today()
    quarter = (today.month - 1) // 3 + 1
    first, last = monitor.quarter_bounds(today.year, quarter)
    events = CaseEvent.objects.count()

    def report():
        monitor.report(scope, min(last, today), first)

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM casework_caseevent")
            cursor.fetchone()

    timings = {}
    for name, action in (("ours", report), ("base", baseline)):
        action()
        runs = []
        for _ in range(rounds):
            started = time.perf_counter()
            action()
            runs.append(time.perf_counter() - started)
        timings[name] = statistics.median(runs)
    ratio = timings["ours"] / timings["base"]
    return {"name": f"quarterly monitor report at {events:,} events", "unit": "ms",
            "value": timings["ours"] * 1000, "baseline": timings["base"] * 1000, "ratio": ratio,
            "target": "<= 3x, < 1 s", "ok": ratio <= 3 and timings["ours"] < 1.0,
            "baseline_is": "one COUNT(*) over the events table"}


# --- 6. signal intake over HTTP -------------------------------------------------------------------


def main(argv=None) -> int:
    import logging


    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small volumes and short runs (a smoke test)")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("make bench needs DATABASE_URL pointing to PostgreSQL (make bench sets it).", file=sys.stderr)
        return 2
    setup_database(url)
    django_setup()
    quick = args.quick
    started = time.perf_counter()
    results = [bench_case_path(5 if quick else 30)]
    results += bench_inbox(small=200 if quick else 1_000, big=5_000 if quick else 100_000,
                           events=50_000 if quick else 1_000_000, rounds=10 if quick else 40)
    results.append(bench_sweep(open_rows=50_000 if quick else 1_000_000, due=200 if quick else 1_000))
    results.append(bench_push(clients=100 if quick else 1_000))
    results.append(bench_monitor(rounds=3 if quick else 5))
    results.append(bench_intake(clients=32, seconds=3 if quick else 10))
    total = time.perf_counter() - started
    width = max(len(r["name"]) for r in results)
    print(f"\n{'benchmark':<{width}}  {'casework':>12}  {'baseline':>12}  {'ratio':>7}  target")
    for r in results:
        mark = "ok" if r["ok"] else "MISSED"
        print(f"{r['name']:<{width}}  {r['value']:>9.1f} {r['unit']:<3}{r['baseline']:>9.1f} {r['unit']:<3}"
              f"{r['ratio']:>6.2f}x  {r['target']} {mark}")
    print(f"\n{len(results)} benchmarks in {total:.0f} s ({'quick' if quick else 'full'} run)")
    RESULTS.write_text(json.dumps({"quick": quick, "seconds": total, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
