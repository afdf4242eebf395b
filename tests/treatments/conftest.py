from decimal import Decimal

import pytest

from apps.treatments.models import Route
from tests.factories import LocationFactory, LotFactory, PatientFactory, TreatmentSiteFactory


@pytest.fixture
def location(db):
    return LocationFactory(name="Main clinic")


@pytest.fixture
def knee(db):
    return TreatmentSiteFactory()  # 3-5 bn, intra-articular, left/right applies


@pytest.fixture
def face(db):
    return TreatmentSiteFactory(
        name="Face",
        category="face",
        dose_min_billions=Decimal("2"),
        dose_max_billions=Decimal("3"),
        default_route=Route.INTRADERMAL,
        laterality_applies=False,
    )


@pytest.fixture
def lot(db):
    return LotFactory(vials_received=10, labelled_billions_per_vial=Decimal("5"))


@pytest.fixture
def patient(db):
    return PatientFactory(first_name="Ada", last_name="Lovelace")
