"""Dutch by default, remembered per user; dates in Dutch style ("27 nov. 2026", "nov. 2026")."""

import datetime as dt
import json
import re

import pytest
import time_machine
from django.test import Client
from django.utils import translation
from django.utils.formats import date_format

from teams.models import User
from tests.flowkit import signal

pytestmark = pytest.mark.django_db


def lang_of(response) -> str:
    return response.content.decode().split('<html lang="', 1)[1].split('"', 1)[0]


def test_an_english_browser_gets_dutch(u):
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert lang_of(anonymous.get("/login/")) == "nl"
    signed_in = Client(HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    signed_in.force_login(u["aoj"])
    page = signed_in.get("/cases/")
    assert lang_of(page) == "nl" and page["Content-Language"] == "nl"


def test_the_chosen_language_follows_the_user_to_another_device(u):
    laptop = Client(HTTP_ACCEPT_LANGUAGE="nl")
    laptop.force_login(u["aoj"])
    response = laptop.post("/i18n/setlang/", {"language": "en", "next": "/cases/"})
    assert response.status_code == 302 and response["Location"] == "/cases/"
    assert User.objects.get(pk=u["aoj"].pk).language == "en"
    assert lang_of(laptop.get("/cases/")) == "en"

    phone = Client(HTTP_ACCEPT_LANGUAGE="nl")  # no language cookie here
    phone.force_login(u["aoj"])
    assert lang_of(phone.get("/cases/")) == "en"
    # a colleague on the same (shared) phone keeps Dutch
    colleague = Client()
    colleague.force_login(u["aoj_2"])
    assert lang_of(colleague.get("/cases/")) == "nl"

    phone.post("/i18n/setlang/", {"language": "nl", "next": "/cases/"})
    assert User.objects.get(pk=u["aoj"].pk).language == "nl"
    assert lang_of(phone.get("/cases/")) == "nl"
    # the laptop still has its English cookie, but the account says Dutch now
    assert lang_of(laptop.get("/cases/")) == "nl"


def test_the_switch_without_signing_in_only_sets_the_cookie(u):
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert lang_of(client.get("/login/")) == "en"
    assert not User.objects.exclude(language="").exists()


def test_an_unknown_language_changes_nothing(u):
    client = Client()
    client.force_login(u["aoj"])
    client.post("/i18n/setlang/", {"language": "de", "next": "/cases/"})
    assert User.objects.get(pk=u["aoj"].pk).language == ""
    assert lang_of(client.get("/cases/")) == "nl"


def test_named_date_formats_in_dutch_and_english():
    day, moment = dt.date(2026, 11, 27), dt.datetime(2026, 5, 3, 14, 5)
    with translation.override("nl"):
        assert date_format(day) == "27 nov. 2026"
        assert date_format(moment, "DATETIME_FORMAT") == "3 mei 2026 14:05"
        assert date_format(dt.date(2026, 3, 1), "YEAR_MONTH_FORMAT") == "mrt. 2026"
        assert date_format(dt.date(2026, 9, 8), "MONTH_DAY_FORMAT") == "8 sep."
    with translation.override("en"):
        assert date_format(day) == "27 Nov 2026"
        assert date_format(dt.date(2026, 3, 1), "YEAR_MONTH_FORMAT") == "Mar 2026"


ISO_DATE = re.compile(r">[^<]*\b20\d\d-\d\d-\d\d\b")  # an ISO date in text (not in attributes)
CAPITALISED_MONTH = re.compile(r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")


@time_machine.travel(dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC), tick=False)
def test_case_page_shows_dutch_dates(api, demo, u):
    case = signal(api, u["aoj"], demo["schools"]["vo"], absent_since="2026-10-23", birth_date="2012-05-17")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(u["aoj"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "17 mei 2012" in page and "23 okt. 2026" in page and "27 nov. 2026 11:00" in page
    assert not ISO_DATE.search(page) and not CAPITALISED_MONTH.search(page)


@time_machine.travel(dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC), tick=False)
def test_monitor_months_and_dates_in_dutch_exports_unchanged(api, demo, u):
    signal(api, u["aoj"], demo["schools"]["vo"])
    client = Client()
    client.force_login(u["aoj"])
    page = client.get("/monitor/?peildatum=2026-11-27").content.decode()
    charts = json.loads(page.split('<script id="monitor-data" type="application/json">', 1)[1].split("</script>")[0])
    assert charts["trend"]["labels"][-3:] == ["sep. 2026", "okt. 2026", "nov. 2026"]
    assert charts["returns"]["labels"][0] == "dec. 2025"
    assert '<time datetime="2026-11">nov. 2026</time>' in page
    assert "27 nov. 2026" in page and not ISO_DATE.search(page)
    # the machine-readable data keeps ISO dates
    body = api(u["aoj"]).get("/api/monitor/", {"peildatum": "2026-11-27"}).json()
    assert body["counts"]["peildatum"] == "2026-11-27"


def dutch_translations() -> list[str]:
    """Every msgstr of the project's Dutch catalog (continuation lines joined)."""
    texts, current = [], None
    with open("locale/nl/LC_MESSAGES/django.po", encoding="utf-8") as catalog:
        for line in catalog:
            if line.startswith("msgstr"):
                current = [line.split(" ", 1)[1].strip().strip('"')]
                texts.append(current)
            elif line.startswith('"') and current is not None:
                current.append(line.strip().strip('"'))
            else:
                current = None
    return ["".join(parts) for parts in texts[1:]]  # the first is the header


def test_the_dutch_catalog_says_u_and_termijn():
    informal = re.compile(r"\b(je|jij|jou|jouw|jezelf|jullie)\b", re.IGNORECASE)
    assert [text for text in dutch_translations() if informal.search(text)] == []
    assert [text for text in dutch_translations() if "deadline" in text.lower()] == []
    assert all(dutch_translations())  # no empty translation
