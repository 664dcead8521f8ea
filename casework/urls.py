"""The project's URL map: includes only (the pages, the API, tasks and meetings, notifications)
plus admin, i18n and the API schema."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

urlpatterns = [
    path("", include("casework.web.urls")),
    path("", include("workflows.urls")),
    path("", include("notifications.urls")),
    path("", include("sso.urls")),
    path("signin/", include("signin.urls")),  # the second factor (verify, enrol, passkeys)
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # The schema describes the API, not its data: public, so that clients and tools can read it.
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="api-schema"),
    path("api/", include("casework.api.urls")),
]

if settings.BENCH:  # the benchmark suite's baseline views (make bench only)
    urlpatterns.append(path("bench/", include("bench.urls")))

handler404 = "casework.web.cases.not_found"
