"""seed_demo: the JSON contract, idempotence, and refusal in production."""

import json
import os
import subprocess
import sys
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from celery.result import allow_join_result
from django.core.management import call_command
from django.test import override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from pyotp import TOTP

from casework.celery import app
from casework.models import AccessLog, Case, CaseEvent, CaseParticipant, Child
from teams.models import Membership, Region, RegionRole, School, SchoolBoard, Team, User
from tests.conftest import FAST_HASHERS

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
ROLES = {"aoj", "aoj_2", "kindteam", "ect", "ect_2", "leerplicht", "mpl_chair", "doe_chair",
         "swv_director", "privacy_officer", "outsider", "mbo", "deelverband", "mbo_stagnatie", "mbo_directie"}


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def committed_for_the_module(django_db_blocker, build: Callable):
    """For a module-scoped fixture (`yield from`): what `build` makes, committed once as under
    `make run` (Celery in-process, each service's work after commit at its commit; passwords
    hashed as the tests hash them), and flushed at the end, as after a transactional test, also
    when building it failed (no rows are left for the next module)."""
    try:
        eager, app.conf.task_always_eager = app.conf.task_always_eager, True
        try:
            with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS), \
                    allow_join_result():
                built = build()
        finally:
            app.conf.task_always_eager = eager
        yield built
    finally:
        with django_db_blocker.unblock():
            # the ids handed out stay handed out (conftest's demo rows)
            call_command("flush", interactive=False, verbosity=0, reset_sequences=False)


def snapshot():
    """Everything seed_demo writes, as comparable rows."""
    return {
        "regions": sorted(Region.objects.values_list("pk", "name", "sector")),
        "boards": sorted(SchoolBoard.objects.values_list("pk", "name")),
        "schools": sorted(School.objects.values_list("pk", "name", "brin", "sector", "board_id", "region_id")),
        "teams": sorted(Team.objects.values_list("pk", "name", "kind", "region_id", "school_id")),
        "users": sorted(User.objects.values_list("pk", "username", "first_name", "last_name", "password")),
        "memberships": sorted(Membership.objects.values_list("user_id", "team_id", "role")),
        "region_roles": sorted(RegionRole.objects.values_list("user_id", "region_id", "role")),
        "children": sorted(Child.objects.values_list("pk", "match_key")),
        "cases": sorted(Case.objects.values_list("pk", "child_id", "status", "registration")),
        "events": CaseEvent.objects.count(),
        "participants": CaseParticipant.objects.count(),
        "access": AccessLog.objects.count(),
    }


def test_json_contract():
    result = json.loads(seed("--json", "--no-history"))
    assert set(result) == {"password", "users", "schools", "totp_secret"}
    assert set(result["users"]) == ROLES
    # every demo user's authenticator app: a code generated from the printed secret passes
    assert set(result["totp_secret"]) == set(result["users"].values())
    for username, secret in result["totp_secret"].items():
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        assert device.verify_token(TOTP(secret).now())
    assert set(result["schools"]) == {"vo", "vo_2", "po", "mbo"}
    users = {role: User.objects.get(username=name) for role, name in result["users"].items()}
    for user in users.values():
        assert user.check_password(result["password"])
    vo = School.objects.get(pk=result["schools"]["vo"])
    vo_2 = School.objects.get(pk=result["schools"]["vo_2"])
    po = School.objects.get(pk=result["schools"]["po"])
    assert (vo.sector, vo_2.sector, po.sector) == ("vo", "vo", "po")
    aoj_vo = Team.objects.get(school=vo, kind="aoj")
    assert set(aoj_vo.members.values_list("username", flat=True)) == {users["aoj"].username, users["aoj_2"].username}
    assert users["kindteam"].teams.get().school == po
    assert set(users["outsider"].teams.values_list("school", flat=True)) == {vo_2.pk}
    for role in ("ect", "ect_2"):
        assert set(users[role].memberships.values_list("team__kind", "role")) == {("ect", "consultant")}
    assert users["mpl_chair"].memberships.get().team.kind == "mpl"
    assert users["doe_chair"].memberships.get().team.kind == "doe"
    assert users["leerplicht"].memberships.filter(team__kind="leerplicht").exists()
    assert RegionRole.objects.filter(user=users["swv_director"], role="swv_director").exists()
    assert RegionRole.objects.filter(user=users["privacy_officer"], role="privacy_officer").exists()
    assert RegionRole.objects.get(user=users["deelverband"]).role == "coordinator_deelverband"
    assert RegionRole.objects.get(user=users["deelverband"]).region.sector == "po"
    assert set(users["mbo_stagnatie"].memberships.values_list("team__kind", "role")) == {("mbo", "stagnatiemeldpunt")}
    assert set(users["mbo_directie"].memberships.values_list("team__kind", "role")) == {("mbo", "mbo_management")}
    # Demo cases: the outsider sees only the case of their own school.
    outsider_cases = Case.objects.filter(participants__team__memberships__user=users["outsider"])
    assert outsider_cases.count() == 1 and outsider_cases.get().school == vo_2


def test_json_is_the_only_stdout():
    out = seed("--json", "--no-history")
    assert out.count("\n") <= 1
    json.loads(out)


def test_if_empty_does_nothing_on_a_seeded_database():
    seed("--no-cases")
    before = snapshot()
    seed("--if-empty")
    assert snapshot() == before


def test_demo_password_from_environment(settings):
    settings.CASEWORK_DEMO_PASSWORD = "another-demo-pass"
    result = json.loads(seed("--json", "--no-cases"))
    assert result["password"] == "another-demo-pass"
    assert User.objects.get(username="aoj").check_password("another-demo-pass")


def test_refused_in_production(tmp_path):
    env = {
        **os.environ,
        "CASEWORK_ENV": "production",
        "SECRET_KEY": "x" * 64,
        "DEBUG": "false",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "ALLOWED_HOSTS": "casework.example.org",
        "CASEWORK_BASE_URL": "https://casework.example.org",
        "EMAIL_HOST": "smtp.example.org",
    }
    done = subprocess.run([sys.executable, "manage.py", "seed_demo"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "refuses to run with CASEWORK_ENV=production" in done.stderr
