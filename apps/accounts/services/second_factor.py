"""The second sign-in step: enrolling an authenticator app (TOTP, RFC 6238), recovery
codes, and checking a code with its own lockout. Passkeys enrol and verify through
django-otp-webauthn's views (apps/accounts/passkeys.py)."""

import secrets
from binascii import unhexlify

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex
from django_otp_webauthn.models import WebAuthnCredential

from apps.accounts.models import RecoveryCode, RecoveryCodeSet, User, recovery_code_digest
from apps.audit.models import AccessLog
from apps.audit.services import access_log_record

RECOVERY_CODE_COUNT = 10
# Crockford's base32 without look-alikes: 12 characters carry 60 random bits.
_RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
_RECOVERY_LENGTH = 12


def _log(*, user: User, action: str, detail: dict | None = None) -> None:
    access_log_record(
        user=user,
        action=AccessLog.Action.ACCOUNT,
        subject=f"own:{action}",
        object_id=user.pk,
        detail=detail or {},
    )


def authenticator_key_new() -> str:
    """A fresh TOTP secret (hex, as django-otp stores it), kept in the session until
    the member proves their app has it."""
    return random_hex(20)


def authenticator_setup_url(*, user: User, key: str) -> str:
    """The otpauth:// address the QR code carries."""
    return TOTPDevice(user=user, key=key, name="Authenticator app").config_url


def authenticator_enrol(*, user: User, key: str, code: str, name: str) -> TOTPDevice:
    """Add the authenticator once a code from it matches; that code cannot be used again."""
    totp = TOTP(unhexlify(key.encode()))
    typed = code.strip()
    if not (typed.isascii() and typed.isdigit()) or not totp.verify(int(typed), tolerance=1):
        raise ValidationError(
            {"code": "That code does not match. Type the 6 digits your app shows now."}
        )
    with transaction.atomic():
        device = TOTPDevice.objects.create(
            user=user, key=key, name=name or "Authenticator app", confirmed=True, last_t=totp.t()
        )
        _log(user=user, action="authenticator-add", detail={"name": device.name})
    return device


def authenticator_remove(*, user: User, device_id: int) -> None:
    with transaction.atomic():
        deleted = TOTPDevice.objects.filter(user=user, pk=device_id).delete()[0]
        if not deleted:
            raise ValidationError("No such authenticator.")
        _log(user=user, action="authenticator-remove")


def _recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4))


def recovery_codes_new(*, user: User) -> list[str]:
    """Replace the member's recovery codes with new ones, returned once and kept only as
    hashes. The set keeps its identity, so a session verified with it stays verified."""
    codes = [_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    with transaction.atomic():
        code_set, _ = RecoveryCodeSet.objects.get_or_create(
            user=user, defaults={"name": "Recovery codes"}
        )
        code_set.codes.all().delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(code_set=code_set, digest=recovery_code_digest(c)) for c in codes
        )
        _log(user=user, action="recovery-codes-new")
    return codes


def _devices_locked(user: User) -> list[Device]:
    devices: list[Device] = list(
        TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True)
    )
    devices.extend(RecoveryCodeSet.objects.select_for_update().filter(user=user))
    return devices


def second_step_verify(*, user: User, code: str) -> Device:
    """Check a code from an authenticator app or a recovery code. A TOTP code is
    refused once used (django-otp keeps the last time step); after MFA_FAILURE_LIMIT
    wrong codes the second step locks for AXES_COOLOFF_TIME, until a manager lifts it."""
    code = code.strip()
    with transaction.atomic():
        member = User.objects.select_for_update().get(pk=user.pk)
        if member.second_step_locked:
            raise PermissionDenied("Too many wrong codes. The second step is locked.")
        matched = next((d for d in _devices_locked(member) if code and d.verify_token(code)), None)
        if matched is not None:
            if member.second_step_failures:
                member.second_step_failures = 0
                member.save(update_fields=["second_step_failures"])
            return matched
        member.second_step_failures += 1
        locks = member.second_step_failures >= settings.MFA_FAILURE_LIMIT
        if locks:
            member.second_step_failures = 0
            member.second_step_locked_until = timezone.now() + settings.AXES_COOLOFF_TIME
        member.save(update_fields=["second_step_failures", "second_step_locked_until"])
    if locks:
        raise PermissionDenied("Too many wrong codes. The second step is locked.")
    raise ValidationError({"code": "That code is not right, or it was already used."})


def passkey_remove(*, user: User, passkey_id: int) -> None:
    with transaction.atomic():
        deleted = WebAuthnCredential.objects.filter(user=user, pk=passkey_id).delete()[0]
        if not deleted:
            raise ValidationError("No such passkey.")
        _log(user=user, action="passkey-remove")
