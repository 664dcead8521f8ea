"""Tasks API: the inbox lists and the claim / unclaim / complete actions over JSON.

The payload of `complete` is the node's form (workflows.forms), the same fields as the
HTML task page.
"""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from viewflow.workflow.status import STATUS

from casework.access import MAX_ID
from casework.api.conditional import created
from casework.api.pagination import LoggedPages, Pagination
from casework.api.params import (
    ANY_ID,
    EMPTY,
    ID,
    ID_TEXT,
    choice,
    or_empty,
    query,
    read_choice,
    read_id,
)
from casework.api.payloads import NODE_FIELD, component_name, node_forms
from casework.api.serializers import (
    Day,
    DetailSerializer,
    FieldErrorsSerializer,
    StrictModelSerializer,
    Text,
    WholeNumber,
)
from casework.api.version import is_v1
from casework.models import AccessLog
from systems import scopes
from systems.clients import system_of
from workflows import inbox, paging, worklists
from workflows.models import OPEN_STATUSES, CaseTask, SavedWorklist
from workflows.services import (
    bulk_distribute,
    claim_task,
    complete_task,
    set_follow_up,
    task_for_user,
    unclaim_task,
)


class TaskSerializer(serializers.ModelSerializer):
    flow_task = serializers.SerializerMethodField(help_text="The node name, e.g. team_review or ect_approve.")
    title = serializers.SerializerMethodField(help_text="The task's title in the user's language.")
    assigned_to = serializers.SerializerMethodField(help_text="Username of who claimed it; null when in the queue.")
    team = serializers.SerializerMethodField(help_text="Id of the team whose queue offers the task; null for a "
                                                       "task by region role (SWV director).")

    node = serializers.SerializerMethodField(help_text="The task's node (what it asks for).")
    payload_schema = serializers.SerializerMethodField(
        help_text="For an open task: the name of the schema component of its completion payload "
                  "(e.g. TeamReviewPayload); null once it is done or cancelled.")

    class Meta:
        model = CaseTask
        fields = ["id", "case", "flow_task", "node", "title", "status", "assigned_to", "team", "created", "due_at",
                  "follow_up_on", "payload_schema"]
        read_only_fields = fields

    def to_representation(self, task):
        data = super().to_representation(task)
        if is_v1():  # the states a user can see, not viewflow's internal ones
            data["status"] = visible_status(task)
        return data

    @extend_schema_field({"type": "string", "enum": list(node_forms())})
    def get_node(self, task) -> str:
        return task.node_name

    @extend_schema_field({"type": "string", "nullable": True})
    def get_payload_schema(self, task) -> str | None:
        return component_name(task.node_name) if task.status in OPEN_STATUSES else None

    def get_flow_task(self, task) -> str:
        return task.node_name

    def get_title(self, task) -> str:
        return str(task.title)

    def get_assigned_to(self, task) -> str | None:
        return task.owner.username if task.owner_id else None

    def get_team(self, task) -> int | None:
        return task.team_id


VISIBLE_STATUSES = ["open", "claimed", "done", "cancelled"]


def visible_status(task) -> str:
    """viewflow's task states as a user sees them: open (in the queue), claimed, done, cancelled."""
    if task.status in OPEN_STATUSES:
        return "claimed" if task.owner_id else "open"
    return "done" if task.status == STATUS.DONE else "cancelled"


class FollowUpSerializer(serializers.Serializer):
    follow_up_on = Day(allow_null=True, help_text="A date after today; null wakes the task now.")


class BulkSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["assign", "release"])
    tasks = serializers.ListField(child=WholeNumber(min_value=1, max_value=MAX_ID), allow_empty=False,
                                  min_length=1, max_length=200,
                                  help_text="Ids of the tasks (at most 200).")
    assignee = WholeNumber(required=False, allow_null=True, min_value=1, max_value=MAX_ID,
                                        help_text="User id of the colleague (required for assign).")
    reason = Text(max_length=500, help_text="Why; written in the history of each case.")


class BulkResultSerializer(serializers.Serializer):
    changed = TaskSerializer(many=True, help_text="The tasks that changed (already theirs: left out).")


NOT_FOUND = OpenApiResponse(DetailSerializer, description="No such task, or a task of a case you do not work on.")
FORBIDDEN = OpenApiResponse(DetailSerializer, description="You see the case but may not do this task "
                                                          "(other team or role, or four eyes).")
CONFLICT = OpenApiResponse(DetailSerializer, description="The task is no longer open or someone else claimed it.")
UNAUTHENTICATED = OpenApiResponse(DetailSerializer, description="Not signed in.")
PAST_THE_LAST = OpenApiResponse(DetailSerializer, description="No such page (past the last one).")


