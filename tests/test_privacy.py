"""The privacy officer's tools: access log (and its own logging), subject access, retention and
the data-breach register with its 72-hour clock."""

import datetime as dt
import json

import pytest
import time_machine
from django.utils import timezone

from casework.models import (
    AccessLog,
    AppendOnlyError,
    Case,
    CaseEvent,
    Child,
    DataBreach,
    Deadline,
    LogReading,
    Mentor,
    Plan,
    RetentionLogEntry,
)
from casework.services import privacy, sweep_due
from casework.services.retention import apply_retention
from tests.factories import CaseFactory, RegionRoleFactory, SchoolFactory, UserFactory
from tests.flowkit import complete, signal

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(api, demo, u):
    return signal(api, u["aoj"], demo["schools"]["vo"])


def login(client, user):
    client.force_login(user)
    return client


# --- access log -----------------------------------------------------------------------------------


def test_officer_searches_the_access_log_and_the_search_is_logged(api, client, case, u):
    api(u["aoj_2"]).get(f"/api/cases/{case.pk}/")
    other_region_case = CaseFactory(school=SchoolFactory())
    AccessLog.objects.create(user=u["outsider"], case=other_region_case, action="view")
    officer = login(client, u["privacy_officer"])
    page = officer.get("/privacy/access-log/", {"child": "Sanne"})
    rows = page.context["page"].object_list
    assert page.status_code == 200
    assert {(r.user.username, r.case_id) for r in rows} == {("aoj", case.pk), ("aoj_2", case.pk)}
    assert other_region_case.pk not in {r.case_id for r in officer.get("/privacy/access-log/", {"since": "2000-01-01"})
                                        .context["page"].object_list}
    by_user = officer.get("/privacy/access-log/", {"user": "aoj_2"}).context["page"].object_list
    assert [r.user.username for r in by_user] == ["aoj_2"]
    team = case.participants.get(reason="school_team").team
    assert officer.get("/privacy/access-log/", {"team": team.pk}).context["page"].paginator.count == 2
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    refused = officer.get("/privacy/access-log/", {"since": future})  # a period in the future makes no sense
    assert refused.status_code == 400 and refused.context["form"].errors["since"]
    readings = LogReading.objects.filter(user=u["privacy_officer"], kind="search")
    assert readings.count() == 4  # the refused search read nothing
    first = readings.order_by("pk").first()
    assert first.filters["child_name_used"] is True and "Sanne" not in json.dumps(first.filters)


def test_access_log_csv_export_is_logged(api, client, case, u):
    response = login(client, u["privacy_officer"]).get("/privacy/access-log.csv", {"case": case.pk})
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().strip().splitlines()
    assert lines[0] == "at,user,case,public_signal,action,path,ip,list,cases_shown" and len(lines) == 2 and ",aoj," in lines[1]
    assert LogReading.objects.get(kind="export").results == 1


@pytest.mark.parametrize("role", ["aoj", "ect", "swv_director", "outsider"])
def test_access_log_is_404_for_everyone_else(client, case, u, role):
    assert login(client, u[role]).get("/privacy/access-log/").status_code == 404
    assert client.get("/privacy/access-log.csv").status_code == 404
    assert client.get("/privacy/breaches/").status_code == 404


def test_officer_of_another_region_sees_nothing_of_this_region(client, case, u):
    elsewhere = UserFactory()
    RegionRoleFactory(user=elsewhere, role="privacy_officer")
    page = login(client, elsewhere).get("/privacy/access-log/", {"case": case.pk})
    assert page.context["page"].paginator.count == 0
    assert client.get(f"/privacy/subject-access/{case.child_id}/").status_code == 404


def test_coordinator_sees_who_looked_at_the_file(api, client, case, u):
    api(u["aoj_2"]).get(f"/api/cases/{case.pk}/")
    page = login(client, u["aoj"]).get(f"/cases/{case.pk}/access-log/")
    assert page.status_code == 200
    assert {r.user.username for r in page.context["page"].object_list} >= {"aoj", "aoj_2"}
    assert LogReading.objects.filter(kind="case_log", user=u["aoj"]).count() == 1
    assert login(client, u["aoj_2"]).get(f"/cases/{case.pk}/access-log/").status_code == 403  # member
    assert login(client, u["outsider"]).get(f"/cases/{case.pk}/access-log/").status_code == 404


