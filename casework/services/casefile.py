"""The case file: notes and documents. Services (one transaction each, a CaseEvent each) and the
selectors their pages use. Views and the API call these and nothing else.

- A note is written by someone who sees the case; its author may edit it for
  CASEWORK_NOTE_EDIT_MINUTES, after that only a correction note can follow it. `@username`
  mentions of people on the case notify them.
- A document is checked (type by extension *and* content, size) before anything is stored; it is
  stored under a random name in the `documents` storage, and read only through `open_document`,
  which checks access and writes an AccessLog row.
"""

import hashlib
import re
from datetime import timedelta

import filetype
import olefile
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Lower
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from casework.access import log_case_read, parse_id, visible_case_filter
from casework.models import AccessLog, Case, Document, Note, RetentionLogEntry, events
from casework.services.ladder import command
from casework.step import Step
from notifications import rules
from notifications.models import Notification
from notifications.services import notify
from teams.models import User

NOTE_MAX_CHARS = 5000
# "@name" not preceded by a word character or a dot (so e-mail addresses are not mentions).
MENTION = re.compile(r"(?<![\w.])@([\w][\w.+-]*[\w]|[\w])")


class EditWindowClosed(PermissionDenied):
    """The note is older than the edit window: only a correction note can follow it."""


def edit_window() -> timedelta:
    return timedelta(minutes=settings.CASEWORK_NOTE_EDIT_MINUTES)


def may_edit(note: Note, user, now=None) -> bool:
    return note.author_id == user.pk and (now or timezone.now()) < note.created_at + edit_window()


# --- notes ------------------------------------------------------------------------------------

def notes_of(case: Case) -> QuerySet[Note]:
    """The case's notes, newest first, with author, mentions and what they correct (constant queries)."""
    return (case.notes.select_related("author", "corrects__author")
            .prefetch_related(Prefetch("mentions", queryset=User.objects.order_by("username")))
            .order_by("-created_at", "-pk"))


def _ensure_writable(case: Case) -> None:
    if RetentionLogEntry.objects.filter(case_number=case.pk).exists():
        raise ValidationError({"case": [_("This case file has been pseudonymised; nothing can be added to it.")]})


def _clean_text(text) -> str:
    text = (text or "").strip() if isinstance(text, str) else ""
    if not text:
        raise ValidationError({"text": [_("Write a note.")]})
    if len(text) > NOTE_MAX_CHARS:
        raise ValidationError({"text": [_("A note is at most %(max)s characters.") % {"max": NOTE_MAX_CHARS}]})
    return text


def mentioned_users(case: Case, text: str) -> list[User]:
    """The people on the case that `text` mentions as @username (ValidationError for anyone else)."""
    names = {name.casefold() for name in MENTION.findall(text)}
    if not names:
        return []
    found = list(User.objects.annotate(lowered=Lower("username"))
                 .filter(lowered__in=names, is_active=True).filter(rules.can_see(case)))
    unknown = sorted(names - {user.username.casefold() for user in found})
    if unknown:
        raise ValidationError({"text": [
            _("Not on this case, so not mentioned: %(names)s. Mention only people who work on the case.")
            % {"names": ", ".join(f"@{name}" for name in unknown)}]})
    return found


def _announce_mentions(note: Note, users: list[User], actor) -> None:
    if users:
        notify(kind=Notification.Kind.MENTIONED, case=note.case, actor=actor,
               data={"note_id": note.pk, "user_ids": [user.pk for user in users]})


@command
def add_note(*, step: Step, case: Case, text: str, shared_with_mentor: bool = False, corrects: int | None = None) -> Note:
    """Write a note (or, with `corrects`, a correction of an earlier note of this case)."""
    actor = step.actor
    text = _clean_text(text)
    corrected = None
    if corrects not in (None, ""):
        try:
            corrected = Note.objects.filter(case=case, pk=parse_id(corrects)).first()
        except Http404:
            corrected = None
        if corrected is None:
            raise ValidationError({"corrects": [_("There is no such note on this case.")]})
    _ensure_writable(case)
    mentions = mentioned_users(case, text)
    now = timezone.now()
    note = Note.objects.create(case=case, author=actor, text=text, created_at=now, corrects=corrected,
                               shared_with_mentor=bool(shared_with_mentor))
    note.mentions.set(mentions)
    if corrected is None:
        step.record(case, actor, events.NoteAdded, at=now, note_id=note.pk)
    else:
        step.record(case, actor, events.NoteCorrected, at=now, note_id=note.pk, corrects_id=corrected.pk)
    _announce_mentions(note, mentions, actor)
    return note


def note_of_case(case: Case, note_id) -> Note:
    return get_object_or_404(Note.objects.select_related("author"), case=case, pk=parse_id(note_id))


