"""Case file API: notes, documents and search. Thin: parse, call casework.services.casefile / casework.search."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from casework import search
from casework.access import MAX_ID, access_case_by_id
from casework.api.conditional import created, require_match, tagged
from casework.api.pagination import LoggedPages
from casework.api.params import query
from casework.api.serializers import (
    CaseSummarySerializer,
    DetailSerializer,
    FieldErrorsSerializer,
    Text,
    WholeNumber,
    YesNo,
)
from casework.api.version import is_v1
from casework.http.files import file_response
from casework.models import AccessLog, Document, Note
from casework.services import casefile
from systems import scopes

NOT_FOUND = OpenApiResponse(DetailSerializer, description="No such case (or note/document), or not one you work on.")
UNAUTHENTICATED = OpenApiResponse(DetailSerializer, description="Not signed in.")
INVALID = OpenApiResponse(FieldErrorsSerializer, description="Invalid input; nothing was stored.")
# What casework.search accepts: two letters or digits (\w) in all, or a single digit (a case number).
SEARCHABLE = r"\w\W*\w|[1-9]"


class NoteSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField(help_text="Username of the author.")
    mentions = serializers.SerializerMethodField(help_text="Usernames the note mentions (@username).")
    editable_until = serializers.SerializerMethodField(
        help_text="Until when the author may edit the note; after that only a correction note.")

    class Meta:
        model = Note
        fields = ["id", "text", "author", "created_at", "edited_at", "editable_until", "corrects",
                  "shared_with_mentor", "mentions"]
        read_only_fields = fields

    def get_author(self, note) -> str:
        return note.author.username

    def get_mentions(self, note) -> list[str]:
        return [user.username for user in note.mentions.all()]

    @extend_schema_field(serializers.DateTimeField())
    def get_editable_until(self, note) -> str:
        return serializers.DateTimeField().to_representation(note.created_at + casefile.edit_window())


class NoteInputSerializer(serializers.Serializer):
    text = Text(help_text="The note; @username mentions a colleague on the case (who is told).",
                max_length=casefile.NOTE_MAX_CHARS, trim_whitespace=True)
    shared_with_mentor = YesNo(
        required=False, default=False,
        help_text="Show the note to the JIM mentor (only when the young person agreed to share notes).")
    corrects = WholeNumber(required=False, allow_null=True, min_value=1, max_value=MAX_ID,
                                        help_text="Id of an earlier note of this case that this note corrects.")


class NoteEditSerializer(serializers.Serializer):
    text = Text(max_length=casefile.NOTE_MAX_CHARS, trim_whitespace=True)
    shared_with_mentor = YesNo(required=False, allow_null=True, default=None)


class DocumentSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.SerializerMethodField(help_text="Username of who uploaded it.")
    download = serializers.SerializerMethodField(help_text="Where to download it (access checked and logged).")

    class Meta:
        model = Document
        fields = ["id", "kind", "filename", "content_type", "size", "sha256", "uploaded_by", "uploaded_at",
                  "download"]
        read_only_fields = fields

    def get_uploaded_by(self, document) -> str:
        return document.uploaded_by.username

    def get_download(self, document) -> str:
        if is_v1():
            return f"/api/v1/cases/{document.case_id}/documents/{document.pk}/download"
        return f"/api/cases/{document.case_id}/documents/{document.pk}/download/"


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, PNG/JPEG or an office document (see CASEWORK_DOCUMENT_TYPES); "
                                           "at most CASEWORK_DOCUMENT_MAX_MB (default 20 MB).")
    kind = serializers.ChoiceField(choices=Document.Kind.choices, required=False, default=Document.Kind.OTHER)


def _case(request, case_id):
    """The case of the URL if the user works on it (the read is logged), else 404."""
    return access_case_by_id(request.user, case_id, request=request, action=AccessLog.Action.API_VIEW)


def _valid(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class CaseNotesView(GenericAPIView):
    serializer_class = NoteSerializer
    queryset = Note.objects.none()

    @extend_schema(summary="The notes of a case, newest first (the read is logged)",
                   responses={200: NoteSerializer(many=True), 401: UNAUTHENTICATED, 404: NOT_FOUND})
    def get(self, request, case_id):
        case = _case(request, case_id)
        page = self.paginate_queryset(casefile.notes_of(case))
        return self.get_paginated_response(NoteSerializer(page, many=True).data)

    @extend_schema(summary="Add a note (or a correction note) to a case; mentioned colleagues are told",
                   request=NoteInputSerializer,
                   responses={201: NoteSerializer, 400: INVALID, 401: UNAUTHENTICATED, 404: NOT_FOUND})
    def post(self, request, case_id):
        case = _case(request, case_id)
        data = _valid(NoteInputSerializer, request.data)
        note = casefile.add_note(case=case, actor=request.user, **data)
        return created(NoteSerializer(note).data, "case-note", with_etag=True, case_id=case.pk, note_id=note.pk)


class CaseNoteView(APIView):
    @extend_schema(summary="One note of a case", responses={200: NoteSerializer, 401: UNAUTHENTICATED,
                                                            404: NOT_FOUND})
    def get(self, request, case_id, note_id):
        case = _case(request, case_id)
        return tagged(NoteSerializer(casefile.note_of_case(case, note_id)).data)

    @extend_schema(
        summary="Edit your own note within the edit window (default 15 minutes)",
        request=NoteEditSerializer,
        responses={200: NoteSerializer, 400: INVALID, 401: UNAUTHENTICATED, 404: NOT_FOUND,
                   403: OpenApiResponse(DetailSerializer, description="Not your note, or the edit window has "
                                                                      "passed: add a correction note instead.")})
    def patch(self, request, case_id, note_id):
        case = _case(request, case_id)
        data = _valid(NoteEditSerializer, request.data)
        note = casefile.edit_note(case=case, actor=request.user, note_id=note_id, **data,
                                  precondition=require_match(request, lambda note: NoteSerializer(note).data))
        return tagged(NoteSerializer(note).data)


class CaseDocumentsView(GenericAPIView):
    serializer_class = DocumentSerializer
    queryset = Document.objects.none()
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(summary="The documents of a case (metadata; the read is logged)",
                   responses={200: DocumentSerializer(many=True), 401: UNAUTHENTICATED, 404: NOT_FOUND})
    def get(self, request, case_id):
        case = _case(request, case_id)
        page = self.paginate_queryset(casefile.documents_of(case))
        return self.get_paginated_response(DocumentSerializer(page, many=True).data)

    @extend_schema(
        summary="Upload a document to a case (multipart/form-data)",
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={201: DocumentSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND,
                   400: OpenApiResponse(FieldErrorsSerializer, description="Refused (type, content or size); "
                                                                           "nothing was stored.")})
    def post(self, request, case_id):
        case = _case(request, case_id)
        data = _valid(DocumentUploadSerializer, request.data)
        document = casefile.upload_document(case=case, actor=request.user, upload=data["file"], kind=data["kind"])
        return created(DocumentSerializer(document).data, "case-document", case_id=case.pk, document_id=document.pk)


class CaseDocumentView(APIView):
    @extend_schema(summary="One document's metadata", responses={200: DocumentSerializer, 401: UNAUTHENTICATED,
                                                                 404: NOT_FOUND})
    def get(self, request, case_id, document_id):
        case = _case(request, case_id)
        return Response(DocumentSerializer(casefile.document_of_case(case, document_id)).data)

    @extend_schema(
        summary="Remove a document you uploaded, within the edit window (default 15 minutes)",
        responses={204: None, 401: UNAUTHENTICATED, 404: NOT_FOUND,
                   403: OpenApiResponse(DetailSerializer, description="Not your upload, or the window has passed.")})
    def delete(self, request, case_id, document_id):
        case = _case(request, case_id)
        casefile.withdraw_document(case=case, actor=request.user, document_id=document_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DocumentDownloadView(APIView):
    @extend_schema(summary="Download a document (access checked; the download is logged)",
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 401: UNAUTHENTICATED,
                              404: NOT_FOUND})
    def get(self, request, case_id, document_id):
        return file_response(casefile.open_document(request.user, case_id, document_id, request=request))


class SearchView(LoggedPages, GenericAPIView):
    serializer_class = CaseSummarySerializer
    shown_list = AccessLog.List.SEARCH
    system_scopes = {"get": scopes.CASES_READ}
    queryset = Note.objects.none()

    @extend_schema(
        summary="Search the cases you work on by child's name, pupil number, school or case number",
        parameters=[query("q", {"type": "string", "pattern": SEARCHABLE}, required=True,
                          description="Words to find: at least 2 letters or digits (or a case number); every word "
                                      "must match. Results best first, paged.")],
        responses={200: CaseSummarySerializer(many=True), 400: INVALID, 401: UNAUTHENTICATED,
                   404: OpenApiResponse(DetailSerializer, description="No such page (past the last one).")})
    def get(self, request):
        results = search.search_cases(request.user, request.query_params.get("q", ""))
        page = self.paginate_queryset(results)
        return self.get_paginated_response(CaseSummarySerializer(page, many=True).data)
