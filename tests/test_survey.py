"""KPI 9 (Jaarkalender & jaarplan SWV VO Groningen Stad, KPI 9): when an ECT consult closes, the
parent and the young person (through their personal link, if they agreed to be asked), youth care
and the school's contact (by e-mail) are invited to three questions; the answers count per school
year against the target, from five answers on, and nothing links an answer to a person."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from casework import monitor
from casework.models import CaseParticipant, SurveyInvitation, SurveyResponse
from teams.models import School, Team
from tests.factories import MembershipFactory, UserFactory
from tests.flowkit import api_client, complete, signal
from tests.test_participation import make_link

pytestmark = pytest.mark.django_db

START = dt.date(2026, 3, 10)  # school year 2025-2026
TOKEN = re.compile(r"/tevredenheid/([^/\s]+)/")


def at(day: dt.date, hour: int = 12):
    return time_machine.travel(timezone.make_aware(dt.datetime.combine(day, dt.time(hour))), tick=False)


@pytest.fixture
def wij(demo):
    """A youth care worker in the demo's WIJ-team (the demo has none)."""
    team = Team.objects.get(kind=Team.Kind.WIJ)
    return MembershipFactory(user=UserFactory(username="wijwerker", email="wijwerker@casework.invalid"),
                             team=team).user


def consult(u, demo, django_capture_on_commit_callbacks, *, parent_agrees=True, young_link=True,
            youth_care=True, given_name="Sanne", youth_care_user=None):
    """A case built through the API and the pages: a parent's link (consent to be asked as
    `parent_agrees`), a young person's link without that consent, youth care on the case, the ECT
    consult route; its advice drafted and approved by two consultants (the consult closes). Returns
    (case, the parent's link path, the tokens mailed by audience)."""
    case = signal(api_client, u["aoj"], demo["schools"]["vo"], given_name=given_name)
    web = Client()
    parent = make_link(web, case, u, audience="ouder")
    if parent_agrees:
        assert Client().post(parent, {"subject": "survey", "given": "yes"}).status_code == 302
    if young_link:
        young = make_link(web, case, u, audience="jongere")
        Client().post(young, {"subject": "care_provider", "given": "yes"})
    if youth_care:  # no command puts youth care on a case yet: the participation row itself
        CaseParticipant.objects.create(case=case, team=Team.objects.get(kind=Team.Kind.WIJ),
                                       reason=CaseParticipant.Reason.CONSULT)
    if youth_care_user is not None:  # a youth care worker on the case by name
        CaseParticipant.objects.create(case=case, user=youth_care_user, reason=CaseParticipant.Reason.CONSULT)
    complete(api_client, u["aoj"], case, "team_review", {"plan": "ECT-consult.", "ect_question_kind": "handelingsadvies", "routes": ["ect_consult"]})
    complete(api_client, u["ect"], case, "ect_draft", {"question": "Welk aanbod past?", "advice": "OPDC."})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        complete(api_client, u["ect_2"], case, "ect_approve", {"approved": True})
    mailed = {message.to[0]: TOKEN.search(message.body).group(1) for message in mail.outbox}
    return case, parent, mailed


def survey_path_on(link_path: str) -> str | None:
    page = Client().get(link_path).content.decode()
    found = TOKEN.search(page)
    return found.group(0) if found else None


