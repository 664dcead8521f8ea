"""KPI 9: satisfaction after an ECT consult, per school year, against the SWV's target
(Jaarkalender & jaarplan SWV VO Groningen Stad, KPI 9: "gemiddeld een 8.0").

The answers (`SurveyResponse`) carry only their region, school, sector, school year and audience,
so the monitor's scope applies to them as to a spell. A result of fewer than `MIN_RESPONSES`
answers is not shown: no average, no shares, no count of answers, no rate, no texts; only how many
were invited. Nor is a narrowed scope's result (one school, one sector, one region of several)
while a sibling of it (another school, sector or region of the wider scope) holds 1 to 4 answers:
the wider result minus this one would show that small group. The free texts ("Wat kan beter?")
are for the SWV director alone, in random order.
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


def small_sibling(scope: Scope, school_year: str, within: list[int] | None = None) -> bool:
    """Whether a dimension the scope narrows (school, sector, or regions within `within`, the
    regions the reader may see) has a sibling group of 1 to MIN_RESPONSES - 1 answers."""
    relaxed = []
    if scope.school:
        relaxed.append((Scope(regions=scope.regions, sector=scope.sector), "school_id"))
    if scope.sector:
        relaxed.append((Scope(regions=scope.regions, school=scope.school), "sector"))
    if within and set(scope.regions) < set(within):
        relaxed.append((Scope(regions=list(within), sector=scope.sector, school=scope.school), "region_id"))
    for wider, dimension in relaxed:
        groups = responses_in(wider, school_year).values(dimension).annotate(n=Count("pk")).order_by()
        if any(0 < group["n"] < MIN_RESPONSES for group in groups):
            return True
    return False


def enough(scope: Scope, school_year: str, n: int, within: list[int] | None) -> bool:
    return n >= MIN_RESPONSES and not small_sibling(scope, school_year, within)


def kpi9(scope: Scope, school_year: str, within: list[int] | None = None) -> dict:
    """The year's KPI 9 in the scope: invitations, and (from MIN_RESPONSES answers on, with no small
    sibling: see the module) the answers, the response rate (% of the invitations), the average
    score (1-10) and the shares (%) of "werd er naar u geluisterd?", against the target. `shown`
    false: "te weinig reacties". `within`: the regions the reader may see."""
    invitations = SurveyInvitation.objects.filter(scope.spell_q(), school_year=school_year).count()
    answers = responses_in(scope, school_year)
    totals = answers.aggregate(n=Count("pk"), total=Sum("score"))
    n = totals["n"]
    shown = enough(scope, school_year, n, within)
    result = {"school_year": school_year, "target": target(), "min_responses": MIN_RESPONSES,
              "invitations": invitations, "shown": shown, "responses": None, "response_rate": None,
              "average": None, "meets_target": None, "listened": None}
    if not shown:
        return result
    listened = dict(answers.values_list("listened").annotate(c=Count("pk")).order_by())
    average = one_decimal(totals["total"], n)
    result.update(responses=n, response_rate=one_decimal(100 * n, invitations) if invitations else None,
                  average=average, meets_target=average >= target(),
                  listened={key: one_decimal(100 * listened.get(key, 0), n) for key in LISTENED})
    return result


def improvement_texts(scope: Scope, school_year: str, within: list[int] | None = None) -> list[str] | None:
    """The answers to "Wat kan beter?" in the scope (the non-empty ones), shuffled so that their
    order says nothing; None when the figures are not shown either (`kpi9`)."""
    answers = responses_in(scope, school_year)
    if not enough(scope, school_year, answers.count(), within):
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
