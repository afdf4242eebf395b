"""An episode at every stage: a knee treated a given number of days ago."""

import pytest

from tests.builders import treated
from tests.factories import TreatmentSiteFactory


@pytest.fixture
def episode(db):
    """A knee treated 42 days ago, baseline pain 6."""
    return treated(42)


@pytest.fixture
def shoulder(db):
    return TreatmentSiteFactory(name="Shoulder")


@pytest.fixture
def face(db):
    return TreatmentSiteFactory(name="Face", category="face", laterality_applies=False)


@pytest.fixture
def hip(db):
    return TreatmentSiteFactory(name="Hip")