@command
def edit_note(*, step: Step, case: Case, note_id, text: str, shared_with_mentor: bool | None = None,
              precondition=None) -> Note:
    """The author's edit within the window; after it, EditWindowClosed (403): add a correction note.
    `precondition(note)`, when given, sees the note as it stands under its lock and may refuse the
    edit by raising (the API's If-Match: the version the client read must still be the current one)."""
    actor = step.actor
    note = get_object_or_404(Note.objects.select_for_update().select_related("author"), case=case,
                             pk=parse_id(note_id))
    if precondition is not None:
        precondition(note)
    if note.author_id != actor.pk:
        raise PermissionDenied(_("Only the author can edit a note; add a correction note instead."))
    now = timezone.now()
    if not may_edit(note, actor, now):
        raise EditWindowClosed(
            _("Notes can be edited for %(minutes)s minutes; add a correction note instead.")
            % {"minutes": settings.CASEWORK_NOTE_EDIT_MINUTES})
    text = _clean_text(text)
    _ensure_writable(case)
    mentions = mentioned_users(case, text)
    already = set(note.mentions.values_list("pk", flat=True))
    note.text = text
    note.edited_at = now
    if shared_with_mentor is not None:
        note.shared_with_mentor = bool(shared_with_mentor)
    note.save(update_fields=["text", "edited_at", "shared_with_mentor"])
    note.mentions.set(mentions)
    step.record(case, actor, events.NoteEdited, at=now, note_id=note.pk)
    _announce_mentions(note, [user for user in mentions if user.pk not in already], actor)
    return note


# --- documents ----------------------------------------------------------------------------------

def max_document_bytes() -> int:
    return settings.CASEWORK_DOCUMENT_MAX_MB * 1024 * 1024


def accepted_extensions() -> list[str]:
    return sorted(settings.CASEWORK_DOCUMENT_TYPES)


def check_upload(upload) -> str:
    """The MIME type of an acceptable upload; ValidationError (nothing stored) otherwise.

    The extension must be one of CASEWORK_DOCUMENT_TYPES and the content must be that type, judged
    by more than its first bytes: the magic numbers (via `filetype`), then the structure — a PDF
    must parse as a PDF (`pypdf`), an old Office file (OLE2) must hold the stream of the type its
    name claims (`olefile`) — and no file may carry web page or script code (a polyglot that a
    browser could run as HTML). A renamed executable is refused."""
    if upload is None or not getattr(upload, "name", ""):
        raise ValidationError({"file": [_("Choose a file to upload.")]})
    if upload.size == 0:
        raise ValidationError({"file": [_("The file is empty.")]})
    if upload.size > max_document_bytes():
        raise ValidationError({"file": [_("The file is too large: at most %(max)s MB.")
                                        % {"max": settings.CASEWORK_DOCUMENT_MAX_MB}]})
    extension = upload.name.rsplit(".", 1)[-1].casefold() if "." in upload.name else ""
    expected = settings.CASEWORK_DOCUMENT_TYPES.get(extension)
    if expected is None:
        raise ValidationError({"file": [_("This kind of file is not accepted. Accepted: %(types)s.")
                                        % {"types": ", ".join(accepted_extensions())}]})
    mismatch = ValidationError({"file": [_("The content of the file does not match its name (.%(ext)s).")
                                         % {"ext": extension}]})
    try:
        head = _read(upload, 0, 8192)
        if expected in OLE2_STREAMS:
            if not (head.startswith(OLE2) and _ole2_holds(upload, OLE2_STREAMS[expected])):
                raise mismatch
        elif filetype.guess_mime(head) != expected:
            raise mismatch
        if _has_active_content(upload):
            raise ValidationError({"file": [_("The file contains web page or script code and is not accepted.")]})
        if expected == "application/pdf" and not _parses_as_pdf(upload):
            raise ValidationError({"file": [_("This PDF cannot be read as a PDF (damaged, or not a real PDF).")]})
    finally:
        upload.seek(0)
    return expected


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The stream an old Office file of each type holds in its OLE2 directory (any one of them).
OLE2_STREAMS = {
    "application/msword": ("WordDocument",),
    "application/vnd.ms-excel": ("Workbook", "Book"),
    "application/vnd.ms-powerpoint": ("PowerPoint Document",),
}
# What a browser would run as a web page, in any case: never in a case file's document.
ACTIVE_MARKERS = (b"<html", b"<script", b"<!doctype html", b"javascript:")
EDGE_BYTES = 8192  # a large file is scanned at both ends (where a polyglot hides its page) ...
SCAN_WHOLE_BYTES = 1024 * 1024  # ... a small one throughout
PDF_TAIL_BYTES = 1024  # %%EOF and startxref are at the end of a PDF (its trailer)


def _read(upload, offset: int, count: int) -> bytes:
    upload.seek(offset)
    return upload.read(count)


