import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # Rate-limit counters live in the in-process cache; each test starts with none.
    cache.clear()
    yield
    cache.clear()
