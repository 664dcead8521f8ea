"""Event subscriptions: a connected system subscribes with a callback URL, and every case event it
may see is pushed there as a CloudEvent (NL GOV profile), signed by Standard Webhooks, in order per
case, until the receiver answers 2xx.

The receiver is a real HTTP server on 127.0.0.1 in a thread: it answers the webhook handshake,
verifies every POST with `standardwebhooks.Webhook(secret).verify`, can fail the first tries of an
event, and records every try. Retries are driven by moving time (time-machine) and calling the
beat's task, never by sleeping."""

import threading
from base64 import b64encode
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient
from standardwebhooks import Webhook, WebhookVerificationError

from casework.models import Case, CaseEvent
from systems import clients, delivery, outbox, scopes, webhooks
from systems.models import Delivery, Subscription
from systems.tasks import deliver_due, deliver_stream
from teams.models import School
from tests.factories import signal_payload
from tests.flowkit import signal, users

pytestmark = pytest.mark.django_db

ALL_SCOPES = [scopes.CASES_READ, scopes.EVENTS_READ, scopes.SUBSCRIPTIONS_MANAGE]
SECOND_CHILD = {"given_name": "Daan", "family_name": "Anderskind", "pupil_number": "L-2002"}


class Receiver:
    """A webhook receiver: `fail[event id]` = how many more tries of that event it answers 500
    (`fail_first`: so many for the first event it is sent); `tries` every POST as (event id,
    webhook-id, status); `accepted` the events it took, in order; `gate`: when given, each POST
    waits for it (after setting `arrived`)."""

    def __init__(self, *, agrees: bool = True):
        self.agrees = agrees
        self.secret = None
        self.fail: dict[str, int] = {}
        self.fail_first = 0
        self.answers: list[tuple[int, dict]] = []  # forced answers to the next POSTs (status, headers)
        self.arrived = threading.Event()
        self.tries: list[tuple[str, str, int]] = []
        self.accepted: list[dict] = []
        self.bodies: list[bytes] = []
        self.headers: list[dict] = []
        self.gate: threading.Event | None = None
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/events"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_OPTIONS(self):  # noqa: N802 - http.server's name
                origin = self.headers.get("WebHook-Request-Origin")
                self.send_response(200 if receiver.agrees and origin else 403)
                if receiver.agrees and origin:
                    self.send_header("WebHook-Allowed-Origin", origin)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.arrived.set()
                if receiver.gate is not None:
                    receiver.gate.wait(30)
                headers = dict(self.headers.items())
                try:
                    event = Webhook(receiver.secret).verify(body, headers)
                except WebhookVerificationError:
                    return self._answer(401)
                receiver.bodies.append(body)
                receiver.headers.append(headers)
                if receiver.fail_first and not receiver.tries:
                    receiver.fail[event["id"]] = receiver.fail_first
                if receiver.answers:
                    status, extra = receiver.answers.pop(0)
                    receiver.tries.append((event["id"], headers["webhook-id"], status))
                    return self._answer(status, extra)
                if receiver.fail.get(event["id"], 0) > 0:
                    receiver.fail[event["id"]] -= 1
                    receiver.tries.append((event["id"], headers["webhook-id"], 500))
                    return self._answer(500)
                receiver.tries.append((event["id"], headers["webhook-id"], 204))
                receiver.accepted.append(event)
                return self._answer(204)

            def _answer(self, status, extra=None):
                self.send_response(status)
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler

    def accepted_ids(self, case_id=None) -> list[int]:
        return [int(e["id"]) for e in self.accepted if case_id is None or e["subject"] == str(case_id)]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(**kwargs):
        made.append(Receiver(**kwargs))
        return made[-1]

    yield make
    for one in made:
        one.close()


def vo_region(demo) -> int:
    return School.objects.get(pk=demo["schools"]["vo"]).region_id


