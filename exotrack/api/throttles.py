"""API request budgets (REST_FRAMEWORK's DEFAULT_THROTTLE_RATES), counted in the shared
cache: one per signed-in account, and one per client address whoever calls from it, so
neither many tokens from one machine nor one account from many machines escapes a limit.

Rates are read on every request rather than once at import, so a changed setting (a test's
`settings` fixture included) applies at once."""

from typing import cast

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle


class AccountRateThrottle(UserRateThrottle):
    scope = "account"

    def get_rate(self) -> str | None:
        return cast("str | None", api_settings.DEFAULT_THROTTLE_RATES.get(self.scope))


class AddressRateThrottle(SimpleRateThrottle):
    scope = "address"

    def get_rate(self) -> str | None:
        return cast("str | None", api_settings.DEFAULT_THROTTLE_RATES.get(self.scope))

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
