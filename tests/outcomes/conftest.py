"""An episode at every stage: a knee treated a given number of days ago."""

import datetime

import pytest
from django.utils import timezone

from tests.factories import DoseFactory, TreatmentSiteFactory, VisitFactory


def treated(days_ago: int, *, baseline_pain: int | None = 6, site=None, patient=None):
    """A dose given `days_ago` clinic days ago (at 10:00 clinic time)."""
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    visited_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))
    visit = VisitFactory(visited_at=visited_at, **({"patient": patient} if patient else {}))
    return DoseFactory(
        visit=visit, site=site or TreatmentSiteFactory(), baseline_pain=baseline_pain
    )


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
