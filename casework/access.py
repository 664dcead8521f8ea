"""Per-object authorisation for cases: who may see a case, and the read that gets logged.

A user sees a case through a membership of a team that participates in it, or as a
participant user; a connected system (systems.clients) sees the cases of its regions and schools. Everyone else gets 404, never 403: no hint that the case exists.
"""

from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from casework.http.addresses import client_address
from casework.http.redaction import redact_path
from casework.models import AccessLog, Case, CaseParticipant, Mentor
from casework.models.audit import SIGNIN_ACTIONS
from systems.clients import system_of
from teams.models import team_ids_of


def visible_case_filter(user, case_ref: str = "pk", *, team_ids: list[int] | None = None,
                        per_row: bool = False) -> Q:
    """A filter that is true for the cases `user` may see.

    `case_ref` names the case's id in the outer query ("pk" on cases, "case_id" on rows that
    belong to a case). Written as `EXISTS (a participation of my teams or of me in this case)`:
    the database either starts from the user's own participations (a semi-join, when the outer
    rows are many and mine are few) or probes the (case, team) index once per outer row (when
    the outer rows come from another index, e.g. a team's queue in due-date order, and a page
    needs only the first 25): it never hashes every participation of a large team first. The
    user's teams are passed as a literal list. A JIM mentor's participation gives only the
    mentor page, not this.

    `per_row=True` (task lists, where the rows always come from a team's or owner's index):
    the correlation is written so that PostgreSQL cannot turn it into a hashed sub-plan (under an
    OR it otherwise hashes all of a team's participations, 40,000 for a team with history, to
    answer for one page); the extra `>=` is always true.
    """
    if not user.is_authenticated:
        return Q(pk__in=[])
    system = system_of(user)
    if system is not None:
        # A connected system sees the cases of its regions (and schools), not by participation.
        if case_ref == "pk":
            return system.case_filter()
        return Q(Exists(Case.objects.filter(system.case_filter(), pk=OuterRef(case_ref))))
    my_teams = team_ids_of(user) if team_ids is None else team_ids
    participations = CaseParticipant.objects.filter(
        Q(team_id__in=my_teams) | (Q(user=user) & ~Q(reason=CaseParticipant.Reason.MENTOR)),
        case_id=OuterRef(case_ref),
    )
    if per_row:
        participations = participations.filter(case_id__gte=OuterRef(case_ref))
    return Q(Exists(participations))


MAX_ID = 2**63 - 1


def parse_id(value) -> int:
    """A row id from a URL or payload; Http404 for anything that cannot be one (also out of range)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < number <= MAX_ID:
        raise Http404
    return number


def is_id(value) -> bool:
    """Whether a text can be a row id: ASCII digits, within the database's range."""
    value = str(value)
    return value.isascii() and value.isdigit() and 0 < int(value) <= MAX_ID


def can_see_case(user, case: Case) -> bool:
    return Case.objects.filter(pk=case.pk).filter(visible_case_filter(user)).exists()


def client_ip(request) -> str | None:
    """The client's address (behind CASEWORK_TRUSTED_PROXIES proxies: as they report it)."""
    return client_address(request)


def logged_path(request) -> str:
    """The request's path as the access log keeps it: no query string (a search for a name),
    no secret token (a parent's link, a calendar feed)."""
    return redact_path(request.path)[:500] if request is not None else ""


def log_case_read(user, case: Case, *, action: str, request=None) -> AccessLog:
    return AccessLog.objects.create(
        user=user,
        case=case,
        action=action,
        path=logged_path(request),
        ip=client_ip(request),
    )


def log_list_read(user, cases, *, what: str, request=None) -> AccessLog | None:
    """One access-log row for a list or search that showed these cases (`cases`: objects with
    `pk` and `region_id`), naming them all; nothing when it showed none (NEN 7513: every display
    of a child's data leaves a trace, one row per request rather than per case)."""
    shown = {(case.pk, case.region_id) for case in cases if case is not None}
    if not shown:
        return None
    return AccessLog.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        action=AccessLog.Action.LIST_VIEW, what=what[:20],
        shown_cases=AccessLog.id_list(pk for pk, _ in shown),
        shown_regions=AccessLog.id_list(region for _, region in shown),
        path=logged_path(request), ip=client_ip(request),
    )


LOGGED_AGAIN = ("case_id", "public_signal_id", "action", "what", "shown_cases", "shown_regions")


def reads_since(user, request, since) -> list[dict]:
    """The reads of cases (and signals) this user's request has logged since `since`, as what
    `log_reads_again` takes: for an answer kept to be handed back again (an API retry with an
    Idempotency-Key), which shows the same cases again."""
    rows = AccessLog.objects.filter(user=user, path=logged_path(request), at__gte=since).exclude(
        action__in=SIGNIN_ACTIONS).order_by("pk")
    return list(rows.values(*LOGGED_AGAIN))


def log_reads_again(user, reads: list[dict], *, request=None) -> None:
    """The reads `reads_since` listed, logged again for this request (one row each, as the first time)."""
    AccessLog.objects.bulk_create([AccessLog(user=user, path=logged_path(request), ip=client_ip(request), **read)
                                   for read in reads])


def log_signal_read(user, public_signal, *, request=None) -> AccessLog:
    """A read of a public signal that is not (yet) a case: the Leerplicht verification page."""
    return AccessLog.objects.create(
        user=user,
        public_signal=public_signal,
        action=AccessLog.Action.SIGNAL_VIEW,
        path=logged_path(request),
        ip=client_ip(request),
    )


def access_case_by_id(
    user, case_id, *, for_write: bool = False, request=None, action: str = AccessLog.Action.VIEW
) -> Case:
    """The case with this id if `user` may see it (the read is logged), else Http404.

    With `for_write=True` the row is locked (`SELECT ... FOR UPDATE`): call it inside a
    transaction.
    """
    case_id = parse_id(case_id)
    qs = Case.objects.filter(pk=case_id).filter(visible_case_filter(user))
    if for_write:
        qs = qs.select_for_update(of=("self",))
    else:
        qs = qs.select_related("child", "school", "region", "signalled_by")
    case = qs.first()
    if case is None:
        raise Http404
    log_case_read(user, case, action=action, request=request)
    return case


def mentor_case_by_id(user, case_id, *, request=None):
    """(case, mentor) for a JIM mentor with an account on this case (the read is logged), else 404."""
    case_id = parse_id(case_id)
    mentor = (
        Mentor.objects.filter(case_id=case_id, user=user, active=True, user__isnull=False)
        .select_related("case__child")
        .first()
    ) if user.is_authenticated else None
    if mentor is None:
        raise Http404
    log_case_read(user, mentor.case, action=AccessLog.Action.MENTOR_VIEW, request=request)
    return mentor.case, mentor