class TaskPagination(Pagination):
    """The task lists' pages without a `COUNT(*)` of the whole list (paging.CappedPaginator):
    `count` is exact up to ten pages beyond the one asked for; beyond that it is a lower bound
    and `count_is_exact` is false."""

    django_paginator_class = paging.CappedPaginator

    def get_page_number(self, request, paginator):
        if request.query_params.get(self.page_query_param) in self.last_page_strings:
            paginator.aim_at("last")  # counted to the end: the last page, not the eleventh
        return super().get_page_number(request, paginator)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["count_is_exact"] = not isinstance(self.page.paginator.count, paging.AtLeast)
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count"] = {
            **schema["properties"]["count"], "minimum": 0,
            "description": "How many tasks: exact up to ten pages beyond this one, else a lower bound "
                           "(then `count_is_exact` is false)."}
        schema["properties"]["count_is_exact"] = {
            "type": "boolean", "description": "False when `count` is a lower bound (a very long list)."}
        schema["required"] = [*schema.get("required", []), "count_is_exact"]
        return schema


@extend_schema_view(
    list=extend_schema(
        summary="Task lists: mine (claimed by me), queue (open tasks I may claim), team (every open task of my "
                "teams, claimed or not), archive (completed by me)",
        parameters=[
            query("scope", {**choice(inbox.SCOPES), "default": "mine"}, empty=False),
            query("node", choice(dict(inbox.node_choices())), description="Only tasks of this node, e.g. ect_approve."),
            query("team", ANY_ID, description="A team id (one past the highest possible id: no filter)."),
            query("school", ANY_ID, description="A school id (one past the highest possible id: no filter)."),
            query("case", ID, description="Only the tasks of this case (id)."),
            query("due", choice(inbox.DUE_FILTERS), description="overdue: past due; week: due within 7 days."),
            query("followup", choice(inbox.FOLLOW_UP_FILTERS),
                  description="By default tasks snoozed until a later date are left out; snoozed: only those; all: "
                              "both."),
            query("sort", {**choice(inbox.SORTS), "default": inbox.DEFAULT_SORT}),
        ],
        responses={200: TaskSerializer(many=True), 400: FieldErrorsSerializer, 401: UNAUTHENTICATED,
                   404: PAST_THE_LAST},
    ),
    retrieve=extend_schema(summary="One task", responses={200: TaskSerializer, 401: UNAUTHENTICATED,
                                                           404: NOT_FOUND}),
)
class TaskViewSet(LoggedPages, viewsets.ReadOnlyModelViewSet):
    serializer_class = TaskSerializer
    # A system reads tasks; it never claims, releases or completes one (a person's work).
    system_scopes = {"list": scopes.TASKS_READ, "retrieve": scopes.TASKS_READ}
    pagination_class = TaskPagination
    shown_list = AccessLog.List.TASKS

    def case_of(self, task):
        return task.case
    queryset = CaseTask.objects.none()  # for the schema; requests use the inbox selectors

    def get_queryset(self):
        if self.action == "list" and system_of(self.request.user) is not None:
            # A system has no inbox: the tasks of the cases it sees, newest first.
            return inbox.visible_tasks(self.request.user).order_by("-created", "-pk")
        if self.action == "list":
            scope = self.request.query_params.get("scope", "mine")
            if scope not in inbox.SCOPES:
                raise ValidationError({"scope": [f"Choose one of: {', '.join(inbox.SCOPES)}."]})
            params = self.request.query_params
            team = read_id(params, "team", "Give a team id.", beyond=True)
            school = read_id(params, "school", "Give a school id.", beyond=True)
            case = read_id(params, "case", "Give a case id.")
            return inbox.task_list(self.request.user, scope, node=read_choice(params, "node", dict(inbox.node_choices())),
                                   team=str(team or ""), school=str(school or ""),
                                   due=read_choice(params, "due", inbox.DUE_FILTERS),
                                   followup=read_choice(params, "followup", inbox.FOLLOW_UP_FILTERS),
                                   sort=read_choice(params, "sort", inbox.SORTS) or inbox.DEFAULT_SORT, case=case)
        return inbox.visible_tasks(self.request.user)

    def retrieve(self, request, pk=None):
        return Response(TaskSerializer(task_for_user(request.user, pk, request=request, log=True)).data)

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
        description="The body is the payload of the task's node (see `payload_schema` on the task); `node` may be "
                    "left out, and when given must be the task's node (else a 400 on node: a task's node never "
                    "changes, so that is a wrong request, not a conflict).",
        request={"application/json": OpenApiTypes.OBJECT},
        responses={200: TaskSerializer, 400: FieldErrorsSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN,
                   404: NOT_FOUND, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": [_("Send the payload as a JSON object.")]})
        data = dict(request.data)
        node = data.pop(NODE_FIELD, None)
        if node is not None and (not isinstance(node, str) or node not in node_forms()):
            raise ValidationError({NODE_FIELD: [_("There is no such node.")]})
        task = complete_task(user=request.user, task_id=pk, data=data, node=node, strict=is_v1())
        return Response(TaskSerializer(task).data, status=status.HTTP_200_OK)

    @extend_schema(
        summary="Set or clear a task's follow-up date (snooze it until then)",
        request=FollowUpSerializer,
        responses={200: TaskSerializer, 400: FieldErrorsSerializer, 401: UNAUTHENTICATED,
                   403: OpenApiResponse(DetailSerializer, description="Only its assignee, someone who may take it "
                                                                      "from the queue, or a coordinator."),
                   404: NOT_FOUND, 409: CONFLICT})
    @action(detail=True, methods=["post"], url_path="follow-up")
    def follow_up(self, request, pk=None):
        data = FollowUpSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        task = set_follow_up(user=request.user, task_id=pk, follow_up_on=data.validated_data["follow_up_on"])
        return Response(TaskSerializer(task).data)

    @extend_schema(
        summary="Distribute several tasks: assign them to a colleague, or release them to the queue, with a reason",
        description="All or nothing. The reason is written in the history of each case; each assignee (and anyone "
                    "who loses a claimed task) is notified. Reassigning or releasing a task a colleague claimed "
                    "is a coordinator's right only.",
        request=BulkSerializer,
        responses={200: BulkResultSerializer, 400: FieldErrorsSerializer, 401: UNAUTHENTICATED,
                   403: OpenApiResponse(DetailSerializer, description="A task is claimed by a colleague and you "
                                                                      "are not a coordinator of its team, or it is "
                                                                      "not your team's task; nothing changed."),
                   404: OpenApiResponse(DetailSerializer, description="A task does not exist or is of a case you "
                                                                      "do not work on; nothing changed."),
                   409: OpenApiResponse(DetailSerializer, description="A task is no longer open (or, to release, "
                                                                      "not claimed); nothing changed.")})
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        data = BulkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        changed = bulk_distribute(actor=request.user, action=values["action"], task_ids=values["tasks"],
                                  reason=values["reason"], assignee_id=values.get("assignee"))
        return Response({"changed": TaskSerializer(changed, many=True).data})


# The filters a work list keeps, as on GET /api/tasks/ (a value may be sent empty: no filter); other keys
# are refused. Saved and answered as strings; a team or school id may also be sent as a number.
WORKLIST_FILTERS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "node": or_empty(choice(dict(inbox.node_choices()))),
        "team": {"anyOf": [ID_TEXT, ID, EMPTY]},
        "school": {"anyOf": [ID_TEXT, ID, EMPTY]},
        "due": or_empty(choice(inbox.DUE_FILTERS)),
        "followup": or_empty(choice(inbox.FOLLOW_UP_FILTERS)),
        "sort": or_empty(choice(inbox.SORTS)),
    },
}


