"""The language switch (base.html's footer): Django's set_language, which sets the language cookie,
and for a signed-in user the choice is remembered on the account, so that it follows the user to
another device (ChosenLanguageMiddleware reads it first)."""

from django.conf import settings
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language


@require_POST
def set_language(request):
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        # The user's own preference, not case data: no service or event (teams.User.language).
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response
