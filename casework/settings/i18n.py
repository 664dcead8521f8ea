"""Language, time zone and date formats: Dutch first, Europe/Amsterdam."""

from django.utils.translation import gettext_lazy as _

from casework.settings.environment import BASE_DIR

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["casework.formats"]  # "27 nov. 2026": see casework/formats
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True