def test_log_readings_are_append_only(client, u):
    login(client, u["privacy_officer"]).get("/privacy/access-log/", {"case": 1})
    reading = LogReading.objects.get()
    with pytest.raises(AppendOnlyError):
        reading.save()
    with pytest.raises(AppendOnlyError):
        LogReading.objects.all().delete()


# --- subject access -------------------------------------------------------------------------------


def test_subject_access_export_has_everything_and_is_logged(api, client, case, u):
    complete(api, u["aoj"], case, "team_review", {"plan": "Het plan voor Sanne.", "routes": ["jim"]})
    complete(api, u["aoj"], case, "jim_assignment", {"mentor_name": "Oom Kees", "relation": "oom",
                                                    "contact": "kees@example.invalid", "consent": True, "share": []})
    officer = login(client, u["privacy_officer"])
    found = officer.get("/privacy/subject-access/", {"q": "sanne testkind"})
    assert [c.pk for c in found.context["children"]] == [case.child_id]
    html = officer.get(f"/privacy/subject-access/{case.child_id}/").content.decode()
    # the privacy pages' tabs lead on from the answer (to the breach register, the access log)
    assert '<nav class="tabs" aria-label="Privacy">' in html and 'href="/privacy/breaches/"' in html
    assert "Het plan voor Sanne." in html and "Oom Kees" in html
    export = json.loads(officer.get(f"/privacy/subject-access/{case.child_id}/?format=json").content)
    assert export["child"]["family_name"] == "Testkind"
    [file] = export["cases"]
    assert file["id"] == case.pk and file["plans"][0]["text"] == "Het plan voor Sanne."
    assert {"signalled", "team_review", "mentor_assigned"} <= {e["kind"] for e in file["timeline"]}
    assert file["mentors"][0]["contact"] == "kees@example.invalid"
    assert any(row["action"] == "api_view" or row["action"] == "signal" for row in file["accessed_by"])
    assert LogReading.objects.filter(kind="subject_access", filters={"child_id": case.child_id}).count() == 2


# --- retention ------------------------------------------------------------------------------------


def close(api, u, case, outcome="terug_naar_school"):
    complete(api, u["aoj"], case, "team_review", {"plan": "Persoonlijk plan met details.", "outcome": outcome})


def test_retention_pseudonymises_then_deletes_and_keeps_the_counts(api, case, u):
    complete(api, u["aoj"], case, "team_review", {"plan": "Met mentor.", "routes": ["jim"]})
    complete(api, u["aoj"], case, "jim_assignment", {"mentor_name": "Tante", "relation": "tante",
                                                    "contact": "0600000000", "consent": True, "share": []})
    close(api, u, case)
    closed_at = Case.objects.get(pk=case.pk).closed_at
    events_before = list(CaseEvent.objects.filter(case=case).values_list("kind", "data"))
    skeleton = Case.objects.filter(pk=case.pk).values("status", "outcome", "registration", "school", "absent_since")[0]

    assert apply_retention(closed_at + dt.timedelta(days=365)) == []
    assert apply_retention(closed_at + dt.timedelta(days=2 * 365 + 1), dry_run=True)[0].action == "pseudonymised"
    assert Child.objects.get(pk=case.child_id).given_name == "Sanne"  # a dry run changes nothing

    done = apply_retention(closed_at + dt.timedelta(days=2 * 365 + 1))
    assert [(d.case_id, d.action) for d in done] == [(case.pk, "pseudonymised")]
    child = Child.objects.get(pk=case.child_id)
    assert (child.given_name, child.family_name, child.pupil_number) == ("-", f"#{child.pk}", "")
    assert (child.birth_date.month, child.birth_date.day) == (1, 1) and child.match_key is None
    assert set(Plan.objects.filter(case=case).values_list("text", flat=True)) == {""}
    assert Case.objects.get(pk=case.pk).summary == ""
    assert Mentor.objects.get(case=case).contact == ""
    assert apply_retention(closed_at + dt.timedelta(days=2 * 365 + 2)) == []  # idempotent

    done = apply_retention(closed_at + dt.timedelta(days=5 * 365 + 2))
    assert [d.action for d in done] == ["deleted"]
    assert not Mentor.objects.filter(case=case).exists()
    assert list(RetentionLogEntry.objects.order_by("pk").values_list("case_number", "action", "rule")) == [
        (case.pk, "pseudonymised", "terug_naar_school"), (case.pk, "deleted", "terug_naar_school")]
    # the monitor's material is intact: the case skeleton and its ids-only history
    assert Case.objects.filter(pk=case.pk).values("status", "outcome", "registration", "school",
                                                  "absent_since")[0] == skeleton
    assert list(CaseEvent.objects.filter(case=case).values_list("kind", "data")) == events_before


