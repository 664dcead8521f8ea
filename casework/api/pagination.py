"""Page-number pagination whose bad `page` is a 400 with a field error (not a 404); lists of
children's cases log each page they show (one access-log row per request)."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination

from casework.access import log_list_read


class Pagination(PageNumberPagination):
    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound:
            raise ValidationError({"page": [_("There is no such page.")]}) from None


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
