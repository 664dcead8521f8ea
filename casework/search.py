"""One search box for the cases a user may see: by the child's name, pupil number, school or case
number, ranked. PostgreSQL full-text search (prefix matching, `simple` configuration: names are
not Dutch words to stem) in production; a plain case-insensitive lookup on SQLite.

The search starts from `selectors.visible_cases`, so it can never find a case the user may not see.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Case as When_
from django.db.models import F, FloatField, IntegerField, Q, QuerySet, TextField, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from casework.access import is_id
from casework.models import Case, Child
from casework.models.fulltext import CHILD_DOCUMENT, words
from casework.selectors import visible_cases

MIN_CHARS = 2  # except for a case number
MAX_TERMS = 6


def terms_of(query: str) -> list[str]:
    """The words of a query: letters and digits only (so nothing reaches the database as syntax)."""
    query = query if isinstance(query, str) else ""
    return re.findall(r"\w+", query.casefold())[:MAX_TERMS]


def check_query(query: str) -> list[str]:
    terms = terms_of(query)
    if len("".join(terms)) < MIN_CHARS and not (terms and is_id(terms[0])):  # a case number may be short
        raise ValidationError({"q": [_("Type at least %(min)s letters or digits.") % {"min": MIN_CHARS}]})
    return terms


def search_cases(user, query: str) -> QuerySet[Case]:
    """Visible cases matching every word of `query`, best match first (ValidationError when too short)."""
    terms = check_query(query)
    cases = visible_cases(user)
    number = next((int(term) for term in terms if is_id(term)), None)
    exact = When_(When(pk=number, then=Value(1)), default=Value(0), output_field=IntegerField()) if number \
        else Value(0, output_field=IntegerField())
    if connection.vendor == "postgresql":
        return _postgres(cases, terms, exact)
    return _simple(cases, terms, exact)


def _postgres(cases: QuerySet[Case], terms: list[str], exact) -> QuerySet[Case]:
    """Each word must match the child (name or pupil number, through the GIN index), the school's
    name or, as a whole number, the case number; the matching cases are then ranked on the full
    document. The case number matches exactly (not as the start of a longer number)."""
    for term in terms:
        prefix = f"{term}:*"
        children, child_params = _matching_children(prefix)
        sql = (f"SELECT c.id FROM casework_case c WHERE c.child_id IN ({children}) "  # noqa: S608 (compiled; terms are parameters)
               "UNION ALL SELECT c.id FROM casework_case c JOIN teams_school s ON s.id = c.school_id "
               "WHERE to_tsvector('simple'::regconfig, s.name) @@ to_tsquery('simple', %s)")
        params = [*child_params, prefix]
        if is_id(term):
            sql += " UNION ALL SELECT %s::bigint"  # noqa: S608 (the number is a parameter)
            params.append(int(term))
        cases = cases.filter(pk__in=RawSQL(sql, params))  # noqa: S611 (constant SQL, parameters bound)
    vector = (SearchVector("child__family_name", weight="A", config="simple")
              + SearchVector("child__given_name", weight="A", config="simple")
              + SearchVector(Cast("pk", TextField()), words("child__pupil_number"), weight="B", config="simple")
              + SearchVector("school__name", weight="C", config="simple"))
    query = SearchQuery(" & ".join(f"{term}:*" for term in terms), search_type="raw", config="simple")
    return (cases.annotate(document=vector, exact=exact)
            .filter(document=query)
            .annotate(rank=SearchRank(vector, query))
            .order_by("-exact", "-rank", "-signalled_at", "-pk"))


def _matching_children(prefix: str) -> tuple[str, tuple]:
    """The SQL (and its parameters) of the ids of the children whose words match `prefix`, on the
    expression of the GIN index `child_search_document` (`CHILD_DOCUMENT`, declared in `Child.Meta`):
    the same expression, or PostgreSQL builds a document for every child instead of using it."""
    query = SearchQuery(prefix, search_type="raw", config="simple")
    children = Child.objects.alias(document=CHILD_DOCUMENT).filter(document=query).values("pk")
    return children.query.sql_with_params()


def _simple(cases: QuerySet[Case], terms: list[str], exact) -> QuerySet[Case]:
    for term in terms:
        match = (Q(child__given_name__icontains=term) | Q(child__family_name__icontains=term)
                 | Q(child__pupil_number__icontains=term) | Q(school__name__icontains=term))
        if is_id(term):
            match |= Q(pk=int(term))
        cases = cases.filter(match)
    first = terms[0]
    rank = When_(
        When(child__family_name__istartswith=first, then=Value(1.0)),
        When(child__given_name__istartswith=first, then=Value(0.8)),
        When(child__pupil_number__iexact=first, then=Value(0.8)),
        default=Value(0.1), output_field=FloatField())
    return cases.annotate(exact=exact, rank=rank).order_by("-exact", F("rank").desc(), "-signalled_at", "-pk")
