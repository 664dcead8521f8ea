"""The case file: notes and documents, and where the documents' files are stored."""

import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .cases import Case


def document_storage():
    """Where case documents live: the `documents` storage (file system in `make run`, an
    S3-compatible store in production; never a public URL)."""
    return storages["documents"]


def document_path(document, filename: str) -> str:
    """A random name per upload under the case's folder: the original name is kept in the row only."""
    return f"cases/{document.case_id}/{uuid.uuid4().hex}"


class DocumentFileField(models.FileField):
    """A file field whose storage and upload path are chosen when the program runs: they are no
    part of the schema, so the migrations do not record them (and import no code of this project)."""

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        kwargs.pop("storage", None)
        kwargs["upload_to"] = ""  # as a plain FileField says
        return name, "django.db.models.FileField", args, kwargs


class Note(models.Model):
    """A short text on a case by one of its participants. Editable by its author for a short
    window (CASEWORK_NOTE_EDIT_MINUTES); after that only a correction note can follow it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes", verbose_name=_("case"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("author"))
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections",
                                 verbose_name=_("corrects note"))
    shared_with_mentor = models.BooleanField(
        _("share with the JIM mentor"), default=False,
        help_text=_("Only when the young person agreed to share notes with their JIM mentor."))
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                      verbose_name=_("mentioned"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        indexes = [models.Index(fields=["case", "created_at"], name="note_case_created")]

    def __str__(self):
        return f"{_('note')} {self.pk}"


class Document(models.Model):
    """A file on a case (plan van aanpak, school report, advice). Stored under a random name in
    the `documents` storage; read only through the download view, which checks access and logs."""

    class Kind(models.TextChoices):
        PLAN = "plan", _("plan of action")
        SCHOOL_REPORT = "school_report", _("school report")
        ADVICE = "advice", _("advice")
        DECISION = "decision", _("decision")
        CORRESPONDENCE = "correspondence", _("correspondence")
        OTHER = "other", _("other")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents", verbose_name=_("case"))
    kind = models.CharField(_("kind of document"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    file = DocumentFileField(_("file"), storage=document_storage, upload_to=document_path, max_length=200)
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64, editable=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self):
        return f"{_('document')} {self.pk}"
