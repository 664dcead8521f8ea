"""Notifications API: what the browser fetches after a reconnect, and mark read."""

from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from casework.api.params import DATE_TIME, choice, query, read_choice, read_date_time
from casework.api.serializers import DetailSerializer, FieldErrorsSerializer
from notifications import services
from notifications.models import Notification
from notifications.presentation import TITLES, describe


class NotificationSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=sorted(TITLES), read_only=True, help_text="What happened.")
    task = serializers.IntegerField(source="task_id", read_only=True, allow_null=True)
    title = serializers.SerializerMethodField(help_text="What needs attention, in the user's language (no names).")
    url = serializers.SerializerMethodField(help_text="Where to act on it.")

    class Meta:
        model = Notification
        fields = ["id", "kind", "case", "task", "title", "url", "created_at", "read_at"]
        read_only_fields = fields

    def get_title(self, notification) -> str:
        return describe(notification)[0]

    def get_url(self, notification) -> str:
        return describe(notification)[1]


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


NOT_FOUND = OpenApiResponse(DetailSerializer, description="No such notification of yours.")
UNAUTHENTICATED = OpenApiResponse(DetailSerializer, description="Not signed in.")


@extend_schema_view(
    list=extend_schema(
        summary="Your notifications, newest first",
        parameters=[query("unread", choice(["1"]), description="Only unread ones."),
                    query("since", DATE_TIME, description="Only those created after this moment (RFC 3339, "
                                                          "e.g. 2026-11-27T09:30:00Z).")],
        responses={200: NotificationSerializer(many=True), 400: FieldErrorsSerializer, 401: UNAUTHENTICATED,
                   404: OpenApiResponse(DetailSerializer, description="No such page (past the last one).")},
    ),
    retrieve=extend_schema(summary="One of your notifications",
                           responses={200: NotificationSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND}),
)
class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()

    def get_queryset(self):
        rows = Notification.objects.filter(recipient=self.request.user).with_tasks().order_by(
            "-created_at", "-pk")
        if self.action == "list":
            if read_choice(self.request.query_params, "unread", ["1"]):
                rows = rows.filter(read_at__isnull=True)
            since = read_date_time(self.request.query_params, "since")
            if since is not None:
                rows = rows.filter(created_at__gt=since)
        return rows

    @extend_schema(summary="Mark one notification read", request=None,
                   responses={200: NotificationSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        return Response(NotificationSerializer(services.mark_read(user=request.user, notification_id=pk)).data)

    @extend_schema(summary="Mark all your notifications read", request=None,
                   responses={200: ReadAllSerializer, 401: UNAUTHENTICATED})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": services.mark_all_read(user=request.user)})
