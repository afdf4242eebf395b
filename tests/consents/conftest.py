"""Consent fixtures: a private file store per test, fresh rate counters, a published form,
drawn signatures."""

import pytest
from django.core.cache import cache

from apps.consents.models import ConsentVersion
from apps.consents.services import consent_form_create
from tests.builders import BODY, drawn_signature
from tests.factories import PatientFactory, ProductFactory, UserFactory


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    """The remote-signing link counts requests in the cache: each test starts at zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def signature() -> str:
    return drawn_signature()


@pytest.fixture
def consent_version(db) -> ConsentVersion:
    author = UserFactory(role="manager")
    return consent_form_create(
        title="Knee and face exosome treatment",
        body=BODY,
        site_categories=["joint", "face"],
        by=author,
    )


@pytest.fixture
def patient(db):
    return PatientFactory(first_name="Ada", last_name="Lovelace", email="ada@example.com")


@pytest.fixture
def product(db):
    return ProductFactory(name="ExoVial 100", regulatory_status="Investigational, IND 012345")
