"""Personal links for parents and young people: only the shared parts, expiry, no reach into
another case, every view logged, consent as CaseEvents, and JIM consent withdrawn ends the
mentor's access at once."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from casework.models import AccessLink, AccessLog, CaseEvent, Mentor
from notifications.models import Notification
from tests.factories import UserFactory
from tests.flowkit import complete, signal

pytestmark = pytest.mark.django_db


def make_link(client, case, u, audience="ouder"):
    client.force_login(u["aoj"])
    response = client.post(f"/cases/{case.pk}/links/new/", {
        "audience": audience, "message": "We zoeken samen een school die past.",
        "next_step": "Gesprek op dinsdag met de ondersteuningscoördinator.", "contact": u["aoj"].pk})
    assert response.status_code == 200, response.content.decode()[:500]
    url = response.context["url"]
    return url[url.index("/inzage/"):]


def test_link_shows_only_the_shared_parts_and_is_logged(api, client, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {"plan": "Intern plan met details over thuis.", "routes": ["jim"]})
    path = make_link(client, case, u)
    visitor = Client()
    page = visitor.get(path)
    html = page.content.decode()
    assert page.status_code == 200
    assert "We zoeken samen een school die past." in html and "Gesprek op dinsdag" in html
    assert "Anouk de Vries" in html  # the contact person
    assert "Het team werkt samen met u aan een plan." in html  # the status in plain words
    for hidden in ("Intern plan met details", "Testkind", "Synthetisch: zit sinds", "L-1001"):
        assert hidden not in html, hidden
    row = AccessLog.objects.get(action="link_view")
    assert row.user is None and row.access_link.case == case and row.case == case
    assert AccessLink.objects.get().token_hash not in path  # only the hash is stored


def test_link_expires_and_reaches_nothing_else(api, client, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    path = make_link(client, case, u)
    visitor = Client()
    assert visitor.get(path.replace("/inzage/", "/inzage/x")).status_code == 404
    assert visitor.get(f"/cases/{case.pk}/").status_code == 302  # the file itself needs a login
    signal(api, u["aoj"], demo["schools"]["vo"], given_name="Ander")
    assert "Ander" not in visitor.get(path).content.decode()  # one link, one case
    with time_machine.travel(timezone.now() + dt.timedelta(days=31), tick=False):
        assert visitor.get(path).status_code == 404


def test_young_person_link_only_from_twelve(api, client, demo, u):
    young = signal(api, u["aoj"], demo["schools"]["vo"], birth_date="2015-01-01", given_name="Jong")
    client.force_login(u["aoj"])
    response = client.post(f"/cases/{young.pk}/links/new/", {"audience": "jongere", "message": "M",
                                                             "next_step": "N", "contact": u["aoj"].pk})
    assert response.status_code == 400 and not AccessLink.objects.exists()


def test_only_the_case_team_sends_links(api, client, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    client.force_login(u["outsider"])
    assert client.get(f"/cases/{case.pk}/links/new/").status_code == 404


def test_withdrawn_jim_consent_ends_the_mentors_access_at_once(api, client, demo, u):
    mentor_user = UserFactory(username="mentor.kees")
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {"plan": "JIM", "routes": ["jim"]})
    complete(api, u["aoj"], case, "jim_assignment", {"mentor_name": "Kees", "relation": "buurman", "contact": "k",
                                                    "consent": True, "share": ["plan"],
                                                    "mentor_username": "mentor.kees"})
    mentor = Client()
    mentor.force_login(mentor_user)
    assert mentor.get(f"/cases/{case.pk}/mentor/").status_code == 200
    path = make_link(client, case, u, audience="jongere")
    young_person = Client()
    young_person.post(path, {"subject": "jim", "given": "no"})
    assert mentor.get(f"/cases/{case.pk}/mentor/").status_code == 404
    assert not Mentor.objects.get(case=case).active
    event = CaseEvent.objects.get(case=case, kind="consent_withdrawn")
    assert event.data == {"subject": "jim", "by": "jongere", "link_id": AccessLink.objects.get().pk}
    assert set(Notification.objects.filter(kind="consent_changed").values_list("recipient__username", flat=True)) \
        == {"aoj", "aoj_2"}
    young_person.post(path, {"subject": "care_provider", "given": "yes"})
    assert "ja" in young_person.get(path).content.decode()
    assert CaseEvent.objects.filter(case=case, kind="consent_given", data__subject="care_provider").count() == 1
