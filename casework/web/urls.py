"""URL patterns of casework's HTML pages (sign-in, cases, case file, clocks, monitor, privacy,
participation). Included at the root by casework.urls; paths and names are the public contract."""

from django.urls import path
from django.views.generic import RedirectView

from casework.web import (
    casefile,
    cases,
    language,
    monitor,
    participation,
    privacy,
    registration,
    shell,
)

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="inbox-default", permanent=False)),
    path("login/", shell.LoginView.as_view(), name="login"),
    path("logout/", shell.LogoutView.as_view(), name="logout"),
    path("session/keep-alive/", shell.keep_alive, name="session-keep-alive"),
    path("favicon.ico", shell.favicon, name="favicon"),
    path("cases/", cases.case_list, name="case-list"),
    path("cases/new/", cases.signal_new, name="case-signal"),
    path("cases/<int:case_id>/", cases.case_detail, name="case-detail"),
    path("cases/<int:case_id>/mentor/", cases.mentor_view, name="case-mentor"),
    path("cases/<int:case_id>/registration/", registration.registration_change, name="case-registration"),
    path("cases/<int:case_id>/participation/", registration.participation_record, name="case-participation"),
    path("cases/<int:case_id>/startkwalificatie/", registration.startkwalificatie_record,
         name="case-startkwalificatie"),
    path("cases/<int:case_id>/notes/", casefile.note_add, name="case-note-add"),
    path("cases/<int:case_id>/notes/<int:note_id>/edit/", casefile.note_edit, name="case-note-edit"),
    path("cases/<int:case_id>/documents/", casefile.document_upload, name="case-document-upload"),
    path("cases/<int:case_id>/documents/<int:document_id>/", casefile.document_download,
         name="case-document"),
    path("cases/<int:case_id>/documents/<int:document_id>/remove/", casefile.document_withdraw,
         name="case-document-remove"),
    path("search/", casefile.search_view, name="search"),
    path("clocks/", cases.clock_overview, name="clock-overview"),
    path("monitor/", monitor.dashboard, name="monitor"),
    path("monitor/quarter/", monitor.quarter_report, name="monitor-quarter"),
    path("monitor/quarter.csv", monitor.quarter_csv, name="monitor-quarter-csv"),
    path("cases/<int:case_id>/access-log/", privacy.case_access_log, name="case-access-log"),
    path("cases/<int:case_id>/links/new/", participation.create_link, name="case-link-new"),
    path("cases/<int:case_id>/links/<int:link_id>/revoke/", participation.revoke_link, name="case-link-revoke"),
    path("inzage/<str:token>/", participation.link_page, name="participation-link"),
    path("melden/", participation.public_signal, name="public-signal"),
    path("privacy/access-log/", privacy.access_log, name="privacy-access-log"),
    path("privacy/access-log.csv", privacy.access_log_csv, name="privacy-access-log-csv"),
    path("privacy/subject-access/", privacy.subject_access_search, name="privacy-subject-search"),
    path("privacy/subject-access/<int:child_id>/", privacy.subject_access, name="privacy-subject-access"),
    path("privacy/breaches/", privacy.breaches, name="privacy-breaches"),
    path("privacy/breaches/<int:breach_id>/", privacy.breach_detail, name="privacy-breach"),
    # before Django's i18n urls (casework.urls): the switch also remembers a signed-in user's choice
    path("i18n/setlang/", language.set_language, name="set_language"),
]
