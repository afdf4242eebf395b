"""Photo fixtures: a private file store per test, a visit with a treated site, and
uploads built in memory (a phone photo with GPS, a bomb, a polyglot ...)."""

import pytest

from apps.consents.models import PhotoUse
from apps.consents.services import consent_form_create, consent_sign
from tests.builders import BODY, drawn_signature
from tests.factories import DoseFactory, PatientFactory, UserFactory, VisitFactory


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def patient(db):
    return PatientFactory(first_name="Grace", last_name="Hopper")


@pytest.fixture
def dose(patient):
    return DoseFactory(visit=VisitFactory(patient=patient))


@pytest.fixture
def photo_consent(patient, nurse):
    version = consent_form_create(
        title="Knee treatment",
        body=BODY,
        site_categories=["joint"],
        by=UserFactory(role="manager"),
    )
    return consent_sign(
        patient=patient,
        version=version,
        product=None,
        signed_name="Grace Hopper",
        signature=drawn_signature(),
        photo_use=PhotoUse.RECORD,
        by=nurse,
    )
