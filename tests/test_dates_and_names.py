"""Two rules of the daily work. Dates: the quarterly report (page, CSV, both APIs) reports a quarter
that has not ended up to today and refuses one that has not started, by the same rule as the
monitor's peildatum; the period pickers refuse a future day. Names: a child's name never holds
control or invisible characters (API, signal form, public form), and duplicate detection compares
names normalised (NFKC, case-folded, without diacritics, inner white space collapsed), also for the
children already stored (the data migration)."""

import csv
import datetime as dt
import importlib
import io
import json

import pytest
import time_machine
from django.apps import apps
from django.test import Client
from django.utils import timezone

from casework.models import Case, Child, PublicSignal
from teams.models import Membership
from tests.factories import (
    ChildFactory,
    MembershipFactory,
    RegionRoleFactory,
    UserFactory,
    signal_payload,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 6)
NOT_STARTED = "Dit kwartaal is nog niet begonnen: kies een kwartaal tot en met vandaag."
FUTURE_DAY = "Kies een datum die niet in de toekomst ligt."
BAD_NAME = "De naam bevat onzichtbare of stuurtekens."


@pytest.fixture
def today():
    with time_machine.travel(timezone.make_aware(dt.datetime(2026, 12, 6, 10, 0)), tick=False):
        yield TODAY


@pytest.fixture
def viewers(vo_school):
    """Everyone who may see the region's monitor: the SWV director and the team's coordinator."""
    director = UserFactory(username="director")
    RegionRoleFactory(user=director, region=vo_school.region)
    coordinator = UserFactory(username="coordinator")
    MembershipFactory(user=coordinator, team=vo_school.teams.get(), role=Membership.Role.COORDINATOR)
    return [director, coordinator]


def csv_rows(client, query: str) -> list[list[str]]:
    response = client.get(f"/monitor/quarter.csv?{query}")
    assert response.status_code == 200, response.content
    return list(csv.reader(io.StringIO(response.content.decode())))


# --- future dates -------------------------------------------------------------------------------


def test_a_running_quarter_is_reported_up_to_today(api, client, viewers, today):
    for user in viewers:
        client.force_login(user)
        page = client.get("/monitor/quarter/", {"year": 2026, "quarter": 4})
        assert page.status_code == 200
        assert page.context["last"] == today and page.context["first"] == dt.date(2026, 10, 1)
        html = page.content.decode()
        assert "t/m 6 dec. 2026" in html and "31 dec. 2026" not in html
        assert page.context["result"]["counts"]["peildatum"] == "2026-12-06"
        assert page.context["result"]["period"]["until"] == "2026-12-06"
        for audience in ("inspectie", "public"):
            assert csv_rows(client, f"year=2026&quarter=4&audience={audience}")[0] == ["peildatum", "2026-12-06"]
        for url in ("/api/monitor/quarter/", "/api/v1/monitor/quarter"):
            exact = api(user).get(url, {"year": 2026, "quarter": 4})
            assert exact.status_code == 200, exact.content
            assert exact.json()["counts"]["peildatum"] == "2026-12-06"
            assert exact.json()["period"]["from"] == "2026-10-01"
            assert exact.json()["period"]["until"] == "2026-12-06"
            public = api(user).get(url, {"year": 2026, "quarter": 4, "audience": "public"})
            assert public.status_code == 200 and public.json()["peildatum"] == "2026-12-06"


def test_an_ended_quarter_keeps_its_last_day(api, client, viewers, today):
    director = viewers[0]
    client.force_login(director)
    page = client.get("/monitor/quarter/", {"year": 2026, "quarter": 3})
    assert page.status_code == 200 and page.context["last"] == dt.date(2026, 9, 30)
    assert "t/m" not in page.content.decode().split("<h1")[1].split("</p>")[0]
    assert api(director).get("/api/v1/monitor/quarter", {"year": 2026, "quarter": 3}).json()["counts"][
        "peildatum"] == "2026-09-30"