def test_who_is_invited_when_a_consult_closes(demo, u, wij, django_capture_on_commit_callbacks):
    jgz = MembershipFactory(user=UserFactory(username="jgzarts", email="jgzarts@casework.invalid"),
                            team=Team.objects.get(kind=Team.Kind.JGZ)).user
    with at(START):
        case, parent, mailed = consult(u, demo, django_capture_on_commit_callbacks, youth_care_user=jgz)
    invitations = SurveyInvitation.objects.filter(advice__case=case)
    # the parent agreed; the young person has a link but did not agree to be asked: none; the ECT's
    # consultants are not asked about their own work
    assert sorted(invitations.values_list("audience", flat=True)) == ["jeugdhulp", "jeugdhulp", "ouder", "school"]
    first = invitations.first()
    vo = School.objects.get(pk=demo["schools"]["vo"])
    assert (first.region_id, first.school_id, first.sector, first.school_year) == (vo.region_id, vo.pk, "vo",
                                                                                   "2025-2026")
    assert first.expires_at - first.created_at == dt.timedelta(days=28)
    # youth care and the school's contact (the AOJ-team's coordinator) by e-mail, each their own link
    assert set(mailed) == {"wijwerker@casework.invalid", "jgzarts@casework.invalid", "aoj@casework.invalid"}
    assert len(set(mailed.values())) == 3
    for message in mail.outbox:
        assert "Sanne" not in message.body and "Testkind" not in message.body
        assert message.subject == "Een paar vragen over de hulp van het ECT"
    # no token is stored, only digests
    tokens = set(mailed.values())
    assert not set(invitations.values_list("token_hash", flat=True)) & tokens
    # the parent finds the survey on their personal-link page; the young person does not
    with at(START):
        assert survey_path_on(parent)
        page = Client().get(parent).content.decode()
        assert "Wat vond u van de hulp van het ECT?" in page and "Vragen beantwoorden" in page


def test_without_consent_no_parent_invitation_and_once_per_consult(demo, u, wij, django_capture_on_commit_callbacks):
    with at(START):
        case, parent, mailed = consult(u, demo, django_capture_on_commit_callbacks, parent_agrees=False,
                                       youth_care=False)
        assert list(SurveyInvitation.objects.filter(advice__case=case).values_list("audience", flat=True)) == [
            "school"]
        assert set(mailed) == {"aoj@casework.invalid"}
        assert survey_path_on(parent) is None
        # a second consult on the same case is a new consult: invited again, once
        complete(api_client, u["aoj"], case, "team_review", {"plan": "Nog een consult.", "ect_question_kind": "handelingsadvies", "routes": ["ect_consult"]})
        complete(api_client, u["ect"], case, "ect_draft", {"question": "En nu?", "advice": "Plaatsing."})
        complete(api_client, u["ect_2"], case, "ect_approve", {"approved": True})
        assert SurveyInvitation.objects.filter(advice__case=case).count() == 2
        assert SurveyInvitation.objects.filter(advice__case=case).values("advice").distinct().count() == 2


def test_answered_through_the_pages_once(demo, u, wij, django_capture_on_commit_callbacks):
    with at(START):
        case, parent, mailed = consult(u, demo, django_capture_on_commit_callbacks)
        path = survey_path_on(parent)
        visitor = Client(enforce_csrf_checks=True)
        page = visitor.get(path)
        html = page.content.decode()
        assert page.status_code == 200 and "Hoe tevreden bent u over de hulp van het ECT?" in html
        assert "Werd er naar u geluisterd?" in html and "Wat kan beter?" in html and "Sanne" not in html
        assert "<legend>" in html and 'maxlength="500"' in html
        csrf = visitor.cookies["csrftoken"].value
        # without the CSRF token: refused
        assert visitor.post(path, {"score": "8", "listened": "ja"}).status_code == 403
        # a missing answer: the error is said, what was typed stays
        refused = visitor.post(path, {"listened": "beetje", "improve": "Sneller terugbellen.",
                                      "csrfmiddlewaretoken": csrf})
        text = refused.content.decode()
        assert refused.status_code == 400 and 'role="alert"' in text and "Sneller terugbellen." in text
        assert "Kies een cijfer van 1 tot en met 10." in text
        assert re.search(r'<input[^>]*value="beetje"[^>]*checked', text)
        assert not SurveyResponse.objects.exists()
        too_long = visitor.post(path, {"score": "8", "listened": "ja", "improve": "x" * 501,
                                       "csrfmiddlewaretoken": csrf})
        assert too_long.status_code == 400 and not SurveyResponse.objects.exists()
        done = visitor.post(path, {"score": "8", "listened": "beetje", "improve": "  Sneller terugbellen. ",
                                   "csrfmiddlewaretoken": csrf})
        assert done.status_code == 302 and done["Location"] == "/tevredenheid/bedankt/"
        assert "Bedankt voor uw antwoorden" in visitor.get(done["Location"]).content.decode()
        response = SurveyResponse.objects.get()
        vo = School.objects.get(pk=demo["schools"]["vo"])
        assert (response.region_id, response.school_id, response.sector, response.school_year, response.audience,
                response.score, response.listened, response.improve) == (
            vo.region_id, vo.pk, "vo", "2025-2026", "ouder", 8, "beetje", "Sneller terugbellen.")
        # single use: the page says so, a second answer changes nothing; the link page no longer offers it
        again = Client().get(path)
        assert again.status_code == 410 and "al beantwoord" in again.content.decode()
        assert Client().post(path, {"score": "1", "listened": "nee"}).status_code == 410
        assert SurveyResponse.objects.count() == 1 and survey_path_on(parent) is None
        # an e-mailed link works the same way
        school = Client().post(f"/tevredenheid/{mailed['aoj@casework.invalid']}/", {"score": "6", "listened": "nee"})
        assert school.status_code == 302
        assert sorted(SurveyResponse.objects.values_list("audience", flat=True)) == ["ouder", "school"]
        unknown = Client().get("/tevredenheid/onbekend/")
        assert unknown.status_code == 404 and "Deze link werkt niet meer" in unknown.content.decode()


