"""Event subscriptions of connected systems (`/subscriptions`): thin views over
systems.subscriptions. Only a connected system with the `subscriptions:manage` scope calls them
(creating one needs `events:read` too); a person is refused (403), another system's subscription
is a 404. Field names are lowerCamelCase, as every field new in version 1."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from casework.access import parse_id
from casework.api.pagination import Pagination
from casework.api.params import choice, query, read_choice
from systems import scopes
from systems import subscriptions as rules
from systems.clients import system_of
from systems.models import Delivery, Subscription
from systems.webhooks import EVENT_TYPES, event_type

TAG = ["subscriptions"]


def event_types_field(**kwargs) -> serializers.ListField:
    return serializers.ListField(child=serializers.ChoiceField(choices=sorted(EVENT_TYPES.values())), **kwargs)


def ids_field(**kwargs) -> serializers.ListField:
    return serializers.ListField(child=serializers.IntegerField(min_value=1), **kwargs)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class SubscriptionSerializer(serializers.Serializer):
    def get_fields(self):
        return {
            "id": serializers.IntegerField(read_only=True),
            "callbackUrl": serializers.URLField(source="callback_url", read_only=True),
            "eventTypes": event_types_field(source="event_types", read_only=True,
                                            help_text="Only these event types; empty: all."),
            "regions": ids_field(source="region_ids", read_only=True,
                                 help_text="Only cases of these regions; empty: all the system's."),
            "schools": ids_field(source="school_ids", read_only=True,
                                 help_text="Only cases of these schools; empty: all the system's."),
            "status": serializers.SerializerMethodField(help_text="active, or ended (nothing more is sent)."),
            "createdAt": serializers.DateTimeField(source="created_at", read_only=True),
            "endedAt": serializers.DateTimeField(source="ended_at", read_only=True, allow_null=True),
        }

    @extend_schema_field(serializers.ChoiceField(choices=["active", "ended"]))
    def get_status(self, subscription) -> str:
        return "active" if subscription.active else "ended"



class CreatedSubscriptionSerializer(SubscriptionSerializer):
    def get_fields(self):
        return {**super().get_fields(), "secret": serializers.CharField(
            read_only=True, help_text="The signing secret (Standard Webhooks, whsec_<base64>): the one given, or a "
                                      "new one. Shown only in this answer.")}


class NewSubscriptionSerializer(serializers.Serializer):
    def get_fields(self):
        return {
            "callbackUrl": serializers.CharField(max_length=500, help_text=(
                "Where the events go (https). It must answer the handshake first: OPTIONS with "
                "WebHook-Request-Origin, answered 200 with WebHook-Allowed-Origin naming that origin or *.")),
            "eventTypes": event_types_field(required=False, default=list, max_length=100,
                                            help_text="Only these event types; empty or absent: all."),
            "regions": ids_field(required=False, default=list, max_length=100,
                                 help_text="Only cases of these of the system's regions; absent: all of them."),
            "schools": ids_field(required=False, default=list, max_length=100,
                                 help_text="Only cases of these schools (of the system's); absent: all of them."),
            "secret": serializers.CharField(required=False, allow_blank=True, max_length=120, write_only=True,
                                            help_text="The signing secret, whsec_<base64 of 24 to 64 bytes>; "
                                                      "absent: casework makes one and answers it once."),
        }


class DeliverySerializer(serializers.Serializer):
    def get_fields(self):
        return {
            "id": serializers.IntegerField(read_only=True),
            "eventId": serializers.IntegerField(source="event_id", read_only=True,
                                                help_text="The case event, and the CloudEvent's id."),
            "eventType": serializers.SerializerMethodField(),
            "caseId": serializers.IntegerField(source="case_id", read_only=True),
            "webhookId": serializers.CharField(source="webhook_id", read_only=True,
                                               help_text="The webhook-id header, the same at every try."),
            "status": serializers.ChoiceField(choices=Delivery.Status.values, read_only=True),
            "attempts": serializers.IntegerField(read_only=True, help_text="Tries so far."),
            "firstTriedAt": serializers.DateTimeField(source="first_tried_at", read_only=True, allow_null=True),
            "lastTriedAt": serializers.DateTimeField(source="last_tried_at", read_only=True, allow_null=True),
            "nextAttemptAt": serializers.SerializerMethodField(help_text="While pending: when it is tried (again)."),
            "lastStatus": serializers.IntegerField(source="last_status", read_only=True, allow_null=True,
                                                   help_text="The receiver's last HTTP status, if it answered."),
            "lastError": serializers.CharField(source="last_error", read_only=True,
                                               help_text="The last error's class (a timeout, a refused connection)."),
            "deliveredAt": serializers.DateTimeField(source="delivered_at", read_only=True, allow_null=True),
            "failedAt": serializers.DateTimeField(source="failed_at", read_only=True, allow_null=True),
        }

    def get_eventType(self, delivery) -> str:  # noqa: N802 - DRF names it after the field
        return event_type(delivery.event.kind)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_nextAttemptAt(self, delivery) -> str | None:  # noqa: N802 - DRF names it after the field
        if delivery.status != Delivery.Status.PENDING:
            return None
        return serializers.DateTimeField().to_representation(delivery.next_attempt_at)


# Connected systems only: their bearer token (a person's token or session is refused, 403).
SYSTEM_AUTH = [{"systemAuth": [scopes.SUBSCRIPTIONS_MANAGE]}]
UNAUTHENTICATED = OpenApiResponse(description="No access token, or a wrong or expired one.")
REFUSED = OpenApiResponse(description="Not a connected system, or the token lacks the scope "
                                      "(subscriptions:manage; to create one, events:read too).")
NOT_FOUND = OpenApiResponse(description="No such subscription of this system (or delivery of it).")


class SystemsOnly(GenericAPIView):
    """A view for connected systems only. The person's refusal comes in the handler, after the
    throttles (a throttled person gets 429 as on every other operation)."""

    pagination_class = Pagination

    def system(self):
        system = system_of(self.request.user)
        if system is None:
            raise PermissionDenied(_("Only connected systems subscribe to events."))
        return system


class SubscriptionsView(SystemsOnly):
    system_scopes = {"get": scopes.SUBSCRIPTIONS_MANAGE, "post": scopes.SUBSCRIPTIONS_MANAGE}
    serializer_class = SubscriptionSerializer
    queryset = Subscription.objects.none()

    @extend_schema(summary="This system's event subscriptions, the newest first", tags=TAG, auth=SYSTEM_AUTH,
                   responses={200: SubscriptionSerializer(many=True), 401: UNAUTHENTICATED, 403: REFUSED})
    def get(self, request):
        page = self.paginate_queryset(rules.of_system(self.system()))
        return self.get_paginated_response(SubscriptionSerializer(page, many=True).data)

    @extend_schema(
        summary="Subscribe to case events (CloudEvents, signed by Standard Webhooks)", tags=TAG,
        auth=[{"systemAuth": [scopes.SUBSCRIPTIONS_MANAGE, scopes.EVENTS_READ]}],
        request=NewSubscriptionSerializer,
        responses={201: CreatedSubscriptionSerializer, 401: UNAUTHENTICATED, 403: REFUSED,
                   400: OpenApiResponse(description="A refused field; `callbackUrl` also when the callback did not "
                                                    "answer the handshake.")},
        parameters=[OpenApiParameter("Location", str, OpenApiParameter.HEADER, response=[201],
                                     description="The new subscription's address.")],
    )
    def post(self, request):
        system = self.system()
        given = NewSubscriptionSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        subscription, secret = rules.create(
            system=system, granted=set((getattr(request.auth, "scope", "") or "").split()),
            callback_url=data["callbackUrl"], event_types=data["eventTypes"], region_ids=data["regions"],
            school_ids=data["schools"], secret=data.get("secret", ""))
        subscription.secret = secret
        return Response(CreatedSubscriptionSerializer(subscription).data, status=status.HTTP_201_CREATED,
                        headers={"Location": f"/api/v1/subscriptions/{subscription.pk}"})


class SubscriptionView(SystemsOnly):
    system_scopes = {"get": scopes.SUBSCRIPTIONS_MANAGE, "delete": scopes.SUBSCRIPTIONS_MANAGE}
    serializer_class = SubscriptionSerializer
    queryset = Subscription.objects.none()

    @extend_schema(summary="One of this system's event subscriptions", tags=TAG, auth=SYSTEM_AUTH,
                   responses={200: SubscriptionSerializer, 401: UNAUTHENTICATED, 403: REFUSED, 404: NOT_FOUND})
    def get(self, request, subscription_id):
        return Response(SubscriptionSerializer(rules.get(self.system(), parse_id(subscription_id))).data)

    @extend_schema(summary="End an event subscription (nothing more is sent)", tags=TAG, auth=SYSTEM_AUTH,
                   responses={204: None, 401: UNAUTHENTICATED, 403: REFUSED, 404: NOT_FOUND})
    def delete(self, request, subscription_id):
        rules.end(self.system(), parse_id(subscription_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeliveriesView(SystemsOnly):
    system_scopes = {"get": scopes.SUBSCRIPTIONS_MANAGE}
    serializer_class = DeliverySerializer
    queryset = Delivery.objects.none()

    @extend_schema(summary="A subscription's deliveries, the newest event first", tags=TAG, auth=SYSTEM_AUTH,
                   parameters=[query("status", choice(Delivery.Status.values), description="Only these.")],
                   responses={200: DeliverySerializer(many=True), 401: UNAUTHENTICATED, 403: REFUSED,
                              404: NOT_FOUND, 400: OpenApiResponse(description="A bad status or page.")})
    def get(self, request, subscription_id):
        system = self.system()
        wanted = read_choice(request.query_params, "status", Delivery.Status.values)
        page = self.paginate_queryset(rules.deliveries(system, parse_id(subscription_id), wanted or None))
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)


class RedeliverView(SystemsOnly):
    system_scopes = {"post": scopes.SUBSCRIPTIONS_MANAGE}
    serializer_class = DeliverySerializer
    queryset = Delivery.objects.none()

    @extend_schema(
        summary="Send a delivered or failed event again (the same webhook-id)", tags=TAG, auth=SYSTEM_AUTH, request=None,
        responses={202: DeliverySerializer, 401: UNAUTHENTICATED, 403: REFUSED, 404: NOT_FOUND,
                   409: OpenApiResponse(description="The event is on its way already, or the subscription ended.")})
    def post(self, request, subscription_id, delivery_id):
        system = self.system()
        try:
            row = rules.redeliver(system, parse_id(subscription_id), parse_id(delivery_id))
        except rules.Conflict as error:
            raise Conflict(str(error)) from None
        row.refresh_from_db()
        return Response(DeliverySerializer(row).data, status=status.HTTP_202_ACCEPTED)
