"""Dutch by default, remembered per user; dates in Dutch style."""

import pytest
from django.test import Client

from teams.models import User

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
