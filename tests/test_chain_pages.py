"""The chain's pages as each role: Leerplicht and the SWV's director and deelverband coordinator
import a file and reconcile per school (each action once: signal, link, set aside, signal an
unenrolment as AV); every other role gets 403 and no menu item. The reconciliation's cases are
in the access log."""

import datetime as dt
import io

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from casework.models import AccessLog, Case, CaseEvent
from chain.models import AbsenceReport, EnrolmentChange
from chain.services import expire_unmatched
from teams.models import School
from tests.chainkit import generate, known_cases
from tests.flowkit import api_client, signal

pytestmark = pytest.mark.django_db
PAGES = ("/chain/", "/chain/reconcile/")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def generated(u):
    schools = [School.objects.get(name="Noorderlicht College"), School.objects.get(name="Zuiderpoort Lyceum")]
    return generate(known_cases(u["aoj"], schools, 40), other_school=schools[1])


def upload(client, generated) -> str:
    file = io.BytesIO(generated.csv())
    file.name = "verzuim.csv"
    answer = client.post("/chain/", {"file": file})
    assert answer.status_code == 200, answer.content[:500]
    return answer.content.decode()


@pytest.mark.parametrize("role", ["leerplicht", "swv_director", "deelverband"])
def test_the_importing_roles_see_the_pages_and_the_menu(u, role):
    client = signed_in(u[role])
    assert 'href="/chain/"' in client.get("/").content.decode() or 'href="/chain/"' in client.get(
        "/cases/", follow=True).content.decode()
    for page in PAGES:
        assert client.get(page).status_code == 200, (role, page)


@pytest.mark.parametrize("role", ["aoj", "kindteam", "ect", "mpl_chair", "privacy_officer", "outsider", "mbo"])
def test_every_other_role_is_refused(u, role):
    client = signed_in(u[role])
    for page in PAGES:
        assert client.get(page).status_code == 403, (role, page)
    assert 'href="/chain/"' not in client.get("/cases/", follow=True).content.decode()
    assert client.post("/chain/reports/1/signal/").status_code == 403


def test_leerplicht_imports_and_reconciles(u, generated):
    client = signed_in(u["leerplicht"])
    page = upload(client, generated)
    assert "bsn, onderwijsnummer" in page and "rejected" in page
    extra = signal(api_client, u["aoj"], School.objects.get(name="Noorderlicht College").pk, given_name="Extra",
                   family_name="Zonder Melding", pupil_number="X-1")
    reconcile = client.get("/chain/reconcile/").content.decode()
    assert f'href="/cases/{extra.pk}/"' in reconcile  # an open case without a report
    open_reports = list(AbsenceReport.objects.filter(state="open").order_by("pk"))
    assert len(open_reports) == 50 and all(f'id="report-{r.pk}"' in reconcile for r in open_reports)
    assert AccessLog.objects.filter(user=u["leerplicht"], what=AccessLog.List.RECONCILIATION,
                                    shown_cases__contains=f",{extra.pk},").exists()

    first, second, third = open_reports[:3]
    cases_before = Case.objects.count()
    assert client.post(f"/chain/reports/{first.pk}/signal/").status_code == 302
    first.refresh_from_db()
    assert first.state == "signalled" and Case.objects.count() == cases_before + 1
    assert first.case.child.family_name == first.family_name and first.case.signaller_role == "school"
    assert CaseEvent.objects.filter(case=first.case, kind=CaseEvent.Kind.ABSENCE_REPORTED).count() == 1

    target = generated.known[0]
    assert client.post(f"/chain/reports/{second.pk}/link/", {"case": target.pk}).status_code == 302
    second.refresh_from_db()
    assert (second.state, second.case_id) == ("linked", target.pk)

    refused = client.post(f"/chain/report/{third.pk}/dismiss/", {"reason": "   "})
    assert refused.status_code == 400 and f'id="errors-report-{third.pk}"' in refused.content.decode()
    wrong = client.post(f"/chain/reports/{third.pk}/link/", {"case": "999999"})
    assert wrong.status_code == 400 and 'value="999999"' in wrong.content.decode()  # what was typed stays
    third.refresh_from_db()
    assert third.state == "open"
    client.post(f"/chain/report/{third.pk}/dismiss/", {"reason": "Verhuisd naar het buitenland."})
    third.refresh_from_db()
    assert (third.state, third.dismissed_reason) == ("dismissed", "Verhuisd naar het buitenland.")
    assert f'id="report-{third.pk}"' not in client.get("/chain/reconcile/").content.decode()

    unenrolled = EnrolmentChange.objects.filter(state="open").order_by("pk").first()
    assert client.post(f"/chain/unenrolments/{unenrolled.pk}/signal/").status_code == 302
    unenrolled.refresh_from_db()
    assert unenrolled.state == "signalled" and unenrolled.case.registration == "av" and unenrolled.case.school is None
    # Done once: a second try is refused with a message and changes nothing.
    again = client.post(f"/chain/reports/{first.pk}/signal/", follow=True)
    assert Case.objects.count() == cases_before + 2 and again.status_code == 200


def test_a_file_that_cannot_be_read_is_a_clear_error_and_changes_nothing(u):
    client = signed_in(u["leerplicht"])
    file = io.BytesIO(b"\xff\xfe\x00garbage")
    file.name = "verzuim.csv"
    answer = client.post("/chain/", {"file": file})
    assert answer.status_code == 400 and not AbsenceReport.objects.exists()
    assert client.post("/chain/", {}).status_code == 400


def test_the_privacy_officer_reads_the_import_log_and_nobody_else(u, generated):
    upload(signed_in(u["leerplicht"]), generated)
    page = signed_in(u["privacy_officer"]).get("/privacy/imports/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "verzuim.csv" in text and "bsn, onderwijsnummer" in text and str(u["leerplicht"]) in text
    for role in ("leerplicht", "aoj", "swv_director"):
        assert signed_in(u[role]).get("/privacy/imports/").status_code == 404, role  # as every privacy page


def test_unmatched_items_go_after_the_retention_period_linked_ones_stay(u, generated, settings):
    upload(signed_in(u["leerplicht"]), generated)
    linked = AbsenceReport.objects.exclude(case=None).count()
    assert expire_unmatched() == 0
    later = timezone.now() + dt.timedelta(days=settings.CASEWORK_RETENTION_UNMATCHED_DAYS + 1)
    with time_machine.travel(later):
        assert expire_unmatched() == 50 + 5  # the reports and the unenrolments without a case
    assert AbsenceReport.objects.count() == linked and not EnrolmentChange.objects.filter(case=None).exists()
