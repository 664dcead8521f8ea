"""Dutch by default, whatever the browser says: the language is the one the user chose, remembered
on the account of a signed-in user (`User.language`, set by the switch at /i18n/setlang/, so it
follows the user to another device), else the language cookie the switch sets, else LANGUAGE_CODE
(`nl`). The browser's Accept-Language is not consulted: the users are Dutch professionals on shared
or English-set machines, and a page that switches language by itself confuses them."""

from django.conf import settings
from django.contrib.auth.middleware import get_user
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


def chosen_language(request) -> str:
    languages = dict(settings.LANGUAGES)
    # This middleware runs before AuthenticationMiddleware; get_user caches the user on the
    # request (`_cached_user`), so request.user later costs no second query.
    user = get_user(request)
    if user.is_authenticated and user.language in languages:
        return user.language
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return cookie if cookie in languages else settings.LANGUAGE_CODE


class ChosenLanguageMiddleware(LocaleMiddleware):
    def process_request(self, request):
        translation.activate(chosen_language(request))
        request.LANGUAGE_CODE = translation.get_language()
