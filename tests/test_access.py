"""Per-case access: only participants see a case; everyone else gets 404 (HTML and API);
every case read writes exactly one AccessLog row."""

import pytest
from django.urls import reverse

from casework.access import access_case_by_id, can_see_case
from casework.models import AccessLog, CaseParticipant
from tests.factories import CaseFactory, MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(vo_school):
    return CaseFactory(school=vo_school)


def test_member_sees_case_html_and_api(client, api, member, case):
    client.force_login(member)
    html = client.get(reverse("case-detail", args=[case.pk]))
    assert html.status_code == 200
    assert str(case.child) in html.content.decode()
    body = api(member).get(f"/api/cases/{case.pk}/").json()
    assert body["id"] == case.pk
    assert body["child"]["family_name"] == case.child.family_name


def test_outsider_gets_404_on_html_and_api(client, api, outsider, case):
    client.force_login(outsider)
    assert client.get(reverse("case-detail", args=[case.pk])).status_code == 404
    missing = api(outsider).get("/api/cases/999999/")
    hidden = api(outsider).get(f"/api/cases/{case.pk}/")
    # Same answer as for a case that does not exist: no hint that it does.
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert AccessLog.objects.count() == 0


def test_outsider_list_does_not_show_case(client, api, outsider, case):
    client.force_login(outsider)
    assert case.child.family_name not in client.get(reverse("case-list")).content.decode()
    assert api(outsider).get("/api/cases/").json()["count"] == 0


def test_member_of_other_team_kind_in_region_does_not_see(api, case):
    ect = TeamFactory(kind="ect", region=case.region)
    consultant = UserFactory()
    MembershipFactory(user=consultant, team=ect, role="consultant")
    assert api(consultant).get(f"/api/cases/{case.pk}/").status_code == 404
    # Once the ECT joins the case, its consultants see it.
    CaseParticipant.objects.create(case=case, team=ect, reason="consult")
    assert api(consultant).get(f"/api/cases/{case.pk}/").status_code == 200


def test_participant_user_sees_case(api, case):
    signaller = UserFactory()
    assert not can_see_case(signaller, case)
    CaseParticipant.objects.create(case=case, user=signaller, reason="signaller")
    assert can_see_case(signaller, case)
    assert api(signaller).get(f"/api/cases/{case.pk}/").status_code == 200


def test_mentor_participation_does_not_open_the_case_file(api, case):
    mentor = UserFactory()
    CaseParticipant.objects.create(case=case, user=mentor, reason="mentor")
    assert not can_see_case(mentor, case)
    assert api(mentor).get(f"/api/cases/{case.pk}/").status_code == 404


def test_anonymous_is_sent_to_login(client, case):
    response = client.get(reverse("case-detail", args=[case.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_superuser_is_not_a_backdoor(api, case):
    admin = UserFactory(is_superuser=True, is_staff=True)
    assert api(admin).get(f"/api/cases/{case.pk}/").status_code == 404


def test_each_read_writes_one_access_log_row(client, api, member, case, rf):
    client.force_login(member)
    client.get(reverse("case-detail", args=[case.pk]), REMOTE_ADDR="10.1.2.3")
    assert AccessLog.objects.count() == 1
    api(member).get(f"/api/cases/{case.pk}/")
    assert AccessLog.objects.count() == 2
    html_row, api_row = AccessLog.objects.order_by("pk")
    assert (html_row.user, html_row.case, html_row.action, html_row.ip) == (member, case, "view", "10.1.2.3")
    assert html_row.path == reverse("case-detail", args=[case.pk])
    assert (api_row.action, api_row.path) == ("api_view", f"/api/cases/{case.pk}/")
    # Lists are not reads of a case file: each writes one list row naming the cases it showed.
    client.get(reverse("case-list"))
    api(member).get("/api/cases/")
    assert AccessLog.objects.count() == 4
    lists = AccessLog.objects.filter(action="list_view").order_by("pk")
    assert [row.what for row in lists] == ["cases", "cases"]
    assert all(row.case_id is None and row.shown_case_ids == [case.pk] for row in lists)


def test_access_case_by_id_raises_404_for_garbage_ids(member):
    from django.http import Http404

    for bad in ("abc", None, "1; drop table"):
        with pytest.raises(Http404):
            access_case_by_id(member, bad)
