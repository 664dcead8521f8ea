"""Tasks API: the inbox lists and the claim / unclaim / complete actions over JSON.

The payload of `complete` is the node's form (workflows.forms), the same fields as the
HTML task page.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from casework.api.serializers import DetailSerializer, FieldErrorsSerializer
from workflows import inbox
from workflows.models import CaseTask
from workflows.tasks import claim_task, complete_task, task_for_user, unclaim_task


class TaskSerializer(serializers.ModelSerializer):
    flow_task = serializers.SerializerMethodField(help_text="The node name, e.g. team_review or ect_approve.")
    title = serializers.SerializerMethodField(help_text="The task's title in the user's language.")
    assigned_to = serializers.SerializerMethodField(help_text="Username of who claimed it; null when in the queue.")
    team = serializers.SerializerMethodField(help_text="Id of the team whose queue offers the task; null for a "
                                                       "task by region role (SWV director).")

    class Meta:
        model = CaseTask
        fields = ["id", "case", "flow_task", "title", "status", "assigned_to", "team", "created", "due_at"]
        read_only_fields = fields

    def get_flow_task(self, task) -> str:
        return task.node_name

    def get_title(self, task) -> str:
        return str(task.flow_task.task_title)

    def get_assigned_to(self, task) -> str | None:
        return task.owner.username if task.owner_id else None

    def get_team(self, task) -> int | None:
        return task.team_id


NOT_FOUND = OpenApiResponse(DetailSerializer, description="No such task, or a task of a case you do not work on.")
FORBIDDEN = OpenApiResponse(DetailSerializer, description="You see the case but may not do this task "
                                                          "(other team or role, or four eyes).")
CONFLICT = OpenApiResponse(DetailSerializer, description="The task is no longer open or someone else claimed it.")
UNAUTHENTICATED = OpenApiResponse(DetailSerializer, description="Not signed in.")


@extend_schema_view(
    list=extend_schema(
        summary="Task lists: mine (claimed by me), queue (my teams' open tasks), archive (completed by me)",
        parameters=[
            OpenApiParameter("scope", str, enum=list(inbox.SCOPES), default="mine"),
            OpenApiParameter("node", str, description="Only tasks of this node, e.g. ect_approve."),
            OpenApiParameter("team", int), OpenApiParameter("school", int),
            OpenApiParameter("due", str, enum=list(inbox.DUE_FILTERS),
                             description="overdue: past due; week: due within 7 days."),
            OpenApiParameter("sort", str, enum=list(inbox.SORTS), default=inbox.DEFAULT_SORT),
        ],
        responses={200: TaskSerializer(many=True), 400: FieldErrorsSerializer, 401: UNAUTHENTICATED},
    ),
    retrieve=extend_schema(summary="One task", responses={200: TaskSerializer, 401: UNAUTHENTICATED,
                                                           404: NOT_FOUND}),
)
class TaskViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TaskSerializer
    queryset = CaseTask.objects.none()  # for the schema; requests use the inbox selectors

    def get_queryset(self):
        if self.action == "list":
            scope = self.request.query_params.get("scope", "mine")
            if scope not in inbox.SCOPES:
                raise ValidationError({"scope": [f"Choose one of: {', '.join(inbox.SCOPES)}."]})
            params = self.request.query_params
            return inbox.task_list(self.request.user, scope, node=params.get("node", ""),
                                   team=params.get("team", ""), school=params.get("school", ""),
                                   due=params.get("due", ""), sort=params.get("sort", inbox.DEFAULT_SORT))
        return inbox.visible_tasks(self.request.user)

    def retrieve(self, request, pk=None):
        return Response(TaskSerializer(task_for_user(request.user, pk)).data)

    @extend_schema(summary="Claim a task from the team queue", request=None,
                   responses={200: TaskSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND,
                              409: CONFLICT})
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        return Response(TaskSerializer(claim_task(user=request.user, task_id=pk)).data)

    @extend_schema(summary="Release a claimed task to the team queue", request=None,
                   responses={200: TaskSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND,
                              409: CONFLICT})
    @action(detail=True, methods=["post"])
    def unclaim(self, request, pk=None):
        return Response(TaskSerializer(unclaim_task(user=request.user, task_id=pk)).data)

    @extend_schema(
        summary="Complete a task with its node's payload (claims it first when it is in your queue)",
        request={"application/json": OpenApiTypes.OBJECT},
        responses={200: TaskSerializer, 400: FieldErrorsSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN,
                   404: NOT_FOUND, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": ["Send the payload as a JSON object."]})
        task = complete_task(user=request.user, task_id=pk, data=request.data)
        return Response(TaskSerializer(task).data, status=status.HTTP_200_OK)