def test_care_under_the_jeugdwet_is_kept_twenty_years(api, case, u):
    complete(api, u["aoj"], case, "team_review", {"plan": "Arrangement.", "routes": ["arrangement"]})
    complete(api, u["aoj"], case, "arrangement_setup", {
        "education": "OPDC", "care_provider": "Jeugdzorg Demo", "funding": "gemeente",
        "start_date": timezone.localdate().isoformat(),
        "end_date": (timezone.localdate() + dt.timedelta(days=90)).isoformat(), "evaluation_weeks": 4})
    complete(api, u["aoj"], case, "start_confirmation", {"started": True,
                                                         "started_on": timezone.localdate().isoformat()})
    complete(api, u["aoj"], case, "arrangement_evaluation", {"result": "beeindigen"})
    close(api, u, case, "passend_aanbod")
    closed_at = Case.objects.get(pk=case.pk).closed_at
    assert [d.action for d in apply_retention(closed_at + dt.timedelta(days=6 * 365))] == ["pseudonymised"]
    assert apply_retention(closed_at + dt.timedelta(days=19 * 365)) == []
    assert [d.action for d in apply_retention(closed_at + dt.timedelta(days=21 * 365))] == ["deleted"]


def test_open_cases_are_untouched(api, case, u):
    assert apply_retention(timezone.now() + dt.timedelta(days=30 * 365)) == []
    assert Child.objects.get(pk=case.child_id).given_name == "Sanne"


def test_apply_retention_command_dry_run(api, case, u):
    from io import StringIO

    from django.core.management import call_command

    close(api, u, case)
    with time_machine.travel(timezone.now() + dt.timedelta(days=3 * 365), tick=False):
        out = StringIO()
        call_command("apply_retention", "--dry-run", stdout=out)
        assert f"case {case.pk}: pseudonymised" in out.getvalue() and "1 retention action(s) due." in out.getvalue()
        assert not RetentionLogEntry.objects.exists()
        call_command("apply_retention", stdout=StringIO())
        assert RetentionLogEntry.objects.count() == 1


# --- data-breach register ---------------------------------------------------------------------------


def test_breach_register_and_its_72_hour_clock(client, case, u):
    start = timezone.now().replace(microsecond=0)
    officer = login(client, u["privacy_officer"])
    response = officer.post("/privacy/breaches/", {
        "region": case.region_id, "what": "Mail met zaakgegevens naar verkeerde ontvanger.",
        "discovered_at": timezone.localtime(start).strftime("%Y-%m-%dT%H:%M"), "cases": str(case.pk),
        "risk": "medium", "measures": "Ontvanger gevraagd te verwijderen."})
    breach = DataBreach.objects.get()
    assert response.status_code == 302 and list(breach.cases.all()) == [case]
    clock = Deadline.objects.get(data_breach=breach)
    assert clock.kind == "breach_notification_72h"
    assert clock.due_at - breach.discovered_at == dt.timedelta(hours=72)
    with time_machine.travel(breach.discovered_at + dt.timedelta(hours=49), tick=False):
        assert sweep_due().warned == 1
    with time_machine.travel(breach.discovered_at + dt.timedelta(hours=73), tick=False):
        assert sweep_due().breached == 1
        assert officer.get(f"/privacy/breaches/{breach.pk}/").status_code == 302  # the session has expired
        officer = login(client, u["privacy_officer"])
        assert officer.get(f"/privacy/breaches/{breach.pk}/").status_code == 200
        bad = officer.post(f"/privacy/breaches/{breach.pk}/", {"decision": "notify", "decision_motivation": "x"})
        assert bad.status_code == 400 and not DataBreach.objects.get().decided_at  # AP reference missing
        officer.post(f"/privacy/breaches/{breach.pk}/", {"decision": "notify", "decision_motivation": "Hoog risico.",
                                                          "ap_reference": "AP-2026-001"})
    breach.refresh_from_db()
    assert breach.decision == "notify" and breach.ap_reference == "AP-2026-001"
    clock.refresh_from_db()
    assert clock.state == "breached" and clock.met_at is not None  # decided, but late
    assert not CaseEvent.objects.filter(kind__startswith="deadline_", data__deadline_id=clock.pk).exists()


