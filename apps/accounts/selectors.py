"""Reads of staff accounts: the Staff page, who must pass a second factor, tokens."""

from dataclasses import dataclass

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from apps.accounts.models import ApiToken, RecoveryCodeSet, User
from exotrack.roles import MANAGER, ROLE_LABELS

# The second factors that count as enrolled; recovery codes only back them up.
AUTHENTICATOR_MODELS = (TOTPDevice, WebAuthnCredential)


def _authenticators(user_ref: OuterRef) -> list[Exists]:
    return [
        Exists(model.objects.filter(user=user_ref, confirmed=True))
        for model in AUTHENTICATOR_MODELS
    ]


def _locked_out_attempts() -> QuerySet:
    """Usernames whose password sign-in is locked now on some computer (django-axes)."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=since
    ).values_list("username", flat=True)


def locked_out_usernames() -> set[str]:
    return set(_locked_out_attempts())


def staff_locked_out() -> list[User]:
    """Active staff locked out now, of their password sign-in (on some computer) or of
    their second step: one query."""
    return list(
        User.objects.filter(is_active=True)
        .filter(
            Q(username__in=_locked_out_attempts()) | Q(second_step_locked_until__gt=timezone.now())
        )
        .order_by("last_name", "first_name", "username")
    )


@dataclass(frozen=True)
class StaffRow:
    member: User
    roles: list[str]
    mfa_enrolled: bool
    locked_out: bool


def staff_list() -> list[StaffRow]:
    """Every staff account, active or not, for the Staff page: three queries whatever
    the team's size (members with their enrolment, their roles, the lockouts)."""
    enrolled = _authenticators(OuterRef("pk"))
    members = User.objects.annotate(
        **{f"factor_{i}": check for i, check in enumerate(enrolled)}
    ).prefetch_related(Prefetch("groups", queryset=Group.objects.order_by("name")))
    locked = locked_out_usernames()
    rows = []
    for member in members.order_by("-is_active", "last_name", "first_name", "username"):
        rows.append(
            StaffRow(
                member=member,
                roles=[ROLE_LABELS[g.name] for g in member.groups.all() if g.name in ROLE_LABELS],
                mfa_enrolled=any(getattr(member, f"factor_{i}") for i in range(len(enrolled))),
                locked_out=member.username in locked or member.second_step_locked,
            )
        )
    return rows


def staff_member_row(*, pk: int) -> StaffRow | None:
    member = User.objects.filter(pk=pk).first()
    if member is None:
        return None
    return StaffRow(
        member=member,
        roles=[ROLE_LABELS[r] for r in member.role_names],
        mfa_enrolled=second_factor_enrolled(member),
        locked_out=member.second_step_locked or member.username in locked_out_usernames(),
    )


def active_managers() -> QuerySet[User]:
    # A subquery, not a join: callers lock these rows, and FOR UPDATE refuses DISTINCT.
    in_role = User.groups.through.objects.filter(group__name=MANAGER).values("user_id")
    return User.objects.filter(is_active=True, pk__in=in_role)


def second_factor_required(user: User) -> bool:
    """The rule: a member in a role named by MFA_REQUIRED_ROLES must use a second factor."""
    required = set(settings.MFA_REQUIRED_ROLES)
    return bool(required) and bool(required.intersection(user.role_names))


def second_factor_enrolled(user: User) -> bool:
    """An authenticator app or a passkey; recovery codes alone are only a back-up."""
    return any(m.objects.filter(user=user, confirmed=True).exists() for m in AUTHENTICATOR_MODELS)


def second_factor_devices(user: User) -> list:
    """Devices that pass the second step: authenticators, passkeys and recovery codes."""
    devices: list = []
    for model in AUTHENTICATOR_MODELS:
        devices.extend(model.objects.filter(user=user, confirmed=True))
    devices.extend(RecoveryCodeSet.objects.filter(user=user))
    return devices


def authenticators_of(user: User) -> list[TOTPDevice]:
    return list(TOTPDevice.objects.filter(user=user, confirmed=True).order_by("created_at"))


def passkeys_of(user: User) -> list[WebAuthnCredential]:
    return list(WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at"))


def recovery_codes_left(user: User) -> int | None:
    """How many unused recovery codes the member has; None when they never made any."""
    code_set = RecoveryCodeSet.objects.filter(user=user).first()
    return None if code_set is None else code_set.codes.count()


def api_tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created")
