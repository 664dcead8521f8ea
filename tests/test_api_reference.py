"""Reference lists of version 1 (schools, regions, teams, colleagues): filters, who sees which
teams and colleagues, and a bounded `pageSize`."""

import pytest

from teams.models import Membership, School, Team
from tests.flowkit import users

pytestmark = pytest.mark.django_db


def rows(client, url, **params):
    answer = client.get("/api/v1" + url, params)
    assert answer.status_code == 200, answer.content
    return answer.json()["results"]


def test_schools_and_regions_filter_by_name_and_sector(demo, api):
    client = api(users(demo)["aoj"])
    vo = School.objects.get(pk=demo["schools"]["vo"])
    assert [row["id"] for row in rows(client, "/schools", name=vo.name[:6].lower(), sector="vo")] == [vo.pk]
    assert {row["sector"] for row in rows(client, "/schools", sector="po")} == {"po"}
    assert all(row["sector"] == "vo" for row in rows(client, "/regions", sector="vo"))
    assert client.get("/api/v1/schools", {"sector": "xx"}).json()["invalidParams"][0]["name"] == "sector"


def test_teams_are_those_of_your_regions_and_colleagues_those_of_your_teams(demo, api):
    u = users(demo)
    aoj = api(u["aoj"])
    teams = rows(aoj, "/teams", pageSize=100)
    own = set(Membership.objects.filter(user=u["aoj"]).values_list("team_id", flat=True))
    regions = set(Team.objects.filter(pk__in=own).values_list("region_id", flat=True))
    assert own <= {row["id"] for row in teams}
    assert {row["region"] for row in teams} <= regions
    colleagues = {row["username"]: row for row in rows(aoj, "/colleagues", pageSize=100)}
    assert {"aoj", "aoj_2"} <= set(colleagues) and "outsider" not in colleagues
    assert {role["role"] for role in colleagues["aoj"]["roles"]} == {"coordinator"}
    assert [row["username"] for row in rows(aoj, "/colleagues", name="AOJ_2")] == ["aoj_2"]
    assert "aoj" not in {row["username"] for row in rows(api(u["outsider"]), "/colleagues")}


@pytest.mark.parametrize("size, status", [("1", 200), ("100", 200), ("0", 400), ("101", 400), ("x", 400)])
def test_page_size_is_bounded(demo, api, size, status):
    answer = api(users(demo)["aoj"]).get("/api/v1/schools", {"pageSize": size})
    assert answer.status_code == status
    if status == 200:
        assert len(answer.json()["results"]) <= int(size)
    else:
        assert answer.json()["invalidParams"] == [{"name": "pageSize", "reason": "Geef een paginagrootte van 1 tot "
                                                                                 "en met 100."}]


def test_a_name_with_a_nul_is_refused(demo, api):
    answer = api(users(demo)["aoj"]).get("/api/v1/teams", {"name": "a\x00b"})
    assert answer.status_code == 400 and answer.json()["invalidParams"][0]["name"] == "name"
