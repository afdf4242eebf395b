"""Hourly counters in the cache, for requests that an attacker would repeat: forgotten
password requests, token creation and failed token use."""

from django.core.cache import cache

_HOUR = 3600


def rate_limit_hit(*, key: str, limit: int) -> bool:
    """Count one request under `key`; True when this hour's count is past `limit`."""
    cache_key = f"accounts-rate:{key}"
    cache.add(cache_key, 0, timeout=_HOUR)
    try:
        count = cache.incr(cache_key)
    except ValueError:
        # The counter expired between add and incr: this request starts a new hour.
        cache.set(cache_key, 1, timeout=_HOUR)
        count = 1
    return count > limit


def rate_limit_reached(*, key: str, limit: int) -> bool:
    """True when `key` is already past `limit` this hour, without counting."""
    return (cache.get(f"accounts-rate:{key}") or 0) >= limit
