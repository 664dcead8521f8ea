"""The "Meldingen" pages: the list grouped by case (notifications.listing), opening a notice, marking
one, a group or all read, and the preferences: per kind, in the app, by e-mail or in a daily digest.

Opening a notice is a link (GET /notifications/<id>/open/) that marks it read and goes to its task
or case: a GET that changes state, allowed here because it is idempotent (read stays read) and only
the recipient's own notice can be opened (anyone else's is a 404)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casework.access import log_list_read, parse_id
from casework.models import AccessLog
from notifications import listing, services
from notifications.models import Channel
from notifications.presentation import describe, kind_choices


@login_required
def notification_list(request):
    filters = listing.Filters.from_query(request.GET)
    page, groups = listing.groups_page(request.user, filters, request.GET.get("page"))
    log_list_read(request.user, [group.case for group in groups], what=AccessLog.List.NOTIFICATIONS,
                  request=request)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "notifications/list.html", {
        "page": page, "groups": groups, "filters": filters, "kind_choices": kind_choices(),
        "filtered": filters != listing.Filters(), "query": query.urlencode(), "list_url": request.get_full_path(),
    })


@login_required
def open_notification(request, notification_id: int):
    """Mark the notice read and go to its task or case (see the module's docstring)."""
    notification = services.mark_read(user=request.user, notification_id=notification_id)
    return redirect(describe(notification)[1])


def back_to_list(request):
    """The list the form was posted from (its filters and page), else the list."""
    target = request.POST.get("next", "")
    if target.startswith(reverse("notifications")) and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("notifications")


@login_required
@require_POST
def mark_read(request, notification_id: int):
    notification = services.mark_read(user=request.user, notification_id=notification_id)
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect(describe(notification)[1])


@login_required
@require_POST
def mark_group_read(request):
    """Mark read the user's unread notices about one case (`case`: its id, or "none")."""
    case = request.POST.get("case", "")
    services.mark_group_read(user=request.user, case_id=None if case == listing.NO_CASE else parse_id(case))
    return back_to_list(request)


@login_required
@require_POST
def mark_all_read(request):
    services.mark_all_read(user=request.user)
    return redirect("notifications")


@login_required
def preferences(request):
    """Per kind of notification: only in the app, by e-mail when still unread, or in the daily digest."""
    if request.method == "POST":
        chosen = {kind: request.POST.get(f"channel-{kind}", "") for kind, _label in services.choosable_kinds()}
        try:
            services.set_channels(user=request.user, channels=chosen)
        except ValidationError:
            messages.error(request, _("Choose how you want to hear of each kind of notification."))
        else:
            messages.success(request, _("Preferences saved."))
            return redirect("notification-preferences")
    current = services.channels_of(request.user)
    rows = [{"kind": kind, "label": label, "channel": current[kind]} for kind, label in services.choosable_kinds()]
    return render(request, "notifications/preferences.html", {
        "rows": rows, "channels": Channel.choices, "delay": settings.CASEWORK_EMAIL_DELAY_MINUTES,
        "digest_hour": settings.CASEWORK_DIGEST_HOUR,
    })
