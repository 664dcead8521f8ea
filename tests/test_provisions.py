"""Referrals to a region's provisions (maatwerkvoorzieningen) and returns to a regular school, as
the team records taking part (on the page and over the API) and as a decision offers a place there; the provision must be one of the case's
region, in use, with a setting outside the regular school."""

import pytest
from django.test import Client
from django.utils import timezone

from casework import monitor
from casework.models import CaseEvent, Offer, Provision
from tests.flowkit import api_client, board_and_school, complete, signal, users

pytestmark = pytest.mark.django_db


def test_a_referral_and_a_return(demo):
    people = users(demo)
    case = signal(api_client, people["aoj"], demo["schools"]["vo"])
    opdc = Provision.objects.get(region=case.region, kind="opdc_doorstart")
    elsewhere = Provision.objects.exclude(region=case.region).first()
    team = api_client(people["aoj"])
    today = timezone.localdate().isoformat()
    url = f"/api/v1/cases/{case.pk}/participation"
    for body, field in [({"provision": elsewhere.pk, "setting": "opdc_doorstart"}, "provision"),
                        ({"provision": opdc.pk, "setting": "eigen_school"}, "provision")]:
        answer = team.post(url, {"level": "gedeeltelijk", "since": today, **body}, format="json")
        assert answer.status_code == 400 and field in [p["name"] for p in answer.json()["invalidParams"]]
    client = Client()
    client.force_login(people["aoj"])
    referred = client.post(f"/cases/{case.pk}/participation/", {
        "participation-level": "gedeeltelijk", "participation-since": today, "participation-setting": "opdc_doorstart",
        "participation-provision": opdc.pk, "participation-note": ""})
    assert referred.status_code == 302
    event = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.PARTICIPATION_CHANGED).last()
    assert event.data["provision_id"] == opdc.pk
    back = team.post(url, {"level": "volledig", "since": today, "setting": "andere_school"}, format="json")
    assert back.status_code == 200, back.content
    returned = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.RETURNED_TO_SCHOOL)
    assert returned.data == {"provision_id": opdc.pk, "since": today}
    assert back.json()["events"][-1]["kind"] == "returned_to_school"


def test_a_place_offered_at_a_provision_is_a_referral(demo, api):
    people = users(demo)
    case = signal(api_client, people["aoj"], demo["schools"]["vo"])
    rebound = Provision.objects.get(region=case.region, kind="rebound")
    complete(api, people["aoj"], case, "team_review", {"plan": "Plek zoeken", "routes": ["doorbraak"]})
    board, school = board_and_school(demo)
    complete(api, people["mpl_chair"], case, "doorbraak_decision", {
        "school_board": board, "school": school, "start_date": timezone.localdate().isoformat(),
        "preference_followed": True, "provision": rebound.pk})
    offer = Offer.objects.get(case=case)
    assert offer.provision == rebound
    recorded = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.OFFER_RECORDED)
    assert recorded.data["provision_id"] == rebound.pk
    today = timezone.localdate()
    year = monitor.year_report(monitor.Scope(regions=[case.region_id]), monitor.school_year_of(today), today)
    assert year["referrals"]["referrals"]["rebound"] == 1
