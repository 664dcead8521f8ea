"""Dutch web forms for cases. They parse input; the rules live in casework.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.models import Case
from casework.selectors import schools_for_signal
from casework.services import SignalInput
from teams.models import Region, Sector


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class SignalForm(forms.Form):
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

    def add_service_errors(self, error) -> None:
        """Put the service's field errors on the fields they belong to."""
        for field, messages in error.message_dict.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
