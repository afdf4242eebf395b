"""The team, run by its managers: invitations, roles, deactivation, password links,
lockouts and sessions. Each action leaves a history row (pghistory context names the
manager) and an access-log entry."""

import logging
import smtplib
from typing import Any

import pghistory
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from apps.accounts.models import ApiToken, RecoveryCodeSet, User
from apps.accounts.rate_limits import rate_limit_hit
from apps.accounts.selectors import AUTHENTICATOR_MODELS, active_managers
from apps.audit.models import AccessLog
from apps.audit.services import access_log_record
from exotrack.emails import email_message
from exotrack.roles import MANAGER, ROLE_PERMISSIONS

logger = logging.getLogger(__name__)


def _can_manage(by: User) -> None:
    if not by.has_perm("accounts.manage_staff"):
        raise PermissionDenied("Only a clinic manager can change staff accounts.")


def _log(*, by: User, member: User, action: str, detail: dict[str, Any] | None = None) -> None:
    access_log_record(
        user=by,
        action=AccessLog.Action.ACCOUNT,
        subject=f"staff:{action}",
        object_id=member.pk,
        detail={"member": member.username, **(detail or {})},
    )


def _check_roles(roles: list[str]) -> list[Group]:
    unknown = [r for r in roles if r not in ROLE_PERMISSIONS]
    if unknown or not roles:
        raise ValidationError({"roles": "Choose at least one role from the list."})
    return list(Group.objects.filter(name__in=roles))


def set_password_link(member: User) -> str:
    """The one-use link to set a password: it depends on the password hash and the last
    sign-in, so it stops working once used, and expires after STAFF_SET_PASSWORD_LINK_HOURS."""
    path = reverse(
        "password-set",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(member.pk)),
            "token": default_token_generator.make_token(member),
        },
    )
    return f"{settings.SITE_URL}{path}"


def _send_set_password_email(*, member: User, template: str) -> bool:
    message = email_message(
        template=template,
        context={
            "member": member,
            "link": set_password_link(member),
            "hours": settings.STAFF_SET_PASSWORD_LINK_HOURS,
            "site_url": settings.SITE_URL,
        },
        to=[member.email],
    )
    try:
        message.send()
    except (smtplib.SMTPException, OSError):
        logger.exception("Set-password e-mail to member %s not sent", member.pk)
        return False
    return True


def staff_invite(
    *,
    by: User,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
) -> tuple[User, bool]:
    """Add a member with no password and e-mail them a link to set one. Returns the
    member and whether the e-mail went out (if not, "Send password link" again)."""
    _can_manage(by)
    groups = _check_roles([role])
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "Someone already signs in with this username."})
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "A staff account already uses this e-mail address."})
    with transaction.atomic(), pghistory.context(user=by.pk, action="staff.invite"):
        member = User(username=username, first_name=first_name, last_name=last_name, email=email)
        member.set_unusable_password()
        member.full_clean()
        member.save()
        member.groups.set(groups)
        _log(by=by, member=member, action="invite", detail={"roles": [role]})
    return member, _send_set_password_email(member=member, template="accounts/email/invitation")


def staff_roles_change(*, by: User, member: User, roles: list[str]) -> User:
    _can_manage(by)
    groups = _check_roles(roles)
    before = sorted(member.role_names)
    losing_manager = MANAGER in before and MANAGER not in roles
    if losing_manager and member.pk == by.pk:
        raise ValidationError({"roles": "You cannot remove your own manager role."})
    with transaction.atomic(), pghistory.context(user=by.pk, action="staff.roles"):
        if losing_manager:
            _keep_a_manager(member)
        # Groups outside the role table (none today) are left as they are.
        kept = list(member.groups.exclude(name__in=ROLE_PERMISSIONS))
        member.groups.set([*kept, *groups])
        _log(
            by=by, member=member, action="roles", detail={"before": before, "after": sorted(roles)}
        )
    return member


def _keep_a_manager(member: User) -> None:
    # Row locks on the managers, so two managers removing each other cannot both pass.
    managers = set(active_managers().select_for_update().values_list("pk", flat=True))
    if managers <= {member.pk}:
        raise ValidationError("The clinic needs at least one active manager.")


def staff_deactivate(*, by: User, member: User) -> User:
    """Never deleted (records keep naming them); sessions and tokens stop at once."""
    _can_manage(by)
    with transaction.atomic(), pghistory.context(user=by.pk, action="staff.deactivate"):
        if MANAGER in member.role_names:
            _keep_a_manager(member)
        User.objects.filter(pk=member.pk).update(
            is_active=False, session_generation=F("session_generation") + 1
        )
        revoked = ApiToken.objects.filter(user=member).delete()[0]
        _log(by=by, member=member, action="deactivate", detail={"tokens_revoked": revoked})
    member.refresh_from_db()
    return member


