"""The "Meldingen" page: the list, mark read, mark all read, the e-mail preference."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from notifications import services
from notifications.models import Notification, Preference
from notifications.presentation import describe


class PreferenceForm(forms.Form):
    email_non_breach = forms.BooleanField(
        label=_("Also e-mail me notifications that are not a breach, when unread after a while"), required=False)


@login_required
def notification_list(request):
    rows = Notification.objects.filter(recipient=request.user).select_related("task").order_by("-created_at", "-pk")
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    items = [(notification, *describe(notification)) for notification in page.object_list]
    pref = Preference.objects.filter(user=request.user).first()
    form = PreferenceForm(initial={"email_non_breach": pref.email_non_breach if pref else True})
    return render(request, "notifications/list.html", {"page": page, "items": items, "form": form})


@login_required
@require_POST
def mark_read(request, notification_id: int):
    notification = services.mark_read(user=request.user, notification_id=notification_id)
    return redirect(request.POST.get("next") or describe(notification)[1])


@login_required
@require_POST
def mark_all_read(request):
    services.mark_all_read(user=request.user)
    return redirect("notifications")


@login_required
@require_POST
def preferences(request):
    form = PreferenceForm(request.POST)
    if form.is_valid():
        services.set_email_preference(user=request.user, email_non_breach=form.cleaned_data["email_non_breach"])
    return redirect("notifications")
