"""`make load`'s open-loop mode (the default): the desk's latency at a realistic load.

Against the servers bin/load started (two ASGI workers, a Celery worker), in one run:

1. capacity: CAPACITY_CLIENTS clients run the desk's sessions back to back (closed loop, no think
   time) for CAPACITY_SECONDS; capacity is the requests per second they completed;
2. windows, alternately idle and loaded (idle, loaded, idle, loaded, ...): in a loaded window
   sessions arrive by a Poisson process at LOAD_SHARE (default 0.4) of that capacity in requests
   per second, each session running on its own whatever the others do (open loop), with think
   time between its steps; after a loaded window its sessions finish and the outbox drains before
   the next idle window starts;
3. all the while a one-client probe reads the inbox, the HTML page /tasks/queue/ and the API
   /api/tasks/?scope=queue in turn, PROBE_GAP seconds apart; a reading counts for the window it
   started and ended in (none while a window drains).

A session is a reader's (60 %: one inbox read, the page or the API in turn) or an actor's (40 %:
signal a case, think, read the team's queue, think, complete the case's team review). The
result: the probe's p95 per page idle and loaded, their ratio (target: loaded <= 2x idle) and the
errors (target: 0). No project import: this runs outside Django, over HTTP only.
"""

import asyncio
import datetime as dt
import os
import random
import time

CAPACITY_CLIENTS = int(os.environ.get("LOAD_CAPACITY_CLIENTS", "16"))
CAPACITY_SECONDS = float(os.environ.get("LOAD_CAPACITY_SECONDS", "6"))
SHARE = float(os.environ.get("LOAD_SHARE", "0.4"))
THINK = float(os.environ.get("LOAD_THINK", "1.0"))  # mean seconds between an actor's steps (exponential)
WINDOWS = int(os.environ.get("LOAD_WINDOWS", "4"))  # idle + loaded pairs
PROBE_GAP = float(os.environ.get("LOAD_PROBE_GAP", "0.05"))
READER_SHARE = 0.6
PROBE_PAGES = {"inbox HTML": "/tasks/queue/", "inbox API": "/api/tasks/?scope=queue"}


def pct(values, share):
    """The `share` percentile of `values` (seconds) in ms."""
    values = sorted(values)
    return values[min(len(values) - 1, int(share * len(values)))] * 1000 if values else float("nan")


class Desk:
    """The desk's requests over one HTTP client: a reader's and an actor's session, each request
    timed and counted (an answer of 400 or more, or none, is an error)."""

    def __init__(self, http, bases, demo, tokens):
        self.http, self.bases, self.demo = http, bases, demo
        self.api = {name: {"Authorization": f"Token {token}"} for name, token in tokens.items()}
        self.errors, self.requests, self.latencies = 0, 0, []
        self.error_kinds: dict[str, int] = {}
        self.turn = 0

    async def timed(self, request, record=True):
        started = time.perf_counter()
        try:
            response = await request
            ok, kind = response.status_code < 400, f"HTTP {response.status_code}"
        except Exception as error:  # noqa: BLE001 - any failure of a request is an error of the run
            response, ok, kind = None, False, type(error).__name__
        if record:
            self.requests += 1
            self.latencies.append(time.perf_counter() - started)
            if not ok:
                self.error(kind)
        return response if ok else None

    def error(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1

    def base(self):
        self.turn += 1
        return self.bases[self.turn % len(self.bases)]

    async def read(self, n):
        if n % 2:
            return await self.timed(self.http.get(f"{self.base()}/tasks/queue/"))
        return await self.timed(self.http.get(f"{self.base()}/api/tasks/?scope=queue", headers=self.api["aoj_2"]))

    async def act(self, n, think):
        here, headers = self.base(), self.api["aoj"]
        response = await self.timed(self.http.post(f"{here}/api/cases/", headers=headers, json={
            "child": {"given_name": "Load", "family_name": f"Open-{n}-{time.time_ns()}", "birth_date": "2012-03-03"},
            "school": self.demo["schools"]["vo"], "sector": "vo", "registration": "lrv", "category": "onbekend",
            "absent_since": (dt.date.today() - dt.timedelta(days=40)).isoformat(), "signaller_role": "school"}))
        if response is None:
            return
        case_id = response.json()["id"]
        await think()
        # newest first: the case's task is on the first page however long the queue has grown
        tasks = await self.timed(self.http.get(f"{here}/api/tasks/?scope=queue&node=team_review&sort=-created",
                                               headers=headers))
        task = next((t for t in tasks.json()["results"] if t["case"] == case_id), None) if tasks else None
        if task is None:
            self.error("task not in the queue")
            return
        await think()
        await self.timed(self.http.post(f"{here}/api/tasks/{task['id']}/complete/", headers=headers,
                                        json={"plan": "Laadtest", "routes": ["jim"]}))

    async def session(self, n, rng, think_mean):
        async def think():
            if think_mean:
                await asyncio.sleep(rng.expovariate(1 / think_mean))
        if rng.random() < READER_SHARE:
            await self.read(n)
        else:
            await self.act(n, think)


async def capacity(desk: Desk) -> float:
    """Requests per second that CAPACITY_CLIENTS clients complete running sessions back to back."""
    rng = random.Random(1)
    stop_at = time.perf_counter() + CAPACITY_SECONDS
    before = desk.requests

    async def client(c):
        n = 0
        while time.perf_counter() < stop_at:
            n += 1
            await desk.session(c * 100_000 + n, rng, 0)

    started = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(CAPACITY_CLIENTS)))
    return (desk.requests - before) / (time.perf_counter() - started)


