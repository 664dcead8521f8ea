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
from pathlib import Path

from bench import sweep
from bench.common import ROOT, demo_users, django_setup, p95, setup_database
from bench.network import bench_intake, bench_push

RESULTS = ROOT / "bench" / "results.json"


# --- 1. the full VO case path vs a bare viewflow flow ------------------------------------------


def bench_case_path(cases: int) -> dict:
    from django.db import transaction

    from bench.flows import BareFlow, BareGraphFlow
    from casework.services import SignalInput, signal_case
    from teams.models import School
    from workflows.inbox import nodes_named
    from workflows.models import CaseTask
    from workflows.services import complete_task

    users = demo_users()
    school = School.objects.get(brin="99AA")

    steps = {}

    def one_case(n, measure=False):
        def signal():
            return signal_case(actor=users["aoj"], data=SignalInput(
                given_name="Bench", family_name=f"Pad{n}-{time.time_ns()}", birth_date=date(2012, 3, 1),
                sector="vo", registration="lrv", category="onbekend",
                absent_since=date.today() - timedelta(days=40), signaller_role="school", school=school))

        case = step_cost(steps, "signal (intake)", signal) if measure else signal()

        def done(label, node, user, data):
            # the benchmark's own look-up of the open task, outside the step it measures
            task = CaseTask.objects.get(case=case, flow_task__in=nodes_named(node), status__in=["NEW", "ASSIGNED"])

            def step():
                complete_task(user=user, task_id=task.pk, data=data)
            return step_cost(steps, label, step) if measure else step()

        done("team_review: route to ECT", "team_review", users["aoj"], {"plan": "P", "ect_question_kind": "handelingsadvies",
                                                                        "routes": ["ect_consult"]})
        done("ect_draft", "ect_draft", users["ect"], {"question": "Q", "advice": "A"})
        done("ect_approve", "ect_approve", users["ect_2"], {"approved": True})
        done("team_review: outcome", "team_review", users["aoj"], {"plan": "P", "outcome": "terug_naar_school"})

    def run_bare(flow_class, steps):
        """One process of a bare flow: each step sets the process data its gateways read (as a
        step's service records its answer), then completes the next open task, locked."""
        process = flow_class.start.run()
        user = users["aoj"]
        for data in steps:
            task = flow_class.task_class.objects.get(process=process, status="NEW")
            with flow_class.lock(process.pk), transaction.atomic():
                activation = task.flow_task.activation_class(task)
                activation.process.data = data
                activation.process.save(update_fields=["data"])
                activation.assign(user)
                activation.start(None)
                activation.execute()

    def one_bare(n):
        run_bare(BareFlow, [{}] * 4)

    def one_graph(n):  # team_review (ECT route), ect_draft, ect_approve, team_review (no routes)
        run_bare(BareGraphFlow, [{"routes": ["ect_consult"]}, {"routes": ["ect_consult"]},
                                 {"routes": ["ect_consult"], "approved": True}, {"routes": []}])

    one_case(-1)
    one_bare(-1)  # warm up all three
    one_graph(-1)
    ours, bare, graph = [], [], []
    for n in range(cases):  # interleaved, so that machine noise hits all alike
        for run, times in ((one_case, ours), (one_bare, bare), (one_graph, graph)):
            started = time.perf_counter()
            run(n)
            times.append(time.perf_counter() - started)
    for n in range(3):
        one_case(f"m{n}", measure=True)
    value, base, same = statistics.median(ours), statistics.median(bare), statistics.median(graph)
    table = [{"step": label, **{key: statistics.median(v[key] for v in runs) for key in runs[0]}}
             for label, runs in steps.items()]
    return [{"name": "VO case path (signal, 4 tasks) per case vs the bare same-graph viewflow flow", "unit": "ms",
             "value": value * 1000, "baseline": same * 1000, "ratio": value / same, "target": "<= 2x",
             "holds": value / same <= 2,
             "baseline_is": "bench.flows.BareGraphFlow: CaseFlow's graph node for node, bare views, same user, "
                            "interleaved"},
            {"name": "VO case path (signal, 4 tasks) per case vs a bare 4-task viewflow flow", "unit": "ms",
             "value": value * 1000, "baseline": base * 1000, "ratio": value / base, "target": "reported",
             "holds": None, "baseline_is": "bare viewflow flow, 4 View nodes, same user, interleaved"},
            *[{"name": f"step {row['step']}: statements", "unit": "", "value": row["statements"], "baseline": 25,
               "ratio": row["statements"] / 25, "target": "<= 25 statements and 1 commit",
               "holds": row["statements"] <= 25 and row["commits"] == 1,
               "baseline_is": "the target's budget: 25 statements (commits apart, 1 expected), median of 3 cases",
               "step": row} for row in table]]


