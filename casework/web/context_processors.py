"""What the navigation and the page's scripts need to know about the signed-in user: read once per
request, in one query, and kept on the request (a page rendered in pieces asks again for free)."""

from django.conf import settings
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from casework.http.middleware import session_seconds_left
from chain.rules import IMPORT_REGION_ROLES
from notifications.models import Notification
from teams.models import Membership, RegionRole, Team, User


def nav_facts(user) -> dict:
    """The unread count and what the menu shows, in one query. `nav_monitor` is the rule of
    casework.monitor.monitor_regions (any region role, or a lead role in a team) as an EXISTS."""
    unread = (Notification.objects.filter(recipient=OuterRef("pk"), read_at__isnull=True).order_by()
              .values("recipient").annotate(n=Count("pk")).values("n"))
    row = (User.objects.filter(pk=user.pk)
           .annotate(unread=Coalesce(Subquery(unread, output_field=IntegerField()), 0),
                     privacy=Exists(RegionRole.objects.filter(user=OuterRef("pk"),
                                                              role=RegionRole.Role.PRIVACY_OFFICER)),
                     region_role=Exists(RegionRole.objects.filter(user=OuterRef("pk"))),
                     lead=Exists(Membership.objects.filter(user=OuterRef("pk"), role__in=Membership.LEAD_ROLES)),
                     # chain.rules.import_regions as EXISTS: Leerplicht, or the SWV's director or coordinator
                     chain=Exists(Membership.objects.filter(user=OuterRef("pk"), team__kind=Team.Kind.LEERPLICHT))
                     | Exists(RegionRole.objects.filter(user=OuterRef("pk"), role__in=IMPORT_REGION_ROLES)))
           .values("unread", "privacy", "region_role", "lead", "chain").first())
    if row is None:
        return {"nav_unread": 0, "nav_privacy": False, "nav_monitor": False, "nav_chain": False}
    return {"nav_unread": row["unread"], "nav_privacy": row["privacy"],
            "nav_monitor": row["region_role"] or row["lead"], "nav_chain": row["chain"]}


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    facts = getattr(request, "_nav_facts", None)
    if facts is None:
        facts = request._nav_facts = nav_facts(user)
    return {
        **facts,
        # For the scripts (data attributes on <body>): whose drafts these are (not a secret), and
        # how long this session lasts from this response on (renewed at most once a minute).
        "page_user_key": user.pk,
        "session_seconds": session_seconds_left(request.session),
        "session_warning_seconds": settings.SESSION_WARNING_SECONDS,
    }
