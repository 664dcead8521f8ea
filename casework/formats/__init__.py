"""The project's date formats per language (settings.FORMAT_MODULE_PATH): Dutch dates as
"27 nov. 2026", months as "nov. 2026"; English as "27 Nov 2026". Templates and code use the named
formats (DATE_FORMAT, DATETIME_FORMAT, YEAR_MONTH_FORMAT, MONTH_DAY_FORMAT), never literal ones.

The Dutch abbreviations come from the "N" format letter (Django's AP-style months), whose Dutch
translations in Django's catalog have no period ("nov"); the project's catalog (locale/nl) gives
them the Dutch period ("nov.", "mrt.", but "mei"). The strings are marked here so that makemessages
keeps them in the project's catalog."""

from django.utils.translation import pgettext_lazy

MONTHS_AP = (
    pgettext_lazy("abbrev. month", "Jan."), pgettext_lazy("abbrev. month", "Feb."),
    pgettext_lazy("abbrev. month", "March"), pgettext_lazy("abbrev. month", "April"),
    pgettext_lazy("abbrev. month", "May"), pgettext_lazy("abbrev. month", "June"),
    pgettext_lazy("abbrev. month", "July"), pgettext_lazy("abbrev. month", "Aug."),
    pgettext_lazy("abbrev. month", "Sept."), pgettext_lazy("abbrev. month", "Oct."),
    pgettext_lazy("abbrev. month", "Nov."), pgettext_lazy("abbrev. month", "Dec."),
)
