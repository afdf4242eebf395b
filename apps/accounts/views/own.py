"""A member's own sign-in security: the second step after the password, enrolling an
authenticator app or passkey, recovery codes and personal API tokens."""

from base64 import b32encode
from binascii import unhexlify

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.models import Device

from apps.accounts.forms import ApiTokenForm, AuthenticatorForm, CodeForm
from apps.accounts.middleware import SECOND_STEP
from apps.accounts.requests import StaffRequest
from apps.accounts.selectors import (
    api_tokens_of,
    authenticators_of,
    passkeys_of,
    recovery_codes_left,
    second_factor_enrolled,
    second_factor_required,
)
from apps.accounts.services import api_tokens as token_services
from apps.accounts.services import second_factor as mfa

_ENROL_KEY = "authenticator_enrol_key"


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


def _passed(request: HttpRequest, device: Device) -> None:
    otp_login(request, device)
    request.session.pop(SECOND_STEP, None)


def _token_allowed(request: StaffRequest) -> bool:
    user = request.user
    return user.is_verified() or not (second_factor_required(user) or second_factor_enrolled(user))


@login_required
def security(
    request: StaffRequest, *, created_token: str = "", token_form: ApiTokenForm | None = None
) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/security.html",
        {
            "authenticators": authenticators_of(user),
            "passkeys": passkeys_of(user),
            "recovery_left": recovery_codes_left(user),
            "required": second_factor_required(user),
            "tokens": api_tokens_of(user),
            "token_form": token_form or ApiTokenForm(),
            "token_allowed": _token_allowed(request),
            "created_token": created_token,
        },
    )


@login_required
def second_step(request: StaffRequest) -> HttpResponse:
    """After the password: a code from the authenticator app, a recovery code or a passkey."""
    user = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    if not (authenticators_of(user) or passkeys_of(user) or recovery_codes_left(user)):
        # Their second factor was reset since they signed in.
        if second_factor_required(user):
            return redirect("second-factor-enrol")
        request.session.pop(SECOND_STEP, None)
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = mfa.second_step_verify(user=user, code=form.cleaned_data["code"])
        except PermissionDenied as refusal:
            logout(request)
            return render(
                request, "accounts/second_step_locked.html", {"reason": str(refusal)}, status=429
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            _passed(request, device)
            return redirect(_next_url(request))
    return render(
        request,
        "accounts/second_step.html",
        {"form": form, "has_passkey": bool(passkeys_of(user)), "next": _next_url(request)},
    )


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


@login_required
def enrol(request: StaffRequest) -> HttpResponse:
    """Add an authenticator app (or a passkey). The secret waits in the session until a
    code from the app proves it was scanned; nothing is saved before that."""
    user = request.user
    if second_factor_enrolled(user) and not user.is_verified():
        # Adding a factor needs the one they have: otherwise a stolen password would do.
        return redirect("second-step")
    key = request.session.get(_ENROL_KEY)
    if key is None:
        key = request.session[_ENROL_KEY] = mfa.authenticator_key_new()
    form = AuthenticatorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = mfa.authenticator_enrol(user=user, key=key, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            del request.session[_ENROL_KEY]
            _passed(request, device)
            codes = mfa.recovery_codes_new(user=user) if recovery_codes_left(user) is None else []
            messages.success(request, "Your authenticator app is added.")
            if codes:
                return render(
                    request,
                    "accounts/recovery_codes.html",
                    {"codes": codes, "next": _next_url(request)},
                )
            return redirect("account-security")
    url = mfa.authenticator_setup_url(user=user, key=key)
    return render(
        request,
        "accounts/enrol.html",
        {
            "form": form,
            "qr_svg": _qr_svg(url),
            "secret": _base32(key),
            "required": second_factor_required(user) and not second_factor_enrolled(user),
            "next": _next_url(request),
        },
    )


def _base32(key: str) -> str:
    # Apps that cannot scan take the key typed in base32, in groups of four.
    text = b32encode(unhexlify(key)).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@require_POST
@login_required
def recovery_codes_new(request: StaffRequest) -> HttpResponse:
    if not request.user.is_verified():
        return redirect("second-step")
    codes = mfa.recovery_codes_new(user=request.user)
    return render(
        request, "accounts/recovery_codes.html", {"codes": codes, "next": "/accounts/security/"}
    )


@require_POST
@login_required
def authenticator_remove(request: StaffRequest, pk: int) -> HttpResponse:
    if not request.user.is_verified():
        return redirect("second-step")
    try:
        mfa.authenticator_remove(user=request.user, device_id=pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The authenticator is removed.")
    return redirect("account-security")


@require_POST
@login_required
def passkey_remove(request: StaffRequest, pk: int) -> HttpResponse:
    if not request.user.is_verified():
        return redirect("second-step")
    try:
        mfa.passkey_remove(user=request.user, passkey_id=pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The passkey is removed.")
    return redirect("account-security")


@require_POST
@login_required
def token_create(request: StaffRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, text = token_services.api_token_create(
                by=request.user,
                second_factor_passed=request.user.is_verified(),
                **form.cleaned_data,
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, error if isinstance(error, ValidationError) else str(error))
        else:
            messages.success(
                request, f"Token “{token.name}” made. Copy it now: it is not shown again."
            )
            return security(request, created_token=text)
    return security(request, token_form=form)


@require_POST
@login_required
def token_revoke(request: StaffRequest) -> HttpResponse:
    try:
        token_services.api_token_revoke(by=request.user, digest=request.POST.get("token", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The token is revoked.")
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("account-security")
