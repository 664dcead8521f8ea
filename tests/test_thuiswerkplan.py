"""The thuiswerkplan: recorded by the case team on the case page and over the API, its review clock
(CASEWORK_THUISWERKPLAN_REVIEW_DAYS from the plan's start), the next plan as its review (the earlier
plan ends the day before, the clock is met, a new one starts), its rules, and who may record it."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from casework.models import CaseEvent, Deadline, Thuiswerkplan
from casework.services import sweep_due
from notifications.models import Notification
from tests.flowkit import api_client, signal, users

pytestmark = pytest.mark.django_db


def plan(**overrides) -> dict:
    today = timezone.localdate()
    return {"starts_on": (today - dt.timedelta(days=1)).isoformat(), "until": "",
            "provides": "Weektaken via de leeromgeving.", "contact_moments": "Maandag en donderdag.",
            "school_contact": "Mentor (synthetisch)", **overrides}


def test_the_team_records_a_plan_and_its_review_clock_runs(demo, settings):
    people = users(demo)
    case = signal(api_client, people["aoj"], demo["schools"]["vo"])
    answer = api_client(people["aoj"]).post(f"/api/v1/cases/{case.pk}/thuiswerkplan",
                                           {**plan(), "until": None}, format="json")
    assert answer.status_code == 200, answer.content
    first = Thuiswerkplan.objects.get(case=case)
    assert first.until is None and first.recorded_by == people["aoj"]
    assert [e["kind"] for e in answer.json()["events"]][-1] == "thuiswerkplan_recorded"
    clock = Deadline.objects.get(case=case, kind=Deadline.Kind.THUISWERKPLAN_REVIEW)
    days = settings.CASEWORK_THUISWERKPLAN_REVIEW_DAYS
    assert timezone.localdate(clock.due_at) == first.starts_on + dt.timedelta(days=days)

    # Not reviewed in time: the sweeper breaches the clock and tells the team.
    with time_machine.travel(clock.due_at + dt.timedelta(hours=1)):
        sweep_due()
    clock.refresh_from_db()
    assert clock.breached_at is not None
    assert Notification.objects.filter(kind=Notification.Kind.DEADLINE_BREACHED, recipient=people["aoj"]).exists()

    # The next plan is the review: the first ends the day before, the clock is met, a new one runs.
    later = timezone.localdate() + dt.timedelta(days=3)
    client = Client()
    client.force_login(people["aoj"])
    page = client.post(f"/cases/{case.pk}/thuiswerkplan/", {
        f"thuiswerkplan-{key}": value for key, value in plan(starts_on=later.isoformat()).items()})
    assert page.status_code == 302
    first.refresh_from_db()
    assert first.until == later - dt.timedelta(days=1)
    clock.refresh_from_db()
    assert clock.met_at is not None
    assert Deadline.objects.filter(case=case, kind=Deadline.Kind.THUISWERKPLAN_REVIEW, met_at__isnull=True).count() == 1
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.THUISWERKPLAN_RECORDED).count() == 2
    shown = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Weektaken via de leeromgeving." in shown


def test_the_rules_and_who_may_record(demo):
    people = users(demo)
    case = signal(api_client, people["aoj"], demo["schools"]["vo"])
    team = api_client(people["aoj"])
    before_absence = (case.absent_since - dt.timedelta(days=1)).isoformat()
    for body, field in [(plan(starts_on=before_absence), "starts_on"),
                        (plan(until=(case.absent_since - dt.timedelta(days=3)).isoformat()), "until"),
                        (plan(provides=""), "provides"), (plan(school_contact=""), "school_contact")]:
        body = {key: (None if value == "" and key == "until" else value) for key, value in body.items()}
        answer = team.post(f"/api/v1/cases/{case.pk}/thuiswerkplan", body, format="json")
        assert answer.status_code == 400, (field, answer.content)
        assert field in [param["name"] for param in answer.json()["invalidParams"]]
    assert not Thuiswerkplan.objects.exists()
    assert api_client(people["ect"]).post(f"/api/v1/cases/{case.pk}/thuiswerkplan", {**plan(), "until": None},
                                          format="json").status_code in (403, 404)
    client = Client()
    client.force_login(people["aoj"])
    kept = client.post(f"/cases/{case.pk}/thuiswerkplan/", {
        f"thuiswerkplan-{key}": value for key, value in plan(provides="", contact_moments="Elke week bellen").items()})
    assert kept.status_code == 400 and "Elke week bellen" in kept.content.decode()  # what was typed stays
