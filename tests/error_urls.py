"""The project's URLs plus one view that fails, for the 500 page (tests/test_production.py). The
error handlers are the project's own (Django reads them from the root URLconf)."""

from django.urls import path

from casework.urls import handler400, handler404, handler500
from casework.urls import urlpatterns as project_urlpatterns

__all__ = ["handler400", "handler404", "handler500", "urlpatterns"]


def fails(request):
    raise RuntimeError("a fault in casework (the test's own)")


urlpatterns = [path("test-fails/", fails), path("api/test-fails/", fails), path("api/v1/test-fails/", fails),
               *project_urlpatterns]
