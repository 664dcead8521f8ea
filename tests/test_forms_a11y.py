"""Accessibility, drafts and the session on the server side: the layout's skip link, favicon and script hooks; choice groups in a
fieldset, the error summary and described fields; the login page that knows an expired session; the
keep-alive endpoint; the public form's honeypot out of reach and never silently dropping a signal."""

import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from casework.models import PublicSignal
from tests.test_public_signal import form as public_form

pytestmark = pytest.mark.django_db


def signed_in(demo, username="aoj") -> Client:
    client = Client()
    response = client.post("/login/", {"username": username, "password": demo["password"]})
    assert response.status_code == 302
    return client


@pytest.fixture
def demo_logins(demo, settings):
    from tests.browser import usable_passwords

    usable_passwords(settings, [demo["users"]["aoj"]], demo["password"])
    return demo


def test_layout_has_skip_link_first_main_target_favicon_and_script_hooks(demo_logins, settings):
    client = signed_in(demo_logins)
    html = client.get("/cases/").content.decode()
    body = html[html.index("<body"):]
    first_focusable = re.search(r"<(a|button|input|select|textarea)\b[^>]*>", body).group(0)
    assert 'class="skip-link" href="#main"' in first_focusable
    assert "Naar de inhoud" in body
    assert '<main id="main" tabindex="-1">' in html
    assert 'rel="icon" href="/static/favicon.svg"' in html
    user = client.session["_auth_user_id"]
    assert f'data-user-key="{user}"' in html
    assert f'data-session-seconds="{settings.SESSION_COOKIE_AGE}"' in html
    assert f'data-session-warning="{settings.SESSION_WARNING_SECONDS}"' in html
    assert 'data-keep-alive-url="/session/keep-alive/"' in html
    assert 'data-draft-restored="Uw concept van {time} is teruggezet."' in html
    assert 'data-toast-close="Melding sluiten"' in html
    for script in ("forms.js", "drafts.js", "session.js", "notifications.js"):
        assert f'src="/static/js/{script}"' in html
    assert 'class="search-box" method="get" data-no-draft' in html
    assert "0 ongelezen meldingen" in html
    favicon = Client().get("/favicon.ico")
    assert favicon.status_code == 302 and favicon["Location"] == "/static/favicon.svg"


def test_login_page_opts_out_of_drafts_and_holds_them():
    html = Client().get("/login/").content.decode()
    assert 'id="login-form" data-no-draft data-draft-hold' in html
    assert "data-user-key" not in html and 'id="session-expired"' not in html


def test_expired_session_sends_to_login_with_message_and_back(demo_logins):
    client = signed_in(demo_logins)
    assert client.get("/cases/").status_code == 200
    Session.objects.all().delete()  # the idle timeout ended it
    response = client.post("/cases/1/notes/", {"text": "Nog niet bewaard"})
    assert response.status_code == 302 and response["Location"] == "/login/?next=/cases/1/notes/"
    login = client.get(response["Location"]).content.decode()
    assert "Uw sessie is verlopen. Log opnieuw in; wat u typte is bewaard." in login
    assert 'name="next" value="/cases/1/notes/"' in login  # drafts.js turns it into the form's page
    again = client.post("/login/", {"username": "aoj", "password": demo_logins["password"], "next": "/cases/"})
    assert again.status_code == 302 and again["Location"] == "/cases/"


def test_signing_out_on_purpose_is_not_an_expired_session(demo_logins):
    client = signed_in(demo_logins)
    client.post("/logout/")
    assert 'id="session-expired"' not in client.get("/login/").content.decode()
    assert 'id="session-expired"' not in Client().get("/login/").content.decode()  # a first visit


def test_keep_alive_renews_only_a_live_session_and_needs_the_csrf_token(demo_logins, settings):
    client = signed_in(demo_logins)
    answer = client.post("/session/keep-alive/")
    assert answer.status_code == 200
    assert answer.json()["seconds"] == settings.SESSION_COOKIE_AGE and answer.json()["expired"] is False
    assert client.get("/session/keep-alive/").status_code == 405
    Session.objects.all().delete()
    assert client.post("/session/keep-alive/").json() == {"expired": True}
    guarded = Client(enforce_csrf_checks=True)
    guarded.get("/login/")
    guarded.post("/login/", {"username": "aoj", "password": demo_logins["password"],
                             "csrfmiddlewaretoken": guarded.cookies["csrftoken"].value})
    assert guarded.post("/session/keep-alive/").status_code == 403
    token = guarded.cookies["csrftoken"].value
    assert guarded.post("/session/keep-alive/", HTTP_X_CSRFTOKEN=token).status_code == 200


def test_choice_groups_are_fieldsets_and_errors_are_summarised_and_described(demo):
    html = Client().post("/melden/", public_form(demo, reporter_role="", given_name="")).content.decode()
    # the radio group: a fieldset with a legend, described by its error
    group = re.search(r'<fieldset class="field choices has-error" aria-describedby="id_reporter_role_error">\s*'
                      r"<legend>Ik ben \*</legend>", html)
    assert group, html
    assert '<label for="id_reporter_role">' not in html
    # the summary heads the form, links to each field, and is focusable for forms.js
    summary = html[html.index('class="error-summary'):html.index("</ul>", html.index('class="error-summary'))]
    assert 'tabindex="-1"' in summary and "Er is iets niet goed ingevuld" in summary
    assert 'href="#id_reporter_role_0"' in summary and 'href="#id_given_name"' in summary
    # the text field points at its error
    given = re.search(r"<input[^>]*id=\"id_given_name\"[^>]*>", html).group(0)
    assert 'aria-invalid="true"' in given and 'aria-describedby="id_given_name_error"' in given
    assert '<div id="id_given_name_error"><p class="error">' in html
    # help text is linked too
    school = re.search(r"<select[^>]*id=\"id_school\"[^>]*>", html).group(0)
    assert 'aria-describedby="id_school_helptext"' in school and 'id="id_school_helptext"' in html


def test_honeypot_is_out_of_reach_and_a_filled_one_asks_to_send_again(demo):
    html = Client().get("/melden/").content.decode()
    trap = re.search(r"<input[^>]*name=\"website\"[^>]*>", html).group(0)
    assert 'tabindex="-1"' in trap and 'autocomplete="off"' in trap and "aria-hidden" not in trap
    assert '<div class="hp" aria-hidden="true">' in html  # the wrapper is not focusable itself
    response = Client().post("/melden/", public_form(demo, website="http://spam.example",
                                                     description="Zit al weken thuis"))
    page = response.content.decode()
    assert response.status_code == 400
    assert "Uw melding is nog niet verstuurd. Controleer het formulier en verstuur het opnieuw." in page
    assert "Zit al weken thuis" in page and 'value="Pim"' in page
    assert "spam.example" not in page
    assert not PublicSignal.objects.exists()
    # sent again as shown (the trap empty): it arrives
    assert Client().post("/melden/", public_form(demo, description="Zit al weken thuis")).status_code == 200
    assert PublicSignal.objects.count() == 1