def connect(regions, granted=ALL_SCOPES, name="Leerlingvolgsysteem Noord"):
    """A registered system and an API client with its bearer token (client credentials)."""
    system, secret = clients.register(name=name, organisation="school", organisation_name="Scholengroep Noord",
                                      regions=regions, scopes=ALL_SCOPES, auth_method="client_secret_basic")
    basic = b64encode(f"{system.application.client_id}:{secret}".encode()).decode()
    answer = APIClient().post("/api/v1/oauth/token", {"grant_type": "client_credentials", "scope": " ".join(granted)},
                              HTTP_AUTHORIZATION=f"Basic {basic}")
    assert answer.status_code == 200, answer.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {answer.json()['access_token']}")
    return system, client


def subscribe(client, receiver, **body):
    answer = client.post("/api/v1/subscriptions", {"callbackUrl": receiver.url, **body}, format="json")
    assert answer.status_code == 201, answer.content
    receiver.secret = answer.json()["secret"]
    return answer


def events_of(case) -> list[int]:
    return list(CaseEvent.objects.filter(case=case).order_by("pk").values_list("pk", flat=True))


def test_events_arrive_signed_in_order_once_each_with_no_personal_data(demo, api, receiver):
    u = users(demo)
    hook = receiver()
    system, client = connect([vo_region(demo)])
    created = subscribe(client, hook)
    assert created["Location"] == f"/api/v1/subscriptions/{created.json()['id']}"
    assert webhooks.valid_secret(created.json()["secret"]) and "secret" not in client.get(
        created["Location"]).json()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        # The first event of the first case fails twice: it holds the rest of its case, not the other case.
        hook.fail_first = 2
        case = signal(api, u["aoj"], demo["schools"]["vo"])
        ids = events_of(case)
        assert list(hook.fail) == [str(ids[0])] and len(ids) >= 2
        other = signal(api, u["aoj"], demo["schools"]["vo_2"], **SECOND_CHILD)
        assert hook.accepted_ids(case.pk) == [] and hook.accepted_ids(other.pk) == events_of(other)
        head = Delivery.objects.get(event_id=ids[0])
        assert (head.status, head.attempts, head.last_status) == ("pending", 1, 500)
        assert head.next_attempt_at == start + timedelta(seconds=30)
        assert set(Delivery.objects.filter(event_id__in=ids[1:]).values_list("attempts", flat=True)) == {0}

        assert deliver_due() == 0  # not due yet
        clock.shift(timedelta(seconds=30))
        assert deliver_due() == 1
        head.refresh_from_db()
        assert (head.attempts, head.next_attempt_at) == (2, start + timedelta(seconds=60))  # 30 s later
        clock.shift(timedelta(seconds=30))
        deliver_due()
        assert hook.accepted_ids(case.pk) == ids  # in order, the held ones after the head
        clock.shift(timedelta(hours=2))
        assert deliver_due() == 0
    assert sorted(hook.accepted_ids()) == sorted(set(hook.accepted_ids()))  # each event once
    head_tries = [webhook_id for event_id, webhook_id, _ in hook.tries if event_id == str(ids[0])]
    assert len(head_tries) == 3 and len(set(head_tries)) == 1 and head_tries[0] == head.webhook_id
    assert Delivery.objects.filter(subscription__system=system).exclude(status="delivered").count() == 0

    envelope = next(e for e in hook.accepted if e["subject"] == str(case.pk))
    assert envelope == {
        "specversion": "1.0", "id": str(ids[0]), "source": "urn:nld:oin:00000000000000000000:systeem:casework",
        "type": "nl.casework.case.signalled", "time": envelope["time"], "subject": str(case.pk),
        "datacontenttype": "application/json", "dataref": f"http://127.0.0.1:8000/api/v1/cases/{case.pk}",
        "data": {"caseId": case.pk, "eventId": ids[0], "kind": "signalled"}}
    assert envelope["time"].endswith("Z")
    assert all(set(e["data"]) == {"caseId", "eventId", "kind"} for e in hook.accepted)
    assert all(h["Content-Type"].startswith("application/cloudevents+json") for h in hook.headers)
    child = Case.objects.select_related("child").get(pk=case.pk).child
    secrets_of_the_child = [child.given_name, child.family_name, child.birth_date.isoformat(),
                            child.birth_date.strftime("%d-%m-%Y"), "L-1001", "Synthetisch", *SECOND_CHILD.values()]
    for body in hook.bodies:
        assert not any(text.encode() in body for text in secrets_of_the_child)


