"""The second factor's pages (`signin:verify`, `signin:enrol`) and the passkey endpoints.
Names are a contract (the SSO app sends its users to `signin:verify`)."""

from django.urls import path
from django.views.i18n import JavaScriptCatalog

from signin import views

app_name = "signin"

urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("enrol/", views.enrol, name="enrol"),
    path("backup-codes/", views.backup_codes, name="backup-codes"),
    path("passkey/register/begin/", views.PasskeyRegistrationBegin.as_view(), name="passkey-register-begin"),
    path("passkey/register/complete/", views.PasskeyRegistrationComplete.as_view(),
         name="passkey-register-complete"),
    path("passkey/verify/begin/", views.PasskeyVerifyBegin.as_view(), name="passkey-verify-begin"),
    path("passkey/verify/complete/", views.PasskeyVerifyComplete.as_view(), name="passkey-verify-complete"),
    # The passkey script's texts (django-otp-webauthn ships Dutch ones).
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]), name="jsi18n"),
]
