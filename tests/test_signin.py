"""Two factors through the real pages: enrolment on the first sign-in (authenticator app, then
backup codes), verification with a code generated the way an app does (pyotp), backup codes that
work once, the API token's `otp`, re-authentication before exports, a new session key once the
second factor is passed (the key seen with the password alone no longer works), the session's
absolute lifetime, the demo exemption and the sign-in events in the access log. No test-client shortcut:
every test here signs in by posting the login form (marked `real_second_factor`)."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from pyotp import TOTP

from casework.models import AccessLog
from casework.services.privacy import search_access_log
from signin.devices import new_backup_codes
from signin.views import base32_secret
from teams.models import User
from tests.factories import PASSWORD, CaseFactory, RegionRoleFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.real_second_factor]
AFTER_THROTTLE = dt.timedelta(seconds=2)  # django-otp holds the next try 2**(failures-1) s after a failure


def sign_in(client, username="member", password=PASSWORD, next_url=""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/login/", data)


def totp_device(user) -> str:
    return base32_secret(TOTPDevice.objects.create(user=user, name="app", confirmed=True))


def actions(user) -> list[str]:
    return list(AccessLog.objects.filter(user=user).order_by("pk").values_list("action", flat=True))


def test_first_sign_in_enrols_an_authenticator_app_then_shows_backup_codes(member, vo_school):
    case = CaseFactory(school=vo_school)
    client = Client()
    response = sign_in(client)
    assert response.status_code == 302
    # the password alone reaches no page: the case itself sends the user to enrol
    page = client.get(f"/cases/{case.pk}/")
    assert page.status_code == 302 and page["Location"].startswith("/signin/enrol/")
    enrol = client.get(page["Location"])
    html = enrol.content.decode()
    assert enrol.status_code == 200 and 'lang="nl"' in html and "Tweede factor instellen" in html
    assert "data:image/svg+xml" in html  # the QR code, inline (no image request, CSP img-src data:)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', html).group(1)
    assert client.get("/signin/enrol/").content.decode().count(secret) == 1  # the same secret on reload

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        wrong = client.post("/signin/enrol/", {"code": "000000", "next": f"/cases/{case.pk}/"})
        assert wrong.status_code == 200 and "Deze code klopt niet" in wrong.content.decode()
    with time_machine.travel(start + AFTER_THROTTLE, tick=False):  # a failure holds the next try 1 s
        done = client.post("/signin/enrol/", {"code": TOTP(secret).now(), "next": f"/cases/{case.pk}/"})
    assert done.status_code == 302 and done["Location"].startswith("/signin/backup-codes/")
    codes_page = client.get(done["Location"]).content.decode()
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", codes_page)
    assert len(codes) == 10
    assert "backup-codes" not in client.get("/signin/backup-codes/").content.decode().split("<main")[1].split(
        'id="continue"')[0].replace("Make new", "")  # shown once
    assert client.get(f"/cases/{case.pk}/").status_code == 200
    assert actions(member)[:3] == ["login", "factor_enrolled", "factor_verified"]


def test_a_user_with_an_app_types_its_code_and_lands_where_they_were_going(member, vo_school):
    case = CaseFactory(school=vo_school)
    secret = totp_device(member)
    client = Client()
    sign_in(client, next_url=f"/cases/{case.pk}/")
    to_verify = client.get(f"/cases/{case.pk}/")
    assert to_verify["Location"] == f"/signin/verify/?next=%2Fcases%2F{case.pk}%2F"
    page = client.get(to_verify["Location"]).content.decode()
    assert "Tweede factor" in page and 'autocomplete="one-time-code"' in page
    assert 'href="/cases/"' not in page  # no navigation to the case pages before the second factor
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        wrong = client.post("/signin/verify/", {"code": "123456", "next": f"/cases/{case.pk}/"})
        assert "Deze code klopt niet" in wrong.content.decode()
    with time_machine.travel(start + AFTER_THROTTLE, tick=False):
        right = client.post("/signin/verify/", {"code": TOTP(secret).now(), "next": f"/cases/{case.pk}/"})
    assert right.status_code == 302 and right["Location"] == f"/cases/{case.pk}/"
    assert client.get(f"/cases/{case.pk}/").status_code == 200
    assert actions(member) == ["login", "login_failed", "factor_verified", "view"]
    verified = AccessLog.objects.get(user=member, action="factor_verified")
    assert verified.detail == "totp" and verified.shown_regions == f",{vo_school.region_id},"


def test_a_code_is_used_once_and_a_backup_code_works_once(member):
    secret = totp_device(member)
    first = Client()
    sign_in(first)
    code = TOTP(secret).now()
    assert first.post("/signin/verify/", {"code": code})["Location"] == "/tasks/"
    replay = Client()
    sign_in(replay)
    assert replay.post("/signin/verify/", {"code": code}).status_code == 200  # refused: the same code again
    assert replay.get("/cases/").status_code == 302

    backup = new_backup_codes(member)[0]
    assert replay.post("/signin/verify/", {"code": backup}).status_code == 302
    assert replay.get("/cases/").status_code == 200
    again = Client()
    sign_in(again)
    assert again.post("/signin/verify/", {"code": backup}).status_code == 200  # used up
    assert AccessLog.objects.filter(user=member, action="factor_verified", detail="backup").count() == 1


def signed_out_with(session_key: str, path: str) -> bool:
    """A browser that still holds this session key is not signed in: the page sends it to log in,
    and the key is gone from the session store."""
    browser = Client()
    browser.cookies["sessionid"] = session_key
    answer = browser.get(path)
    return (answer.status_code == 302 and answer["Location"].startswith("/login/")
            and not Session.objects.filter(session_key=session_key).exists())


@pytest.mark.parametrize("role", ["aoj", "ect", "swv_director", "privacy_officer", "leerplicht"])
def test_passing_the_second_factor_gives_the_session_a_new_key(demo, role):
    username = demo["users"][role]
    user = User.objects.get(username=username)
    user.set_password(demo["password"])  # the tests' fast hasher
    user.save(update_fields=["password"])
    client = Client()
    sign_in(client, username, demo["password"])
    before = client.cookies["sessionid"].value
    assert client.get("/notifications/")["Location"].startswith("/signin/verify/")  # the password alone
    passed = client.post("/signin/verify/", {"code": TOTP(demo["totp_secret"][username]).now()})
    assert passed.status_code == 302 and passed["Location"] == "/tasks/"
    after = client.cookies["sessionid"].value
    assert after != before
    assert client.get("/notifications/").status_code == 200  # still signed in, with the new key
    assert signed_out_with(before, "/notifications/")
    # A re-authentication (before an export) keeps the key: the session had passed the factor.
    again = client.post("/signin/verify/", {"code": new_backup_codes(user)[0], "reauth": "1"})
    assert again.status_code == 302 and client.cookies["sessionid"].value == after
    assert client.get("/notifications/").status_code == 200
    assert [action for action in actions(user) if action.startswith(("factor", "reauth"))] == [
        "factor_verified", "reauth"]


def test_confirming_an_enrolment_gives_the_session_a_new_key(member, vo_school):
    case = CaseFactory(school=vo_school)
    client = Client()
    sign_in(client)
    before = client.cookies["sessionid"].value
    html = client.get("/signin/enrol/").content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', html).group(1)
    done = client.post("/signin/enrol/", {"code": TOTP(secret).now()})
    assert done.status_code == 302 and done["Location"].startswith("/signin/backup-codes/")
    assert client.cookies["sessionid"].value != before
    assert len(re.findall(r"<li><code>([a-z0-9]+)</code></li>", client.get(done["Location"]).content.decode())) == 10
    assert client.get(f"/cases/{case.pk}/").status_code == 200  # signed in with the new key
    assert signed_out_with(before, f"/cases/{case.pk}/")


def test_the_api_refuses_a_first_factor_session_and_a_token_needs_the_code(member, api):
    secret = totp_device(member)
    client = Client()
    sign_in(client)
    refused = client.get("/api/cases/")
    assert refused.status_code == 403 and "tweede factor" in refused.json()["detail"]

    anonymous = api()
    missing = anonymous.post("/api/auth/token/", {"username": "member", "password": PASSWORD}, format="json")
    assert missing.status_code == 400 and "token" not in missing.json()
    assert "code" in str(missing.json()["otp"]).lower()  # a Dutch field error on otp
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        wrong = anonymous.post("/api/auth/token/", {"username": "member", "password": PASSWORD, "otp": "000000"},
                               format="json")
        assert wrong.status_code == 400 and "otp" in wrong.json()
    with time_machine.travel(start + AFTER_THROTTLE, tick=False):
        ok = anonymous.post("/api/auth/token/", {"username": "member", "password": PASSWORD,
                                                 "otp": TOTP(secret).now()}, format="json")
    assert ok.status_code == 200 and ok.json()["token"]
    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {ok.json()['token']}")
    assert anonymous.get("/api/cases/").status_code == 200


def test_exports_ask_for_a_fresh_second_factor(demo, settings):
    from tests.browser import usable_passwords

    officer = demo["users"]["privacy_officer"]
    usable_passwords(settings, [officer], demo["password"])
    secret = demo["totp_secret"][officer]
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sign_in(client, officer, demo["password"])
        client.post("/signin/verify/", {"code": TOTP(secret).now()})
        assert client.get("/privacy/access-log.csv").status_code == 200  # within 5 minutes
    with time_machine.travel(start + dt.timedelta(minutes=6), tick=False):
        asked = client.get("/privacy/access-log.csv")
        assert asked.status_code == 302
        assert asked["Location"] == "/signin/verify/?next=%2Fprivacy%2Faccess-log.csv&reauth=1"
        page = client.get(asked["Location"]).content.decode()
        assert 'id="reauth-notice"' in page
        assert client.get("/monitor/quarter.csv?year=2026&quarter=3")["Location"].endswith("reauth=1")
        confirmed = client.post("/signin/verify/", {"code": TOTP(secret).now(), "reauth": "1",
                                                    "next": "/privacy/access-log.csv"})
        assert confirmed["Location"] == "/privacy/access-log.csv"
        export = client.get("/privacy/access-log.csv")
        assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    user = AccessLog.objects.filter(action="reauth").get().user
    assert user.username == officer


def test_admin_membership_changes_ask_for_a_fresh_second_factor(member):
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    secret = totp_device(admin)
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sign_in(client, "admin")
        assert client.get("/admin/")["Location"].startswith("/signin/verify/")  # the admin needs it too
        client.post("/signin/verify/", {"code": TOTP(secret).now()})
        assert client.get("/admin/").status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=6), tick=False):
        assert client.get("/admin/").status_code == 200
        membership = member.memberships.get()
        asked = client.get(f"/admin/teams/membership/{membership.pk}/change/")
        assert asked.status_code == 302 and asked["Location"].endswith("reauth=1")


def test_the_session_ends_at_its_absolute_lifetime_however_active(member, settings):
    settings.CASEWORK_SESSION_MAX_HOURS = 10
    settings.SESSION_COOKIE_AGE = 3 * 3600  # an idle timeout longer than the gaps below
    secret = totp_device(member)
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sign_in(client)
        client.post("/signin/verify/", {"code": TOTP(secret).now()})
    for hours in (2, 4, 6, 8):  # active every two hours: the (3-hour) idle timeout never strikes
        with time_machine.travel(start + dt.timedelta(hours=hours), tick=False):
            assert client.get("/cases/").status_code == 200
    with time_machine.travel(start + dt.timedelta(hours=9, minutes=50), tick=False):
        kept = client.post("/session/keep-alive/").json()
        assert kept["seconds"] == 10 * 60  # the keep-alive never reaches past the absolute end
    with time_machine.travel(start + dt.timedelta(hours=10, seconds=1), tick=False):
        ended = client.get("/cases/")
        assert ended.status_code == 302 and ended["Location"].startswith("/login/")
        assert client.post("/session/keep-alive/").status_code == 401
    assert actions(member)[-1] == "logout"


def test_the_demo_exemption_needs_no_second_factor_and_says_so(member, vo_school, settings):
    settings.CASEWORK_TWO_FACTOR_DEMO_EXEMPT = True
    client = Client()
    assert 'id="demo-exempt"' in client.get("/login/").content.decode()
    sign_in(client)
    assert client.get("/cases/").status_code == 200
    settings.CASEWORK_TWO_FACTOR_DEMO_EXEMPT = False
    assert 'id="demo-exempt"' not in Client().get("/login/").content.decode()
    assert client.get("/cases/").status_code == 302  # the same session, now without exemption


def test_a_user_who_sees_no_case_needs_no_second_factor(db):
    UserFactory(username="nobody")
    client = Client()
    sign_in(client, "nobody")
    assert client.get("/cases/").status_code == 200


def test_failures_sign_out_and_a_reset_are_logged_and_a_reset_means_enrolling_anew(member):
    totp_device(member)
    client = Client()
    client.post("/login/", {"username": "member", "password": "wrong"})
    client.post("/login/", {"username": "no-such-user", "password": "wrong"})
    assert AccessLog.objects.filter(action="login_failed", user=None, detail="unknown user").count() == 1
    sign_in(client)
    client.post("/logout/")
    call_command("reset_second_factor", "member", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert actions(member) == ["login_failed", "login", "logout", "factor_reset"]
    again = Client()
    sign_in(again)
    assert again.get("/tasks/")["Location"].startswith("/signin/enrol/")


def test_the_privacy_officer_reads_the_sign_in_events_of_their_region(member, vo_school):
    officer = UserFactory(username="officer")
    RegionRoleFactory(user=officer, region=vo_school.region, role="privacy_officer")
    member_secret, officer_secret = totp_device(member), totp_device(officer)
    someone = Client()
    sign_in(someone)
    someone.post("/signin/verify/", {"code": TOTP(member_secret).now()})
    reader = Client()
    sign_in(reader, "officer")
    reader.post("/signin/verify/", {"code": TOTP(officer_secret).now()})
    page = reader.get("/privacy/access-log/", {"user": "member"}).content.decode()
    assert "ingelogd (wachtwoord)" in page and "tweede factor bevestigd" in page and "totp" in page
    elsewhere = UserFactory(username="elsewhere")  # in no team of the region: not in this officer's log
    Client().post("/login/", {"username": "elsewhere", "password": "wrong"})
    assert AccessLog.objects.filter(user=elsewhere, action="login_failed").exists()
    assert search_access_log(officer, username="member").filter(action="login").exists()
    assert not search_access_log(officer, username="elsewhere").exists()


def test_after_a_wrong_code_the_next_try_waits_a_moment(member):
    secret = totp_device(member)
    client = Client()
    sign_in(client)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert "Deze code klopt niet" in client.post("/signin/verify/", {"code": "000000"}).content.decode()
        held = client.post("/signin/verify/", {"code": TOTP(secret).now()}).content.decode()
        assert "Te veel pogingen" in held  # even the right code, within a second of a failure
    with time_machine.travel(start + AFTER_THROTTLE, tick=False):
        assert client.post("/signin/verify/", {"code": TOTP(secret).now()})["Location"] == "/tasks/"