def test_a_link_expires_after_the_survey_days(demo, u, wij, django_capture_on_commit_callbacks):
    with at(START):
        case, parent, mailed = consult(u, demo, django_capture_on_commit_callbacks)
        path = survey_path_on(parent)
    token = mailed["wijwerker@casework.invalid"]
    with at(START + dt.timedelta(days=27)):
        assert Client().get(f"/tevredenheid/{token}/").status_code == 200
    with at(START + dt.timedelta(days=28), hour=15):  # 28 days of 24 hours (summer time began in between)
        late = Client().post(f"/tevredenheid/{token}/", {"score": "9", "listened": "ja"})
        assert late.status_code == 410 and "De tijd om de vragen te beantwoorden is voorbij" in late.content.decode()
        assert Client().get(path).status_code == 410
        assert not SurveyResponse.objects.exists()


def answer(path: str, score: int, listened: str, improve: str = "") -> None:
    response = Client().post(path, {"score": str(score), "listened": listened, "improve": improve})
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.fixture
def answered(demo, u, wij, django_capture_on_commit_callbacks):
    """Two consults (6 invitations: 2 parents, 2 youth care, 2 school); 4 answers first."""
    with at(START):
        _a, parent_a, mailed_a = consult(u, demo, django_capture_on_commit_callbacks)
        _b, parent_b, mailed_b = consult(u, demo, django_capture_on_commit_callbacks, given_name="Pim",
                                         young_link=False)
        paths = [survey_path_on(parent_a), survey_path_on(parent_b),
                 f"/tevredenheid/{mailed_a['wijwerker@casework.invalid']}/",
                 f"/tevredenheid/{mailed_a['aoj@casework.invalid']}/",
                 f"/tevredenheid/{mailed_b['wijwerker@casework.invalid']}/"]
        answer(paths[0], 9, "ja", "Meer uitleg in gewone woorden.")
        answer(paths[1], 7, "beetje")
        answer(paths[2], 8, "ja", "Eerder een afspraak.")
        answer(paths[3], 6, "nee", "Terugbellen duurde lang.")
    vo = School.objects.get(pk=demo["schools"]["vo"]).region_id
    return {"paths": paths, "scope": monitor.Scope(regions=[vo]), "vo": vo}


NOT_SHOWN = {"school_year": "2025-2026", "target": 8.0, "min_responses": 5, "invitations": 6, "shown": False,
             "responses": None, "response_rate": None, "average": None, "meets_target": None, "listened": None}


