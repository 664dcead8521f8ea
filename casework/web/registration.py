"""Dutch forms on the case page for the registration as a dated fact: a change of registration,
taking part (naar vermogen), a startkwalificatie and a thuiswerkplan. Thin: parse, call one service, re-render
the case page with the errors (keeping what was typed) or redirect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casework import services
from casework.access import access_case_by_id, can_see_case
from casework.web.cases import case_page
from casework.web.forms import (
    ParticipationForm,
    RegistrationForm,
    StartkwalificatieForm,
    ThuiswerkplanForm,
)

FORMS = {
    "registration": (RegistrationForm, "registration_form", _("Registration changed."),
                     lambda case, actor, data: services.change_registration(
                         case=case, actor=actor, registration=data["registration"], since=data["since"],
                         reason=data["reason"], school=data["school"])),
    "participation": (ParticipationForm, "participation_form", _("Taking part recorded."),
                      lambda case, actor, data: services.record_participation(
                          case=case, actor=actor, level=data["level"], since=data["since"],
                          setting=data["setting"], note=data["note"], provision=data["provision"])),
    "startkwalificatie": (StartkwalificatieForm, "startkwalificatie_form", _("Startkwalificatie recorded."),
                          lambda case, actor, data: services.record_startkwalificatie(
                              case=case, actor=actor, obtained_on=data["obtained_on"])),
    "thuiswerkplan": (ThuiswerkplanForm, "thuiswerkplan_form", _("Thuiswerkplan recorded."),
                      lambda case, actor, data: services.record_thuiswerkplan(case=case, actor=actor, **data)),
}


def _record(request, case_id: int, which: str):
    form_class, context_name, done, write = FORMS[which]
    case = access_case_by_id(request.user, case_id, request=request)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            write(case, request.user, form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            if not can_see_case(request.user, case):  # moved: the new school's team holds the case now
                messages.success(request, _("Registration changed. The case is now with the team of the new "
                                            "school."))
                return redirect("case-list")
            messages.success(request, str(done))
            return redirect(reverse("case-detail", args=[case.pk]) + "#registration")
    case.refresh_from_db()
    return case_page(request, case, status=400, **{context_name: form})


@login_required
@require_POST
def registration_change(request, case_id: int):
    return _record(request, case_id, "registration")


@login_required
@require_POST
def participation_record(request, case_id: int):
    return _record(request, case_id, "participation")


@login_required
@require_POST
def startkwalificatie_record(request, case_id: int):
    return _record(request, case_id, "startkwalificatie")


@login_required
@require_POST
def thuiswerkplan_record(request, case_id: int):
    return _record(request, case_id, "thuiswerkplan")
