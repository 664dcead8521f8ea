"""The case file: notes (edit window, corrections, mentions), documents (checked uploads, logged
downloads, retention) and search (never an invisible case)."""

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from casework.models import AccessLog, CaseEvent, Document, Mentor, Note
from casework.selectors import mentor_page
from casework.services import casefile
from notifications.models import Notification
from tests.factories import CaseFactory, ChildFactory, MembershipFactory, SchoolFactory, UserFactory
from tests.flowkit import signal
from tests.test_upload_checks import minimal_pdf

pytestmark = pytest.mark.django_db

PDF = minimal_pdf()  # a real PDF: uploads must parse as one
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def case(api, demo, u):
    return signal(api, u["aoj"], demo["schools"]["vo"])


def notes_url(case, note=None):
    return f"/api/cases/{case.pk}/notes/" + (f"{note}/" if note else "")


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


# --- notes -------------------------------------------------------------------------------------

def test_a_note_is_a_case_event_and_visible_to_the_case_team_only(api, case, u):
    response = api(u["aoj"]).post(notes_url(case), {"text": "Moeder gebeld, gesprek volgende week."}, format="json")
    assert response.status_code == 201, response.content
    note = Note.objects.get(pk=response.json()["id"])
    assert note.author == u["aoj"] and note.case == case
    assert CaseEvent.objects.filter(case=case, kind="note_added", data__note_id=note.pk).count() == 1

    listed = api(u["aoj_2"]).get(notes_url(case))
    assert listed.status_code == 200
    assert [row["text"] for row in listed.json()["results"]] == ["Moeder gebeld, gesprek volgende week."]
    # someone not on the case: 404 for reading and for writing, and nothing is written
    assert api(u["outsider"]).get(notes_url(case)).status_code == 404
    assert api(u["outsider"]).post(notes_url(case), {"text": "x"}, format="json").status_code == 404
    assert api(u["outsider"]).get(notes_url(case, note.pk)).status_code == 404
    assert Note.objects.count() == 1


def test_an_empty_note_is_refused(api, case, u):
    response = api(u["aoj"]).post(notes_url(case), {"text": "   "}, format="json")
    assert response.status_code == 400
    assert "text" in response.json()
    assert not Note.objects.exists()


def test_the_author_may_edit_for_15_minutes_then_only_a_correction(api, case, u):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        note_id = api(u["aoj"]).post(notes_url(case), {"text": "Eerste versie"}, format="json").json()["id"]
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        # a colleague may not edit it, even within the window
        other = api(u["aoj_2"]).patch(notes_url(case, note_id), {"text": "Van iemand anders"}, format="json")
        assert other.status_code == 403
        edited = api(u["aoj"]).patch(notes_url(case, note_id), {"text": "Tweede versie"}, format="json")
        assert edited.status_code == 200, edited.content
        assert edited.json()["edited_at"] is not None
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        late = api(u["aoj"]).patch(notes_url(case, note_id), {"text": "Derde versie"}, format="json")
        assert late.status_code == 403
        assert "correctie" in late.json()["detail"].lower() or "correction" in late.json()["detail"].lower()
        correction = api(u["aoj"]).post(notes_url(case), {"text": "Correctie: het was vader.",
                                                          "corrects": note_id}, format="json")
        assert correction.status_code == 201
    assert Note.objects.get(pk=note_id).text == "Tweede versie"
    assert Note.objects.get(pk=correction.json()["id"]).corrects_id == note_id
    kinds = list(CaseEvent.objects.filter(case=case, kind__startswith="note_").values_list("kind", flat=True))
    assert kinds == ["note_added", "note_edited", "note_corrected"]


def test_a_correction_must_correct_a_note_of_the_same_case(api, case, u, demo):
    other_case = signal(api, u["aoj"], demo["schools"]["vo"], given_name="Tim", family_name="Anders")
    foreign = casefile.add_note(case=other_case, actor=u["aoj"], text="Andere zaak")
    response = api(u["aoj"]).post(notes_url(case), {"text": "Correctie", "corrects": foreign.pk}, format="json")
    assert response.status_code == 400
    assert "corrects" in response.json()
    assert Note.objects.filter(case=case).count() == 0


def test_a_mention_notifies_the_colleague_and_nobody_else(api, case, u):
    response = api(u["aoj"]).post(notes_url(case), {"text": "@aoj_2 wil jij de school bellen? (cc @aoj)"},
                                  format="json")
    assert response.status_code == 201, response.content
    assert sorted(response.json()["mentions"]) == ["aoj", "aoj_2"]
    mentioned = Notification.objects.filter(kind="mentioned")
    assert [n.recipient.username for n in mentioned] == ["aoj_2"]  # never the author about their own note
    assert mentioned.get().case_id == case.pk


