"""Shapes of the case API. Parsing only: the rules live in casework.services."""

import copy
import datetime as dt
import re

from django.core.validators import RegexValidator
from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casework.api.version import is_v1
from casework.models import Case, CaseEvent, Child, Deadline, Provision, Vrijstelling
from casework.services import SignalInput
from teams.models import Region, School, Sector

# Input fields take the JSON type the schema names, nothing DRF would convert ("5" for a number, 1 for
# true, 5 for a text), and a date exactly as YYYY-MM-DD. A text never holds NUL, and one that must not
# be blank has a character other than white space (it is trimmed): the schema says both as a pattern.
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
NO_NUL = RegexValidator(r"^[^\x00]*$")
NOT_BLANK = RegexValidator(r"^[^\x00]*[^\s\x00][^\x00]*$")


class Text(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(NO_NUL if self.allow_blank else NOT_BLANK)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class WholeNumber(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class YesNo(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class Day(serializers.DateField):
    def to_internal_value(self, value):
        if not (isinstance(value, str) and ISO_DATE.fullmatch(value)):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class RowId(serializers.PrimaryKeyRelatedField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


# A ModelSerializer whose fields are built from the model once per class and copied for each
# instance. DRF builds them anew for every instance (it reads the model's fields and maps each one),
# which was a tenth of a signal's CPU in the API (the case, its child, events and clocks); a class's
# fields never depend on the instance, so each copy is the same as a fresh build. (A comment, not a
# docstring: the schema would describe every serializer without its own docstring with it.)
class FieldsBuiltOnce(serializers.ModelSerializer):
    def get_fields(self):
        built = type(self).__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            type(self)._built_fields = built
        return {name: _copy(field) for name, field in built.items()}


def _copy(field):
    """A field as DRF's deepcopy makes it (a new instance from the same arguments), sharing the
    arguments that are not fields themselves (texts, choices, querysets, validators: none is changed
    by a field), which deep-copying spent most of its time on. A nested serializer is deep-copied."""
    if isinstance(field, serializers.BaseSerializer):
        return copy.deepcopy(field)
    kwargs = {key: copy.deepcopy(value) if isinstance(value, serializers.Field) else value
              for key, value in field._kwargs.items()}
    return field.__class__(*field._args, **kwargs)


class StrictModelSerializer(FieldsBuiltOnce):
    """A ModelSerializer whose input fields are the strict ones above."""

    serializer_field_mapping = {**serializers.ModelSerializer.serializer_field_mapping,
                                models.CharField: Text, models.TextField: Text, models.DateField: Day,
                                models.BooleanField: YesNo, models.IntegerField: WholeNumber}
    serializer_related_field = RowId


class ChildSerializer(StrictModelSerializer):
    class Meta:
        model = Child
        fields = ["given_name", "family_name", "birth_date", "pupil_number", "startkwalificatie",
                  "startkwalificatie_on"]
        extra_kwargs = {
            "pupil_number": {"required": False, "allow_blank": True},
            "startkwalificatie": {"required": False, "help_text": (
                "Whether the young person has a startkwalificatie (default: true when `startkwalificatie_on` is "
                "given, else false). True needs `startkwalificatie_on`.")},
            "startkwalificatie_on": {"required": False, "allow_null": True, "help_text": (
                "The day the startkwalificatie was obtained (a plain date, not in the future); needed with "
                "`startkwalificatie`. On or before `absent_since` for a young person of 16 or 17 the signal is "
                "refused (no qualification duty); a later date is stored on the child and ends the duty from "
                "then on; for a child under 16 it is kept.")},
        }


MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII)


def in_local_time(value):
    """A moment (an ISO 8601 string with an offset) in the configured time zone, as DRF writes one."""
    if isinstance(value, str) and MOMENT.fullmatch(value):
        return serializers.DateTimeField().to_representation(dt.datetime.fromisoformat(value.upper()))
    return value


class CaseEventSerializer(FieldsBuiltOnce):
    kind = serializers.ChoiceField(choices=CaseEvent.Kind.choices, read_only=True)
    data = serializers.DictField(read_only=True, help_text="The event's facts; which keys depends on its kind.")
    actor = serializers.SerializerMethodField(help_text="Username of who did it; null for the system.")

    class Meta:
        model = CaseEvent
        fields = ["id", "at", "kind", "actor", "data"]

    def to_representation(self, event):
        data = super().to_representation(event)
        if is_v1():  # one time zone: moments in the event's facts with the configured zone's offset
            data["data"] = {key: in_local_time(value) for key, value in data["data"].items()}
        return data

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor(self, event) -> str | None:
        return event.actor.username if event.actor_id else None


class DeadlineSerializer(FieldsBuiltOnce):
    state = serializers.ChoiceField(choices=Deadline.State.choices, read_only=True,
                                    help_text="open, warning, met, breached or stopped, now.")

    class Meta:
        model = Deadline
        fields = ["kind", "sequence", "due_at", "warn_at", "state", "met_at", "breached_at", "stopped_at",
                  "stop_reason"]
        read_only_fields = fields


class CaseSummarySerializer(FieldsBuiltOnce):
    """A row of the case list: what a worklist needs, with the clocks, without the timeline."""

    child = ChildSerializer(read_only=True)
    deadlines = DeadlineSerializer(many=True, read_only=True)
    outcome = serializers.ChoiceField(choices=Case.Outcome.choices, allow_blank=True, read_only=True,
                                      help_text="Empty while the case is open.")
    school_name = serializers.CharField(source="school.name", read_only=True, default=None, allow_null=True,
                                        help_text="The school's name; null for a case without a school.")
    participation_setting = serializers.ChoiceField(
        choices=Case.Setting.choices, allow_blank=True, read_only=True,
        help_text="Where the pupil takes part now; empty while the level is geen.")

    class Meta:
        model = Case
        fields = [
            "id", "status", "registration", "category", "sector", "school", "school_name",
            "region", "absent_since", "signalled_at", "outcome", "closed_at", "participation",
            "participation_setting", "child", "deadlines",
        ]
        read_only_fields = fields


class CaseSerializer(CaseSummarySerializer):
    """The whole case as its participants see it, with its timeline."""

    events = CaseEventSerializer(many=True, read_only=True)

    class Meta(CaseSummarySerializer.Meta):
        fields = [*CaseSummarySerializer.Meta.fields, "signaller_role", "summary", "events"]
        read_only_fields = fields


class SignalSerializer(serializers.Serializer):
    """A signal of a (threatened) thuiszitter. Opens a case (201); when the child has an open case, answers
    409 with its id to someone who works on it, else 202 without it (forwarded to its team)."""

    child = ChildSerializer()
    school = RowId(
        queryset=School.objects.select_related("region"), allow_null=True, required=False,
        help_text="The school the child is enrolled at; null for an absolute verzuimer (registration av).",
    )
    region = RowId(
        queryset=Region.objects.all(), allow_null=True, required=False,
        help_text="The samenwerkingsverband; required only without a school (registration av).",
    )
    sector = serializers.ChoiceField(
        choices=Sector.choices, required=False, allow_blank=True, default="",
        help_text="Taken from the school when one is given (must match it if sent); required without a school.")
    registration = serializers.ChoiceField(
        choices=Case.Registration.choices,
        help_text="lrv from day 29 out of school (more than 4 weeks; the first day absent is day 1), before that "
                  "dreigend; vrij needs "
                  "vrijstelling_grounds and vrijstelling_until.")
    category = serializers.ChoiceField(choices=Case.Category.choices, default=Case.Category.ONBEKEND)
    absent_since = Day(help_text="First day out of school.")
    signaller_role = serializers.ChoiceField(choices=Case.SignallerRole.choices)
    summary = Text(required=False, allow_blank=True, default="", max_length=5000)
    vrijstelling_grounds = serializers.ChoiceField(
        choices=Vrijstelling.Grounds.choices, required=False, allow_blank=True, default="",
        help_text="Only with registration vrij: the ground of the running exemption (5a, 5b, 5c, 15).")
    vrijstelling_until = Day(
        required=False, allow_null=True, default=None,
        help_text="Only with registration vrij: the last day of the running exemption.")

    def to_signal_input(self) -> SignalInput:
        data = self.validated_data
        child = data["child"]
        return SignalInput(
            given_name=child["given_name"],
            family_name=child["family_name"],
            birth_date=child["birth_date"],
            pupil_number=child.get("pupil_number", ""),
            school=data.get("school"),
            region=data.get("region"),
            sector=data["sector"],
            registration=data["registration"],
            category=data["category"],
            absent_since=data["absent_since"],
            signaller_role=data["signaller_role"],
            summary=data.get("summary", ""),
            startkwalificatie=bool(child.get("startkwalificatie", child.get("startkwalificatie_on") is not None)),
            startkwalificatie_on=child.get("startkwalificatie_on"),
            vrijstelling_grounds=data.get("vrijstelling_grounds", ""),
            vrijstelling_until=data.get("vrijstelling_until"),
        )


class RegistrationChangeSerializer(serializers.Serializer):
    registration = serializers.ChoiceField(
        choices=Case.Registration.choices,
        help_text="Allowed: dreigend to lrv, lrv to/from ziek, dreigend to/from ziek, lrv to av (unenrolled), "
                  "av to lrv (enrolled: give the school), or the same registration with another school (a move: "
                  "event school_changed). vrij only through an exemption.")
    since = Day(help_text="From when the new registration holds (not in the future).")
    reason = Text(max_length=2000, help_text="Why the registration changed.")
    school = RowId(
        queryset=School.objects.select_related("region"), required=False, allow_null=True, default=None,
        help_text="For av to lrv, or with the same registration for a move: the school the pupil is enrolled at "
                  "from `since`. It must be in the case's region and have a team; that team takes the case over, "
                  "the old school's team no longer sees it, and the region's Leerplicht stays on it.")


class ParticipationSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=Case.Participation.choices,
                                    help_text="geen, gedeeltelijk (still a thuiszitter) or volledig (no longer).")
    since = Day(help_text="From when (not in the future).")
    setting = serializers.ChoiceField(choices=Case.Setting.choices, required=False, allow_blank=True, default="",
                                      help_text="Where the pupil takes part; required unless level is geen.")
    note = Text(required=False, allow_blank=True, default="", max_length=2000)
    provision = serializers.PrimaryKeyRelatedField(
        queryset=Provision.objects.all(), required=False, allow_null=True, default=None,
        help_text="A provision (maatwerkvoorziening) of the case's region the pupil was referred to.")


class StartkwalificatieSerializer(serializers.Serializer):
    obtained_on = Day(help_text="The day the startkwalificatie was obtained.")


class ThuiswerkplanSerializer(serializers.Serializer):
    starts_on = Day(help_text="The plan's first day.")
    until = Day(required=False, allow_null=True, help_text="The plan's last day; empty until further notice.")
    provides = Text(max_length=2000, help_text="What the school provides.")
    contact_moments = Text(max_length=2000, help_text="When and how the school and the pupil speak.")
    school_contact = Text(max_length=200, help_text="Who at school keeps the contact.")


class ExemptionEndSerializer(serializers.Serializer):
    last_day = Day(help_text="The last day the exemption held.")
    reason = Text(max_length=2000, help_text="Why the exemption ends early (revocation).")


class DuplicateSignalSerializer(serializers.Serializer):
    detail = serializers.CharField()
    case_id = serializers.IntegerField(help_text="The child's open case, to which the signal was added.")


class ForwardedSignalSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Melding ontvangen en doorgezet naar het verantwoordelijke team. "
                                             "Nothing else: no case, no case number.")


class FieldErrorsSerializer(serializers.Serializer):
    """400: a list of messages per field that failed (plus `non_field_errors`)."""

    field_name = serializers.ListField(child=serializers.CharField(), required=False)


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()
