"""The benchmarks that go over the wire: websocket push to many clients and HTTP signal intake
under concurrent clients (`bench.run` calls them). Project imports sit inside the functions:
Django is set up by `bench.run.main` only after it has chosen the benchmark database."""

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from importlib import import_module

from bench.common import ROOT, demo_users, p95


def bench_push(clients: int, rounds: int = 5) -> dict:
    """p95 from commit to receipt for one notification to each of `clients` connected users, against
    a raw channel_layer.group_send of the same message to the same clients."""
    from asgiref.sync import async_to_sync
    from channels.db import database_sync_to_async
    from channels.layers import get_channel_layer
    from channels.routing import URLRouter
    from channels.testing import WebsocketCommunicator
    from django.conf import settings
    from django.db import transaction

    from casework.celery import app as celery_app
    from casework.models import Case
    from notifications.delivery import group_for
    from notifications.models import Notification
    from notifications.routing import websocket_urlpatterns
    from notifications.services import notify
    from signin.factors import FACTOR_METHOD
    from teams.models import Membership, Team, User

    team = Team.objects.get(kind="ect", region__name="SWV VO Stad Demo")
    existing = set(User.objects.filter(username__startswith="bench-ws-").values_list("pk", flat=True))
    if len(existing) < clients:
        made = User.objects.bulk_create([User(username=f"bench-ws-{n}") for n in range(len(existing), clients)])
        Membership.objects.bulk_create([Membership(user=user, team=team) for user in made])
    listeners = list(User.objects.filter(username__startswith="bench-ws-").order_by("pk")[:clients])
    case = Case.objects.filter(participants__team__kind="aoj").first()
    from casework.models import CaseParticipant

    CaseParticipant.objects.get_or_create(case=case, team=team, defaults={"reason": "consult"})
    app = URLRouter(websocket_urlpatterns)

    def signed_in_session(user):
        """A stored session of `user` that passed the second factor, as a signed-in browser's (the
        consumer checks it before each delivery)."""
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session.update({"_auth_user_id": str(user.pk), FACTOR_METHOD: "totp"})
        session.save()
        return session

    async def run():
        communicators = []
        for user in listeners:
            communicator = WebsocketCommunicator(app, "/ws/notifications/")
            communicator.scope["user"] = user
            communicator.scope["session"] = await database_sync_to_async(signed_in_session)(user)
            connected, _ = await communicator.connect()
            assert connected
            await communicator.receive_json_from(timeout=10)  # hello
            communicators.append(communicator)

        async def receipt_times():
            async def one(communicator):
                await communicator.receive_json_from(timeout=60)
                return time.perf_counter()
            return await asyncio.gather(*(one(c) for c in communicators))

        layer = get_channel_layer()
        message = {"type": "notification.message", "id": 0, "kind": "raw", "case": case.pk, "task": None,
                   "unread": 0}
        frame = {"type": "websocket.send", "text": json.dumps({"type": "notification", "id": 0, "kind": "raw",
                                                                "case": case.pk, "task": None, "unread": 0})}

        def ours():
            started = time.perf_counter()  # the fan-out runs at commit, inside this call
            with transaction.atomic():
                notify(kind=Notification.Kind.CASE_CLOSED, case=case)
            return started

        def raw():
            started = time.perf_counter()
            for user in listeners:
                async_to_sync(layer.group_send)(group_for(user.pk), message)
            return started

        async def harness():
            """The frames put straight into each communicator's output queue: only the benchmark's
            own receiving (its event loop awaiting 1,000 communicators), no product, no layer."""
            started = time.perf_counter()
            for communicator in communicators:
                communicator.output_queue.put_nowait(frame)
            return started

        sides = (("raw", raw), ("ours", ours), ("harness", None))
        results = {name: [] for name, _ in sides}
        for n in range(rounds):  # interleaved, the order turning each round
            for name, action in sides[n % 3:] + sides[:n % 3]:
                waiting = asyncio.ensure_future(receipt_times())
                await asyncio.sleep(0)
                started = await (harness() if action is None else database_sync_to_async(action)())
                received = await waiting
                results[name].append(p95([t - started for t in received]))
        for communicator in communicators:
            await communicator.disconnect()
        return results

    # The fan-out (the Celery task the outbox queues) runs in this process, as the worker would run
    # it: the bench has no worker consuming the broker.
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        results = async_to_sync(run)()
    finally:
        celery_app.conf.task_always_eager = eager
    gross, base_gross, cost = (statistics.median(results[name]) for name in ("ours", "raw", "harness"))
    value, base = gross - cost, base_gross - cost
    return {"name": f"notification push to {clients:,} websocket clients, p95 commit to receipt, harness subtracted",
            "unit": "ms", "value": value * 1000, "baseline": base * 1000, "ratio": value / base, "target": "<= 2x",
            "holds": value / base <= 2,
            "baseline_is": f"raw channel_layer.group_send of the same message to the same clients (through the same "
                           f"consumer); {rounds} rounds interleaved, median of each round's p95; the harness's own "
                           f"cost (frames put straight into the {clients:,} communicators' queues, received the "
                           f"same way) measured in the same rounds and subtracted from both sides",
            "ours_gross_ms": gross * 1000, "raw_gross_ms": base_gross * 1000, "harness_ms": cost * 1000,
            "rounds_ms": {name: [v * 1000 for v in values] for name, values in results.items()}}