def test_mentioning_someone_not_on_the_case_is_refused_and_stores_nothing(api, case, u):
    response = api(u["aoj"]).post(notes_url(case), {"text": "@outsider kijk even mee"}, format="json")
    assert response.status_code == 400
    assert "@outsider" in response.json()["text"][0]
    assert not Note.objects.exists()
    assert not Notification.objects.filter(kind="mentioned").exists()
    assert not CaseEvent.objects.filter(kind="note_added").exists()


def test_an_e_mail_address_is_not_a_mention(api, case, u):
    response = api(u["aoj"]).post(notes_url(case), {"text": "Mail naar ouder@example.org gestuurd"}, format="json")
    assert response.status_code == 201
    assert response.json()["mentions"] == []


def test_an_edit_tells_only_the_newly_mentioned(api, case, u):
    note = casefile.add_note(case=case, actor=u["aoj"], text="Overleg met @aoj_2")
    assert Notification.objects.filter(kind="mentioned").count() == 1
    casefile.edit_note(case=case, actor=u["aoj"], note_id=note.pk, text="Overleg met @aoj_2, gedaan")
    assert Notification.objects.filter(kind="mentioned").count() == 1


def test_the_jim_mentor_sees_only_shared_notes_and_only_with_consent(case, u):
    casefile.add_note(case=case, actor=u["aoj"], text="Intern: gesprek met de zorgaanbieder")
    casefile.add_note(case=case, actor=u["aoj"], text="Voor de mentor: start op maandag", shared_with_mentor=True)
    mentor = Mentor.objects.create(case=case, name="Mentor", relation="oom", contact="06-0", share=["plan"],
                                   recorded_by=u["aoj"])
    assert mentor_page(case, mentor)["notes"] == []
    mentor.share = ["plan", "notes"]
    assert [note.text for note in mentor_page(case, mentor)["notes"]] == ["Voor de mentor: start op maandag"]


def test_notes_on_the_case_page_and_edit_page(client, case, u):
    client.force_login(u["aoj"])
    response = client.post(reverse("case-note-add", args=[case.pk]), {"text": "Via de pagina"})
    assert response.status_code == 302
    note = Note.objects.get()
    page = client.get(reverse("case-detail", args=[case.pk]))
    assert "Via de pagina" in page.content.decode()
    assert reverse("case-note-edit", args=[case.pk, note.pk]) in page.content.decode()
    edit = client.post(reverse("case-note-edit", args=[case.pk, note.pk]), {"text": "Aangepast"})
    assert edit.status_code == 302
    assert Note.objects.get().text == "Aangepast"
    empty = client.post(reverse("case-note-add", args=[case.pk]), {"text": ""})
    assert empty.status_code == 400
    assert Note.objects.count() == 1


# --- documents -----------------------------------------------------------------------------------

def upload(api, user, case, name, content, kind="plan"):
    return api(user).post(f"/api/cases/{case.pk}/documents/",
                          {"file": SimpleUploadedFile(name, content), "kind": kind}, format="multipart")