def test_a_case_outside_the_systems_regions_is_never_sent(demo, api, receiver):
    u = users(demo)
    hook = receiver()
    _, client = connect([vo_region(demo)])
    subscribe(client, hook)
    # The kindteam's signal is forwarded to the responsible team (202, no id): the case is the PO school's.
    answer = api(u["kindteam"]).post("/api/cases/", signal_payload(School.objects.get(pk=demo["schools"]["po"]), given_name="Pim",
                                                                    family_name="Poolkind", pupil_number="L-3003"),
                                     format="json")
    assert answer.status_code in (201, 202), answer.content
    po_case = Case.objects.get(school_id=demo["schools"]["po"])
    assert len(events_of(po_case)) >= 2
    vo_case = signal(api, u["aoj"], demo["schools"]["vo"])
    assert not Delivery.objects.filter(case_id=po_case.pk).exists()
    assert hook.accepted_ids(po_case.pk) == [] and hook.accepted_ids(vo_case.pk) == events_of(vo_case)
    # The subscription's own filters narrow further: only one type, only one school.
    narrow_hook = receiver()
    _, narrow = connect([vo_region(demo)], name="Tweede systeem")
    subscribe(narrow, narrow_hook, eventTypes=["nl.casework.case.signalled"], schools=[demo["schools"]["vo_2"]])
    signal(api, u["aoj"], demo["schools"]["vo"], **{**SECOND_CHILD, "given_name": "Eva"})
    later = signal(api, u["aoj"], demo["schools"]["vo_2"], **SECOND_CHILD)
    assert [e["subject"] for e in narrow_hook.accepted] == [str(later.pk)]
    assert [e["type"] for e in narrow_hook.accepted] == ["nl.casework.case.signalled"]


def test_a_failing_event_is_marked_failed_after_a_day_then_the_rest_goes_on_and_it_can_be_sent_again(
        demo, api, receiver):
    u = users(demo)
    hook = receiver()
    _, client = connect([vo_region(demo)])
    subscription = subscribe(client, hook).json()["id"]
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        hook.fail_first = 10 ** 6
        case = signal(api, u["aoj"], demo["schools"]["vo"])
        assert list(hook.fail) == [str(events_of(case)[0])]
        assert api(u["aoj"]).post(f"/api/v1/cases/{case.pk}/notes", {"text": "Gesprek met moeder gepland."},
                                  format="json").status_code == 201
        ids = events_of(case)
        tries = 0
        while Delivery.objects.get(event_id=ids[0]).status == "pending":
            clock.shift(Delivery.objects.get(event_id=ids[0]).next_attempt_at - timezone.now())
            deliver_due()
            tries += 1
            assert tries < 40
        failed = Delivery.objects.get(event_id=ids[0])
        assert failed.status == "failed" and failed.failed_at == start + delivery.GIVE_UP_AFTER
        assert hook.accepted_ids(case.pk) == ids[1:]  # the rest went on, in order
        assert all(status == 500 for event_id, _, status in hook.tries if event_id == str(ids[0]))
    # Back in the present (the system's token has a lifetime of minutes), the system looks and sends it again.
    listing = client.get(f"/api/v1/subscriptions/{subscription}/deliveries", {"status": "failed"}).json()
    assert [(row["eventId"], row["status"], row["lastStatus"], row["webhookId"]) for row in listing["results"]] == [
        (ids[0], "failed", 500, failed.webhook_id)]
    assert listing["results"][0]["eventType"] == "nl.casework.case.signalled"
    assert listing["results"][0]["nextAttemptAt"] is None
    assert client.get(f"/api/v1/subscriptions/{subscription}/deliveries", {"status": "nope"}).status_code == 400

    hook.fail.clear()
    again = client.post(f"/api/v1/subscriptions/{subscription}/deliveries/{failed.pk}/redeliver")
    assert again.status_code == 202 and again.json()["status"] == "delivered"
    assert hook.tries[-1] == (str(ids[0]), failed.webhook_id, 204)  # the same webhook-id
    resent = client.post(f"/api/v1/subscriptions/{subscription}/deliveries/{failed.pk}/redeliver")
    assert resent.status_code == 202 and resent.json()["attempts"] == failed.attempts + 2
    assert hook.tries[-1] == (str(ids[0]), failed.webhook_id, 204)
    assert client.post(f"/api/v1/subscriptions/{subscription}/deliveries/987654/redeliver").status_code == 404


