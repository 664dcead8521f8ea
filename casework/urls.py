"""The project's URL map: includes only (the pages, the API, tasks and meetings, notifications)
plus admin, i18n and the API schema."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from casework.api.schema import LegacySchemaView

urlpatterns = [
    path("", include("casework.web.urls")),
    path("", include("workflows.urls")),
    path("", include("notifications.urls")),
    path("", include("sso.urls")),
    path("signin/", include("signin.urls")),  # the second factor (verify, enrol, passkeys)
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # The schema describes the API, not its data: public, so that clients and tools can read it.
    # The deprecated paths' schema (version 1's is /api/v1/openapi.json).
    path("api/schema/", LegacySchemaView.as_view(), name="api-schema"),
    path("api/v1/", include("casework.api.urls_v1")),
    path("api/", include("casework.api.urls")),
]

if settings.BENCH:  # the benchmark suite's baseline views (make bench only)
    urlpatterns.append(path("bench/", include("bench.urls")))

handler400 = "casework.web.errors.bad_request"
handler404 = "casework.web.cases.not_found"
handler500 = "casework.web.errors.server_error"
