"""Reference data for API clients that need ids (a signal's school or region, a bulk assignee):
schools, regions, the teams a user sees and their colleagues. Thin: parse, call teams.directory."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView

from casework.api.params import ID, choice, query, read_choice, read_id
from casework.api.scopes import ANY_SCOPE
from casework.api.serializers import DetailSerializer, FieldErrorsSerializer
from teams import directory
from teams.models import Membership, Region, School, Sector, Team, User


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "name", "sector"]
        read_only_fields = fields


class SchoolSerializer(serializers.ModelSerializer):
    class Meta:
        model = School
        fields = ["id", "name", "brin", "sector", "region", "board"]
        read_only_fields = fields


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "kind", "region", "school"]
        read_only_fields = fields


class TeamRoleSerializer(serializers.Serializer):
    team = serializers.IntegerField(source="team_id", help_text="The team's id.")
    team_name = serializers.CharField(source="team.name")
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class ColleagueSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField(help_text="Given and family name (the username when unknown).")
    roles = serializers.SerializerMethodField(help_text="Their role in each team you share with them.")

    class Meta:
        model = User
        fields = ["id", "username", "name", "roles"]
        read_only_fields = fields

    def get_name(self, user) -> str:
        return user.get_full_name() or user.username

    @extend_schema_field(TeamRoleSerializer(many=True))
    def get_roles(self, user):
        return TeamRoleSerializer(user.shared_memberships, many=True).data


def name_in(params) -> str:
    """The `name` filter: at most 200 characters; a NUL (which no name holds) is a 400."""
    value = params.get("name", "")
    if "\x00" in value or len(value) > 200:
        raise ValidationError({"name": [_("Give a name of at most 200 characters.")]})
    return value


NAME = query("name", {"type": "string", "maxLength": 200, "pattern": "^[^\\x00]*$"}, description="Part of the name (any case).")
SECTOR = query("sector", choice(Sector.values))
REGION = query("region", ID, description="A region id.")
ERRORS = {400: FieldErrorsSerializer, 401: DetailSerializer}


class ReferenceList(GenericAPIView):
    def get(self, request):
        page = self.paginate_queryset(self.rows(request.query_params))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class SchoolList(ReferenceList):
    serializer_class = SchoolSerializer
    system_scopes = {"get": ANY_SCOPE}  # no personal data; a system needs a school's id to signal
    queryset = School.objects.none()

    @extend_schema(summary="Schools (to find a school's id for a signal)", parameters=[NAME, SECTOR, REGION],
                   responses={200: SchoolSerializer(many=True), **ERRORS})
    def get(self, request):
        return super().get(request)

    def rows(self, params):
        return directory.schools(name=name_in(params), sector=read_choice(params, "sector", Sector.values),
                                 region=read_id(params, "region", "Give a region id."))


class RegionList(ReferenceList):
    serializer_class = RegionSerializer
    system_scopes = {"get": ANY_SCOPE}
    queryset = Region.objects.none()

    @extend_schema(summary="Regions (samenwerkingsverbanden)",
                   parameters=[NAME, query("sector", choice(Region.RegionSector.values))],
                   responses={200: RegionSerializer(many=True), **ERRORS})
    def get(self, request):
        return super().get(request)

    def rows(self, params):
        return directory.regions(name=name_in(params),
                                 sector=read_choice(params, "sector", Region.RegionSector.values))


class TeamList(ReferenceList):
    serializer_class = TeamSerializer
    queryset = Team.objects.none()

    @extend_schema(summary="Teams you see: your own and those of the regions you work in",
                   parameters=[NAME, query("kind", choice(Team.Kind.values)), REGION,
                               query("sector", choice(Sector.values), description="The sector of the team's school.")],
                   responses={200: TeamSerializer(many=True), **ERRORS})
    def get(self, request):
        return super().get(request)

    def rows(self, params):
        return directory.visible_teams(self.request.user, name=name_in(params),
                                       kind=read_choice(params, "kind", Team.Kind.values),
                                       region=read_id(params, "region", "Give a region id."),
                                       sector=read_choice(params, "sector", Sector.values))


class ColleagueList(ReferenceList):
    serializer_class = ColleagueSerializer
    queryset = User.objects.none()

    @extend_schema(summary="Colleagues: the members of your teams, with their roles",
                   parameters=[NAME, query("team", ID, description="Only the members of this team of yours.")],
                   responses={200: ColleagueSerializer(many=True), **ERRORS})
    def get(self, request):
        return super().get(request)

    def rows(self, params):
        return directory.colleagues_of(self.request.user, name=name_in(params),
                                       team=read_id(params, "team", "Give a team id."))
