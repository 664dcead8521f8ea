"""SQLite as a real embedded default: twelve parallel writers against live servers on one SQLite
file (as `make run` sets it up: the server beside other processes writing the same file) get no
"database is locked" 500: WAL, IMMEDIATE transactions and a busy timeout (casework.settings). On
the PostgreSQL run the same twelve writers check the production database the same way."""

import json
import threading
import urllib.error
import urllib.request
from contextlib import ExitStack

import pytest

from casework.models import Case
from signin.tokens import issue_token
from teams.models import School
from tests.browser import live_server_with_output
from tests.factories import signal_payload
from tests.flowkit import users

pytestmark = pytest.mark.django_db(transaction=True)
WRITERS = 12
SIGNALS_EACH = 4
SERVERS = 3


def post_json(url: str, body: dict, token: str) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={  # noqa: S310
        "Content-Type": "application/json", "Authorization": f"Token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (loopback)
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_twelve_parallel_writers_get_no_server_error(demo, tmp_path):
    u = users(demo)
    school = School.objects.get(pk=demo["schools"]["vo"])
    tokens = [issue_token(u[name])[1] for name in ("aoj", "aoj_2")]
    with ExitStack() as stack:
        bases = []
        for n in range(SERVERS):
            (tmp_path / str(n)).mkdir()
            base, _output = stack.enter_context(live_server_with_output(tmp_path / str(n)))
            bases.append(base)
        barrier = threading.Barrier(WRITERS)
        statuses: list[int] = []

        def writer(index: int) -> None:
            barrier.wait(timeout=60)
            for k in range(SIGNALS_EACH):
                payload = signal_payload(school, given_name=f"Schrijver{index}x{k}", pupil_number=f"P-{index}-{k}")
                statuses.append(post_json(f"{bases[index % SERVERS]}/api/cases/", payload, tokens[index % 2]))

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    assert len(statuses) == WRITERS * SIGNALS_EACH
    assert [status for status in statuses if status >= 500] == []
    assert statuses.count(201) == WRITERS * SIGNALS_EACH
    assert Case.objects.count() == WRITERS * SIGNALS_EACH
