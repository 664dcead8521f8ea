"""API tokens with a lifecycle: every sign-in a new token (stored as a digest) that expires a fixed
time after it was issued; logout and logout-all; a password change, a second-factor reset (the
command and the admin's action) and a deactivation end every token of the user; the account page
lists your own tokens and revokes one (another's is a 404); the admin never shows a key; the
migration drops the old plain-text tokens. Tokens are asked for through the real endpoint with a
real second factor (a backup code), and used against the real API."""

import datetime as dt
import importlib
import re

import pytest
import time_machine
from django.apps import apps as django_apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from casework.models import AccessLog
from signin.devices import new_backup_codes
from signin.models import ApiToken
from tests.browser import (
    axe_violations,
    chromium,
    live_asgi_server,
    log_in,
    overflows_at,
    usable_passwords,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

V1_TOKEN = "/api/v1/auth/token"
LEGACY_TOKEN = "/api/auth/token/"
SOME_CALL = "/api/v1/notifications"  # any call every user may make


def sign_in(demo, user, *, path=V1_TOKEN, agent="casework-tests/1.0") -> dict:
    """A token from the real endpoint: password and a backup code (the second factor)."""
    answer = APIClient().post(path, {"username": user.username, "password": demo["password"],
                                     "otp": new_backup_codes(user)[0]}, format="json", HTTP_USER_AGENT=agent)
    assert answer.status_code == 200, answer.content
    return answer.json()


def with_token(token: str | None) -> APIClient:
    client = APIClient()
    if token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def works(token: str) -> bool:
    answer = with_token(token).get(SOME_CALL)
    assert answer.status_code in (200, 401), answer.content
    if answer.status_code == 401:
        assert answer["Content-Type"] == "application/problem+json" and answer.json()["status"] == 401
    return answer.status_code == 200


def token_ends(user) -> list[str]:
    return list(AccessLog.objects.filter(user=user, action="logout").order_by("pk").values_list("detail", flat=True))


def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory(username="beheerder", is_staff=True, is_superuser=True))
    return client


def test_each_sign_in_gives_a_new_token_that_expires_a_fixed_time_after_it_was_issued(demo, u):
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        first, second = sign_in(demo, u["aoj"]), sign_in(demo, u["aoj"])
        assert set(first) == {"token", "expiresAt"} and first["token"] != second["token"]
        assert dt.datetime.fromisoformat(first["expiresAt"]) == start + dt.timedelta(hours=10)
        assert first["expiresAt"].endswith(("+01:00", "+02:00"))  # Europe/Amsterdam, as every moment
        legacy = sign_in(demo, u["aoj"], path=LEGACY_TOKEN)
        assert set(legacy) == {"token"}  # the deprecated path keeps its answer
        assert len({first["token"], second["token"], legacy["token"]}) == 3

    rows = ApiToken.objects.filter(user=u["aoj"])
    assert rows.count() == 3
    for row in rows:  # only a digest is kept, never the token
        assert {row.digest, row.token_key} & {first["token"], second["token"], legacy["token"]} == set()
        assert row.expiry == start + dt.timedelta(hours=10)
    for hours in (2, 5, 9.9):  # in use all day: never renewed
        with time_machine.travel(start + dt.timedelta(hours=hours), tick=False):
            assert works(first["token"]) and works(legacy["token"])
    with time_machine.travel(start + dt.timedelta(hours=10, seconds=1), tick=False):
        assert not works(first["token"]) and not works(second["token"]) and not works(legacy["token"])
        assert not ApiToken.objects.filter(user=u["aoj"]).exists()  # an expired token is removed when met
        assert works(sign_in(demo, u["aoj"])["token"])  # then sign in again


def test_a_wrong_token_is_a_401_whatever_it_holds(demo, u):
    token = sign_in(demo, u["aoj"])["token"]
    for wrong in ("Token stale", f"Token {token[:-1]}0" if token[-1] != "0" else f"Token {token[:-1]}1",
                  "Token é", "Token \u00ff\u00fe", f"Token {token} extra", "Token", f"Token {'a' * 5000}"):
        answer = APIClient().get(SOME_CALL, HTTP_AUTHORIZATION=wrong)
        assert answer.status_code == 401 and answer["Content-Type"] == "application/problem+json", wrong
        assert answer["WWW-Authenticate"] == "Token", wrong
    assert works(token)


