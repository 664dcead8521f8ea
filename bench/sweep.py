"""1,000 simultaneous breaches in one beat: `due` 48-hour clocks (a Monday morning of cases nobody
reviewed) run out at once, and one `workflows.sweep.sweep` (what the beat runs every 60 s) acts
on all of them. Runs in its own database (the bench database's name + `_sweep`), built afresh:
migrations, the demo's reference data, `due` open VO cases of the demo school's AOJ-team, each
with a running `team_action_48h` clock due a minute ago.

Reports the sweep's wall time against the 60-second beat interval, its statements and SQL time
per breach, that every clock was acted on exactly once, and (separately, as the Celery worker
would do it after the sweep has committed) the time to fan out the sweep's notifications.

`python -m bench.sweep` prints the rows; `bench.run` calls `rows()` (a subprocess, because this
benchmark has its own database).
"""

import json
import os
import subprocess
import sys
import time
from urllib.parse import urlparse

from bench.common import ROOT, django_setup, setup_database

BEAT_SECONDS = 60.0


def rows(database_url: str, due: int) -> list[dict]:
    """Run this benchmark in a subprocess on `<database>_sweep`; its result rows."""
    parsed = urlparse(database_url)
    url = parsed._replace(path=parsed.path.rstrip("/") + "_sweep").geturl()
    env = {**os.environ, "DATABASE_URL": url, "CASEWORK_BENCH": "1", "DEBUG": "0"}
    done = subprocess.run([sys.executable, "-m", "bench.sweep", "--due", str(due), "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return [{"name": f"{due:,} simultaneous breaches, one sweep (FAILED)", "unit": "", "value": float("nan"),
                 "baseline": None, "ratio": None, "target": "runs", "holds": False,
                 "baseline_is": "none: the benchmark failed", "error": done.stderr[-600:]}]


class Counter:
    """Counts statements and their time through the connection's execute wrapper (cheap: no
    debug cursor, no copies of the SQL)."""

    def __init__(self):
        self.statements, self.seconds, self.by_verb = 0, 0.0, {}

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.statements += 1
            verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
            self.by_verb[verb] = self.by_verb.get(verb, 0) + 1


def build(due: int, kind: str) -> None:
    from django.db import connection
    from django.utils import timezone

    from bench import data
    from teams.models import School, Team, User

    school = School.objects.get(brin="99AA")
    team = Team.objects.get(school=school, kind=Team.Kind.AOJ)
    first, last = data.bulk_cases(due, school=school, team=team, signaller=User.objects.get(username="aoj"),
                                  tag="sweep")
    # Each case's clock (48 hours: signalled 49 hours ago) due a minute ago; the warning was given.
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO casework_deadline (kind, sequence, due_at, warn_at, warned_at, stop_reason, case_id)
               SELECT %(kind)s, 1, %(now)s - interval '60 seconds', %(now)s - interval '1 day', %(now)s - interval '1 day',
                      '', id
               FROM casework_case WHERE id BETWEEN %(first)s AND %(last)s""",
            {"kind": kind, "now": now, "first": first, "last": last})
    data.analyze()


LABELS = {"team_action_48h": "48-hour", "offer_3_months": "three-month (each escalates)"}


def measure(due: int, kind: str = "team_action_48h") -> list[dict]:
    from django.db import connection
    from django.utils import timezone

    from casework.clocks import Kind
    from casework.models import CaseEvent, CaseParticipant, Deadline
    from notifications import delivery
    from notifications.models import Notification, OutboxEntry
    from workflows.sweep import sweep

    build(due, kind)
    counter = Counter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        done = sweep(timezone.now())
        elapsed = time.perf_counter() - started
    breached = Deadline.objects.filter(kind=kind, breached_at__isnull=False).count()
    events = CaseEvent.objects.filter(kind=CaseEvent.Kind.DEADLINE_BREACHED).count()
    exactly_once = done["breached"] == breached == events == due
    if kind == Kind.TEAM_ACTION_48H:  # the region's ECT joined each case once
        exactly_once &= CaseParticipant.objects.filter(team__kind="ect").values("case").distinct().count() == due
    else:  # each case escalated once
        exactly_once &= CaseEvent.objects.filter(kind=CaseEvent.Kind.ESCALATED).count() == due
    pending = list(OutboxEntry.objects.filter(fanned_out_at__isnull=True).values_list("pk", flat=True))
    fanning = Counter()
    with connection.execute_wrapper(fanning):
        started = time.perf_counter()
        for batch in range(0, len(pending), 100):  # as the Celery worker does, after the sweep's commits
            delivery.fan_out_many(pending[batch:batch + 100])
        fan_out = time.perf_counter() - started
    notifications = Notification.objects.filter(kind="deadline_breached").count()
    return [
        {"name": f"{due:,} simultaneous {LABELS[kind]} breaches, one sweep (the beat's task)", "unit": "s",
         "value": elapsed, "baseline": BEAT_SECONDS, "ratio": elapsed / BEAT_SECONDS,
         "target": "<= 60 s (one beat interval)", "holds": elapsed <= BEAT_SECONDS and exactly_once,
         "baseline_is": "the 60-second beat interval", "breached": done["breached"], "exactly_once": exactly_once,
         "statements": counter.statements, "statements_per_breach": counter.statements / due,
         "sql_s": counter.seconds, "python_s": elapsed - counter.seconds, "by_verb": counter.by_verb,
         "outbox_entries": len(pending)},
        {"name": f"fan-out of that sweep's notifications ({len(pending):,} outbox entries, in-process)", "unit": "s",
         "value": fan_out, "baseline": None, "ratio": None, "target": "reported", "holds": None,
         "baseline_is": "none: reported (the breach row above holds the sweep to its beat interval)",
         "notifications": notifications, "per_entry_ms": fan_out * 1000 / max(1, len(pending)),
         "statements_per_entry": fanning.statements / max(1, len(pending)), "sql_s": fanning.seconds,
         "by_verb": fanning.by_verb},
    ]


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--kind", choices=sorted(LABELS), default="team_action_48h")
    parser.add_argument("--json", action="store_true", help="print the rows as one JSON line at the end")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("bench.sweep needs DATABASE_URL pointing to PostgreSQL (its own database).", file=sys.stderr)
        return 2
    setup_database(url)
    django_setup()
    results = measure(args.due, args.kind)
    for row in results:
        print(f"{row['name']}: {row['value']:.2f} {row['unit']}"
              + (f" (target {row['target']}: {'holds' if row['holds'] else 'MISSED'})" if row["holds"] is not None
                 else ""), file=sys.stderr)
        extra = {k: v for k, v in row.items() if k not in ("name", "value", "unit", "baseline", "ratio", "target",
                                                            "holds", "baseline_is")}
        print(f"  {extra}", file=sys.stderr)
    if args.json:
        print(json.dumps(results, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
