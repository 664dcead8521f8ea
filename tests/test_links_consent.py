"""The case team revokes a personal link (it ends at once, in the timeline), and the
parent's and the young person's consent are each their own (neither overwrites the other)."""

import pytest
from django.test import Client

from casework.models import AccessLink, AccessLog, CaseEvent, Consent
from notifications.models import Notification
from tests.flowkit import signal
from tests.test_participation import make_link

pytestmark = pytest.mark.django_db


def link_of(path):
    """The link just made (its token is only in `path`; the row holds the hash)."""
    return AccessLink.objects.order_by("-pk").first()


def test_case_team_revokes_a_link_on_the_case_page(api, client, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    path = make_link(client, case, u)
    link = link_of(path)
    visitor = Client()
    assert visitor.get(path).status_code == 200
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f"/cases/{case.pk}/links/{link.pk}/revoke/" in page  # the button on the links section
    response = client.post(f"/cases/{case.pk}/links/{link.pk}/revoke/")
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/#links"
    link.refresh_from_db()
    assert link.revoked_at is not None
    # at once: the page answers as for an expired link, consent can no longer be given through it
    assert visitor.get(path).status_code == 404
    assert visitor.post(path, {"subject": "jim", "given": "yes"}).status_code == 404
    assert not Consent.objects.exists()
    event = CaseEvent.objects.get(case=case, kind="access_link_revoked")
    assert event.actor == u["aoj"] and event.data == {"link_id": link.pk, "audience": "ouder"}
    assert event.label == "Persoonlijke link ingetrokken"
    after = client.get(f"/cases/{case.pk}/").content.decode()
    assert "ingetrokken op" in after and f"/links/{link.pk}/revoke/" not in after


def test_revoke_through_the_api_and_who_may(api, client, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    path = make_link(client, case, u)
    link = link_of(path)
    url = f"/api/cases/{case.pk}/links/{link.pk}/revoke/"
    assert api().post(url).status_code == 401
    assert api(u["outsider"]).post(url).status_code == 404  # does not see the case
    assert api(u["aoj"]).post(f"/api/cases/{case.pk}/links/999999/revoke/").status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None
    response = api(u["aoj_2"]).post(url)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == link.pk and body["revoked_at"] and "token" not in str(body)
    assert Client().get(path).status_code == 404
    # again: nothing changes, no second event
    assert api(u["aoj"]).post(url).status_code == 200
    assert CaseEvent.objects.filter(case=case, kind="access_link_revoked").count() == 1


def test_only_the_case_team_revokes(api, client, demo, u):
    case = signal(api, u["leerplicht"], demo["schools"]["vo"], signaller_role="leerplicht")
    path = make_link(client, case, u)
    link = link_of(path)
    # Leerplicht signalled the case and sees it, but is not its team
    assert api(u["leerplicht"]).post(f"/api/cases/{case.pk}/links/{link.pk}/revoke/").status_code == 403
    web = Client()
    web.force_login(u["leerplicht"])
    assert web.post(f"/cases/{case.pk}/links/{link.pk}/revoke/").status_code == 403
    assert f"/links/{link.pk}/revoke/" not in web.get(f"/cases/{case.pk}/").content.decode()
    link.refresh_from_db()
    assert link.revoked_at is None


def test_parent_and_young_person_each_keep_their_own_consent(api, client, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    parent_path = make_link(client, case, u, audience="ouder")
    young_path = make_link(client, case, u, audience="jongere")
    parent, young = Client(), Client()
    parent.post(parent_path, {"subject": "care_provider", "given": "yes"})
    young.post(young_path, {"subject": "care_provider", "given": "no"})
    assert dict(Consent.objects.filter(case=case).values_list("by", "given")) == {"ouder": True, "jongere": False}
    # each sees their own answer on their link
    agreed = "U vindt het goed dat informatie met de zorgaanbieder gedeeld wordt."
    assert agreed in parent.get(parent_path).content.decode()
    young_page = young.get(young_path).content.decode()
    assert agreed not in young_page and "U vindt het niet goed dat informatie" in young_page
    # both on the case page
    page = client.get(f"/cases/{case.pk}/")
    givens = [[given for _label, given in subjects] for _whose, subjects in page.context["consents_per_person"]]
    assert givens == [[None, True, None], [None, False, None]]  # parent, young person; JIM, care provider, survey
    html = page.content.decode()
    assert "Ouder" in html and "Jongere" in html
    # the events and the team's notices still come, naming whose consent
    events = CaseEvent.objects.filter(case=case, kind__in=["consent_given", "consent_withdrawn"]).order_by("pk")
    assert [(e.kind, e.data["by"]) for e in events] == [("consent_given", "ouder"), ("consent_withdrawn", "jongere")]
    told = Notification.objects.filter(kind="consent_changed").order_by("pk")
    assert {n.data["by"] for n in told} == {"ouder", "jongere"}
    # the parent changes their mind: only their row changes
    parent.post(parent_path, {"subject": "care_provider", "given": "no"})
    assert dict(Consent.objects.filter(case=case).values_list("by", "given")) == {"ouder": False, "jongere": False}
    assert Consent.objects.filter(case=case).count() == 2
    assert AccessLog.objects.filter(action="link_view").count() >= 4
