"""Dutch web forms for cases. They parse input; the rules live in casework.services (and casefile)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.models import Case, Document
from casework.selectors import schools_for_signal
from casework.services import SignalInput
from teams.models import Region, Sector


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ServiceErrorsMixin:
    def add_service_errors(self, error) -> None:
        """Put the service's field errors on the fields they belong to."""
        for field, messages in (error.message_dict if hasattr(error, "error_dict")
                                else {None: error.messages}).items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


class SignalForm(ServiceErrorsMixin, forms.Form):
    given_name = forms.CharField(label=_("Given name"), max_length=100)
    family_name = forms.CharField(label=_("Family name"), max_length=150)
    birth_date = forms.DateField(label=_("Birth date"), widget=DateInput())
    pupil_number = forms.CharField(
        label=_("Pupil number"), max_length=30, required=False,
        help_text=_("The school's own pupil number, if known. Never a BSN."),
    )
    registration = forms.ChoiceField(label=_("Registration"), choices=Case.Registration.choices)
    school = forms.ModelChoiceField(
        label=_("School"), queryset=None, required=False,
        help_text=_("Leave empty only for an absolute verzuimer (not enrolled at any school)."),
    )
    region = forms.ModelChoiceField(
        label=_("Region (samenwerkingsverband)"), queryset=Region.objects.all(), required=False,
        help_text=_("Only needed for an absolute verzuimer; otherwise it follows from the school."),
    )
    sector = forms.ChoiceField(label=_("Sector"), choices=Sector.choices)
    category = forms.ChoiceField(label=_("Category"), choices=Case.Category.choices, initial=Case.Category.ONBEKEND)
    absent_since = forms.DateField(label=_("Out of school since"), widget=DateInput(),
                                   help_text=_("The first day the child was not at school."))
    signaller_role = forms.ChoiceField(label=_("Signalled by"), choices=Case.SignallerRole.choices)
    summary = forms.CharField(
        label=_("What is known"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Only what the team needs to act. No medical details."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools_for_signal()

    def to_signal_input(self) -> SignalInput:
        data = self.cleaned_data
        return SignalInput(
            given_name=data["given_name"],
            family_name=data["family_name"],
            birth_date=data["birth_date"],
            pupil_number=data["pupil_number"],
            school=data["school"],
            region=data["region"],
            sector=data["sector"],
            registration=data["registration"],
            category=data["category"],
            absent_since=data["absent_since"],
            signaller_role=data["signaller_role"],
            summary=data["summary"],
        )



class NoteForm(ServiceErrorsMixin, forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Mention a colleague on the case with @username to tell them."))
    shared_with_mentor = forms.BooleanField(
        label=_("Share with the JIM mentor"), required=False,
        help_text=_("Only shown to the mentor when the young person agreed to share notes."))
    corrects = forms.IntegerField(widget=forms.HiddenInput, required=False)


class DocumentForm(ServiceErrorsMixin, forms.Form):
    file = forms.FileField(label=_("File"))
    kind = forms.ChoiceField(label=_("Kind of document"), choices=Document.Kind.choices, initial=Document.Kind.OTHER)


class FollowUpForm(ServiceErrorsMixin, forms.Form):
    follow_up_on = forms.DateField(label=_("Follow up on"), required=False, widget=DateInput(),
                                   help_text=_("The task leaves your lists until this date and comes back with a "
                                               "notification. Leave empty to bring it back now."))
