"""The JIM mentor's page shows exactly what the young person agreed to share, field by field."""

import itertools

import pytest

from casework.models import AccessLog, Mentor
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
                                                   "ect_question_kind": "handelingsadvies", "routes": ["jim", "ect_consult", "doorbraak"]})
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


def test_the_mentor_lands_on_a_link_to_the_mentor_page_and_the_listing_is_logged(api, client, demo):
    """The landing page leads a mentor with an account to the young person's mentor page (by given
    name only); the listing is an access-log row; a closed case or a mentor no longer active drops off."""
    u = users(demo)
    mentor = UserFactory(username="mentor")
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {"plan": "Samen naar school.", "routes": ["jim"]})
    complete(api, u["aoj"], case, "jim_assignment", {"mentor_name": "Oom Piet", "relation": "oom",
                                                    "contact": "06-11111111", "consent": True, "share": ["plan"],
                                                    "mentor_username": "mentor"})
    client.force_login(mentor)
    html = client.get("/tasks/").content.decode()
    assert "U bent JIM-mentor" in html and f'href="/cases/{case.pk}/mentor/">Mentor van Sanne</a>' in html
    assert "Testkind" not in html  # the family name stays off the page
    listing = AccessLog.objects.filter(user=mentor, action=AccessLog.Action.LIST_VIEW, what=AccessLog.List.INBOX).get()
    assert listing.shown_cases == AccessLog.id_list([case.pk])
    Mentor.objects.filter(case=case).update(active=False)
    assert "U bent JIM-mentor" not in client.get("/tasks/").content.decode()
    # someone who mentors no one sees no such section
    client.force_login(u["aoj"])
    assert "U bent JIM-mentor" not in client.get("/tasks/").content.decode()