def test_a_busy_receiver_is_waited_for_and_a_retired_one_ends_its_subscription(demo, api, receiver):
    u = users(demo)
    hook = receiver()
    _, client = connect([vo_region(demo)])
    subscription = subscribe(client, hook).json()["id"]
    hook.answers = [(429, {"Retry-After": "600"})]
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        case = signal(api, u["aoj"], demo["schools"]["vo"])
        head = Delivery.objects.filter(case_id=case.pk).order_by("event_id").first()
        assert (head.last_status, head.next_attempt_at) == (429, start + timedelta(seconds=600))
        clock.shift(timedelta(seconds=599))
        assert deliver_due() == 0
        clock.shift(timedelta(seconds=1))
        assert deliver_due() == 1
        assert hook.accepted_ids(case.pk) == events_of(case)
        hook.answers = [(410, {})]
        other = signal(api, u["aoj"], demo["schools"]["vo_2"], **SECOND_CHILD)
        clock.shift(timedelta(hours=1))
        assert deliver_due() == 0
    assert Subscription.objects.get(pk=subscription).ended_at is not None
    assert hook.accepted_ids(other.pk) == []
    assert [status for event_id, _, status in hook.tries if int(event_id) in events_of(other)] == [410]


def test_the_handshake_the_scheme_and_the_filters_are_checked_before_a_subscription_exists(
        demo, receiver, settings):
    _, client = connect([vo_region(demo)])
    refusing = receiver(agrees=False)
    answer = client.post("/api/v1/subscriptions", {"callbackUrl": refusing.url}, format="json")
    assert answer.status_code == 400 and [p["name"] for p in answer.json()["invalidParams"]] == ["callbackUrl"]
    assert "stemde niet in" in answer.json()["invalidParams"][0]["reason"]  # in the caller's language (Dutch)
    hook = receiver()
    for body, field in [({"eventTypes": ["nl.casework.case.nothing"]}, "eventTypes"),
                        ({"regions": [School.objects.get(pk=demo["schools"]["po"]).region_id]}, "regions"),
                        ({"schools": [demo["schools"]["po"]]}, "schools"),
                        ({"secret": "whsec_c2hvcnQ="}, "secret"),
                        ({"callbackUrl": "https://user:pw@example.org/events"}, "callbackUrl"),
                        ({"callbackUrl": "ftp://example.org/events"}, "callbackUrl")]:
        answer = client.post("/api/v1/subscriptions", {"callbackUrl": hook.url, **body}, format="json")
        assert answer.status_code == 400 and answer.json()["invalidParams"][0]["name"].split(".")[0] == field, body
    settings.CASEWORK_WEBHOOK_ALLOW_HTTP = False
    answer = client.post("/api/v1/subscriptions", {"callbackUrl": hook.url}, format="json")
    assert answer.status_code == 400 and answer.json()["invalidParams"][0]["name"] == "callbackUrl"
    assert not Subscription.objects.exists()
    settings.CASEWORK_WEBHOOK_ALLOW_HTTP = True
    given = webhooks.new_secret()
    assert subscribe(client, hook, secret=given).json()["secret"] == given


