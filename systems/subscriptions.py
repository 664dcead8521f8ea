"""A connected system's event subscriptions: create one (its callback checked by the webhook
handshake first), read and end its own, list a subscription's deliveries and send one again. Each
public function takes the system whose token made the call and ids already parsed (positive
integers); another system's subscription is a 404, as if it did not exist."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from systems import scopes, webhooks
from systems.models import ConnectedSystem, Delivery, Subscription
from systems.outbox import queue_streams
from teams.models import School


class Conflict(Exception):
    """Not now: the delivery is on its way already, or its subscription has ended."""


def _refuse(field: str, message: str):
    raise ValidationError({field: [message]})


def _check_filters(system: ConnectedSystem, region_ids: list[int], school_ids: list[int]) -> None:
    own_regions = set(system.region_ids())
    if not set(region_ids) <= own_regions:
        _refuse("regions", _("Only regions of this system can be chosen."))
    own_schools = set(system.school_ids())
    schools = School.objects.filter(pk__in=school_ids, region_id__in=own_regions)
    if own_schools:
        schools = schools.filter(pk__in=own_schools)
    if schools.count() != len(set(school_ids)):
        _refuse("schools", _("Only schools whose cases this system sees can be chosen."))


def create(*, system: ConnectedSystem, granted: set[str], callback_url: str, event_types: list[str],
           region_ids: list[int], school_ids: list[int], secret: str = "") -> tuple[Subscription, str]:
    """A new subscription, once its callback agreed to receive our events (the handshake; refused:
    a 400 on `callbackUrl`). `granted`: the scopes of the token that asks; `events:read` is needed
    besides `subscriptions:manage`. Answers the subscription and its signing secret (the one given,
    or a new one: shown this once)."""
    if scopes.EVENTS_READ not in granted:
        raise PermissionDenied(_("A subscription needs the scope %(scope)s as well.") % {"scope": scopes.EVENTS_READ})
    refusal = webhooks.callback_refusal(callback_url)
    if refusal == webhooks.NOT_HTTPS:
        _refuse("callbackUrl", _("The callback URL must be an https address."))
    if refusal:
        _refuse("callbackUrl", _("The callback URL must be an address with a host, without a user, password or "
                                 "fragment."))
    unknown = [name for name in event_types if webhooks.kind_of(name) is None]
    if unknown:
        _refuse("eventTypes", _("Unknown event type: %(types)s.") % {"types": ", ".join(unknown)})
    _check_filters(system, region_ids, school_ids)
    if secret and not webhooks.valid_secret(secret):
        _refuse("secret", _("Give the secret as whsec_ followed by 24 to 64 bytes in base64, or leave it out."))
    if not webhooks.handshake(callback_url):
        _refuse("callbackUrl", _("The callback URL did not agree to receive events: it must answer OPTIONS with "
                                 "WebHook-Allowed-Origin naming %(origin)s (or *).") % {"origin": webhooks.origin()})
    secret = secret or webhooks.new_secret()
    subscription = Subscription.objects.create(
        system=system, callback_url=callback_url, event_types=sorted(set(event_types)),
        region_ids=sorted(set(region_ids)), school_ids=sorted(set(school_ids)), secret=secret)
    return subscription, secret


def of_system(system: ConnectedSystem):
    return Subscription.objects.filter(system=system).order_by("-created_at", "-pk")


def get(system: ConnectedSystem, subscription_id: int) -> Subscription:
    subscription = of_system(system).filter(pk=subscription_id).first()
    if subscription is None:
        raise Http404
    return subscription


@transaction.atomic
def end(system: ConnectedSystem, subscription_id: int) -> Subscription:
    """End the subscription: nothing more is written for it or sent (its pending deliveries stay
    as they are, listed). Ending an ended one changes nothing."""
    subscription = get(system, subscription_id)
    Subscription.objects.filter(pk=subscription.pk, ended_at__isnull=True).update(ended_at=timezone.now())
    subscription.refresh_from_db(fields=["ended_at"])
    return subscription


def deliveries(system: ConnectedSystem, subscription_id: int, status: str | None = None):
    """The subscription's deliveries, the newest event first (a status: only those)."""
    rows = Delivery.objects.filter(subscription=get(system, subscription_id)).select_related("event")
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-event_id", "-pk")


@transaction.atomic
def redeliver(system: ConnectedSystem, subscription_id: int, delivery_id: int) -> Delivery:
    """Send a delivery again, with the same `webhook-id`: a failed one as it was (pending, its day
    of tries begun anew), a delivered one as a new try. It takes its place in its case's stream
    again (event order). A pending one, or one of an ended subscription, raises Conflict."""
    subscription = get(system, subscription_id)
    row = (Delivery.objects.select_for_update().filter(subscription=subscription, pk=delivery_id)
           .first())
    if row is None:
        raise Http404
    if not subscription.active:
        raise Conflict(_("The subscription has ended: it sends nothing."))
    if row.status == Delivery.Status.PENDING:
        raise Conflict(_("This event is on its way already."))
    row.status, row.next_attempt_at, row.first_tried_at, row.failed_at = (
        Delivery.Status.PENDING, timezone.now(), None, None)
    row.save(update_fields=["status", "next_attempt_at", "first_tried_at", "failed_at"])
    transaction.on_commit(lambda: queue_streams([(row.subscription_id, row.case_id)]))
    return row