def test_fewer_than_five_answers_are_not_shown_anywhere(answered, u):
    assert monitor.kpi9(answered["scope"], "2025-2026") == NOT_SHOWN
    with at(START + dt.timedelta(days=1)):
        body = api_client(u["swv_director"]).get("/api/v1/monitor/year", {"schoolYear": "2025-2026",
                                                                          "region": answered["vo"]}).json()
        assert body["kpi9"] == NOT_SHOWN
        director = Client()
        director.force_login(u["swv_director"])
        page = director.get("/monitor/year/", {"school_year": "2025-2026", "region": answered["vo"]})
        text = page.content.decode()
        assert "Te weinig reacties" in text and "Gemiddeld cijfer" not in text
        texts = director.get("/monitor/year/kpi9/", {"school_year": "2025-2026"}).content.decode()
        assert "Te weinig reacties" in texts and "Eerder een afspraak." not in texts


def test_five_answers_against_the_target(answered, u, settings):
    with at(START + dt.timedelta(days=1)):
        answer(answered["paths"][4], 8, "ja")
    # by hand: scores 9, 7, 8, 6, 8 = 38 / 5 = 7.6 (below 8.0); ja 3, een beetje 1, nee 1 of 5;
    # 5 answers of 6 invitations = 83.3%
    expected = {**NOT_SHOWN, "shown": True, "responses": 5, "response_rate": 83.3, "average": 7.6,
                "meets_target": False, "listened": {"ja": 60.0, "beetje": 20.0, "nee": 20.0}}
    assert monitor.kpi9(answered["scope"], "2025-2026") == expected
    settings.CASEWORK_KPI9_TARGET = 7.5
    assert monitor.kpi9(answered["scope"], "2025-2026")["meets_target"] is True
    settings.CASEWORK_KPI9_TARGET = 8.0
    # another school year, another region: nothing
    assert monitor.kpi9(answered["scope"], "2024-2025")["invitations"] == 0
    po = School.objects.get(sector="po").region_id
    assert monitor.kpi9(monitor.Scope(regions=[po]), "2025-2026")["invitations"] == 0
    with at(START + dt.timedelta(days=1)):
        body = api_client(u["swv_director"]).get("/api/v1/monitor/year", {"schoolYear": "2025-2026",
                                                                          "region": answered["vo"]}).json()
        assert body["kpi9"] == expected
        director = Client()
        director.force_login(u["swv_director"])
        text = director.get("/monitor/year/", {"school_year": "2025-2026", "region": answered["vo"]}).content.decode()
        assert "Gemiddeld cijfer" in text and "7,6" in text and "83,3%" in text and "60,0%" in text
        assert "Meer uitleg" not in text  # no free text on the year view
    schema = api_client(u["swv_director"]).get("/api/v1/openapi.json").json()
    properties = schema["components"]["schemas"]["SchoolYearReport"]["properties"]
    assert "kpi9" in properties and {"year", "peildata", "absence_reports"} <= set(properties)


def test_a_school_beside_a_small_one_is_not_shown(answered, u, demo, django_capture_on_commit_callbacks):
    """One answer at another school of the region: the region's result shows, the first school's
    does not (the region minus that school would be the one answer), nor does the other's."""
    with at(START + dt.timedelta(days=1)):
        answer(answered["paths"][4], 8, "ja")
        other = signal(api_client, u["outsider"], demo["schools"]["vo_2"], given_name="Ruben")
        CaseParticipant.objects.create(case=other, team=Team.objects.get(kind=Team.Kind.WIJ),
                                       reason=CaseParticipant.Reason.CONSULT)
        complete(api_client, u["outsider"], other, "team_review", {"plan": "ECT.", "ect_question_kind": "handelingsadvies", "routes": ["ect_consult"]})
        complete(api_client, u["ect"], other, "ect_draft", {"question": "Wat past?", "advice": "Maatwerk."})
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            complete(api_client, u["ect_2"], other, "ect_approve", {"approved": True})
        [youth] = [m for m in mail.outbox if m.to == ["wijwerker@casework.invalid"]]
        answer(TOKEN.search(youth.body).group(0), 2, "nee", "Niemand belde terug.")
    region = monitor.kpi9(answered["scope"], "2025-2026")
    # by hand: 9, 7, 8, 6, 8, 2 = 40 / 6 = 6.7; 6 of 8 invitations = 75.0%; ja 3, beetje 1, nee 2
    assert (region["shown"], region["responses"], region["average"], region["response_rate"]) == (True, 6, 6.7, 75.0)
    assert region["listened"] == {"ja": 50.0, "beetje": 16.7, "nee": 33.3}
    vo, vo_2 = demo["schools"]["vo"], demo["schools"]["vo_2"]
    for school in (vo, vo_2):
        scope = monitor.Scope(regions=[answered["vo"]], school=school)
        assert monitor.kpi9(scope, "2025-2026")["shown"] is False, school
        assert monitor.improvement_texts(scope, "2025-2026") is None, school
    with at(START + dt.timedelta(days=2)):
        body = api_client(u["swv_director"]).get("/api/v1/monitor/year", {"schoolYear": "2025-2026",
                                                                          "school": vo}).json()
        assert body["kpi9"]["shown"] is False and body["kpi9"]["average"] is None
        director = Client()
        director.force_login(u["swv_director"])
        page = director.get("/monitor/year/kpi9/", {"school_year": "2025-2026", "school": vo}).content.decode()
        assert "Te weinig reacties" in page and "Meer uitleg" not in page
        # a region beside one of the director's other regions with nothing: shown
        only_vo = director.get("/monitor/year/", {"school_year": "2025-2026", "region": answered["vo"]})
        assert "6,7" in only_vo.content.decode()


