"""URL patterns of the API's version 1, included under /api/v1/ by casework.urls: the same views as
the deprecated /api/ paths, by the NL API Design Rules (no trailing slashes, kebab-case segments),
with JSON request bodies only (the document upload: multipart/form-data). The path parameters'
public names ({caseId}, {taskId}, ...) and the operationIds are set in casework.api.schema."""

from django.urls import include, path
from rest_framework.parsers import MultiPartParser
from rest_framework.routers import DefaultRouter

from casework.api.auth import Logout, LogoutAll, ObtainToken
from casework.api.casefile import (
    CaseDocumentsView,
    CaseDocumentView,
    CaseNotesView,
    CaseNoteView,
    DocumentDownloadView,
    SearchView,
)
from casework.api.chain import AbsenceReportImport, EnrolmentImport
from casework.api.monitor import MonitorView, QuarterView, YearView
from casework.api.notifications import NotificationViewSet
from casework.api.oauth import ClientToken
from casework.api.participation import AccessLinkRevokeView
from casework.api.reference import ColleagueList, RegionList, SchoolList, TeamList
from casework.api.schema import V1SchemaView
from casework.api.subscriptions import (
    DeliveriesView,
    RedeliverView,
    SubscriptionsView,
    SubscriptionView,
)
from casework.api.tasks import TaskViewSet, WorklistViewSet
from casework.api.views import CaseViewSet
from casework.http.parsers import DepthLimitedJSONParser

router = DefaultRouter(trailing_slash=False)
router.include_root_view = False
router.register("cases", CaseViewSet, basename="api-v1-case")
router.register("tasks", TaskViewSet, basename="api-v1-task")
router.register("notifications", NotificationViewSet, basename="api-v1-notification")
router.register("worklists", WorklistViewSet, basename="api-v1-worklist")

urlpatterns = [
    path("openapi.json", V1SchemaView.as_view(), name="api-v1-schema"),
    path("auth/token", ObtainToken.as_view(parser_classes=[DepthLimitedJSONParser]), name="api-v1-token"),
    path("oauth/token", ClientToken.as_view(), name="api-v1-oauth-token"),
    path("auth/logout", Logout.as_view(), name="api-v1-logout"),
    path("auth/logout-all", LogoutAll.as_view(), name="api-v1-logout-all"),
    path("absence-reports", AbsenceReportImport.as_view(), name="api-v1-absence-reports"),
    path("enrolments", EnrolmentImport.as_view(), name="api-v1-enrolments"),
    path("schools", SchoolList.as_view(), name="api-v1-schools"),
    path("regions", RegionList.as_view(), name="api-v1-regions"),
    path("teams", TeamList.as_view(), name="api-v1-teams"),
    path("colleagues", ColleagueList.as_view(), name="api-v1-colleagues"),
    path("monitor", MonitorView.as_view(), name="api-v1-monitor"),
    path("monitor/quarter", QuarterView.as_view(), name="api-v1-monitor-quarter"),
    path("monitor/year", YearView.as_view(), name="api-v1-monitor-year"),
    path("search", SearchView.as_view(), name="api-v1-search"),
    path("cases/<str:case_id>/notes", CaseNotesView.as_view(), name="api-v1-case-notes"),
    path("cases/<str:case_id>/notes/<str:note_id>", CaseNoteView.as_view(), name="api-v1-case-note"),
    path("cases/<str:case_id>/documents", CaseDocumentsView.as_view(parser_classes=[MultiPartParser]),
         name="api-v1-case-documents"),
    path("cases/<str:case_id>/documents/<str:document_id>", CaseDocumentView.as_view(),
         name="api-v1-case-document"),
    path("cases/<str:case_id>/documents/<str:document_id>/download", DocumentDownloadView.as_view(),
         name="api-v1-case-document-download"),
    path("cases/<str:case_id>/links/<str:link_id>/revoke", AccessLinkRevokeView.as_view(),
         name="api-v1-case-link-revoke"),
    path("subscriptions", SubscriptionsView.as_view(), name="api-v1-subscriptions"),
    path("subscriptions/<str:subscription_id>", SubscriptionView.as_view(), name="api-v1-subscription"),
    path("subscriptions/<str:subscription_id>/deliveries", DeliveriesView.as_view(), name="api-v1-deliveries"),
    path("subscriptions/<str:subscription_id>/deliveries/<str:delivery_id>/redeliver", RedeliverView.as_view(),
         name="api-v1-redeliver"),
    path("", include(router.urls)),
]
