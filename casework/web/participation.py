"""The personal link for parents and young people (no account), and the team's form to send one."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from casework.access import access_case_by_id
from casework.formkit import DateInput
from casework.http.addresses import PUBLIC_SIGNALS
from casework.models import AccessLink, AccessLog, Case
from casework.responsibility import case_team
from casework.services import participation, survey
from teams.models import Region, School, User
from workflows.flows import SignalVerificationFlow


class AccessLinkForm(forms.Form):
    audience = forms.ChoiceField(label=_("For"), choices=AccessLink.Audience.choices)
    message = forms.CharField(label=_("What you share, in plain words"), widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("Only this text of the plan is shown; nothing else of the file."))
    next_step = forms.CharField(label=_("Next step"), max_length=300)
    contact = forms.ModelChoiceField(label=_("Contact person"), queryset=User.objects.none())

    def __init__(self, *args, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        team = case_team(case)
        self.fields["contact"].queryset = team.members.all() if team else User.objects.none()


@login_required
@require_http_methods(["GET", "POST"])
def create_link(request, case_id: int):
    case = access_case_by_id(request.user, case_id, request=request)
    participation.ensure_case_team(request.user, case)  # 403 for others who see the case
    form = AccessLinkForm(request.POST or None, case=case)
    if request.method == "POST" and form.is_valid():
        try:
            link, token = participation.create_access_link(case=case, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            url = request.build_absolute_uri(f"/inzage/{token}/")
            return render(request, "participation/link_created.html", {"case": case, "link": link, "url": url})
    return render(request, "participation/link_form.html", {"case": case, "form": form},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["POST"])
def revoke_link(request, case_id: int, link_id: int):
    """The case team ends a personal link at once; back to the case page's links."""
    case = access_case_by_id(request.user, case_id, request=request)
    participation.revoke_access_link(case=case, actor=request.user, link_id=link_id)  # 403 outside the team
    messages.success(request, _("The personal link has been revoked; it no longer works."))
    return redirect(reverse("case-detail", args=[case.pk]) + "#links")


@require_http_methods(["GET", "POST"])
def link_page(request, token: str):
    """What a parent or young person sees: status, the shared words, next step, contact, consent."""
    link = participation.open_link(token, request=request)
    if request.method == "POST":
        subject = request.POST.get("subject", "")
        try:
            participation.set_consent(link=link, subject=subject, given=request.POST.get("given") == "yes")
        except ValidationError:
            pass
        return redirect("participation-link", token=token)
    return render(request, "participation/link.html", {
        "link": link, "case": link.case, "status": participation.plain_status(link.case),
        "closed": link.case.status == Case.Status.CLOSED,
        "consents": participation.own_consent_lines(link.case, link.audience),  # only the link holder's own
        "views": AccessLog.objects.filter(access_link=link).count(),
        "surveys": [reverse("survey", args=[survey_token])
                    for survey_token in survey.open_invitations_for_link(link)],
    })


class PublicSignalForm(forms.Form):
    reporter_role = forms.ChoiceField(label=_("I am"), choices=[("ouder", _("a parent (my child sits at home)")),
                                                                ("jongere", _("the young person (I sit at home)"))],
                                      widget=forms.RadioSelect)
    given_name = forms.CharField(label=_("Given name of the child"), max_length=100)
    family_name = forms.CharField(label=_("Family name of the child"), max_length=150)
    birth_date = forms.DateField(label=_("Birth date"), widget=DateInput())
    school = forms.ModelChoiceField(label=_("School"), queryset=School.objects.order_by("name"), required=False,
                                    help_text=_("Leave empty if the child is not enrolled at any school."))
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.all(), required=False,
                                    help_text=_("Only needed without a school."))
    absent_since = forms.DateField(label=_("Out of school since"), widget=DateInput())
    description = forms.CharField(label=_("What is happening?"), widget=forms.Textarea(attrs={"rows": 4}),
                                  max_length=3000)
    reporter_name = forms.CharField(label=_("Your name"), max_length=150)
    reporter_contact = forms.CharField(label=_("Your phone number or e-mail address"), max_length=200)
    # The honeypot: people never see it nor reach it with the keyboard (see the template); robots
    # that fill in every field do.
    website = forms.CharField(required=False, label=_("Leave this empty"),
                              widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))


@require_http_methods(["GET", "POST"])
def public_signal(request):
    """The public form: a parent or young person reports that a child sits at home. Protected by a
    rate limit per client address (counting stored signals) and a honeypot field (no CAPTCHA). A filled honeypot records nothing and
    shows the form again, with what was typed, asking to try again: a person whose browser filled
    it in by mistake does not lose the signal silently."""
    form = PublicSignalForm(request.POST or None)
    if request.method == "POST":
        if PUBLIC_SIGNALS.exceeded(request):  # per client address (casework.http.addresses), stored signals only
            return render(request, "participation/signal_form.html", {"form": form, "limited": True}, status=429)
        if request.POST.get("website"):
            return render(request, "participation/signal_form.html",
                          {"form": trap_emptied(request.POST), "trapped": True}, status=400)
        if form.is_valid():
            data = form.cleaned_data
            data.pop("website")
            try:
                signal = participation.receive_public_signal(**data)
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
            else:
                PUBLIC_SIGNALS.count(request)
                start_verification(signal)
                return render(request, "participation/signal_received.html")
        return render(request, "participation/signal_form.html", {"form": form}, status=400)
    return render(request, "participation/signal_form.html", {"form": form})


def trap_emptied(data) -> PublicSignalForm:
    """The form as it was sent, without the honeypot's value (so that sending it again works)."""
    data = data.copy()
    data["website"] = ""
    form = PublicSignalForm(data)
    form.is_valid()  # shows the other fields' problems too
    return form


def start_verification(signal) -> None:
    SignalVerificationFlow.start.run(public_signal=signal)