def test_free_texts_only_for_the_director(answered, u):
    with at(START + dt.timedelta(days=1)):
        answer(answered["paths"][4], 8, "ja")
        director = Client()
        director.force_login(u["swv_director"])
        page = director.get("/monitor/year/kpi9/", {"school_year": "2025-2026"})
        text = page.content.decode()
        assert page.status_code == 200
        for written in ("Meer uitleg in gewone woorden.", "Eerder een afspraak.", "Terugbellen duurde lang."):
            assert written in text
        assert text.count('class="prewrap"') == 3  # the empty ones are not listed
        # the link from the year view, for the director only
        year = director.get("/monitor/year/", {"school_year": "2025-2026"}).content.decode()
        assert "/monitor/year/kpi9/" in year
        for role in ("aoj", "aoj_2", "ect", "ect_2", "privacy_officer", "deelverband", "mpl_chair"):
            other = Client()
            other.force_login(u[role])
            assert other.get("/monitor/year/kpi9/", {"school_year": "2025-2026"}).status_code == 404, role
            if role in ("aoj", "privacy_officer"):  # they see the year view, not the texts
                shown = other.get("/monitor/year/", {"school_year": "2025-2026"}).content.decode()
                assert "/monitor/year/kpi9/" not in shown and "Meer uitleg" not in shown
        assert Client().get("/monitor/year/kpi9/").status_code == 302  # to the login
        assert monitor.improvement_texts(answered["scope"], "2025-2026") is not None


def test_nothing_links_an_answer_to_a_person(answered, u):
    fields = {field.name for field in SurveyResponse._meta.get_fields()}
    assert fields == {"id", "region", "school", "sector", "school_year", "audience", "score", "listened", "improve"}
    # a random key, no time: the order of the rows says nothing about the order of the answers
    assert all(len(str(pk)) == 36 for pk in SurveyResponse.objects.values_list("pk", flat=True))
    invitation_fields = {field.name for field in SurveyInvitation._meta.get_fields()}
    assert not invitation_fields & {"user", "recipient", "email", "response"}
    with at(START + dt.timedelta(days=1)):
        answer(answered["paths"][4], 8, "ja")
        director = Client()
        director.force_login(u["swv_director"])
        for path in ("/monitor/year/kpi9/", "/monitor/year/"):
            text = director.get(path, {"school_year": "2025-2026"}).content.decode()
            for person in ("Sanne", "Pim", "Testkind", "wijwerker", "Anouk", "L-1001"):
                assert person not in text, (path, person)
        body = str(api_client(u["swv_director"]).get("/api/v1/monitor/year", {"schoolYear": "2025-2026"}).json())
        assert "Meer uitleg" not in body and "Sanne" not in body
