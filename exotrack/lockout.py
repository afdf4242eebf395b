"""Sign-in lockout of the account itself, whatever the address (django-axes handler).

AXES_LOCKOUT_PARAMETERS counts failures per (account, address) and per account, but axes
compares both with one limit. A clinic workstation's mistyped password must not lock a
colleague's account everywhere after 5 failures, so the account-wide count has its own,
higher limit (AXES_ACCOUNT_FAILURE_LIMIT)."""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from django.conf import settings
from django.db.models import Sum


class AccountLockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        per_address, per_account = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if per_account >= settings.AXES_ACCOUNT_FAILURE_LIMIT:
            # Reported as reaching the per-address limit, which is what axes compares with.
            return max(per_address, get_failure_limit(request, credentials))
        return per_address
