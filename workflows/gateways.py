"""What the flows' gateways read from the case's records to choose the next node: the routes of
the latest review, the ECT's advice, the exemption's grounds, the sector, the offer a step
recorded and whether it started."""

from django.utils import timezone

from casework import responsibility, selectors
from casework.models import (
    ArrangementEvaluation,
    EctAdvice,
    Offer,
    PlacementDecision,
    Plan,
    Vrijstelling,
)
from casework.responsibility import is_po_case
from teams.models import Sector
from workflows.nodes import step_of


def offer_sources(flow_class) -> tuple[str, ...]:
    """Which offers a flow's start confirmation is about: the arrangement's (CaseFlow says so with
    `offered_sources`) or the placement decision's (EscalationFlow)."""
    return getattr(flow_class, "offered_sources", Offer.PLACEMENT_SOURCES)


# --- conditions the gateways read from the case's records ------------------------------------


def latest_routes(activation) -> list[str]:
    """The routes of the case's latest review: read once per step (its reference rows: the review
    is recorded before the flow moves on), or once per gateway activation outside a step."""
    step = step_of(activation.process)
    rows = step.rows if step is not None and step.rows is not None else activation.__dict__.setdefault("_rows", {})
    case_id = activation.process.case_id

    def read() -> list[str]:
        plan = Plan.objects.filter(case_id=case_id).order_by("-recorded_at", "-pk").first()
        return plan.routes if plan else []

    return responsibility.latest_routes(rows, case_id, read)


def route_chosen(route: str):
    return lambda activation: route in latest_routes(activation)


def latest_advice_approved(activation) -> bool:
    advice = EctAdvice.objects.filter(case_id=activation.process.case_id).order_by("-drafted_at", "-pk").first()
    return advice is not None and advice.status == EctAdvice.Status.APPROVED


def arrangement_ended(activation) -> bool:
    last = ArrangementEvaluation.objects.filter(arrangement__case_id=activation.process.case_id).order_by(
        "-evaluated_at", "-pk").first()
    return last is not None and last.result == ArrangementEvaluation.Result.BEEINDIGEN


def po_case(activation) -> bool:
    return is_po_case(activation.process.case)


def advice_needed(activation) -> bool:
    request = selectors.open_vrijstelling(activation.process.case)
    return request is not None and request.grounds == Vrijstelling.Grounds.ART_5A


def mbo_case(activation) -> bool:
    return activation.process.case.sector == Sector.MBO


def offered_by(source: str):
    """The step just recorded an offer of this source (a placement waiting for its start)."""
    def offered(activation) -> bool:
        offer = _latest_offer(activation)
        return offer is not None and offer.source == source and offer.status == Offer.Status.PENDING
    return offered


# The DOE-team's advice was the placement itself (no doorzettingsmacht needed).
doe_settled = offered_by(Offer.Source.DOE_ADVICE)
# The stagnatiemeldpunt (or the management) placed the student at the institution.
stagnatie_placed = offered_by(Offer.Source.STAGNATIE)


def mpl_settled(activation) -> bool:
    """The MPL commission placed the pupil (else: no agreement, the SWV director decides)."""
    decision = PlacementDecision.objects.filter(case_id=activation.process.case_id,
                                                kind=PlacementDecision.Kind.DOORBRAAK).order_by("-decided_at", "-pk")
    latest = decision.first()
    return latest is not None and latest.decision == PlacementDecision.Decision.PLAATSING


def _latest_offer(activation) -> Offer | None:
    """The latest offer of the route this flow carries."""
    return (Offer.objects.filter(case_id=activation.process.case_id,
                                 source__in=offer_sources(activation.flow_class))
            .order_by("-recorded_at", "-pk").first())


def start_date_reached(activation) -> bool:
    """The offered place's start date has come: no need to wait for it."""
    offer = _latest_offer(activation)
    return offer is None or offer.start_date <= timezone.localdate()


def offer_started(activation) -> bool:
    offer = _latest_offer(activation)
    return offer is not None and offer.status == Offer.Status.STARTED
