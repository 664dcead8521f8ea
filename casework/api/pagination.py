"""Page-number pagination for every list: `page` (from 1) and `pageSize` (1 to MAX_PAGE_SIZE); a
`page` that is not a page number or a `pageSize` out of range is a 400 naming it, a page past the
last one a 404; lists of children's cases log each page they show (one access-log row per
request)."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination

from casework.access import is_id, log_list_read
from casework.api.params import ID, or_empty

MAX_PAGE_SIZE = 100


class Pagination(PageNumberPagination):
    page_size_query_param = "pageSize"
    max_page_size = MAX_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        number = request.query_params.get(self.page_query_param, "")
        if number and number not in self.last_page_strings and not is_id(number):
            raise ValidationError({"page": [_("There is no such page.")]})
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound:
            raise NotFound(_("There is no such page.")) from None

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param, "")
        if value == "":
            return self.page_size
        if not (value.isascii() and value.isdigit() and 1 <= int(value) <= self.max_page_size):
            raise ValidationError({self.page_size_query_param: [
                _("Give a page size from 1 to %(most)d.") % {"most": self.max_page_size}]})
        return int(value)

    def get_schema_operation_parameters(self, view):
        return [{"name": self.page_query_param, "in": "query", "required": False,
                 "description": "A page number, from 1 (empty: the first); a page past the last one is a 404.",
                 "schema": or_empty(ID)},
                {"name": self.page_size_query_param, "in": "query", "required": False,
                 "description": f"How many per page, from 1 to {self.max_page_size} (default {self.page_size}).",
                 "schema": or_empty({"type": "integer", "minimum": 1, "maximum": self.max_page_size})}]


class LoggedPages:
    """For a list view of cases or of their tasks: the page it shows is logged as one access-log
    row naming the cases (`shown_list`: an AccessLog.List value; `case_of(item)`: the item's case)."""

    shown_list: str = ""

    def case_of(self, item):
        return item

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            log_list_read(self.request.user, [self.case_of(item) for item in page], what=self.shown_list,
                          request=self.request)
        return page