def test_upload_then_download_is_checked_and_logged(api, case, u, _documents_in_tmp):
    response = upload(api, u["aoj"], case, "plan van aanpak.pdf", PDF)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["content_type"] == "application/pdf" and body["size"] == len(PDF) and body["kind"] == "plan"
    document = Document.objects.get(pk=body["id"])
    # stored under a random name, not the original one, and not under any public URL
    assert len(stored_files(_documents_in_tmp)) == 1
    assert "plan van aanpak" not in document.file.name
    assert CaseEvent.objects.filter(case=case, kind="document_uploaded", data__document_id=document.pk).exists()

    before = AccessLog.objects.filter(action=AccessLog.Action.DOWNLOAD).count()
    download = api(u["aoj_2"]).get(body["download"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert "attachment" in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    log = AccessLog.objects.filter(action=AccessLog.Action.DOWNLOAD).order_by("-pk").first()
    assert AccessLog.objects.filter(action=AccessLog.Action.DOWNLOAD).count() == before + 1
    assert log.user == u["aoj_2"] and log.case_id == case.pk


def test_outsiders_get_404_for_documents_and_leave_no_download_log(api, client, case, u):
    document_id = upload(api, u["aoj"], case, "rapport.png", PNG, kind="school_report").json()["id"]
    for url in (f"/api/cases/{case.pk}/documents/{document_id}/download/",
                f"/api/cases/{case.pk}/documents/{document_id}/",
                f"/api/cases/{case.pk}/documents/"):
        assert api(u["outsider"]).get(url).status_code == 404
    client.force_login(u["outsider"])
    assert client.get(reverse("case-document", args=[case.pk, document_id])).status_code == 404
    assert not AccessLog.objects.filter(user=u["outsider"]).exists()
    # a document id of another case under this case's URL is not found either
    assert api(u["aoj"]).get(f"/api/cases/{case.pk}/documents/{document_id + 1000}/download/").status_code == 404


@pytest.mark.parametrize("name, content, reason", [
    ("setup.exe", b"MZ\x90\x00" + b"\x00" * 100, "type"),
    ("rapport.pdf", b"MZ\x90\x00 this is really a program", "content"),
    ("notitie.txt", b"platte tekst", "type"),
    ("leeg.pdf", b"", "empty"),
])
def test_refused_uploads_store_nothing(api, case, u, _documents_in_tmp, name, content, reason):
    response = upload(api, u["aoj"], case, name, content)
    assert response.status_code == 400, (reason, response.content)
    assert "file" in response.json()
    assert not Document.objects.exists()
    assert stored_files(_documents_in_tmp) == []
    assert not CaseEvent.objects.filter(kind="document_uploaded").exists()


def test_a_too_large_upload_is_refused_and_stores_nothing(api, case, u, settings, _documents_in_tmp):
    settings.CASEWORK_DOCUMENT_MAX_MB = 1
    big = PDF + b"0" * (1024 * 1024)
    response = upload(api, u["aoj"], case, "groot.pdf", big)
    assert response.status_code == 400
    assert "1 MB" in response.json()["file"][0]
    assert not Document.objects.exists() and stored_files(_documents_in_tmp) == []
    assert upload(api, u["aoj"], case, "klein.pdf", PDF).status_code == 201


def test_upload_and_download_on_the_case_page(client, case, u):
    client.force_login(u["aoj"])
    response = client.post(reverse("case-document-upload", args=[case.pk]),
                           {"file": SimpleUploadedFile("verslag.pdf", PDF), "kind": "advice"})
    assert response.status_code == 302
    document = Document.objects.get()
    page = client.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert "verslag.pdf" in page
    download = client.get(reverse("case-document", args=[case.pk, document.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    refused = client.post(reverse("case-document-upload", args=[case.pk]),
                          {"file": SimpleUploadedFile("x.exe", b"MZ"), "kind": "other"})
    assert refused.status_code == 400
    assert Document.objects.count() == 1


def test_documents_go_with_the_case_at_pseudonymisation(api, case, u, _documents_in_tmp,
                                                         django_capture_on_commit_callbacks):
    upload(api, u["aoj"], case, "plan.pdf", PDF)
    assert len(stored_files(_documents_in_tmp)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert casefile.delete_documents_of(case) == 1
    assert not Document.objects.exists()
    assert stored_files(_documents_in_tmp) == []


# --- search ---------------------------------------------------------------------------------------

@pytest.fixture
def namesakes(member, outsider, vo_school):
    """Two children with the same name: one at the member's school, one at the outsider's."""
    mine = CaseFactory(school=vo_school, child=ChildFactory(given_name="Sanne", family_name="Gelijknamig",
                                                            pupil_number="LL-7001"))
    other_school = outsider.memberships.get().team.school
    theirs = CaseFactory(school=other_school, child=ChildFactory(given_name="Sanne", family_name="Gelijknamig",
                                                                 pupil_number="LL-7002",
                                                                 birth_date=mine.child.birth_date.replace(day=2)))
    return mine, theirs


def search_ids(api, user, q):
    response = api(user).get("/api/search/", {"q": q})
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_search_never_returns_a_case_the_user_may_not_see(api, member, outsider, namesakes):
    mine, theirs = namesakes
    assert search_ids(api, member, "Sanne Gelijknamig") == [mine.pk]
    assert search_ids(api, outsider, "gelijknamig") == [theirs.pk]
    # by the other child's pupil number or case number: nothing
    assert search_ids(api, member, "LL-7002") == []
    assert search_ids(api, member, str(theirs.pk)) == []
    assert search_ids(api, UserFactory(username="nobody"), "Sanne") == []


def test_search_by_pupil_number_school_and_case_number(api, member, vo_school, namesakes):
    mine, _ = namesakes
    assert search_ids(api, member, "LL-7001") == [mine.pk]
    assert mine.pk in search_ids(api, member, vo_school.name)
    assert search_ids(api, member, str(mine.pk))[0] == mine.pk


def test_search_ranks_the_exact_case_number_first_and_pages(api, member, vo_school):
    cases = [CaseFactory(school=vo_school, child=ChildFactory(family_name=f"Zoekmans{n}")) for n in range(3)]
    target = cases[1]
    ids = search_ids(api, member, str(target.pk))
    assert ids[0] == target.pk
    response = api(member).get("/api/search/", {"q": "Testcollege"})
    assert response.json()["count"] == 3


def test_a_too_short_search_is_a_clear_400(api, client, member):
    response = api(member).get("/api/search/", {"q": "a"})
    assert response.status_code == 400 and "q" in response.json()
    client.force_login(member)
    assert client.get(reverse("search"), {"q": "%"}).status_code == 400


def test_the_search_page_lists_only_visible_cases(client, member, namesakes):
    mine, theirs = namesakes
    client.force_login(member)
    response = client.get(reverse("search"), {"q": "Gelijknamig"})
    assert response.status_code == 200
    assert [case.pk for case in response.context["page"].object_list] == [mine.pk]
    assert reverse("case-detail", args=[theirs.pk]) not in response.content.decode()


def test_search_matches_the_start_of_a_name(api, member, vo_school):
    case = CaseFactory(school=vo_school, child=ChildFactory(given_name="Jan-Willem", family_name="Verbeek"))
    assert search_ids(api, member, "verb") == [case.pk]
    assert search_ids(api, member, "jan verbeek") == [case.pk]


def test_another_teams_member_with_a_case_of_the_same_child_name_sees_only_their_own(api, vo_school):
    other = SchoolFactory(name="Derde school", region=vo_school.region)
    user = UserFactory(username="third")
    MembershipFactory(user=user, team=other.teams.get())
    first = CaseFactory(school=vo_school, child=ChildFactory(given_name="Ali", family_name="Dubbel"))
    own = CaseFactory(school=other, child=ChildFactory(given_name="Ali", family_name="Dubbel",
                                                       birth_date=first.child.birth_date.replace(day=3)))
    assert search_ids(api, user, "Dubbel") == [own.pk]


@pytest.mark.parametrize("q", ["9" * 25, "²³", "١٢٣ Gelijknamig"])
def test_odd_numbers_in_a_search_are_no_crash(api, member, namesakes, q):
    response = api(member).get("/api/search/", {"q": q})
    assert response.status_code in (200, 400)


def test_the_uploader_may_remove_a_document_within_the_window_only(api, client, case, u, _documents_in_tmp,
                                                                   django_capture_on_commit_callbacks):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = upload(api, u["aoj"], case, "verkeerd kind.pdf", PDF).json()["id"]
        second = upload(api, u["aoj"], case, "plan.pdf", PDF).json()["id"]
    url = f"/api/cases/{case.pk}/documents/{{}}/"
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        assert api(u["aoj_2"]).delete(url.format(first)).status_code == 403  # not the uploader
        assert api(u["outsider"]).delete(url.format(first)).status_code == 404
        with django_capture_on_commit_callbacks(execute=True):
            assert api(u["aoj"]).delete(url.format(first)).status_code == 204
    assert not Document.objects.filter(pk=first).exists()
    assert len(stored_files(_documents_in_tmp)) == 1  # the other one
    assert CaseEvent.objects.filter(case=case, kind="document_withdrawn", data__document_id=first).exists()
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        assert api(u["aoj"]).delete(url.format(second)).status_code == 403
        client.force_login(u["aoj"])
        assert client.post(reverse("case-document-remove", args=[case.pk, second])).status_code == 302
    assert Document.objects.filter(pk=second).exists()


def office_file(kind: str) -> bytes:
    """A minimal office document with the layout Word and LibreOffice write (zip entries in order)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if kind == "odt":
            archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text",
                             compress_type=zipfile.ZIP_STORED)
            archive.writestr("content.xml", "<office:document-content/>")
        else:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("_rels/.rels", "<Relationships/>")
            archive.writestr("word/document.xml" if kind == "docx" else "xl/workbook.xml", "<document/>")
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["docx", "xlsx", "odt"])
def test_office_documents_are_accepted(api, case, u, kind):
    response = upload(api, u["aoj"], case, f"verslag.{kind}", office_file(kind))
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == settings.CASEWORK_DOCUMENT_TYPES[kind]


def test_a_word_file_named_as_a_spreadsheet_is_refused(api, case, u):
    assert upload(api, u["aoj"], case, "verslag.xlsx", office_file("docx")).status_code == 400
