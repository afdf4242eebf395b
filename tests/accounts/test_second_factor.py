"""The second sign-in step: forced enrolment for the roles that need it, authenticator
codes that cannot be replayed, one-use hashed recovery codes and a five-strike lock."""

import re
import time
from base64 import b32encode
from binascii import unhexlify

import pyotp
import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from apps.accounts.models import RecoveryCode
from apps.accounts.services.api_tokens import api_token_create
from tests.factories import PASSWORD

LOGIN = reverse("login")
ENROL = reverse("second-factor-enrol")
STEP = reverse("second-step")
DASHBOARD = reverse("dashboard")


@pytest.fixture
def nurse_needs_mfa(settings):
    settings.MFA_REQUIRED_ROLES = ["nurse"]


def _sign_in(client, user) -> None:
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302


def _enrol(client) -> tuple[pyotp.TOTP, list[str], str]:
    page = client.get(ENROL)
    assert "<svg" in page.content.decode()
    key = client.session["authenticator_enrol_key"]
    totp = pyotp.TOTP(b32encode(unhexlify(key)).decode())
    code = totp.now()
    response = client.post(ENROL, {"name": "Work phone", "code": code})
    assert response.status_code == 200
    codes = re.findall(r"<li>([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})</li>", response.content.decode())
    return totp, codes, code


def test_a_covered_role_is_taken_to_enrolment_and_can_do_nothing_else(
    client, nurse, nurse_needs_mfa
):
    _sign_in(client, nurse)

    assert client.get(DASHBOARD).url == ENROL
    assert client.get(reverse("patients:list")).url.startswith(ENROL)
    api = client.get("/api/v1/")
    assert api.status_code == 403
    assert api.json()["errors"][0]["code"] == "second_factor_required"
    assert client.get(ENROL).status_code == 200
    assert client.post(reverse("logout")).status_code == 302


def test_roles_the_setting_leaves_out_sign_in_with_the_password_alone(
    client, clinician, nurse_needs_mfa
):
    _sign_in(client, clinician)
    assert client.get(DASHBOARD).status_code == 200


def test_enrolment_with_a_wrong_code_saves_nothing(client, nurse, nurse_needs_mfa):
    _sign_in(client, nurse)
    client.get(ENROL)
    response = client.post(ENROL, {"name": "Phone", "code": "000000"})
    assert "That code does not match" in response.content.decode()
    assert not nurse.totpdevice_set.exists()
    assert client.get(DASHBOARD).url == ENROL


def test_enrolled_member_signs_in_with_a_code_that_cannot_be_replayed(
    client, nurse, nurse_needs_mfa
):
    _sign_in(client, nurse)
    totp, codes, used = _enrol(client)
    assert len(codes) == 10
    assert client.get(DASHBOARD).status_code == 200
    client.post(reverse("logout"))

    _sign_in(client, nurse)
    assert client.get(DASHBOARD).url == STEP
    replay = client.post(STEP, {"code": used})
    assert "already used" in replay.content.decode()
    fresh = totp.at(time.time() + 30)
    assert client.post(STEP, {"code": fresh}).status_code == 302
    assert client.get(DASHBOARD).status_code == 200


def test_a_recovery_code_works_once_and_is_stored_hashed(client, nurse, nurse_needs_mfa):
    _sign_in(client, nurse)
    _, codes, _ = _enrol(client)
    stored = set(RecoveryCode.objects.values_list("digest", flat=True))
    assert len(stored) == 10 and not stored & set(codes)
    assert not any(code.replace("-", "") in digest for code in codes for digest in stored)
    client.post(reverse("logout"))

    _sign_in(client, nurse)
    assert client.post(STEP, {"code": codes[0].lower()}).status_code == 302
    client.post(reverse("logout"))
    _sign_in(client, nurse)
    again = client.post(STEP, {"code": codes[0]})
    assert "already used" in again.content.decode()
    assert RecoveryCode.objects.count() == 9


def test_five_wrong_codes_lock_the_second_step_until_a_manager_lifts_it(
    client, nurse, manager, nurse_needs_mfa
):
    _sign_in(client, nurse)
    totp, _, _ = _enrol(client)
    client.post(reverse("logout"))
    _sign_in(client, nurse)
    for _ in range(4):
        assert client.post(STEP, {"code": "123456"}).status_code == 200
    locked = client.post(STEP, {"code": "123456"})
    assert locked.status_code == 429
    assert "Too many wrong codes" in locked.content.decode()
    # Signed out; even the right code is refused while locked.
    _sign_in(client, nurse)
    assert client.post(STEP, {"code": totp.at(time.time() + 30)}).status_code == 429

    staff = type(client)()
    staff.force_login(manager)
    assert "Locked out" in staff.get(reverse("staff-list")).content.decode()
    staff.post(reverse("staff-action", args=[nurse.pk, "lockout-lift"]))

    _sign_in(client, nurse)
    assert client.post(STEP, {"code": totp.at(time.time() + 30)}).status_code == 302


def test_a_manager_resets_a_second_factor_and_the_member_enrols_again(
    client, nurse, manager, nurse_needs_mfa
):
    _sign_in(client, nurse)
    _enrol(client)
    staff = type(client)()
    staff.force_login(manager)
    staff.post(reverse("staff-action", args=[nurse.pk, "second-factor-reset"]))

    assert not nurse.totpdevice_set.exists()
    assert client.get(DASHBOARD).status_code == 302  # that session ended
    _sign_in(client, nurse)
    assert client.get(DASHBOARD).url == ENROL


def test_only_a_member_who_passed_the_second_step_makes_a_token(nurse, nurse_needs_mfa):
    with pytest.raises(PermissionDenied):
        api_token_create(by=nurse, name="Import", days=30, second_factor_passed=False)
    token, _ = api_token_create(by=nurse, name="Import", days=30, second_factor_passed=True)
    assert token.name == "Import"
