"""KPI 9's survey pages: public (no account; the invitation's link is the key), three questions in
plain Dutch, one answer per link. Nothing here knows who answers."""

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from casework.models import SurveyResponse
from casework.models.survey import IMPROVE_MAX_LENGTH
from casework.services import survey

# A closed link's page: why, and its status (an unknown link is as a page that does not exist).
CLOSED_STATUS = {"unknown": 404, "used": 410, "expired": 410}


class SurveyForm(forms.Form):
    score = forms.TypedChoiceField(label=_("How satisfied are you with the help of the ECT?"),
                                   help_text=_("1 is very dissatisfied, 10 is very satisfied."),
                                   choices=[(n, str(n)) for n in range(1, 11)], coerce=int, widget=forms.RadioSelect,
                                   error_messages=dict.fromkeys(("required", "invalid_choice"),
                                                                _("Choose a number from 1 to 10.")))
    listened = forms.ChoiceField(label=_("Did they listen to you?"), choices=SurveyResponse.Listened.choices,
                                 widget=forms.RadioSelect,
                                 error_messages=dict.fromkeys(("required", "invalid_choice"),
                                                              _("Choose yes, a little or no.")))
    improve = forms.CharField(label=_("What could be better?"), required=False, max_length=IMPROVE_MAX_LENGTH,
                              help_text=_("You do not have to fill this in. At most 500 characters. Do not write "
                                          "names."),
                              widget=forms.Textarea(attrs={"rows": 4, "maxlength": IMPROVE_MAX_LENGTH}))


@never_cache
@require_http_methods(["GET", "POST"])
def survey_page(request, token: str):
    try:
        survey.invitation_for(token)
    except survey.SurveyClosed as closed:
        return render(request, "survey/closed.html", {"reason": closed.reason}, status=CLOSED_STATUS[closed.reason])
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey.answer_survey(token=token, **form.cleaned_data)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        except survey.SurveyClosed as closed:
            return render(request, "survey/closed.html", {"reason": closed.reason}, status=CLOSED_STATUS[closed.reason])
        else:
            return redirect("survey-thanks")
    return render(request, "survey/form.html", {"form": form}, status=400 if request.method == "POST" else 200)


@require_http_methods(["GET"])
def survey_thanks(request):
    return render(request, "survey/thanks.html")