@extend_schema_field(WORKLIST_FILTERS)
class WorklistFiltersField(serializers.DictField):
    child = serializers.CharField(allow_blank=True)


class WorklistSerializer(StrictModelSerializer):
    filters = WorklistFiltersField(required=False, help_text="The list's filters: node, team, school, due, "
                                                             "followup, sort (as on GET /api/tasks/).")
    scope = serializers.ChoiceField(choices=list(inbox.SCOPES))

    class Meta:
        model = SavedWorklist
        fields = ["id", "name", "scope", "filters", "created_at"]
        read_only_fields = ["id", "created_at"]


@extend_schema_view(
    list=extend_schema(summary="My saved work lists", responses={200: WorklistSerializer(many=True),
                                                                 401: UNAUTHENTICATED}),
    create=extend_schema(summary="Save a work list (the same name replaces it)", request=WorklistSerializer,
                         responses={201: WorklistSerializer, 400: FieldErrorsSerializer, 401: UNAUTHENTICATED}),
    destroy=extend_schema(summary="Remove one of my work lists",
                          responses={204: None, 401: UNAUTHENTICATED,
                                     404: OpenApiResponse(DetailSerializer, description="Not one of your lists.")}),
)
class WorklistViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin,
                      viewsets.GenericViewSet):
    serializer_class = WorklistSerializer
    queryset = SavedWorklist.objects.none()
    pagination_class = None  # a user has at most a few dozen

    def get_queryset(self):
        return worklists.worklists_of(self.request.user)

    def create(self, request):
        data = WorklistSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        worklist = worklists.save_worklist(user=request.user, name=data.validated_data["name"],
                                           scope=data.validated_data["scope"],
                                           filters=data.validated_data.get("filters", {}))
        return created(WorklistSerializer(worklist).data, "worklist-detail", pk=worklist.pk)

    def destroy(self, request, pk=None):
        worklists.delete_worklist(user=request.user, worklist_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
