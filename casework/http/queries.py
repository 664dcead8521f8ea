"""Query strings shared by the list pages of every face (the case pages, the inbox, the monitor,
the access log): the same filters in the pager, sort and export links."""


def query_without_page(request, **changes) -> str:
    """The page's query string without `page` (and with `changes`), for pager, sort and export
    links that keep the filters."""
    query = request.GET.copy()
    query.pop("page", None)
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()
