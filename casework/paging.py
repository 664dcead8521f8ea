"""Paging helpers shared by the list pages."""


def query_without_page(request) -> str:
    """The page's query string without `page`, for pager links and exports that keep the filters."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
