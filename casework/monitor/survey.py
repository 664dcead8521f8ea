"""KPI 9: satisfaction after an ECT consult, per school year, against the SWV's target
(Jaarkalender & jaarplan SWV VO Groningen Stad, KPI 9: "gemiddeld een 8.0").

The answers (`SurveyResponse`) carry only their region, school, sector, school year and audience,
so the monitor's scope applies to them as to a spell. A result of fewer than `MIN_RESPONSES`
answers is not shown: no average, no shares, no count of answers, no rate, no texts; only how many
were invited. The free texts ("Wat kan beter?") are for the SWV director alone, in random order.
"""

import random
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, Sum
from django.http import Http404

from casework.models import SurveyInvitation, SurveyResponse
from casework.monitor.counts import Scope
from teams.models import RegionRole

MIN_RESPONSES = 5
LISTENED = SurveyResponse.Listened.values


def one_decimal(numerator: int, denominator: int) -> float:
    """numerator / denominator rounded half up to one decimal (7.25 -> 7.3)."""
    return float((Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def target() -> float:
    return float(settings.CASEWORK_KPI9_TARGET)


def responses_in(scope: Scope, school_year: str):
    return SurveyResponse.objects.filter(scope.spell_q(), school_year=school_year)


def kpi9(scope: Scope, school_year: str) -> dict:
    """The year's KPI 9 in the scope: invitations, and (from MIN_RESPONSES answers on) the answers,
    the response rate (% of the invitations), the average score (1-10) and the shares (%) of
    "werd er naar u geluisterd?", against the target. `shown` false: "te weinig reacties"."""
    invitations = SurveyInvitation.objects.filter(scope.spell_q(), school_year=school_year).count()
    answers = responses_in(scope, school_year)
    totals = answers.aggregate(n=Count("pk"), total=Sum("score"))
    n = totals["n"]
    result = {"school_year": school_year, "target": target(), "min_responses": MIN_RESPONSES,
              "invitations": invitations, "shown": n >= MIN_RESPONSES, "responses": None, "response_rate": None,
              "average": None, "meets_target": None, "listened": None}
    if n < MIN_RESPONSES:
        return result
    listened = dict(answers.values_list("listened").annotate(c=Count("pk")).order_by())
    average = one_decimal(totals["total"], n)
    result.update(responses=n, response_rate=one_decimal(100 * n, invitations) if invitations else None,
                  average=average, meets_target=average >= target(),
                  listened={key: one_decimal(100 * listened.get(key, 0), n) for key in LISTENED})
    return result


def improvement_texts(scope: Scope, school_year: str) -> list[str] | None:
    """The answers to "Wat kan beter?" in the scope (the non-empty ones), shuffled so that their
    order says nothing; None when the scope has fewer than MIN_RESPONSES answers."""
    answers = responses_in(scope, school_year)
    if answers.count() < MIN_RESPONSES:
        return None
    texts = list(answers.exclude(improve="").values_list("improve", flat=True))
    random.SystemRandom().shuffle(texts)
    return texts


def policy_regions(user) -> list[int]:
    """The regions whose free texts the user may read: as the SWV's director (the SWV's policy
    role); never as a team member."""
    if not user.is_authenticated:
        return []
    return sorted(RegionRole.objects.filter(user=user, role=RegionRole.Role.SWV_DIRECTOR)
                  .values_list("region_id", flat=True))


def ensure_policy_role(user) -> list[int]:
    """`policy_regions`; anyone without one gets a 404, as for a page that does not exist."""
    regions = policy_regions(user)
    if not regions:
        raise Http404
    return regions