def test_the_lifetime_follows_the_setting(demo, u, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": dt.timedelta(hours=2)}
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        token = sign_in(demo, u["leerplicht"])
        assert dt.datetime.fromisoformat(token["expiresAt"]) == start + dt.timedelta(hours=2)
    with time_machine.travel(start + dt.timedelta(hours=2, seconds=1), tick=False):
        assert not works(token["token"])


def test_logout_ends_this_token_and_logout_all_every_token_of_the_user(demo, u):
    laptop, phone, script = (sign_in(demo, u["aoj"])["token"] for _ in range(3))
    colleague = sign_in(demo, u["aoj_2"])["token"]

    ended = with_token(laptop).post("/api/v1/auth/logout")
    assert ended.status_code == 204 and ended["API-Version"] == "1.0.0"
    assert not works(laptop) and works(phone) and works(script) and works(colleague)
    again = with_token(laptop).post("/api/v1/auth/logout")
    assert again.status_code == 401 and again["Content-Type"] == "application/problem+json"

    anonymous = APIClient().post("/api/v1/auth/logout-all")
    assert anonymous.status_code == 401 and anonymous.json()["status"] == 401
    session = APIClient()
    session.force_login(u["aoj"])  # a browser session is no token: it signs out at /logout/
    assert session.post("/api/v1/auth/logout-all").status_code == 401
    assert works(phone)

    everywhere = with_token(phone).post("/api/v1/auth/logout-all")
    assert everywhere.status_code == 204
    assert not works(phone) and not works(script) and works(colleague)
    assert len(token_ends(u["aoj"])) == 2 and "api logout-all" in token_ends(u["aoj"])[-1]
    assert token_ends(u["aoj_2"]) == []


def test_a_password_change_ends_every_token_and_other_saves_do_not(demo, u):
    aoj, kept = sign_in(demo, u["aoj"])["token"], sign_in(demo, u["aoj_2"])["token"]
    user = u["aoj_2"]
    user.first_name = "Anders"
    user.save()  # a save that changes no password
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])  # what every sign-in writes
    assert works(kept)

    user = u["aoj"]
    user.set_password("Een-nieuw-wachtwoord-2026")
    user.save()
    assert not works(aoj) and works(kept)
    assert "password changed" in token_ends(u["aoj"])[-1]


def test_a_password_set_in_the_admin_ends_every_token(demo, u):
    token = sign_in(demo, u["kindteam"])["token"]
    changed = admin_client().post(f"/admin/teams/user/{u['kindteam'].pk}/password/", {
        "password1": "Nieuw-wachtwoord-voor-2026", "password2": "Nieuw-wachtwoord-voor-2026",
        "usable_password": "true"})
    assert changed.status_code == 302, changed.content.decode()[-2000:]
    assert not works(token)


