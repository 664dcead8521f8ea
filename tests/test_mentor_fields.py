"""The JIM mentor's page shows exactly what the young person agreed to share, field by field."""

import itertools

import pytest

from tests.factories import UserFactory
from tests.flowkit import board_and_school, complete, in_days, signal, users

pytestmark = pytest.mark.django_db

PARTS = {
    "plan": ["Het plan van aanpak, gedeeld."],
    "advice": ["Het goedgekeurde ECT-advies."],
    "decisions": ["doorbraakbesluit van de commissie MPL", "Zuiderpoort Lyceum"],
}
NEVER = ["Testkind", "L-1001", "Synthetisch: zit sinds vijf weken thuis.", "Welke school past?",
         "Langdurig relatief verzuim", "Noorderlicht College", "06-11111111", "Oom Piet"]


@pytest.mark.parametrize("share", [list(c) for n in range(4) for c in itertools.combinations(PARTS, n)],
                         ids=lambda s: "+".join(s) or "nothing")
def test_mentor_sees_exactly_the_shared_parts(api, client, demo, share):
    u = users(demo)
    mentor = UserFactory(username="mentor")
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {"plan": "Het plan van aanpak, gedeeld.",
                                                   "routes": ["jim", "ect_consult", "doorbraak"]})
    complete(api, u["aoj"], case, "jim_assignment", {"mentor_name": "Oom Piet", "relation": "oom",
                                                    "contact": "06-11111111", "consent": True, "share": share,
                                                    "mentor_username": "mentor"})
    complete(api, u["ect"], case, "ect_draft", {"question": "Welke school past?",
                                                "advice": "Het goedgekeurde ECT-advies."})
    complete(api, u["ect_2"], case, "ect_approve", {"approved": True})
    board, school = board_and_school(demo)
    complete(api, u["mpl_chair"], case, "doorbraak_decision", {"school_board": board, "school": school,
                                                               "start_date": in_days(7), "preference_followed": True})
    client.force_login(mentor)
    html = client.get(f"/cases/{case.pk}/mentor/").content.decode()
    assert "Sanne" in html  # the given name, so the mentor knows whose page this is
    for part, texts in PARTS.items():
        for text in texts:
            assert (text in html) == (part in share), (part, text)
    for text in NEVER:
        assert text not in html, text
