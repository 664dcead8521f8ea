"""What the navigation and the page's scripts need to know about the signed-in user."""

from django.conf import settings

from casework.monitor import monitor_regions
from notifications.services import unread_count
from teams.models import RegionRole


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_privacy": RegionRole.objects.filter(user=user, role=RegionRole.Role.PRIVACY_OFFICER).exists(),
        "nav_unread": unread_count(user),
        "nav_monitor": bool(monitor_regions(user)),
        # For the scripts (data attributes on <body>): whose drafts these are (not a secret), and
        # how long this session lasts from this response on (it is renewed by every request).
        "page_user_key": user.pk,
        "session_seconds": request.session.get_expiry_age(),
        "session_warning_seconds": settings.SESSION_WARNING_SECONDS,
    }
