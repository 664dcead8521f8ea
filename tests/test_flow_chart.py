"""The case page's flow diagram speaks the users' language: Dutch labels for every node (the task
titles, the gateways' questions, plain words for waits, splits and joins), "ja"/"nee" on the
branches, the open step marked as "nu" (not by colour alone), and a list of the steps."""

import re

import pytest
from django.test import Client
from django.utils import translation

from tests.flowkit import complete, signal
from workflows.chart import case_flow_charts, node_label
from workflows.flows import FLOWS, start_escalation_for

pytestmark = pytest.mark.django_db

# viewflow's own words for the nodes (node names, "yes"/"no", capitalised abbreviations)
ENGLISH = ["Has Routes", "Route Split", "Join Routes", "Await Escalation", "Await Start", "Ect ", "Mpl ",
           "Doe-Team", ">yes<", ">no<", "Team review", "End<", "Start the routes"]


def page_of(user, case) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    response = client.get(f"/cases/{case.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def flow_sections(page: str) -> str:
    return "".join(re.findall(r'<section class="card flow".*?</section>', page, flags=re.S))


def test_every_node_of_every_flow_has_a_dutch_label():
    for flow_class in FLOWS:
        for node in flow_class.instance.nodes():
            with translation.override("nl"):
                dutch = node_label(node)
            with translation.override("en"):
                english = node_label(node)
            assert dutch, f"{flow_class.__name__}.{node.name} has no label"
            assert dutch != english or node.name == "start", f"{node.name}: {dutch} is not translated"


def test_case_page_diagram_in_dutch_with_the_current_step(api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    complete(api, u["aoj"], case, "team_review", {"plan": "ECT.", "ect_question_kind": "handelingsadvies", "routes": ["ect_consult"],
                                                            "ect_question": "Welke school past?"})
    charts = flow_sections(page_of(u["aoj"], case))

    for english in ENGLISH:
        assert english not in charts, english
    for dutch in ["Teambespreking", "Routes gekozen?", "Routes starten", "Routes samenvoegen",
                  "Advies goedgekeurd?", "Advies nodig (5a)?", "Wacht op escalatie", "Wacht op startdatum",
                  "Startdatum bereikt?", "Gestart?", "Arrangement beëindigd?", ">ja<", ">nee<", "Einde"]:
        assert dutch in charts, dutch
    # the open step: a class for the thick border, the word "nu" in the box, aria-current in the list
    current = re.search(r'<g class="node task current"[^>]*>\s*<title>([^<]*)</title>', charts)
    assert current and current.group(1) == "ECT: advies opstellen (nu)"
    assert re.search(r'class="state-mark now-mark"[^>]*>nu</text>', charts)
    assert re.search(r'<li class="current" aria-current="step"><strong>ECT: advies opstellen</strong> \(nu\)', charts)
    assert "<li class=\"done\">Teambespreking (afgerond)</li>" in charts
    assert "Stroomschema: Zaak; nu: ECT: advies opstellen" in charts


def test_diagram_in_english_for_a_user_who_chose_english(api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    u["aoj"].language = "en"
    u["aoj"].save(update_fields=["language"])
    charts = flow_sections(page_of(u["aoj"], case))
    assert "Routes chosen?" in charts and ">yes<" in charts and "Team review (now)" in charts
    assert "Routes gekozen?" not in charts


def test_escalation_diagram_asks_its_questions_in_dutch(api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"])
    start_escalation_for(case)
    with translation.override("nl"):
        charts = case_flow_charts(case)
    assert [chart.key for chart in charts] == ["caseflow", "escalationflow"]
    labels = [node.label for node in charts[1].nodes]
    assert "Welke sector?" in labels and "MPL akkoord?" in labels and "Einde" in labels
    assert [node.name for node in charts[1].current] == ["doorbraak_decision"]
