import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.treatments.models import Route
from apps.treatments.services import DoseInput, visit_record
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


def an_hour_ago() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=1)


def record(*, by, patient, location, clinician, doses, **extra):
    """A valid visit unless `extra` says otherwise."""
    fields = {
        "visited_at": an_hour_ago(),
        "indication": "Osteoarthritis, knee",
        "consent_recorded": True,
        "consent_form_version": "v3",
    }
    fields.update(extra)
    return visit_record(
        by=by, patient=patient, location=location, clinician=clinician, doses=doses, **fields
    )


def knee_dose(site, lot, billions="4", side="left") -> DoseInput:
    return DoseInput(site=site, lot_id=lot.pk, billions=Decimal(billions), laterality=side)


def _gtin(body: str) -> str:
    """A 14-digit GTIN with its GS1 check digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def vial_code(lot) -> str:
    """The vial label as printed, after giving the lot's product a valid GTIN."""
    product = lot.product
    product.gtin = _gtin(f"0950600{product.pk:06d}")
    product.save()
    return f"(01){product.gtin}(17){lot.expiry_date:%y%m%d}(10){lot.lot_number}"
