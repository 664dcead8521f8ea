"""The second factor's pages: verify (a code from the app, a backup code or a passkey) and enrol
on first sign-in (TOTP app with QR code and secret, or a passkey; then backup codes, shown once).
Thin: the rules are in signin.factors and signin.devices; the passkey ceremonies are
django-otp-webauthn's views, bound to the signed-in user."""

import base64
import binascii
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.middleware import csrf
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn import exceptions as webauthn_errors
from django_otp_webauthn import utils as webauthn_utils
from django_otp_webauthn import views as webauthn_views

from signin import devices
from signin.events import log_signin
from signin.factors import is_verified, passed_second_factor, second_factor_passed
from signin.forms import CodeForm

ENROL_DEVICE = "signin_enrol_device"  # the unconfirmed TOTP device being enrolled
NEW_CODES = "signin_new_backup_codes"  # backup codes to show once after enrolment


def next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _page(request, template, context):
    return render(request, template, {"pending_factor": not passed_second_factor(request),
                                      "next": next_url(request), "passkey_config": passkey_config(request),
                                      **context})


@never_cache
@login_required
def verify(request):
    """Asks for the second factor: after the password, and again before an export (`?reauth=1`)."""
    user = request.user
    if not devices.has_any_device(user):
        return redirect(f"{resolve_url('signin:enrol')}?{request.GET.urlencode()}")
    reauth = request.GET.get("reauth") == "1" or request.POST.get("reauth") == "1"
    if not reauth and is_verified(request) and passed_second_factor(request):
        return HttpResponseRedirect(next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device, method = devices.verify_code(user, form.cleaned_data["code"])
        if device is not None:
            second_factor_passed(request, method, device)
            return HttpResponseRedirect(next_url(request))
        log_signin(request, "login_failed", user=user, detail="second factor")
        form.add_error("code", _("This code is not right (or no longer valid). Try the current code."))
    return _page(request, "signin/verify.html", {"form": form, "reauth": reauth,
                                                 "has_passkey": devices.has_passkey(user),
                                                 "has_totp": devices.has_totp(user)})


def _enrol_device(request) -> TOTPDevice:
    """The unconfirmed TOTP device of this enrolment (the same secret on every reload)."""
    device = TOTPDevice.objects.filter(pk=request.session.get(ENROL_DEVICE), user=request.user,
                                       confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="app", confirmed=False)
        request.session[ENROL_DEVICE] = device.pk
    return device


def base32_secret(device: TOTPDevice) -> str:
    return base64.b32encode(binascii.unhexlify(device.key)).decode().rstrip("=")


def qr_svg_data_uri(text: str) -> str:
    return segno.make(text, error="m").svg_data_uri(scale=5, border=2, dark="#000", light="#fff")


@never_cache
@login_required
def enrol(request):
    """First sign-in: set up an authenticator app (QR code and secret, confirmed by its first code)
    or a passkey. A user who already has a way to sign in adds another only after passing it."""
    user = request.user
    if devices.has_any_device(user) and not passed_second_factor(request):
        return redirect(f"{resolve_url('signin:verify')}?{request.GET.urlencode()}")
    device = _enrol_device(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token("".join(form.cleaned_data["code"].split())):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            request.session.pop(ENROL_DEVICE, None)
            log_signin(request, "factor_enrolled", user=user, detail="totp")
            second_factor_passed(request, "totp", device)
            return _after_enrolment(request)
        form.add_error("code", _("This code is not right. Type the 6 digits your app shows now."))
    return _page(request, "signin/enrol.html", {
        "form": form, "secret": base32_secret(device), "qr": qr_svg_data_uri(device.config_url),
        "has_passkey": devices.has_passkey(user), "has_totp": devices.has_totp(user)})


def _after_enrolment(request):
    """Fresh backup codes, shown once on the next page (a user who has them keeps them)."""
    if not devices.has_backup_codes(request.user):
        request.session[NEW_CODES] = devices.new_backup_codes(request.user)
    return redirect(f"{resolve_url('signin:backup-codes')}?{urlencode({'next': next_url(request)})}")


def passkey_config(request) -> dict:
    """django-otp-webauthn's script configuration, pointing at this app's bound ceremonies."""
    return {"autocompleteLoginFieldSelector": None, "nextFieldSelector": "input[name='next']",
            "csrfToken": csrf.get_token(request),
            "beginAuthenticationUrl": reverse("signin:passkey-verify-begin"),
            "completeAuthenticationUrl": reverse("signin:passkey-verify-complete"),
            "beginRegistrationUrl": reverse("signin:passkey-register-begin"),
            "completeRegistrationUrl": reverse("signin:passkey-register-complete")}


@never_cache
@login_required
def backup_codes(request):
    """The backup codes, once after enrolment; after passing the factor a user may make new ones."""
    if not is_verified(request):
        return redirect(f"{resolve_url('signin:verify')}?{request.GET.urlencode()}")
    codes = request.session.pop(NEW_CODES, None)
    if request.method == "POST":
        codes = devices.new_backup_codes(request.user)
        log_signin(request, "factor_enrolled", detail="backup codes renewed")
    return _page(request, "signin/backup_codes.html", {"codes": codes})


# --- passkeys: django-otp-webauthn's ceremonies, for the signed-in user only -----------------------

class _OwnUserMixin:
    def user_is_mfa_enrolled(self, user) -> bool:
        # A session that passed a factor (also by the identity provider) may add a passkey.
        return webauthn_utils.user_has_any_otp_device(user) and not passed_second_factor(self.request)


class PasskeyRegistrationBegin(_OwnUserMixin, webauthn_views.BeginCredentialRegistrationView):
    pass


class PasskeyRegistrationComplete(_OwnUserMixin, webauthn_views.CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        if response.status_code == 200:
            log_signin(self.request, "factor_enrolled", detail="webauthn")
            if not passed_second_factor(self.request) or self.request.session.get(ENROL_DEVICE):
                second_factor_passed(self.request, "webauthn")
            if not devices.has_backup_codes(self.request.user):
                self.request.session[NEW_CODES] = devices.new_backup_codes(self.request.user)
        return response


class PasskeyVerifyBegin(webauthn_views.BeginCredentialAuthenticationView):
    def check_can_authenticate(self):
        if not self.request.user.is_authenticated:  # a passkey is the second factor, never the first
            raise webauthn_errors.PasswordlessLoginDisabled()
        super().check_can_authenticate()


class PasskeyVerifyComplete(webauthn_views.CompleteCredentialAuthenticationView):
    def check_can_authenticate(self):
        if not self.request.user.is_authenticated:
            raise webauthn_errors.PasswordlessLoginDisabled()
        super().check_can_authenticate()

    def complete_auth(self, device):
        if device.user_id != self.request.user.pk:
            raise webauthn_errors.CredentialNotFound()
        second_factor_passed(self.request, "webauthn", device)