def _has_active_content(upload) -> bool:
    if upload.size <= SCAN_WHOLE_BYTES:
        parts = [_read(upload, 0, upload.size)]
    else:
        parts = [_read(upload, 0, EDGE_BYTES), _read(upload, upload.size - EDGE_BYTES, EDGE_BYTES)]
    return any(marker in part.lower() for part in parts for marker in ACTIVE_MARKERS)


def _parses_as_pdf(upload) -> bool:
    """A PDF's structure: the %PDF- header, a trailer with startxref and %%EOF, and a document that
    pypdf reads (its cross-reference table and pages; an encrypted one up to its pages)."""
    if not _read(upload, 0, 5) == b"%PDF-":
        return False
    tail = _read(upload, max(0, upload.size - PDF_TAIL_BYTES), PDF_TAIL_BYTES)
    if b"%%EOF" not in tail or b"startxref" not in tail:
        return False
    upload.seek(0)
    try:
        reader = PdfReader(upload, strict=False)
        return reader.is_encrypted or len(reader.pages) > 0
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError):
        return False  # pypdf raises more than its own errors on a broken file


def _ole2_holds(upload, streams: tuple[str, ...]) -> bool:
    """Whether the OLE2 compound file's directory holds one of `streams` (a .doc its WordDocument,
    a .xls its Workbook or Book): an Excel file renamed .doc, or any other OLE2 file, is refused."""
    upload.seek(0)
    try:
        with olefile.OleFileIO(upload) as ole:
            return any(ole.exists(stream) for stream in streams)
    except (OSError, ValueError, IndexError, TypeError):  # olefile raises OSError on a broken file
        return False


def _safe_filename(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if char.isprintable() and char not in '"<>|:*?')
    return name.strip()[:200] or "document"


def documents_of(case: Case) -> QuerySet[Document]:
    return case.documents.select_related("uploaded_by").order_by("-uploaded_at", "-pk")


def upload_document(*, case: Case, actor, upload, kind: str = Document.Kind.OTHER) -> Document:
    """Check, store and record a document. On any error nothing is stored.

    The file is written first and removed again if the rows cannot be committed; the block is
    durable (never nested in another transaction), so "committed" is known when it ends."""
    if kind not in Document.Kind.values:
        raise ValidationError({"kind": [_("Choose a kind of document.")]})
    content_type = check_upload(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    _ensure_writable(case)
    document = Document(case=case, kind=kind, filename=_safe_filename(upload.name), content_type=content_type,
                        size=upload.size, sha256=digest.hexdigest(), uploaded_by=actor, uploaded_at=timezone.now())
    document.file.save(document.filename, upload, save=False)
    try:
        with Step.begin(actor, durable=True) as step:
            document.save()
            step.record(case, actor, events.DocumentUploaded, at=document.uploaded_at, document_id=document.pk,
                             document_kind=kind)
    except BaseException:
        document.file.storage.delete(document.file.name)
        raise
    return document


def open_document(user, case_id, document_id, *, request=None) -> Document:
    """The document if `user` may see its case, else Http404. The download is logged (only once
    the document is found)."""
    document = get_object_or_404(Document.objects.filter(visible_case_filter(user, "case_id")).select_related("case"),
                                 case_id=parse_id(case_id), pk=parse_id(document_id))
    log_case_read(user, document.case, action=AccessLog.Action.DOWNLOAD, request=request)
    return document


def document_of_case(case: Case, document_id) -> Document:
    return get_object_or_404(Document.objects.select_related("uploaded_by"), case=case, pk=parse_id(document_id))


def may_withdraw(document: Document, user, now=None) -> bool:
    """The uploader may take a document back within the edit window (a wrong file, another
    child's report); after that it stays with the case until its retention."""
    return document.uploaded_by_id == user.pk and (now or timezone.now()) < document.uploaded_at + edit_window()


@command
def withdraw_document(*, step: Step, case: Case, document_id) -> None:
    """Remove a document the actor uploaded moments ago: the row now, the file once committed."""
    actor = step.actor
    document = get_object_or_404(Document.objects.select_for_update(), case=case, pk=parse_id(document_id))
    if not may_withdraw(document, actor):
        raise EditWindowClosed(
            _("Only who uploaded a document can remove it, within %(minutes)s minutes. Ask the privacy officer "
              "if a document must go later.") % {"minutes": settings.CASEWORK_NOTE_EDIT_MINUTES})
    storage, name = document.file.storage, document.file.name
    step.record(case, actor, events.DocumentWithdrawn, document_id=document.pk)
    document.delete()
    transaction.on_commit(lambda: storage.delete(name))


def delete_documents_of(case: Case) -> int:
    """Retention: remove the case's documents, rows now and files once the transaction commits."""
    names = [(doc.file.storage, doc.file.name) for doc in case.documents.all()]
    count = case.documents.all().delete()[0]
    for storage, name in names:
        transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))
    return count
