"""What the navigation needs to know about the signed-in user."""

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
    }