def test_a_second_factor_reset_ends_every_token_by_command_and_by_the_admin_action(demo, u):
    lost_phone, other = sign_in(demo, u["ect"])["token"], sign_in(demo, u["ect_2"])["token"]
    bystander = sign_in(demo, u["aoj"])["token"]
    call_command("reset_second_factor", u["ect"].username, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not works(lost_phone) and works(other) and works(bystander)
    assert "second factor reset by manage.py" in token_ends(u["ect"])[-1]

    done = admin_client().post("/admin/teams/user/", {"action": "reset_second_factor",
                                                      "_selected_action": [u["ect_2"].pk]})
    assert done.status_code == 302
    assert not works(other) and works(bystander)
    assert "second factor reset by beheerder" in token_ends(u["ect_2"])[-1]


def test_deactivation_ends_every_token_for_good(demo, u):
    token = sign_in(demo, u["mpl_chair"])["token"]
    user = u["mpl_chair"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert not works(token)
    user.is_active = True
    user.save()
    assert not works(token)  # coming back does not bring the old token back
    assert "account deactivated" in token_ends(user)[-1]


def test_the_account_page_lists_your_tokens_and_records_their_last_use(demo, u, client):
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        script = sign_in(demo, u["aoj"], agent="rooster-koppeling/2.1")["token"]
        sign_in(demo, u["aoj"], agent="")
        theirs = sign_in(demo, u["aoj_2"], agent="iemand-anders/9.9")["token"]
    client.force_login(u["aoj"])
    with time_machine.travel(start + dt.timedelta(minutes=5), tick=False):
        page = client.get("/account/")
        text = page.content.decode()
    assert page.status_code == 200 and "<h2 id=\"api-keys-heading\">API-sleutels</h2>" in text

    mine = list(ApiToken.objects.filter(user=u["aoj"]).order_by("created", "id"))
    other = ApiToken.objects.get(user=u["aoj_2"])
    assert f'id="api-key-{mine[0].pk}"' in text and f'id="api-key-{mine[1].pk}"' in text
    assert "rooster-koppeling/2.1" in text and "onbekend" in text and "nog niet" in text
    assert f'id="api-key-{other.pk}"' not in text and "iemand-anders" not in text
    assert script not in text and theirs not in text and mine[0].digest not in text
    assert 'href="/account/"' in text  # the top bar leads here

    used = start + dt.timedelta(minutes=10)
    for moment, recorded in ((used, used), (used + dt.timedelta(seconds=30), used),  # at most once a minute
                             (used + dt.timedelta(seconds=61), used + dt.timedelta(seconds=61))):
        with time_machine.travel(moment, tick=False):
            assert works(script)
        mine[0].refresh_from_db()
        assert mine[0].last_used == recorded, moment
    with time_machine.travel(used + dt.timedelta(minutes=2), tick=False):
        text = client.get("/account/").content.decode()
    assert f'datetime="{timezone.localtime(mine[0].last_used).isoformat()}"' in text

    # An expired token is no longer listed (signed in anew: the session itself has ended by then).
    with time_machine.travel(start + dt.timedelta(hours=11), tick=False):
        client.force_login(u["aoj"])
        text = client.get("/account/").content.decode()
    assert "U heeft geen API-sleutels die nog werken." in text and f"api-key-{mine[0].pk}" not in text


def test_revoking_a_token_on_the_account_page_only_your_own(demo, u):
    mine = sign_in(demo, u["leerplicht"])["token"]
    theirs = sign_in(demo, u["aoj"])["token"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(u["leerplicht"])
    answer = client.get("/account/")
    assert answer.status_code == 200
    page = answer.content.decode()

    my_row, their_row = ApiToken.objects.get(user=u["leerplicht"]), ApiToken.objects.get(user=u["aoj"])
    revoke = f"/account/api-keys/{my_row.pk}/revoke/"
    assert f'action="{revoke}"' in page
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    assert client.get(revoke).status_code == 405  # only a POST revokes
    assert client.post(revoke).status_code == 403  # and only with the form's CSRF token
    refused = client.post(f"/account/api-keys/{their_row.pk}/revoke/", data={"csrfmiddlewaretoken": csrf})
    assert refused.status_code == 404  # another user's token is as good as absent
    for absent in (987654, 2**63, 10**30):  # none, or out of the database's range: 404 all the same
        assert client.post(f"/account/api-keys/{absent}/revoke/", data={"csrfmiddlewaretoken": csrf}).status_code == 404
    assert works(mine) and works(theirs)

    done = client.post(revoke, data={"csrfmiddlewaretoken": csrf})
    assert done.status_code == 302 and done["Location"] == "/account/"
    assert not works(mine) and works(theirs)
    text = client.get("/account/").content.decode()
    assert "De API-sleutel is ingetrokken: hij werkt niet meer." in text and f"api-key-{my_row.pk}" not in text
    assert "revoked on the account page" in token_ends(u["leerplicht"])[-1]
    assert client.post(revoke, data={"csrfmiddlewaretoken": csrf}).status_code == 404  # gone


def test_the_account_page_and_logout_as_every_role(demo, u):
    assert {"swv_director", "privacy_officer", "leerplicht", "outsider"} <= set(u)
    for role, user in u.items():
        client = Client()
        client.force_login(user)
        page = client.get("/account/")
        assert page.status_code == 200, role
        assert "<h1>Mijn account</h1>" in page.content.decode(), role
    from signin.tokens import issue_token

    issued = {role: issue_token(user, client=f"script van {role}") for role, user in u.items()}
    rows = {role: row for role, (row, _text) in issued.items()}
    for role, user in u.items():
        client = Client()
        client.force_login(user)
        text = client.get("/account/").content.decode()
        assert user.username in text, role
        assert f'id="api-key-{rows[role].pk}"' in text and f"script van {role}<" in text, role
        assert all(f'id="api-key-{row.pk}"' not in text for other, row in rows.items() if other != role), role
        token = issued[role][1]
        assert works(token), role
        assert with_token(token).post("/api/v1/auth/logout").status_code == 204, role
        assert not works(token), role
    assert Client().get("/account/")["Location"].startswith("/login/")  # signed in only


def test_the_admin_shows_no_key(demo, u):
    token = sign_in(demo, u["aoj"])["token"]
    admin = admin_client()
    index = admin.get("/admin/").content.decode()
    assert "/admin/authtoken/" not in index and "/admin/signin/apitoken/" in index
    assert admin.get("/admin/authtoken/tokenproxy/").status_code == 404  # DRF's list of keys is gone

    row = ApiToken.objects.get(user=u["aoj"])
    for url in ("/admin/signin/apitoken/", f"/admin/signin/apitoken/{row.pk}/change/",
                f"/admin/signin/apitoken/?q={u['aoj'].username}"):
        page = admin.get(url)
        text = page.content.decode()
        assert page.status_code == 200, url
        assert token not in text and token[:15] not in text and row.digest not in text, url
        assert row.token_key not in text and row.digest[:15] not in text, url
    assert admin.get("/admin/signin/apitoken/add/").status_code == 403  # no token is made here
    deleted = admin.post(f"/admin/signin/apitoken/{row.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302 and not works(token)
    assert "ended in the admin by beheerder" in token_ends(u["aoj"])[-1]


def test_the_document_describes_the_tokens_life():
    document = Client().get("/api/v1/openapi.json").json()
    token = document["components"]["schemas"]["Token"]
    assert token["required"] == ["token", "expiresAt"] and token["properties"]["expiresAt"]["format"] == "date-time"
    scheme = document["components"]["securitySchemes"]["tokenAuth"]
    assert scheme["in"] == "header" and "expiresAt" in scheme["description"]
    for path, operation_id in (("/auth/logout", "logOut"), ("/auth/logout-all", "logOutAll")):
        operation = document["paths"][path]["post"]
        assert operation["operationId"] == operation_id and operation["security"] == [{"tokenAuth": []}]
        # 400 (an unknown parameter), 409 and 422 (Idempotency-Key, which every POST but signing in takes)
        assert set(operation["responses"]) == {"204", "400", "401", "409", "422", "429"}
        assert "application/problem+json" in operation["responses"]["401"]["content"]


@pytest.mark.django_db(transaction=True)
def test_the_migration_drops_the_plain_text_tokens():
    user = UserFactory(username="oud")
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {quote('authtoken_token')} ({quote('key')} varchar(40) PRIMARY KEY, "
                       f"{quote('created')} varchar(40), {quote('user_id')} integer)")
        cursor.execute(f"INSERT INTO {quote('authtoken_token')} VALUES (%s, %s, %s)",  # noqa: S608 - a test table
                       ["0123456789abcdef0123456789abcdef01234567", "2026-01-01", user.pk])
    MigrationRecorder(connection).record_applied("authtoken", "0001_initial")
    old = ContentType.objects.create(app_label="authtoken", model="token")
    Permission.objects.create(content_type=old, codename="view_token", name="Can view token")
    migration = importlib.import_module("signin.migrations.0002_drop_plain_text_tokens")
    for _ in range(2):  # and again: nothing left to do
        with connection.schema_editor() as editor:
            migration.drop_plain_text_tokens(django_apps, editor)
        assert "authtoken_token" not in connection.introspection.table_names()
        assert not MigrationRecorder(connection).migration_qs.filter(app="authtoken").exists()
        assert not ContentType.objects.filter(app_label="authtoken").exists()
        assert not Permission.objects.filter(codename="view_token").exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_account_page_meets_wcag_and_reflows(demo, u, settings):
    from signin.tokens import issue_token

    usable_passwords(settings, ["aoj"], demo["password"])  # before the tokens: a new password ends them
    first, _ = issue_token(u["aoj"], client="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                                            "Chrome/131.0.0.0 Safari/537.36 rooster-koppeling/2.1")
    issue_token(u["aoj"])
    with live_asgi_server() as base_url, chromium() as browser:
        page = browser.new_context(locale="en-GB", bypass_csp=True).new_page()  # Dutch whatever the browser says
        log_in(page, base_url, "aoj", demo["password"])
        page.click("#nav-account")
        page.wait_for_url(f"{base_url}/account/")
        assert page.evaluate("document.documentElement.lang") == "nl"
        for width in (1280, 320):
            page.set_viewport_size({"width": width, "height": 900})
            assert axe_violations(page) == [], width
        assert overflows_at(page, 320) == []
        page.set_viewport_size({"width": 1280, "height": 900})
        page.click(f"#api-key-{first.pk} button[type=submit]")
        page.wait_for_selector(".messages li", timeout=15000)
        assert page.locator(".token-list li").count() == 1 and not page.locator(f"#api-key-{first.pk}").count()
        assert axe_violations(page) == []
        assert overflows_at(page, 320) == []


def test_a_request_with_a_token_reads_one_token_row(demo, u):
    """Authenticating costs one query (the token with its user), however many tokens the user has,
    expired ones too: those are removed when the user signs in again, and refused if used before."""
    start = timezone.now()
    old = sign_in(demo, u["aoj"])["token"]
    with time_machine.travel(start + dt.timedelta(hours=11), tick=False):
        token = sign_in(demo, u["aoj"])["token"]  # the expired one is removed by this sign-in
        assert ApiToken.objects.filter(user=u["aoj"]).count() == 1
        sign_in(demo, u["aoj"])
        with CaptureQueriesContext(connection) as queries:
            assert with_token(token).get(SOME_CALL).status_code == 200
        reads = [query["sql"] for query in queries.captured_queries
                 if "signin_apitoken" in query["sql"] and query["sql"].startswith("SELECT")]
        assert len(reads) == 1, reads
        assert not works(old)
