"""The error pages that Django's own handlers do not render as casework wants them.

- A refused form (CSRF): the Dutch page with the casework header (templates/403_csrf.html),
  rendered with the request, so a signed-in user keeps the menu.
- 400 (a bad Host header, a malformed request) and 500: the standalone pages (templates/400.html,
  500.html), rendered without the request and without the database. Should even those fail (the
  static files' manifest is missing because `collectstatic` did not run, a template is broken), a
  plain Dutch page without a stylesheet answers instead of the server's bare error.

403 and 404 are Django's handlers (and casework.web.cases.not_found) with templates/403.html and
404.html, both on the base layout. Under /api/ a 400 or 500 is JSON, as the 404 is (and under
/api/v1/ an RFC 9457 problem: casework.api.middleware).
"""

import logging

from django.http import HttpResponseBadRequest, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)


def csrf_failure(request, reason: str = ""):
    """CSRF_FAILURE_VIEW: the form was refused (an expired page, cookies blocked). Django has
    logged the reason already (django.security.csrf); the page does not show it."""
    return render(request, "403_csrf.html", status=403)


def standalone(template_name: str, title: str, text: str) -> str:
    """The page of `template_name` without a request context; the plain page if that fails."""
    try:
        return loader.render_to_string(template_name)
    except Exception as error:  # noqa: BLE001 - the error page must answer whatever broke
        log.error("the error page %s could not be rendered (%s)", template_name, type(error).__name__)
        return format_html(
            '<!DOCTYPE html><html lang="{}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>{} · casework</title></head><body><header><p>casework</p></header>"
            '<main><h1>{}</h1><p>{}</p><p><a href="/">{}</a></p></main></body></html>',
            get_language() or "nl", title, title, text, _("Back to my tasks"))


def bad_request(request, exception=None):
    """handler400: a malformed request or a Host header this instance does not serve."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Bad request")}, status=400)
    return HttpResponseBadRequest(standalone("400.html", _("Bad request"), _(
        "casework could not understand this request. Check the address, or start again from the start page.")))


def server_error(request):
    """handler500."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Something went wrong")}, status=500)
    return HttpResponseServerError(standalone("500.html", _("Something went wrong"), _(
        "casework could not complete your request. The error has been logged.")))