# --- 5. the quarterly monitor at volume ----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def window(http, url: str, make_request, clients: int, seconds: float) -> tuple[int, int]:
    """One window: `clients` concurrent clients for `seconds`; only requests that completed inside
    the window count (a request still in flight at its end is awaited, then left out)."""
    import httpx

    ok = errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(w):
        nonlocal ok, errors
        n = 0
        while time.perf_counter() < deadline:
            n += 1
            method, kwargs = make_request(w, n)
            try:
                response = await http.request(method, url, **kwargs)
                good = response.status_code < 400
            except httpx.HTTPError:
                good = False
            if time.perf_counter() <= deadline:
                ok += good
                errors += not good

    await asyncio.gather(*(worker(w) for w in range(clients)))
    return ok, errors


def bench_intake(clients: int, windows: int, seconds: float) -> dict:
    """Signal intake over HTTP against a DRF view with token auth and the same throttles that
    validates the same payload (a signal-shaped serializer) and writes and returns its row in a
    transaction, on the same server (bin/serve, DEBUG off), in interleaved short
    windows: the median rate of each side."""
    from signin.tokens import issue_token
    from teams.models import School

    users = demo_users()
    token = issue_token(users["aoj"])[1]
    school = School.objects.get(brin="99AA")
    port = free_port()
    env = {**os.environ, "CASEWORK_BENCH": "1", "DEBUG": "0", "CASEWORK_THROTTLE_USER": "1000000/min",
           "CASEWORK_THROTTLE_ANON": "1000000/min"}
    server = subprocess.Popen([sys.executable, str(ROOT / "bin" / "serve"), "-b", "127.0.0.1", "-p", str(port),
                               "casework.asgi:application"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    headers = {"Authorization": f"Token {token}"}

    def signal_request(w, n):
        return "POST", {"json": {
            "child": {"given_name": "Bench", "family_name": f"Intake{w}-{n}-{time.time_ns()}",
                      "birth_date": "2012-04-01"},
            "school": school.pk, "sector": "vo", "registration": "lrv", "category": "onbekend",
            "absent_since": (date.today() - timedelta(days=40)).isoformat(), "signaller_role": "school"},
            "headers": headers}


    async def run():
        import httpx

        base = f"http://127.0.0.1:{port}"
        limits = httpx.Limits(max_connections=clients * 2, max_keepalive_connections=clients * 2)
        rates = {"ours": [], "base": []}
        errors = {"ours": 0, "base": 0}
        async with httpx.AsyncClient(timeout=30, limits=limits) as http:
            await window(http, f"{base}/bench/drf-signal/", signal_request, 4, 1)  # warm up both
            await window(http, f"{base}/api/cases/", signal_request, 4, 1)
            for n in range(windows):
                order = (("base", "/bench/drf-signal/", signal_request), ("ours", "/api/cases/", signal_request))
                for side, path, make in (order if n % 2 == 0 else order[::-1]):
                    ok, failed = await window(http, base + path, make, clients, seconds)
                    rates[side].append(ok / seconds)
                    errors[side] += failed
        return rates, errors

    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        rates, errors = asyncio.run(run())
    finally:
        server.terminate()
        server.wait(timeout=10)
    ours, baseline = statistics.median(rates["ours"]), statistics.median(rates["base"])
    ratio = ours / baseline if baseline else 0.0
    return {"name": f"signal intake over HTTP, {clients} clients, {windows} x {seconds:g} s windows each, median",
            "unit": "req/s", "value": ours, "baseline": baseline, "ratio": ratio, "target": ">= 0.3x",
            "holds": baseline > 0 and ratio >= 0.3 and errors["ours"] == 0,
            "baseline_is": "DRF view (bench.views.SignalBaselineDRF), token auth and throttles, validating the same "
                           "payload (nested child: names, birth date; school looked up; choices; dates) and "
                           "answering 201 with the created row (all its fields), one transaction, same server, "
                           "interleaved windows",
            "errors": errors, "windows": rates}
