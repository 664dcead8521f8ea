"""The thuiswerkplan: the team records a plan for a pupil working at home (from, until, what the
school provides, the contact moments, who at school); the next plan is its review. Its review clock
runs CASEWORK_THUISWERKPLAN_REVIEW_DAYS (42) from the plan's start (casework.clocks)."""

from datetime import timedelta

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import clocks
from casework.models import Case, Deadline, Thuiswerkplan, events
from casework.responsibility import ensure_can_register
from casework.services.ladder import command, raise_if, require
from casework.step import Step


@command
def record_thuiswerkplan(*, step: Step, case: Case, starts_on, until=None, provides: str, contact_moments: str,
                         school_contact: str) -> Thuiswerkplan:
    """Record a thuiswerkplan (the case team or Leerplicht). A plan that still runs then ends the
    day before this one starts; the running review clock is met and the next one starts."""
    actor = step.actor
    case = step.locked(case)
    ensure_can_register(actor, case, step.rows)
    errors: dict[str, list[str]] = {}
    if not case.is_open:
        errors["__all__"] = [_("The case is closed.")]
    require(errors, "provides", provides, _("Describe what the school provides."))
    require(errors, "contact_moments", contact_moments, _("Give the contact moments."))
    require(errors, "school_contact", school_contact, _("Name who at school keeps the contact."))
    require(errors, "starts_on", starts_on, _("Give the first day of the plan."))
    today = timezone.localdate()
    if starts_on is not None:
        if starts_on < case.absent_since:
            errors.setdefault("starts_on", []).append(_("The plan cannot start before the first day out of school."))
        elif starts_on > today + timedelta(days=365):
            errors.setdefault("starts_on", []).append(_("The plan can start at most a year ahead."))
        if until is not None and until < starts_on:
            errors.setdefault("until", []).append(_("The last day cannot be before the first."))
        latest = case.thuiswerkplannen.aggregate(latest=Max("starts_on"))["latest"]
        if latest is not None and starts_on <= latest:
            errors.setdefault("starts_on", []).append(
                _("A new plan starts after the last one (from %(date)s).") % {"date": latest.isoformat()})
    raise_if(errors)
    now = timezone.now()
    case.thuiswerkplannen.filter(starts_on__lt=starts_on).exclude(until__lt=starts_on).update(
        until=starts_on - timedelta(days=1))
    plan = Thuiswerkplan.objects.create(case=case, starts_on=starts_on, until=until, provides=provides.strip(),
                                        contact_moments=contact_moments.strip(),
                                        school_contact=school_contact.strip(), recorded_by=actor, recorded_at=now)
    step.record(case, actor, events.ThuiswerkplanRecorded, at=now, thuiswerkplan_id=plan.pk,
                starts_on=starts_on.isoformat(), until=until.isoformat() if until else None)
    clocks.mark_met(step, case, Deadline.Kind.THUISWERKPLAN_REVIEW, now)
    sequence = case.deadlines.filter(kind=Deadline.Kind.THUISWERKPLAN_REVIEW).count() + 1
    clocks.start_thuiswerkplan_review(case, starts_on, sequence)
    return plan
