"""Report tests start with an empty cache of slow figures; the clinic they export is the
`known_clinic` fixture of tests/known_clinic.py."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _forget_kept_figures():
    """Slow figures are kept in the cache; every test starts without them."""
    cache.clear()
    yield
    cache.clear()
