"""URL patterns of the JSON API, included under /api/ by casework.urls (the schema view stays
there). Paths and names are the public contract: the OpenAPI operation ids derive from them."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from casework.api.auth import ObtainToken
from casework.api.casefile import (
    CaseDocumentsView,
    CaseDocumentView,
    CaseNotesView,
    CaseNoteView,
    DocumentDownloadView,
    SearchView,
)
from casework.api.monitor import MonitorView, QuarterView
from casework.api.notifications import NotificationViewSet
from casework.api.participation import AccessLinkRevokeView
from casework.api.tasks import TaskViewSet, WorklistViewSet
from casework.api.views import CaseViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("cases", CaseViewSet, basename="api-case")
router.register("tasks", TaskViewSet, basename="api-task")
router.register("notifications", NotificationViewSet, basename="api-notification")
router.register("worklists", WorklistViewSet, basename="api-worklist")

urlpatterns = [
    path("auth/token/", ObtainToken.as_view(), name="api-token"),
    path("monitor/", MonitorView.as_view(), name="api-monitor"),
    path("search/", SearchView.as_view(), name="api-search"),
    path("cases/<str:case_id>/notes/", CaseNotesView.as_view(), name="api-case-notes"),
    path("cases/<str:case_id>/notes/<str:note_id>/", CaseNoteView.as_view(), name="api-case-note"),
    path("cases/<str:case_id>/documents/", CaseDocumentsView.as_view(), name="api-case-documents"),
    path("cases/<str:case_id>/documents/<str:document_id>/", CaseDocumentView.as_view(),
         name="api-case-document"),
    path("cases/<str:case_id>/documents/<str:document_id>/download/", DocumentDownloadView.as_view(),
         name="api-case-document-download"),
    path("cases/<str:case_id>/links/<str:link_id>/revoke/", AccessLinkRevokeView.as_view(),
         name="api-case-link-revoke"),
    path("monitor/quarter/", QuarterView.as_view(), name="api-monitor-quarter"),
    path("", include(router.urls)),
]