def test_a_quarter_that_has_not_started_is_refused_and_nothing_is_computed(api, client, viewers, today,
                                                                              monkeypatch):
    import casework.monitor

    def must_not_count(*args, **kwargs):
        raise AssertionError("nothing is computed for a quarter that has not started")

    for name in ("report", "quarter_table", "quarter_csv_rows"):
        monkeypatch.setattr(casework.monitor, name, must_not_count)
    for user in viewers:
        client.force_login(user)
        page = client.get("/monitor/quarter/", {"year": 2027, "quarter": 1})
        assert page.status_code == 400 and NOT_STARTED in page.content.decode()
        assert "quarter.csv" not in page.content.decode()
        csv_answer = client.get("/monitor/quarter.csv", {"year": 2027, "quarter": 1})
        assert csv_answer.status_code == 400 and NOT_STARTED in csv_answer.content.decode()
        for audience in ("inspectie", "public"):
            old = api(user).get("/api/monitor/quarter/", {"year": 2027, "quarter": 1, "audience": audience})
            assert old.status_code == 400 and old.json() == {"quarter": [NOT_STARTED]}
            new = api(user).get("/api/v1/monitor/quarter", {"year": 2027, "quarter": 1, "audience": audience})
            assert new.status_code == 400 and new["Content-Type"].startswith("application/problem+json")
            assert new.json()["invalidParams"] == [{"name": "quarter", "reason": NOT_STARTED}]


def test_who_may_not_see_the_monitor_learns_nothing_of_a_future_quarter(api, client, member, today):
    client.force_login(member)
    assert client.get("/monitor/quarter/", {"year": 2027, "quarter": 1}).status_code == 404
    assert api(member).get("/api/v1/monitor/quarter", {"year": 2027, "quarter": 1}).status_code == 404
    assert api(None).get("/api/v1/monitor/quarter", {"year": 2027, "quarter": 1}).status_code in (401, 403)


def test_the_period_pickers_refuse_a_future_day(api, client, viewers, today):
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    for user in viewers:
        client.force_login(user)
        for field in ("since", "peildatum"):
            page = client.get("/monitor/", {field: tomorrow})
            assert page.status_code == 400 and FUTURE_DAY in page.content.decode()
        for url in ("/api/monitor/", "/api/v1/monitor"):
            answer = api(user).get(url, {"peildatum": today.isoformat(), "since": tomorrow})
            assert answer.status_code == 400
            answer = api(user).get(url, {"peildatum": tomorrow})
            assert answer.status_code == 400
        assert client.get("/monitor/", {"peildatum": today.isoformat()}).status_code == 200


# --- names --------------------------------------------------------------------------------------

HIDDEN = {"right-to-left override": "\u202e", "zero width space": "\u200b", "byte order mark": "\ufeff",
          "bell": "\x07", "line separator": "\u2028", "paragraph separator": "\u2029", "private use": "\ue000",
          "lone surrogate": "\ud800"}


def counts():
    return Case.objects.count(), Child.objects.count(), PublicSignal.objects.count()


@pytest.mark.parametrize("char", HIDDEN.values(), ids=HIDDEN.keys())
def test_the_api_refuses_a_name_with_hidden_characters(api, member, leerplicht, vo_school, char):
    before = counts()
    for user in (member, leerplicht):
        role = "school" if user == member else "leerplicht"
        for field in ("given_name", "family_name"):
            payload = signal_payload(vo_school, signaller_role=role, **{field: f"Zo{char}ë"})
            body = json.dumps(payload)  # ASCII with escapes: a lone surrogate travels as "\\ud800"
            old = api(user).post("/api/cases/", body, content_type="application/json")
            new = api(user).post("/api/v1/cases", body, content_type="application/json")
            assert old.status_code == new.status_code == 400, (old.content, new.content)
            named = [p for p in new.json()["invalidParams"] if p["name"].endswith(field)]
            if char == "\ud800":  # DRF's text field refuses a surrogate before any rule of ours
                assert field in old.json()["child"] and len(named) == 1
                continue
            assert old.json() == {field: [BAD_NAME]}, old.content
            assert [p["reason"] for p in named] == [BAD_NAME]
    assert counts() == before


