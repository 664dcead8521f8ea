"""The user's second-factor devices (django-otp): TOTP apps, backup codes, passkeys."""

from django.db import transaction
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

BACKUP_CODES = 10


def has_device(user) -> bool:
    """A confirmed TOTP app or passkey (backup codes alone are no way to sign in every day)."""
    return (TOTPDevice.objects.filter(user=user, confirmed=True).exists()
            or WebAuthnCredential.objects.filter(user=user, confirmed=True).exists())


def has_any_device(user) -> bool:
    """Any confirmed way to pass the second factor, backup codes included."""
    return has_device(user) or has_backup_codes(user)


def has_backup_codes(user) -> bool:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).exists()


def has_passkey(user) -> bool:
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()


def has_totp(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def verify_code(user, code: str):
    """The confirmed TOTP device or backup-code device that accepts `code` (a backup code is used
    up), or None. Returns (device, method)."""
    code = "".join(str(code or "").split())
    if not code:
        return None, ""
    # Locked rows (PostgreSQL): two requests with the same code cannot both pass (TOTP's last_t,
    # a backup code used once), and the devices' failure throttling counts every attempt.
    with transaction.atomic():
        for device in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True):
            if device.verify_is_allowed()[0] and device.verify_token(code):
                return device, "totp"
        for device in StaticDevice.objects.select_for_update().filter(user=user, confirmed=True):
            if device.verify_is_allowed()[0] and device.verify_token(code.lower()):
                return device, "backup"
    return None, ""


def new_backup_codes(user) -> list[str]:
    """Replaces the user's backup codes with BACKUP_CODES fresh ones (shown once)."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="backup", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def reset_devices(user) -> int:
    """Removes every second-factor device of the user (a lost phone): the next sign-in enrols anew."""
    count = 0
    for device in devices_for_user(user, confirmed=None):
        device.delete()
        count += 1
    return count
