"""The form of each task, in Dutch; the same fields for the web page and the API payload.

Forms parse and type the input; the rules (what is required when, who may decide) are in
the core services, whose field errors are put back on these forms.
"""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from casework.formkit import DateInput, ServiceErrorsMixin
from casework.models import (
    Arrangement,
    ArrangementEvaluation,
    Case,
    Mentor,
    PlacementDecision,
    Plan,
    Provision,
    Route,
    Vrijstelling,
)
from casework.selectors import start_date_window, unavailable_routes
from teams.models import School, SchoolBoard, User, fitting_sectors

YES_NO = [(True, _("Yes")), (False, _("No"))]


class TaskForm(ServiceErrorsMixin, forms.Form):
    """A task's form; `case` (the task's case) lets a form offer only what fits the case."""

    def __init__(self, *args, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        if case is not None and "start_date" in self.fields:  # the date picker offers the days that make sense
            earliest, latest = start_date_window(case)
            self.fields["start_date"].widget.attrs.update({"min": earliest.isoformat(), "max": latest.isoformat()})


def yes_no(label, **kwargs):
    """A required yes/no answer: a radio pair on the page, `true`/`false` in JSON."""
    return forms.NullBooleanField(label=label, widget=forms.RadioSelect(choices=YES_NO), **kwargs)


class RequiredYesNoMixin:
    yes_no_fields: tuple[str, ...] = ()

    def clean(self):
        cleaned = super().clean()
        for name in self.yes_no_fields:
            if cleaned.get(name) is None and name not in self.errors:
                self.add_error(name, _("Answer yes or no."))
        return cleaned


class TeamReviewForm(TaskForm):
    plan = forms.CharField(label=_("Plan of action"), widget=forms.Textarea(attrs={"rows": 6}),
                           help_text=_("What will be done, by whom, by when."))
    routes = forms.MultipleChoiceField(label=_("Routes"), choices=Route.choices, required=False,
                                       widget=forms.CheckboxSelectMultiple,
                                       help_text=_("The chosen routes run at the same time; the case comes back "
                                                   "to the team when all are done."))
    ect_question = forms.CharField(label=_("Question to the ECT"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 3}),
                                   help_text=_("With the ECT consult: what the team asks the ECT. The consultant sees it "
                                                           "with the plan."))
    ect_question_kind = forms.ChoiceField(label=_("Kind of question to the ECT"), required=False,
                                          choices=[("", "—"), *Plan.EctQuestionKind.choices],
                                          help_text=_("Required with the ECT consult."))
    pupil_preference = forms.CharField(label=_("The pupil's preference"), required=False,
                                       widget=forms.Textarea(attrs={"rows": 2}),
                                       help_text=_("With a doorbraak: the school or place the pupil and parents "
                                                   "prefer, for the commission."))
    outcome = forms.ChoiceField(label=_("Close the case with outcome"), required=False,
                                choices=[("", "—"), *Case.Outcome.choices],
                                help_text=_("Only without routes: closes the case."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.case is None:
            return
        absent = unavailable_routes(self.case)  # offered only where it applies; the reason where it does not
        if absent:
            field = self.fields["routes"]
            # Only the widget leaves them out: a posted one is still refused by the service, with the reason.
            field.widget.choices = [(value, label) for value, label in field.choices if value not in absent]
            field.help_text = format_lazy("{} {}", field.help_text, " ".join(str(reason) for reason in absent.values()))


class EctDraftForm(TaskForm):
    question = forms.CharField(label=_("Question to the ECT"), required=False,
                               widget=forms.Textarea(attrs={"rows": 3}),
                               help_text=_("The team's question; word it yourself only when there is none."))
    advice = forms.CharField(label=_("Advice"), widget=forms.Textarea(attrs={"rows": 6}))


class EctApproveForm(RequiredYesNoMixin, TaskForm):
    yes_no_fields = ("approved",)
    approved = yes_no(_("Approve the advice?"), required=False)
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Required when you reject the advice; the drafter sees it."))


class VrijstellingRequestForm(TaskForm):
    grounds = forms.ChoiceField(label=_("Grounds"), choices=Vrijstelling.Grounds.choices)
    motivation = forms.CharField(label=_("Motivation"), widget=forms.Textarea(attrs={"rows": 4}))
    medical_statement = forms.BooleanField(
        label=_("A doctor's statement is on file"), required=False,
        help_text=_("Only whether it exists; never record medical details here."),
    )


class VrijstellingAdviceForm(TaskForm):
    advice = forms.ChoiceField(label=_("Advice"), choices=Vrijstelling.Advice.choices)
    motivation = forms.CharField(label=_("Motivation"), widget=forms.Textarea(attrs={"rows": 4}))
    alternatives = forms.CharField(label=_("Alternatives"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                   help_text=_("Education or care that could make the exemption unnecessary."))


class VrijstellingDecisionForm(RequiredYesNoMixin, TaskForm):
    yes_no_fields = ("granted",)
    granted = yes_no(_("Exemption granted?"), required=False)
    until = forms.DateField(label=_("Exempted until"), required=False, widget=DateInput())
    motivation = forms.CharField(label=_("Motivation"), widget=forms.Textarea(attrs={"rows": 4}))


class PlacementFields(forms.Form):
    """A board and one of its schools. For a case, only schools that fit the pupil's sector are
    offered, grouped by board, and only the boards that have such a school (the service refuses a
    school of another board or sector)."""

    school_board = forms.ModelChoiceField(label=_("School board with the duty of care"),
                                          queryset=SchoolBoard.objects.order_by("name"))
    school = forms.ModelChoiceField(label=_("School"), queryset=School.objects.all(), required=False,
                                    help_text=_("Only schools that fit the pupil, grouped by school board."))
    provision = forms.ModelChoiceField(label=_("Provision (maatwerkvoorziening)"), required=False,
                                       queryset=Provision.objects.filter(active=True),
                                       help_text=_("When the place is at one: Rebound, TTVO, Maatwerk, OPDC."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        case = getattr(self, "case", None)
        if case is None:
            return
        schools = School.objects.filter(sector__in=fitting_sectors(case.sector)).select_related("board").order_by(
            "board__name", "name")
        self.fields["school"].queryset = schools
        self.fields["provision"].queryset = Provision.objects.filter(active=True, region_id=case.region_id)
        # Only boards with a school that fits the pupil, like the schools.
        self.fields["school_board"].queryset = SchoolBoard.objects.filter(
            schools__sector__in=fitting_sectors(case.sector)).distinct().order_by("name")

        def grouped():
            groups: dict = {}
            for school in schools:
                groups.setdefault(school.board, []).append((school.pk, school.name))
            return [("", "—"), *((board.name, options) for board, options in groups.items())]

        # read when the form is shown, not when it only validates (a task completed through the API)
        self.fields["school"].choices = grouped
        self.fields["school"].widget.attrs.update({"data-grouped-by": self["school_board"].auto_id})


class DoorbraakDecisionForm(PlacementFields, TaskForm):
    """The MPL's decision: a placement, or no agreement (then the SWV director decides). The
    placement fields are required for a placement only; the service says which are missing."""

    decision = forms.ChoiceField(label=_("Decision"), choices=PlacementDecision.Decision.choices, required=False,
                                 initial=PlacementDecision.Decision.PLAATSING, widget=forms.RadioSelect,
                                 help_text=_("A placement unless you choose otherwise."))
    start_date = forms.DateField(label=_("Placement starts on"), required=False, widget=DateInput())
    preference_followed = yes_no(_("Is the pupil's first preference followed?"), required=False)
    motivation = forms.CharField(label=_("Motivation"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                                 help_text=_("Required when the first preference is not followed, and when the "
                                             "commission reaches no agreement."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school_board"].required = False


class DoeAdviceForm(PlacementFields, TaskForm):
    """The DOE-team's proposal. By default the SWV director or the coördinator deelverband decides
    on it (doorzettingsmacht); without that need the advice is the settled placement, with its
    start date."""

    advice = forms.CharField(label=_("Placement advice"), widget=forms.Textarea(attrs={"rows": 4}))
    needs_doorzettingsmacht = yes_no(
        _("Does the director or the coördinator deelverband have to decide (doorzettingsmacht)?"), required=False,
        initial=True, help_text=_("Yes unless you choose otherwise. No: this advice is the placement, from its start "
                                  "date."))
    start_date = forms.DateField(label=_("Placement starts on"), required=False, widget=DateInput(),
                                 help_text=_("Required when no director decision is needed."))


class StagnatieForm(PlacementFields, TaskForm):
    """The MBO institution's stagnatiemeldpunt (or its management): the steps taken, or a placement
    at the institution with its start date (which ends the ladder)."""

    steps = forms.CharField(label=_("Steps taken"), widget=forms.Textarea(attrs={"rows": 4}),
                            help_text=_("With the transition coaches (doorstroombegeleiders) and RMC."))
    placed = yes_no(_("Is the student placed at the institution?"), required=False)
    start_date = forms.DateField(label=_("Placement starts on"), required=False, widget=DateInput(),
                                 help_text=_("Required for a placement."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school_board"].required = False


class DirectorDecisionForm(PlacementFields, TaskForm):
    start_date = forms.DateField(label=_("Placement starts on"), widget=DateInput())
    motivation = forms.CharField(label=_("Motivation"), widget=forms.Textarea(attrs={"rows": 4}))


class StartConfirmationForm(RequiredYesNoMixin, TaskForm):
    yes_no_fields = ("started",)
    started = yes_no(_("Did the child start in the offered place?"), required=False)
    started_on = forms.DateField(label=_("Started on"), required=False, widget=DateInput(),
                                 help_text=_("Required when the child started."))
    reason = forms.CharField(label=_("Why not"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Required when the child did not start; the case goes back to the team."))
    level = forms.ChoiceField(
        label=_("Taking part"), required=False,
        choices=[("", "—"), *((value, label) for value, label in Case.Participation.choices
                              if value != Case.Participation.GEEN)],
        help_text=_("When the child started: partly (still counts as thuiszitter) or fully, as far as they can. "
                    "Filled in from the offer."))
    setting = forms.ChoiceField(label=_("Taking part in"), required=False, choices=[("", "—"), *Case.Setting.choices],
                                help_text=_("When the child started: where. Filled in from the offer; a placement at "
                                            "another school enrols the pupil there."))


class CaseReviewForm(TaskForm):
    notes = forms.CharField(label=_("What the team concluded"), widget=forms.Textarea(attrs={"rows": 4}))


class MeetingActionForm(TaskForm):
    note = forms.CharField(label=_("What you did"), widget=forms.Textarea(attrs={"rows": 4}))


class JimAssignmentForm(TaskForm):
    mentor_name = forms.CharField(label=_("Mentor's name"), max_length=200)
    relation = forms.CharField(label=_("Relation to the young person"), max_length=200)
    contact = forms.CharField(label=_("Phone or e-mail"), max_length=200)
    consent = forms.BooleanField(label=_("The young person chose this mentor and agrees"), required=False)
    share = forms.MultipleChoiceField(label=_("Share with the mentor"), choices=Mentor.Share.choices,
                                      required=False, widget=forms.CheckboxSelectMultiple,
                                      help_text=_("Only what the young person agreed to share."))
    mentor_username = forms.ModelChoiceField(
        label=_("Mentor's account (username)"), queryset=User.objects.filter(is_active=True),
        to_field_name="username", required=False, widget=forms.TextInput,
        help_text=_("Optional: an existing account through which the mentor reads only the shared parts."),
    )


class ArrangementSetupForm(TaskForm):
    education = forms.CharField(label=_("Education (school / OPDC)"), max_length=200)
    care_provider = forms.CharField(label=_("Care provider"), max_length=200)
    funding = forms.ChoiceField(label=_("Funding"), choices=Arrangement.Funding.choices)
    start_date = forms.DateField(label=_("Start date"), widget=DateInput())
    end_date = forms.DateField(label=_("End date"), widget=DateInput())
    evaluation_weeks = forms.IntegerField(label=_("Evaluate every (weeks)"), min_value=1, max_value=52)
    provision = forms.ModelChoiceField(label=_("Provision (maatwerkvoorziening)"), required=False,
                                       queryset=Provision.objects.filter(active=True),
                                       help_text=_("When the education is at one: Rebound, TTVO, Maatwerk, OPDC."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.case is not None:
            self.fields["provision"].queryset = Provision.objects.filter(active=True, region_id=self.case.region_id)


class ArrangementEvaluationForm(TaskForm):
    result = forms.ChoiceField(label=_("Result"), choices=ArrangementEvaluation.Result.choices,
                               widget=forms.RadioSelect)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4}))


class SignalVerificationForm(RequiredYesNoMixin, TaskForm):
    yes_no_fields = ("verified",)
    verified = yes_no(_("Is this a child out of school that needs a case?"), required=False)
    registration = forms.ChoiceField(label=_("Registration"), required=False,
                                     choices=[("", "—"), *Case.Registration.choices],
                                     help_text=_("Required when you take the signal up."))
    category = forms.ChoiceField(label=_("Category"), required=False, choices=[("", "—"), *Case.Category.choices])
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Required when you do not take the signal up."))


class FollowUpForm(ServiceErrorsMixin, forms.Form):
    """A task's follow-up date (the task page's snooze)."""

    follow_up_on = forms.DateField(label=_("Follow up on"), required=False, widget=DateInput(),
                                   help_text=_("The task leaves your lists until this date and comes back with a "
                                               "notification. Leave empty to bring it back now."))