def test_breach_cannot_link_cases_of_another_region(u, case):
    other = CaseFactory(school=SchoolFactory())
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        privacy.record_breach(actor=u["privacy_officer"], region=case.region, what="x",
                              discovered_at=timezone.now(), case_ids=[other.pk], risk="low")
    assert not DataBreach.objects.exists()


def test_retention_removes_notes_documents_and_distribution_reasons(api, case, u, _documents_in_tmp,
                                                                     django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from casework.models import Document, Note
    from tests.flowkit import open_task
    from tests.test_upload_checks import minimal_pdf

    note = api(u["aoj"]).post(f"/api/cases/{case.pk}/notes/", {"text": "Vader belde over thuissituatie."},
                              format="json")
    assert note.status_code == 201
    upload = api(u["aoj"]).post(f"/api/cases/{case.pk}/documents/",
                                {"file": SimpleUploadedFile("plan.pdf", minimal_pdf()), "kind": "plan"},
                                format="multipart")
    assert upload.status_code == 201
    task = open_task(case, "team_review")
    assert api(u["aoj"]).post("/api/tasks/bulk/", {"action": "assign", "tasks": [task.pk], "assignee": u["aoj"].pk,
                                                  "reason": "Gesprek met vader gepland"},
                              format="json").status_code == 200
    close(api, u, case)
    closed_at = Case.objects.get(pk=case.pk).closed_at
    assert [p for p in _documents_in_tmp.rglob("*") if p.is_file()]  # the file is there before

    with django_capture_on_commit_callbacks(execute=True):
        done = apply_retention(closed_at + dt.timedelta(days=2 * 365 + 1))
    assert [d.action for d in done] == ["pseudonymised"]
    assert set(Note.objects.filter(case=case).values_list("text", flat=True)) == {""}
    assert not Document.objects.filter(case=case).exists()
    assert not any(p.is_file() for p in _documents_in_tmp.rglob("*"))
    assigned = CaseEvent.objects.get(case=case, kind="task_assigned")
    assert "reason" not in assigned.data and assigned.data["task_id"] == task.pk


def test_retention_removes_the_reasons_typed_with_registration_and_taking_part(api, case, u):
    """The free text of the dated facts goes at pseudonymisation; the facts themselves stay for the counts."""
    since = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert api(u["aoj"]).post(f"/api/cases/{case.pk}/registration/", {
        "registration": "ziek", "since": since, "reason": "Moeder belde: ziek na ruzie thuis"},
        format="json").status_code == 200
    assert api(u["aoj"]).post(f"/api/cases/{case.pk}/participation/", {
        "level": "gedeeltelijk", "since": since, "setting": "eigen_school", "note": "Twee ochtenden met de vader"},
        format="json").status_code == 200
    close(api, u, case)
    closed_at = Case.objects.get(pk=case.pk).closed_at
    assert [d.action for d in apply_retention(closed_at + dt.timedelta(days=2 * 365 + 1))] == ["pseudonymised"]
    changed = CaseEvent.objects.get(case=case, kind="registration_changed", data__to="ziek")
    assert "reason" not in changed.data and (changed.data["from"], changed.data["since"]) == ("lrv", since)
    taking_part = CaseEvent.objects.get(case=case, kind="participation_changed")
    assert "note" not in taking_part.data and taking_part.data["level"] == "gedeeltelijk"
