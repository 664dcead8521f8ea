"""The big-queue scenario: a team with 10,000 open tasks among 100,000 cases, its inbox pages
(HTML and API), team overview and search, each query EXPLAINed (ANALYZE) and checked for
sequential scans on the big tables.

`python -m bench.bigqueue` (DATABASE_URL on PostgreSQL: the database is created afresh) prints
each page's queries with their plan's time and any sequential scan; `bench.run` uses `pages`,
`scenario` and `explain_page`.
"""

import argparse
import os
import re
import sys
import time

from bench.common import django_setup, setup_database

BIG_TABLES = ("workflows_casetask", "casework_case", "casework_caseparticipant", "casework_caseevent",
              "casework_child", "viewflow_process")


def pages():
    """(name, how to fetch it with a logged-in HTML client and an authenticated API client)."""
    return [
        ("inbox HTML queue", "html", "/tasks/queue/"),
        ("inbox HTML team overview", "html", "/tasks/team/"),
        ("inbox HTML my work", "html", "/tasks/focus/"),
        ("inbox API queue", "api", "/api/tasks/?scope=queue"),
        ("inbox API team overview", "api", "/api/tasks/?scope=team"),
        ("search API", "api", "/api/search/?q=naam123"),
        ("search HTML", "html", "/search/?q=naam123"),
    ]


def scenario(*, cases: int, open_tasks: int) -> dict:
    from bench import data

    return data.big_queue(cases=cases, open_tasks=open_tasks)


def clients_for(user):
    from django.test import Client
    from rest_framework.test import APIClient

    from signin.factors import FACTOR_AT, FACTOR_METHOD  # the session passed the second factor

    html, api = Client(), APIClient()
    html.force_login(user)
    session = html.session
    session[FACTOR_METHOD], session[FACTOR_AT] = "bench", time.time()
    session.save()
    api.force_authenticate(user)
    return {"html": html, "api": api}


def explain_page(clients, kind: str, url: str) -> list[dict]:
    """Every SELECT the page runs, EXPLAIN (ANALYZE)d: its time and the big tables it scans sequentially."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    clients[kind].get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = clients[kind].get(url)
    assert response.status_code == 200, (url, response.status_code)
    found = []
    with connection.cursor() as cursor:
        for query in ctx.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT") or not any(t in sql for t in BIG_TABLES):
                continue
            cursor.execute("EXPLAIN (ANALYZE, FORMAT TEXT) " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            seq = sorted(set(re.findall(r"Seq Scan on (\w+)", plan)) & set(BIG_TABLES))
            total = float(re.search(r"Execution Time: ([\d.]+)", plan).group(1))
            found.append({"sql": sql, "plan": plan, "ms": total, "seq_scans": seq})
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--plans", action="store_true", help="print every plan")
    parser.add_argument("--reuse", action="store_true", help="keep the database (scenario already built)")
    args = parser.parse_args(argv)
    if not args.reuse:
        setup_database(os.environ["DATABASE_URL"])
    django_setup(migrate=not args.reuse)
    from teams.models import User

    if not args.reuse:
        scenario(cases=args.cases, open_tasks=args.open)
    worst = 0
    for who in ("bench-big", "bench-small"):
        clients = clients_for(User.objects.get(username=who))
        for name, kind, url in pages():
            rows = explain_page(clients, kind, url)
            print(f"\n== {who}: {name} ({url}): {len(rows)} queries on big tables, "
                  f"{sum(r['ms'] for r in rows):.1f} ms in plans")
            for row in rows:
                mark = f"  SEQ SCAN {row['seq_scans']}" if row["seq_scans"] else ""
                worst += bool(row["seq_scans"])
                print(f"  {row['ms']:8.2f} ms  {row['sql'][:150]}{mark}")
                if args.plans or row["seq_scans"] or row["ms"] > 5:
                    print("    " + row["plan"].replace("\n", "\n    "))
    print(f"\n{worst} queries with a sequential scan on a big table")
    return 0 if worst == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