def test_the_signal_form_refuses_a_name_with_hidden_characters(client, member, vo_school):
    client.force_login(member)
    before = counts()
    data = {"given_name": "Sanne\u202e", "family_name": "Test\u200bkind", "birth_date": "2012-05-17",
            "registration": "lrv", "school": vo_school.pk, "category": "onbekend",
            "absent_since": (timezone.localdate() - dt.timedelta(weeks=6)).isoformat(), "signaller_role": "school"}
    response = client.post("/cases/new/", data)
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["given_name"] == [BAD_NAME] and form.errors["family_name"] == [BAD_NAME]
    assert counts() == before


def test_the_public_form_refuses_a_name_with_hidden_characters(vo_school):
    before = counts()
    data = {"reporter_role": "ouder", "given_name": "Pim\ufeff", "family_name": "Publiek", "birth_date": "2013-04-04",
            "school": vo_school.pk, "region": "", "absent_since": "2026-10-01",
            "description": "Mijn zoon durft niet meer naar school.", "reporter_name": "Ouder (synthetisch)",
            "reporter_contact": "06-99999999", "website": ""}
    response = Client().post("/melden/", data)
    assert response.status_code == 400 or "Bedankt" not in response.content.decode()
    assert BAD_NAME in response.content.decode()
    assert counts() == before


def test_names_are_compared_normalised():
    born = dt.date(2012, 5, 17)
    spellings = [("Zoë", "de  Vries"), ("zoe", "de vries"), ("ZOË", "DE\tVRIES"), ("Zoe\u0308", " de Vries "),
                 ("Ｚｏｅ", "de Vries")]
    assert len({Child.key_for(given, family, born) for given, family in spellings}) == 1
    assert Child.key_for("Zoë", "de Vries", born) != Child.key_for("Zoë", "de Vries", born + dt.timedelta(days=1))
    assert Child.key_for("Straße", "x", born) == Child.key_for("STRASSE", "x", born)


def test_a_second_signal_with_the_name_spelled_otherwise_joins_the_case(api, member, vo_school):
    first = api(member).post("/api/cases/", signal_payload(vo_school, given_name="Zoë", family_name="de  Vries"),
                             format="json")
    assert first.status_code == 201
    again = api(member).post("/api/cases/", signal_payload(vo_school, given_name="zoe", family_name="De Vries"),
                             format="json")
    assert again.status_code == 409 and Case.objects.count() == Child.objects.count() == 1


def test_the_migration_recomputes_the_keys_and_keeps_colliding_rows_apart(db):
    recompute = importlib.import_module("casework.migrations.0024_name_keys").recompute
    born = dt.date(2012, 5, 17)

    def stored(given, family, old_key):
        child = ChildFactory(given_name=given, family_name=family, birth_date=born)
        Child.objects.filter(pk=child.pk).update(match_key=f"{old_key}|{born.isoformat()}")
        return child.pk

    accent_first = stored("Zoë", "de Vries", "zoë|de vries")  # older, but its new key is held by:
    plain = stored("zoe", "de vries", "zoe|de vries")  # unchanged: keeps its key
    upper = stored("ÄRJEN", "Test", "ärjen|test")  # changes, takes the new key
    upper_again = stored("Ärjen", "TEST", "ärjen|test ")  # newer, would collide: keeps its old key
    gone = stored("Pseudo", "Niem", "x")
    Child.objects.filter(pk=gone).update(match_key=None)
    recompute(apps, None)
    keys = dict(Child.objects.values_list("pk", "match_key"))
    assert keys[plain] == f"zoe|de vries|{born}"
    assert keys[accent_first] == f"zoë|de vries|{born}"
    assert keys[upper] == f"arjen|test|{born}"
    assert keys[upper_again] == f"ärjen|test |{born}"
    assert keys[gone] is None
