"""A case document as a download: an attachment that no cache keeps and no browser sniffs, the
same from the pages and the API."""

from django.http import FileResponse


def file_response(document) -> FileResponse:
    response = FileResponse(document.file.open("rb"), as_attachment=True, filename=document.filename,
                            content_type=document.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
