from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter

from casework import (
    casefile_views,
    monitor_views,
    participation_views,
    privacy_views,
    registration_views,
    views,
)
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
from casework.api.tasks import TaskViewSet, WorklistViewSet
from casework.api.views import CaseViewSet
from notifications import views as notification_views
from workflows import meeting_views
from workflows import views as task_views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("cases", CaseViewSet, basename="api-case")
router.register("tasks", TaskViewSet, basename="api-task")
router.register("notifications", NotificationViewSet, basename="api-notification")
router.register("worklists", WorklistViewSet, basename="api-worklist")

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="inbox-default", permanent=False)),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("cases/", views.case_list, name="case-list"),
    path("cases/new/", views.signal_new, name="case-signal"),
    path("cases/<int:case_id>/", views.case_detail, name="case-detail"),
    path("cases/<int:case_id>/mentor/", views.mentor_view, name="case-mentor"),
    path("cases/<int:case_id>/registration/", registration_views.registration_change, name="case-registration"),
    path("cases/<int:case_id>/participation/", registration_views.participation_record, name="case-participation"),
    path("cases/<int:case_id>/startkwalificatie/", registration_views.startkwalificatie_record,
         name="case-startkwalificatie"),
    path("cases/<int:case_id>/notes/", casefile_views.note_add, name="case-note-add"),
    path("cases/<int:case_id>/notes/<int:note_id>/edit/", casefile_views.note_edit, name="case-note-edit"),
    path("cases/<int:case_id>/documents/", casefile_views.document_upload, name="case-document-upload"),
    path("cases/<int:case_id>/documents/<int:document_id>/", casefile_views.document_download,
         name="case-document"),
    path("cases/<int:case_id>/documents/<int:document_id>/remove/", casefile_views.document_withdraw,
         name="case-document-remove"),
    path("search/", casefile_views.search_view, name="search"),
    path("clocks/", views.clock_overview, name="clock-overview"),
    path("monitor/", monitor_views.dashboard, name="monitor"),
    path("monitor/quarter/", monitor_views.quarter_report, name="monitor-quarter"),
    path("monitor/quarter.csv", monitor_views.quarter_csv, name="monitor-quarter-csv"),
    path("cases/<int:case_id>/access-log/", privacy_views.case_access_log, name="case-access-log"),
    path("cases/<int:case_id>/links/new/", participation_views.create_link, name="case-link-new"),
    path("inzage/<str:token>/", participation_views.link_page, name="participation-link"),
    path("melden/", participation_views.public_signal, name="public-signal"),
    path("privacy/access-log/", privacy_views.access_log, name="privacy-access-log"),
    path("privacy/access-log.csv", privacy_views.access_log_csv, name="privacy-access-log-csv"),
    path("privacy/subject-access/", privacy_views.subject_access_search, name="privacy-subject-search"),
    path("privacy/subject-access/<int:child_id>/", privacy_views.subject_access, name="privacy-subject-access"),
    path("privacy/breaches/", privacy_views.breaches, name="privacy-breaches"),
    path("privacy/breaches/<int:breach_id>/", privacy_views.breach_detail, name="privacy-breach"),
    path("tasks/", task_views.inbox_view, name="inbox-default"),
    path("tasks/distribute/", task_views.tasks_distribute, name="tasks-distribute"),
    path("worklists/", task_views.worklist_save, name="worklist-save"),
    path("worklists/<int:worklist_id>/delete/", task_views.worklist_delete, name="worklist-delete"),
    path("tasks/<str:scope>/", task_views.inbox_view, name="inbox"),
    path("task/<int:task_id>/", task_views.task_detail, name="task-detail"),
    path("task/<int:task_id>/claim/", task_views.task_claim, name="task-claim"),
    path("task/<int:task_id>/unclaim/", task_views.task_unclaim, name="task-unclaim"),
    path("task/<int:task_id>/follow-up/", task_views.task_follow_up, name="task-follow-up"),
    path("meetings/", meeting_views.my_teams, name="meetings"),
    path("teams/<int:team_id>/meetings/", meeting_views.team_meetings, name="team-meetings"),
    path("teams/<int:team_id>/calendar/<str:token>.ics", meeting_views.team_calendar, name="team-calendar"),
    path("meetings/<int:meeting_id>/", meeting_views.meeting_view, name="meeting"),
    path("meetings/<int:meeting_id>/items/<int:item_id>/", meeting_views.meeting_item, name="meeting-item"),
    path("meetings/<int:meeting_id>/print/", meeting_views.meeting_print, name="meeting-print"),
    path("notifications/", notification_views.notification_list, name="notifications"),
    path("notifications/<int:notification_id>/read/", notification_views.mark_read, name="notification-read"),
    path("notifications/read-all/", notification_views.mark_all_read, name="notifications-read-all"),
    path("notifications/preferences/", notification_views.preferences, name="notification-preferences"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/auth/token/", ObtainToken.as_view(), name="api-token"),
    path("api/monitor/", MonitorView.as_view(), name="api-monitor"),
    path("api/search/", SearchView.as_view(), name="api-search"),
    path("api/cases/<str:case_id>/notes/", CaseNotesView.as_view(), name="api-case-notes"),
    path("api/cases/<str:case_id>/notes/<str:note_id>/", CaseNoteView.as_view(), name="api-case-note"),
    path("api/cases/<str:case_id>/documents/", CaseDocumentsView.as_view(), name="api-case-documents"),
    path("api/cases/<str:case_id>/documents/<str:document_id>/", CaseDocumentView.as_view(),
         name="api-case-document"),
    path("api/cases/<str:case_id>/documents/<str:document_id>/download/", DocumentDownloadView.as_view(),
         name="api-case-document-download"),
    path("api/monitor/quarter/", QuarterView.as_view(), name="api-monitor-quarter"),
    # The schema describes the API, not its data: public, so that clients and tools can read it.
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="api-schema"),
    path("api/", include(router.urls)),
]

if settings.BENCH:  # the benchmark suite's baseline views (make bench only)
    urlpatterns.append(path("bench/", include("bench.urls")))

handler404 = "casework.views.not_found"
