"""One translation of domain errors into HTTP answers for the whole API."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from casework.services import DuplicateSignal
from casework.services.intake import SignalForwarded, forwarded_message
from workflows.services import TaskConflict


def exception_handler(exc, context):
    if isinstance(exc, SignalForwarded):  # before DuplicateSignal: never the case or its number
        return Response({"detail": forwarded_message()}, status=status.HTTP_202_ACCEPTED)
    if isinstance(exc, DuplicateSignal):
        return Response(
            {
                "detail": _("This child already has an open case; the signal was added to it."),
                "case_id": exc.case_id,
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, TaskConflict):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, (TransitionNotAllowed, ConcurrentTransition)):
        return Response(
            {"detail": _("The case changed in the meantime; reload it and try again.")},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages})
    elif isinstance(exc, DjangoPermissionDenied):
        exc = PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)