async def run(http, bases, demo, tokens, *, seconds: float, settle) -> dict:
    """The capacity, then WINDOWS idle/loaded pairs of `seconds / (2 * WINDOWS)` each with the probe;
    `settle` (a coroutine function) waits until the outbox has drained. `http` carries the session
    of aoj_2 (signed in) for the HTML page; `tokens` are the API tokens of aoj (actor) and aoj_2."""
    desk = Desk(http, bases, demo, tokens)
    probe = Desk(http, bases, demo, tokens)
    for base in bases:  # each worker has answered both pages before the clock starts
        await probe.timed(http.get(f"{base}/tasks/queue/"), record=False)
        await probe.timed(http.get(f"{base}/api/tasks/?scope=queue", headers=probe.api["aoj_2"]), record=False)
    measured = await capacity(desk)
    capacity_errors = desk.errors
    await settle()
    rate = SHARE * measured  # requests per second
    per_session = READER_SHARE + (1 - READER_SHARE) * 3
    session_rate = rate / per_session
    window = seconds / (2 * WINDOWS)
    readings = {state: {page: [] for page in PROBE_PAGES} for state in ("idle", "loaded")}
    phase = {"id": 0, "state": None}
    done = asyncio.Event()

    async def prober():
        turn = 0
        while not done.is_set():
            turn += 1
            page = list(PROBE_PAGES)[turn % 2]
            mark = dict(phase)
            started = time.perf_counter()
            if page == "inbox HTML":
                answer = await probe.timed(http.get(f"{probe.base()}{PROBE_PAGES[page]}"))
            else:
                answer = await probe.timed(http.get(f"{probe.base()}{PROBE_PAGES[page]}",
                                                    headers=probe.api["aoj_2"]))
            took = time.perf_counter() - started
            if answer is not None and mark["state"] and phase["id"] == mark["id"]:
                readings[mark["state"]][page].append(took)
            await asyncio.sleep(PROBE_GAP)

    rng = random.Random(2)
    load_requests = desk.requests
    load_latencies = len(desk.latencies)
    probing = asyncio.create_task(prober())
    for w in range(2 * WINDOWS):
        loaded = w % 2 == 1
        phase.update(id=phase["id"] + 1, state="loaded" if loaded else "idle")
        stop_at = time.perf_counter() + window
        if not loaded:
            await asyncio.sleep(window)
            continue
        sessions, n = [], 0
        while (gap := rng.expovariate(session_rate)) < stop_at - time.perf_counter():
            await asyncio.sleep(gap)
            n += 1
            sessions.append(asyncio.create_task(desk.session(w * 1_000_000 + n, rng, THINK)))
        await asyncio.sleep(max(0.0, stop_at - time.perf_counter()))
        phase.update(id=phase["id"] + 1, state=None)  # draining: the probe's readings do not count
        await asyncio.gather(*sessions)
        await settle()
    done.set()
    await probing
    pages = {}
    for page in PROBE_PAGES:
        idle, busy = readings["idle"][page], readings["loaded"][page]
        pages[page] = {"idle_p95_ms": pct(idle, .95), "loaded_p95_ms": pct(busy, .95), "idle_p50_ms": pct(idle, .5),
                       "loaded_p50_ms": pct(busy, .5), "readings": [len(idle), len(busy)],
                       "ratio": pct(busy, .95) / pct(idle, .95) if idle and busy else float("nan")}
    loaded_time = window * WINDOWS
    return {"mode": "open", "capacity_per_s": measured, "capacity_clients": CAPACITY_CLIENTS, "share": SHARE,
            "rate_per_s": rate, "achieved_per_s": (desk.requests - load_requests) / loaded_time,
            "think_s": THINK, "windows": WINDOWS, "window_s": window, "pages": pages,
            "load_p50_ms": pct(desk.latencies[load_latencies:], .5), "load_p95_ms": pct(desk.latencies[load_latencies:], .95),
            "errors": desk.errors + probe.errors, "capacity_errors": capacity_errors,
            "error_kinds": {**desk.error_kinds, **{f"probe {k}": n for k, n in probe.error_kinds.items()}},
            "worst_ratio": max(page["ratio"] for page in pages.values())}


def report(result: dict) -> None:
    print(f"\nload (open loop): capacity {result['capacity_per_s']:.1f} req/s ({result['capacity_clients']} clients, "
          f"closed loop); offered {result['rate_per_s']:.1f} req/s ({result['share']:.0%}), achieved "
          f"{result['achieved_per_s']:.1f} req/s, think {result['think_s']:g} s; {result['windows']} idle + "
          f"{result['windows']} loaded windows of {result['window_s']:.1f} s")
    print(f"{'probe':<12} {'idle p50':>9} {'idle p95':>9} {'load p50':>9} {'load p95':>9} {'ratio':>6} readings")
    for page, row in result["pages"].items():
        print(f"{page:<12} {row['idle_p50_ms']:>9.1f} {row['idle_p95_ms']:>9.1f} {row['loaded_p50_ms']:>9.1f} "
              f"{row['loaded_p95_ms']:>9.1f} {row['ratio']:>5.2f}x {row['readings']}")
    print(f"load requests p50 {result['load_p50_ms']:.1f} ms, p95 {result['load_p95_ms']:.1f} ms")
    print(f"errors: {result['errors']} {result['error_kinds'] or ''}")
