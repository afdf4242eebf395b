"""A small clinic with one record of every type served over FHIR, and the R4 validator."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.clinic.models import ClinicProfile
from apps.patients.models import Patient
from apps.safety.models import AdverseEvent, MedicationFlag
from apps.treatments.models import Dose, Visit
from tests.factories import (
    AdverseEventFactory,
    DoseFactory,
    LocationFactory,
    LotFactory,
    MedicationFlagFactory,
    OutcomeAssessmentFactory,
    PatientFactory,
    TreatmentSiteFactory,
    VisitFactory,
)


@dataclass
class Clinic:
    patient: Patient
    visit: Visit
    knee: Dose
    face: Dose
    event: AdverseEvent
    flag: MedicationFlag
    assessment_id: int


@pytest.fixture
def clinic(clinician) -> Clinic:
    ClinicProfile.objects.update_or_create(pk=1, defaults={"name": "Bayview Regenerative"})
    patient = PatientFactory(first_name="Ada", last_name="Lovelace")
    visit = VisitFactory(
        patient=patient,
        clinician=clinician,
        location=LocationFactory(name="Bayview", address="1 Harbour Road"),
        visited_at=timezone.now() - datetime.timedelta(days=50),
    )
    knee = DoseFactory(visit=visit, billions=Decimal("4.50"))
    face = DoseFactory(
        visit=visit,
        site=TreatmentSiteFactory(name="Face", category="face", laterality_applies=False),
        laterality="na",
        route="intradermal",
        lot=LotFactory(product__gtin=None),
        billions=Decimal("2"),
    )
    event = AdverseEventFactory(
        visit=visit,
        grade=3,
        seriousness=["hospitalisation"],
        outcome="recovering",
        causality="possible",
        narrative="Admitted overnight.",
        doses=[knee],
    )
    flag = MedicationFlagFactory(medication__patient=patient)
    assessment = OutcomeAssessmentFactory(
        dose=knee,
        pain=3,
        pgic=2,
        percent_better=40,
        region_instrument="koos",
        region_score=Decimal("71.5"),
    )
    return Clinic(patient, visit, knee, face, event, flag, assessment.pk)