def step_cost(steps: dict, label: str, action):
    """Run one user-visible step, recording its statements, commits, ms in SQL and ms in Python."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    commits = {"n": 0}
    real_commit = connection.commit

    def counting_commit(*args, **kwargs):
        commits["n"] += 1
        return real_commit(*args, **kwargs)

    connection.commit = counting_commit
    try:
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            result = action()
            total = time.perf_counter() - started
    finally:
        del connection.commit
    sql_ms = sum(float(q["time"]) for q in ctx.captured_queries) * 1000
    # Django logs each COMMIT in the captured queries too: counted as commits, not as statements.
    statements = sum(1 for q in ctx.captured_queries if q["sql"].strip().upper() != "COMMIT")
    steps.setdefault(label, []).append({"statements": statements, "commits": commits["n"],
                                        "sql_ms": sql_ms, "python_ms": total * 1000 - sql_ms})
    return result


# --- 2. the big queue: a team with 10,000 open tasks among 100,000 cases ---------------------------


def bench_big_queue(cases: int, open_tasks: int, rounds: int) -> list[dict]:
    """p95 of the inbox pages for a member of the big team against the same pages for a member
    of a team with 20 open tasks, in the same database, interleaved request by request."""
    from bench import bigqueue
    from teams.models import User

    bigqueue.scenario(cases=cases, open_tasks=open_tasks)
    clients = {who: bigqueue.clients_for(User.objects.get(username=f"bench-{who}")) for who in ("big", "small")}
    pages = [("inbox HTML queue", "html", "/tasks/queue/"), ("inbox HTML team overview", "html", "/tasks/team/"),
             ("inbox API queue", "api", "/api/tasks/?scope=queue"),
             ("inbox API team overview", "api", "/api/tasks/?scope=team"),
             ("search API", "api", "/api/search/?q=naam123")]
    results = []
    for name, kind, url in pages:
        timings = {"big": [], "small": []}
        for who in timings:
            assert clients[who][kind].get(url).status_code == 200  # warm up
        for _ in range(rounds):
            for who in timings:
                started = time.perf_counter()
                clients[who][kind].get(url)
                timings[who].append(time.perf_counter() - started)
        value, base = p95(timings["big"]), p95(timings["small"])
        row = {"name": f"big queue: {name} p95, {open_tasks:,} open tasks among {cases:,} cases",
               "unit": "ms", "value": value * 1000, "baseline": base * 1000, "ratio": value / base,
               "target": "<= 1.5x", "holds": value / base <= 1.5,
               "baseline_is": "same page for a team with 20 open tasks, same database, interleaved"}
        if "search" in name:  # both teams have the same number of cases that match (bench.data.big_queue)
            found = {who: clients[who][kind].get(url).json()["count"] for who in timings}
            row |= {"matching": found, "baseline_is": f"same search for a team with 20 open tasks and as many "
                                                      f"matching cases ({found['small']} vs {found['big']}), "
                                                      f"same database, interleaved"}
        results.append(row)
    seq = []
    for name, kind, url in pages:
        seq += [(name, row["sql"][:80]) for row in bigqueue.explain_page(clients["big"], kind, url) if row["seq_scans"]]
    results.append({"name": "big queue: inbox and search queries with a sequential scan on a big table", "unit": "",
                    "value": len(seq), "baseline": 0, "ratio": None, "target": "0", "holds": not seq,
                    "baseline_is": "EXPLAIN ANALYZE of every query of the pages above", "found": seq})
    return results


# --- 3. the deadline sweep: bench/sweep.py (its own database) ------------------------------------


# --- 4. notification push to connected websocket clients ----------------------------------------


# --- 6. signal intake over HTTP -------------------------------------------------------------------


def run_load(mode: str, seconds: float) -> dict:
    """bin/load in `mode` on its own database (the benchmark database's name + "_load"): its summary."""
    import subprocess
    import tempfile

    url = os.environ["DATABASE_URL"].rstrip("/") + "_load"
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        env = {**os.environ, "LOAD_DATABASE_URL": url, "LOAD_REDIS_URL": os.environ.get("REDIS_URL", ""),
               "LOAD_SECONDS": str(seconds), "LOAD_JSON": out.name, "LOAD_MODE": mode}
        env.pop("CASEWORK_BENCH", None)
        subprocess.run([sys.executable, str(ROOT / "bin" / "load")], cwd=ROOT, env=env, check=False,
                       capture_output=True, text=True)
        return json.loads(Path(out.name).read_text() or "{}")


def bench_load(seconds: float) -> dict:
    """`make load` (open loop): the inbox's p95 for a one-client probe under 40 % of the measured
    capacity of 2 workers against the same probe idle, interleaved windows, 0 errors."""
    summary = run_load("open", seconds)
    errors = summary.get("errors", -1)
    pages = summary.get("pages", {})
    worst = max(pages, key=lambda page: pages[page]["ratio"], default=None)
    ratio = pages[worst]["ratio"] if worst else None
    return {"name": "make load: inbox p95 (HTML and API, one-client probe) at 40 % of 2 workers' capacity vs idle, "
                    f"worst page ({worst})",
            "unit": "ms", "value": pages[worst]["loaded_p95_ms"] if worst else float("nan"),
            "baseline": pages[worst]["idle_p95_ms"] if worst else None, "ratio": ratio,
            "target": "<= 2x and 0 errors", "holds": ratio is not None and ratio <= 2 and errors == 0,
            "baseline_is": "the same probe in idle windows interleaved with the loaded ones, same run (capacity "
                           "measured first, closed loop; Poisson arrivals with think time, bin/load open mode)",
            "errors": errors, "load": summary}


def bench_overload(seconds: float) -> dict:
    """`make load` in its overload mode (bin/load: 2 workers, 64 HTTP clients, websockets)."""
    summary = run_load("overload", seconds)
    errors = summary.get("errors", -1)
    kinds = summary.get("kinds", {})
    p95_ms = max((kind["p95_ms"] for name, kind in kinds.items() if not name.startswith("ws ")), default=0.0)
    return {"name": "make load (overload): 64 HTTP clients + 56 websockets on 2 workers, errors",
            "unit": "", "value": errors, "baseline": 0, "ratio": None, "target": "0 errors (an overload: p95 reported)",
            "holds": errors == 0, "p95_ms": p95_ms, "baseline_is": "none: an overload test counts errors only",
            "websocket_open_p95_ms": kinds.get("ws open+hello", {}).get("p95_ms"), "load": summary}


def guarded(name: str, bench, **kwargs) -> dict:
    """A benchmark that failed is a row that does not hold, with its error (the others still run)."""
    try:
        return bench(**kwargs)
    except Exception as error:  # noqa: BLE001 - reported in the table and results.json
        return {"name": f"{name} (FAILED)", "unit": "", "value": float("nan"), "baseline": None, "ratio": None,
                "target": "runs", "holds": False, "baseline_is": "none: the benchmark failed",
                "error": repr(error)[:300]}


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
    from bench import monitor

    quick = args.quick
    started = time.perf_counter()
    results = bench_case_path(5 if quick else 30)
    results += bench_big_queue(cases=10_000 if quick else 100_000, open_tasks=1_000 if quick else 10_000,
                               rounds=10 if quick else 40)
    results += sweep.rows(url, due=200 if quick else 1_000)
    results.append(guarded("notification push to websocket clients", bench_push, clients=100 if quick else 1_000))
    results += monitor.run(events=100_000 if quick else 1_000_000, rounds=3 if quick else 5)
    results.append(bench_intake(clients=32, windows=4 if quick else 10, seconds=2))
    results.append(bench_load(16 if quick else 80))
    results.append(bench_overload(5 if quick else 20))
    total = time.perf_counter() - started
    width = max(len(r["name"]) for r in results)
    print(f"\n{'benchmark':<{width}}  {'casework':>12}  {'baseline':>12}  {'ratio':>7}  target")
    for r in results:
        mark = {True: "holds", False: "MISSED", None: "-"}[r["holds"]]
        base = "" if r["baseline"] is None else f"{r['baseline']:>9.1f} {r['unit']:<3}"
        ratio = "" if r["ratio"] is None else f"{r['ratio']:>6.2f}x"
        print(f"{r['name']:<{width}}  {r['value']:>9.1f} {r['unit']:<3}{base:>13}{ratio:>8}  {r['target']} {mark}")
    steps = [r["step"] for r in results if "step" in r]
    if steps:
        print(f"\n{'step':<28} {'statements':>10} {'commits':>8} {'SQL ms':>8} {'Python ms':>10}")
        for row in steps:
            print(f"{row['step']:<28} {row['statements']:>10.0f} {row['commits']:>8.0f} {row['sql_ms']:>8.1f} "
                  f"{row['python_ms']:>10.1f}")
    print(f"\n{len(results)} rows in {total:.0f} s ({'quick' if quick else 'full'} run)")
    rows = [{key: r.get(key) for key in ("name", "value", "baseline", "ratio", "target", "holds")}
            | {key: value for key, value in r.items() if key not in ("name", "value", "baseline", "ratio", "target",
                                                                       "holds")}
            for r in results]
    RESULTS.write_text(json.dumps({"quick": quick, "seconds": total, "results": rows}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
