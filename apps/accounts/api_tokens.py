"""API sign-in with personal tokens (django-rest-knox: hashed, expiring), recording
each token's last use, logging failures and refusing an address that keeps failing."""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from knox.auth import TokenAuthentication
from rest_framework import exceptions

from apps.accounts.client_ip import client_ip
from apps.accounts.models import ApiToken
from apps.accounts.rate_limits import rate_limit_hit, rate_limit_reached

logger = logging.getLogger("apps.accounts.api_tokens")

# A token in steady use writes its last use at most this often.
_LAST_USE_RESOLUTION = timedelta(minutes=1)


class ApiTokenAuthentication(TokenAuthentication):
    def authenticate(self, request):
        address = client_ip(request) or "unknown"
        key = f"token-failure:{address}"
        limit = settings.API_TOKEN_FAILURES_PER_HOUR
        if request.headers.get("Authorization") and rate_limit_reached(key=key, limit=limit):
            logger.warning("API token refused: too many failed token uses from %s", address)
            raise exceptions.Throttled(detail="Too many failed token uses. Try again later.")
        try:
            found = super().authenticate(request)
        except exceptions.AuthenticationFailed:
            rate_limit_hit(key=key, limit=limit)
            logger.warning("API token refused from %s %s", address, request.path)
            raise
        if found is not None:
            _record_use(found[1])
        return found


def _record_use(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= _LAST_USE_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
