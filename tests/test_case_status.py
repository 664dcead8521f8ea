"""The case status is a protected django-fsm-2 state machine."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from casework.models import Case
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(vo_school):
    return CaseFactory(school=vo_school)


def test_status_cannot_be_assigned_directly(case):
    with pytest.raises(AttributeError):
        case.status = Case.Status.CLOSED
    assert Case.objects.get(pk=case.pk).status == "signalled"


def test_transitions_follow_the_ladder(case):
    case.take_up()
    case.escalate()
    case.place()
    case.close(outcome="passend_aanbod", at=timezone.now())
    case.save()
    case.refresh_from_db()
    assert (case.status, case.outcome) == ("closed", "passend_aanbod")
    assert case.closed_at is not None


def test_illegal_transition_from_signalled(case):
    with pytest.raises(TransitionNotAllowed):
        case.place()


def test_closed_case_cannot_move(case):
    case.close(outcome="anders", at=timezone.now())
    with pytest.raises(TransitionNotAllowed):
        case.take_up()
    with pytest.raises(TransitionNotAllowed):
        case.close(outcome="anders", at=timezone.now())


def test_concurrent_transition_is_refused(case):
    first = Case.objects.get(pk=case.pk)
    second = Case.objects.get(pk=case.pk)
    first.take_up()
    first.save()
    second.close(outcome="anders", at=timezone.now())
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        second.save()
    assert Case.objects.get(pk=case.pk).status == "active"


def test_one_open_case_per_child_in_the_database(case):
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory(child=case.child, school=case.school)
