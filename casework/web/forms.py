"""Dutch web forms for cases. They parse input; the rules live in casework.services (and casefile)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.formkit import DateInput, ServiceErrorsMixin
from casework.models import Case, Document, Provision, Vrijstelling
from casework.selectors import schools_for_signal
from casework.services import SignalInput
from teams.models import Region, Sector


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
    sector = forms.ChoiceField(label=_("Sector"), choices=[("", "—"), *Sector.choices], required=False,
                               help_text=_("Follows from the school; only needed for a child without a school."))
    category = forms.ChoiceField(label=_("Category"), choices=Case.Category.choices, initial=Case.Category.ONBEKEND)
    absent_since = forms.DateField(label=_("Out of school since"), widget=DateInput(),
                                   help_text=_("The first day the child was not at school."))
    signaller_role = forms.ChoiceField(label=_("Signalled by"), choices=Case.SignallerRole.choices)
    startkwalificatie = forms.BooleanField(
        label=_("Has a startkwalificatie"), required=False,
        help_text=_("At 16 or 17 a startkwalificatie ends compulsory education (the qualification duty)."))
    startkwalificatie_on = forms.DateField(
        label=_("Startkwalificatie obtained on"), required=False, widget=DateInput(),
        help_text=_("Needed with a startkwalificatie: from that day the qualification duty has ended."))
    vrijstelling_grounds = forms.ChoiceField(
        label=_("Exemption ground"), required=False, choices=[("", "—"), *Vrijstelling.Grounds.choices],
        help_text=_("Only for an exempted child (registration vrijstelling)."))
    vrijstelling_until = forms.DateField(label=_("Exempted until"), required=False, widget=DateInput(),
                                         help_text=_("Only for an exempted child."))
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
            startkwalificatie=data["startkwalificatie"],
            startkwalificatie_on=data["startkwalificatie_on"],
            vrijstelling_grounds=data["vrijstelling_grounds"],
            vrijstelling_until=data["vrijstelling_until"],
        )



class RegistrationForm(ServiceErrorsMixin, forms.Form):
    """A change of registration from a date (the rules are in casework.services.change_registration)."""

    prefix = "registration"  # the case page carries several forms with a date field

    registration = forms.ChoiceField(
        label=_("New registration"),
        choices=[(value, label) for value, label in Case.Registration.choices if value != Case.Registration.VRIJ],
        help_text=_("An exemption (vrijstelling) starts and ends only through Leerplicht's decision."))
    since = forms.DateField(label=_("From"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    school = forms.ModelChoiceField(label=_("Enrolled at school"), queryset=None, required=False,
                                    help_text=_("When an absolute verzuimer is enrolled again (av to lrv), or when the pupil moved to "
                                                "another school (keep the registration). Its team takes the case over."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools_for_signal()


class ParticipationForm(ServiceErrorsMixin, forms.Form):
    """How far the pupil takes part from a date (naar vermogen)."""

    prefix = "participation"

    level = forms.ChoiceField(label=_("Taking part"), choices=Case.Participation.choices, widget=forms.RadioSelect,
                              help_text=_("Taking part fully, as far as they can, ends the count as thuiszitter; "
                                          "partly still counts."))
    since = forms.DateField(label=_("From"), widget=DateInput())
    setting = forms.ChoiceField(label=_("Where"), choices=[("", "—"), *Case.Setting.choices], required=False)
    provision = forms.ModelChoiceField(label=_("Provision (maatwerkvoorziening)"), required=False,
                                       queryset=Provision.objects.filter(active=True),
                                       help_text=_("When the pupil was referred to one: Rebound, TTVO, Maatwerk, OPDC."))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           max_length=2000)


class StartkwalificatieForm(ServiceErrorsMixin, forms.Form):
    prefix = "startkwalificatie"
    obtained_on = forms.DateField(label=_("Startkwalificatie obtained on"), widget=DateInput())


class ThuiswerkplanForm(ServiceErrorsMixin, forms.Form):
    prefix = "thuiswerkplan"
    starts_on = forms.DateField(label=_("From"), widget=DateInput())
    until = forms.DateField(label=_("Until"), required=False, widget=DateInput(),
                            help_text=_("Empty: until the next plan or further notice."))
    provides = forms.CharField(label=_("What the school provides"), widget=forms.Textarea(attrs={"rows": 3}),
                               help_text=_("Schoolwork, lessons online, a mentor's check: what the pupil gets."))
    contact_moments = forms.CharField(label=_("Contact moments"), widget=forms.Textarea(attrs={"rows": 2}),
                                      help_text=_("When and how the school and the pupil speak."))
    school_contact = forms.CharField(label=_("Who at school"), max_length=200)


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


class ChainUploadForm(forms.Form):
    """A file of absence reports and/or enrolment changes (chain.formats: CSV or JSON)."""

    file = forms.FileField(label=_("File (CSV or JSON)"), help_text=_(
        "Absence reports and enrolment changes, as documented. A column with a BSN or onderwijsnummer is dropped "
        "unread."), widget=forms.ClearableFileInput(attrs={"accept": ".csv,.json,text/csv,application/json"}))

    MAX_BYTES = 5 * 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB: split it."))
        return upload


class LinkForm(forms.Form):
    case = forms.IntegerField(label=_("Case number"), min_value=1)