def test_only_systems_with_the_scopes_manage_their_own_subscriptions(demo, api, receiver):
    u = users(demo)
    hook = receiver()
    mine, client = connect([vo_region(demo)])
    theirs, other = connect([vo_region(demo)], name="Ander systeem")
    subscription = subscribe(client, hook).json()["id"]
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    row = Delivery.objects.filter(subscription_id=subscription).first().pk
    urls = [("get", f"/api/v1/subscriptions/{subscription}"), ("get", f"/api/v1/subscriptions/{subscription}/deliveries"),
            ("post", f"/api/v1/subscriptions/{subscription}/deliveries/{row}/redeliver"),
            ("delete", f"/api/v1/subscriptions/{subscription}")]
    for method, url in urls:
        assert getattr(other, method)(url).status_code == 404, url  # another system's: as if it did not exist
        assert getattr(api(u["aoj"]), method)(url).status_code == 403, url  # a person
    assert other.get("/api/v1/subscriptions").json()["results"] == []
    assert api(u["aoj"]).get("/api/v1/subscriptions").status_code == 403
    _, reader = connect([vo_region(demo)], granted=[scopes.CASES_READ], name="Lezer")
    assert reader.get("/api/v1/subscriptions").status_code == 403
    _, manager = connect([vo_region(demo)], granted=[scopes.SUBSCRIPTIONS_MANAGE], name="Beheerder")
    assert manager.get("/api/v1/subscriptions").status_code == 200
    assert manager.post("/api/v1/subscriptions", {"callbackUrl": hook.url}, format="json").status_code == 403
    # Ending it: nothing more is written or sent; a redelivery is refused.
    assert client.delete(f"/api/v1/subscriptions/{subscription}").status_code == 204
    assert client.get(f"/api/v1/subscriptions/{subscription}").json()["status"] == "ended"
    before = len(hook.tries)
    signal(api, u["aoj"], demo["schools"]["vo_2"], **SECOND_CHILD)
    assert len(hook.tries) == before and Delivery.objects.filter(subscription_id=subscription).count() == len(
        events_of(case))
    assert client.post(f"/api/v1/subscriptions/{subscription}/deliveries/{row}/redeliver").status_code == 409
    # A system that lost events:read, or was switched off, gets nothing written, whatever its subscriptions.
    subscribe(other, receiver())
    mine.scopes = scopes.SUBSCRIPTIONS_MANAGE
    mine.save(update_fields=["scopes"])
    subscribe(client, hook)
    clients.end(theirs)
    signal(api, u["aoj"], demo["schools"]["vo_2"], **{**SECOND_CHILD, "given_name": "Fenna"})
    assert not Delivery.objects.filter(event__case__child__given_name="Fenna").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql  # row locks: PostgreSQL (SQLite runs the delivery eagerly, in turn)
def test_two_workers_never_deliver_one_stream_at_once(demo, api, receiver, monkeypatch):
    u = users(demo)
    hook = receiver()
    _, client = connect([vo_region(demo)])
    subscription = subscribe(client, hook).json()["id"]
    queued = []
    monkeypatch.setattr(outbox, "queue_streams", queued.extend)  # the two workers below deliver it
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    assert queued == [(subscription, case.pk)]
    hook.gate, counts = threading.Event(), []

    def worker():
        try:
            counts.append(deliver_stream(subscription, case.pk))
        finally:
            connection.close()

    first = threading.Thread(target=worker)
    first.start()
    assert hook.arrived.wait(30)  # the first worker holds the head while its receiver waits
    counts.append(deliver_stream(subscription, case.pk))  # the second finds it locked and leaves
    assert counts == [0]
    hook.gate.set()
    first.join(30)
    assert sorted(counts) == [0, len(events_of(case))]
    assert hook.accepted_ids(case.pk) == events_of(case)
