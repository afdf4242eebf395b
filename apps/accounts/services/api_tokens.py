"""Personal API tokens: created in the staff UI by a member who passed the second step
(when one applies to them), shown once, stored hashed (django-rest-knox), revoked by
their owner or a manager."""

import datetime
import logging

import pghistory
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from apps.accounts.models import ApiToken, User
from apps.accounts.rate_limits import rate_limit_hit
from apps.accounts.selectors import second_factor_enrolled, second_factor_required
from apps.audit.models import AccessLog
from apps.audit.services import access_log_record

logger = logging.getLogger(__name__)


def api_token_create(
    *, by: User, name: str, days: int, second_factor_passed: bool
) -> tuple[ApiToken, str]:
    """Make a token for `by`; returns the row and the token text, which is never kept.
    `second_factor_passed`: whether this session passed the second sign-in step."""
    if (second_factor_required(by) or second_factor_enrolled(by)) and not second_factor_passed:
        raise PermissionDenied("Sign in with your second factor before making an API token.")
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the token a name, e.g. what uses it."})
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ValidationError(
            {"days": f"A token lasts from 1 to {settings.API_TOKEN_MAX_DAYS} days."}
        )
    if rate_limit_hit(key=f"token-create:{by.pk}", limit=settings.API_TOKEN_CREATIONS_PER_HOUR):
        logger.warning("API token creation refused for member %s: too many this hour", by.pk)
        raise ValidationError("You made many tokens this hour. Try again later.")
    with transaction.atomic(), pghistory.context(user=by.pk, action="token.create"):
        token, text = ApiToken.objects.create(
            user=by, expiry=datetime.timedelta(days=days), name=name
        )
        access_log_record(
            user=by,
            action=AccessLog.Action.ACCOUNT,
            subject="token:create",
            object_id=by.pk,
            detail={"name": name, "days": days},
        )
    logger.info("API token %r made by member %s for %s days", name, by.pk, days)
    return token, text


def api_token_revoke(*, by: User, digest: str) -> None:
    """Revoke a token (named by its hash): its owner, or a manager for anyone's."""
    token = ApiToken.objects.select_related("user").filter(digest=digest).first()
    if token is None or (token.user_id != by.pk and not by.has_perm("accounts.manage_staff")):
        raise ValidationError("No such token.")
    with transaction.atomic(), pghistory.context(user=by.pk, action="token.revoke"):
        token.delete()
        access_log_record(
            user=by,
            action=AccessLog.Action.ACCOUNT,
            subject="token:revoke",
            object_id=token.user_id,
            detail={"name": token.name, "owner": token.user.username},
        )
