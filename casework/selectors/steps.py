"""What a case's steps read before they write (and what the flows read to offer a task): the
ECT's pending or rejected advice and the team's question, the exemption asked for or running,
the routes that run or do not apply, the offer waiting for its start and what starting in it
means, the running arrangement, and how long a rung of the ladder may stall."""

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from casework import clocks
from casework.clocks import setting
from casework.models import (
    Arrangement,
    Case,
    CaseEvent,
    EctAdvice,
    Offer,
    Plan,
    Route,
    RouteRun,
    Vrijstelling,
)
from teams.models import Sector


def team_question(case: Case) -> str:
    """The question the team asked the ECT in its latest review that chose the consult (only a
    review with the consult route carries one)."""
    plan = Plan.objects.filter(case=case).exclude(ect_question="").only("ect_question").first()
    return plan.ect_question if plan else ""


def pending_ect_advice(case: Case) -> EctAdvice | None:
    return EctAdvice.objects.filter(case=case, status=EctAdvice.Status.PENDING).order_by("-drafted_at", "-pk").first()


def rejected_ect_advice(case: Case) -> EctAdvice | None:
    """The case's latest advice if it was rejected (the drafter redrafts it), else None."""
    latest = EctAdvice.objects.filter(case=case).select_related("drafted_by", "reviewed_by").order_by(
        "-drafted_at", "-pk").first()
    return latest if latest is not None and latest.status == EctAdvice.Status.REJECTED else None


def open_vrijstelling(case: Case) -> Vrijstelling | None:
    return Vrijstelling.objects.filter(case=case, decided_at__isnull=True).order_by("-requested_at", "-pk").first()


def running_exemption(case: Case, day: date | None = None) -> Vrijstelling | None:
    day = day or timezone.localdate()
    return (Vrijstelling.objects.filter(case=case, granted=True, starts_on__lte=day, until__gte=day,
                                        ended_on__isnull=True).order_by("-decided_at", "-pk").first())


def running_routes(case: Case) -> list[str]:
    return list(RouteRun.objects.filter(case=case, ended_at__isnull=True).values_list("route", flat=True))


def unavailable_routes(case: Case) -> dict[str, str]:
    """The routes that do not apply to the case, each with the reason (the team review's form
    leaves them out and says why; starting one is refused with that reason)."""
    if case.sector == Sector.MBO:
        return {Route.DOORBRAAK: _(
            "MBO has no doorzettingsmacht: a placement problem goes to the MBO institution's stagnatiemeldpunt, "
            "with the transition coaches and RMC, not to the MPL commission.")}
    return {}


def route_of(source: str) -> tuple[str, ...]:
    return Offer.ARRANGEMENT_SOURCES if source in Offer.ARRANGEMENT_SOURCES else Offer.PLACEMENT_SOURCES


def start_date_window(case: Case) -> tuple[date, date]:
    """The days a place or arrangement may start on: from the day the case was signalled up to a
    year ahead."""
    return timezone.localdate(case.signalled_at), clocks.add_years(timezone.localdate(), 1)


def pending_offer(case: Case, sources: tuple[str, ...] | None = None) -> Offer | None:
    """The case's offer waiting for its start (of one route: placement or arrangement sources)."""
    offers = Offer.objects.filter(case=case, status=Offer.Status.PENDING)
    if sources:
        offers = offers.filter(source__in=sources)
    return offers.order_by("-recorded_at", "-pk").first()


def start_defaults(case: Case, offer: Offer | None) -> dict:
    """What a start in this offer means for taking part, unless the team says otherwise: fully
    (`volledig`), in the arrangement, or at the placement's school (own or another)."""
    if offer is None:
        return {}
    school_id = offer.placement.school_id if offer.placement_id else None
    if offer.arrangement_id or offer.source in Offer.ARRANGEMENT_SOURCES:
        setting = Case.Setting.ARRANGEMENT
    elif school_id is not None and school_id == case.school_id:
        setting = Case.Setting.EIGEN_SCHOOL
    else:
        setting = Case.Setting.ANDERE_SCHOOL
    return {"level": Case.Participation.VOLLEDIG, "setting": setting}


def active_arrangement(case: Case) -> Arrangement | None:
    return Arrangement.objects.filter(case=case, ended_at__isnull=True).order_by("-set_up_at", "-pk").first()


def stall_days() -> int:
    """How long an MPL or DOE task may stay open before the SWV director decides."""
    return setting("CASEWORK_DOORBRAAK_STALL_DAYS", 28)


def mbo_escalation_days() -> int:
    """How long the MBO institution's stagnatiemeldpunt has before its management takes over."""
    return setting("CASEWORK_MBO_ESCALATION_DAYS", 14)


def referred_provision(case: Case) -> int | None:
    """The provision (its id) the pupil takes part in now: the last taking-part event's, if it named one."""
    last = (CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.PARTICIPATION_CHANGED)
            .order_by("-at", "-pk").values_list("data", flat=True).first())
    return (last or {}).get("provision_id")
