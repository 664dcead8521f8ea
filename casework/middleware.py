"""Dutch by default, whatever the browser says: the language is the one the user chose (the
language cookie set by the switcher at /i18n/setlang/), else LANGUAGE_CODE (`nl`). The browser's
Accept-Language is not consulted: the users are Dutch professionals on shared or English-set
machines, and a page that switches language by itself confuses them."""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChosenLanguageMiddleware(LocaleMiddleware):
    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