def staff_reactivate(*, by: User, member: User) -> User:
    _can_manage(by)
    with transaction.atomic(), pghistory.context(user=by.pk, action="staff.reactivate"):
        User.objects.filter(pk=member.pk).update(is_active=True)
        _log(by=by, member=member, action="reactivate")
    member.refresh_from_db()
    return member


def staff_password_link_send(*, by: User, member: User) -> bool:
    """E-mail the member a set-password link; no manager ever sees their password."""
    _can_manage(by)
    if not member.is_active:
        raise ValidationError("Reactivate the account before sending a password link.")
    if not member.email:
        raise ValidationError("This member has no e-mail address.")
    _log(by=by, member=member, action="password-link")
    return _send_set_password_email(member=member, template="accounts/email/password_reset")


def staff_lockout_lift(*, by: User, member: User) -> int:
    """Clear failed password sign-ins (django-axes) and the second-step lock."""
    _can_manage(by)
    with transaction.atomic(), pghistory.context(user=by.pk, action="staff.lockout-lift"):
        cleared = axes_reset(username=member.username)
        User.objects.filter(pk=member.pk).update(
            second_step_failures=0, second_step_locked_until=None
        )
        _log(by=by, member=member, action="lockout-lift", detail={"attempts_cleared": cleared})
    member.refresh_from_db()
    return cleared


def second_factor_remove_all(*, member: User) -> int:
    """Every authenticator, passkey and recovery code of the member; returns how many."""
    models = [*AUTHENTICATOR_MODELS, RecoveryCodeSet]
    return sum(
        model.objects.filter(user=member).delete()[1].get(model._meta.label, 0) for model in models
    )


def staff_second_factor_reset(*, by: User, member: User) -> int:
    """The member enrols again at their next sign-in; their sessions end now."""
    _can_manage(by)
    with transaction.atomic(), pghistory.context(user=by.pk, action="staff.second-factor-reset"):
        removed = second_factor_remove_all(member=member)
        User.objects.filter(pk=member.pk).update(session_generation=F("session_generation") + 1)
        _log(by=by, member=member, action="second-factor-reset", detail={"devices": removed})
    member.refresh_from_db()
    return removed


def staff_sign_out_everywhere(*, by: User, member: User) -> User:
    _can_manage(by)
    with transaction.atomic(), pghistory.context(user=by.pk, action="staff.sign-out"):
        User.objects.filter(pk=member.pk).update(session_generation=F("session_generation") + 1)
        _log(by=by, member=member, action="sign-out-everywhere")
    member.refresh_from_db()
    return member


def password_reset_request(*, email: str, client_address: str) -> bool:
    """Forgotten password: e-mail a set-password link to the active member with this
    address, if any. The caller answers the same either way. Returns False when this
    address or computer asked too often this hour (then nothing is sent)."""
    limit = settings.STAFF_PASSWORD_RESET_REQUESTS_PER_HOUR
    typed = email.strip().lower()
    if rate_limit_hit(key=f"reset-ip:{client_address}", limit=limit) or rate_limit_hit(
        key=f"reset-email:{typed}", limit=limit
    ):
        logger.warning("Password reset requests refused from %s: too many", client_address)
        return False
    for member in User.objects.filter(email__iexact=typed, is_active=True):
        _send_set_password_email(member=member, template="accounts/email/password_reset")
    return True


@transaction.atomic
def staff_user_seed(
    *,
    username: str,
    role: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> tuple[User, bool]:
    """Add a staff account in one role unless the username exists (its password and
    roles may have been changed since). Returns the user and whether it was created now."""
    if role not in ROLE_PERMISSIONS:
        known = ", ".join(sorted(ROLE_PERMISSIONS))
        raise ValidationError({"role": f"Unknown role {role!r}; roles are {known}."})
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing, False
    user = User(username=username, first_name=first_name, last_name=last_name, email=email)
    user.set_password(password)
    user.full_clean()
    user.save()
    user.groups.add(Group.objects.get(name=role))
    return user, True


def manager_recover(*, member: User, operator: str, send_password_link: bool) -> int:
    """For the server's operator when no manager can pass the second step (the last one
    lost their phone): remove that manager's second factor and lift their lockouts, so
    they enrol again at their next sign-in. Logged with the operator's name, since no
    staff member did it. Returns how many devices were removed."""
    if not member.is_active or MANAGER not in member.role_names:
        raise ValidationError(f"{member.username} is not an active clinic manager.")
    with transaction.atomic(), pghistory.context(source="manage.py", operator=operator):
        removed = second_factor_remove_all(member=member)
        axes_reset(username=member.username)
        User.objects.filter(pk=member.pk).update(
            second_step_failures=0,
            second_step_locked_until=None,
            session_generation=F("session_generation") + 1,
        )
        _log(
            by=member,
            member=member,
            action="manager-recovery",
            detail={"operator": operator, "devices_removed": removed},
        )
    logger.warning(
        "Manager %s recovered by %s from the command line: %s devices removed",
        member.username,
        operator,
        removed,
    )
    if send_password_link:
        _send_set_password_email(member=member, template="accounts/email/password_reset")
    return removed
