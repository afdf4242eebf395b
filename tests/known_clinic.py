"""A small clinic with known outcomes, events and follow-ups, exported in exact CSV by the
report tests and shown by the browser test of the reports page. Registered as a plugin
from tests/conftest.py, so both directories get the same `known_clinic` fixture."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.followups.models import FollowUp, ReminderDelivery
from apps.patients.models import Patient
from apps.treatments.models import Dose, TreatmentSite, Visit
from tests.builders import local
from tests.factories import (
    AdverseEventFactory,
    AdverseEventTypeFactory,
    DoseFactory,
    FollowUpFactory,
    FollowUpRuleFactory,
    LocationFactory,
    LotFactory,
    ManufacturerFactory,
    OutcomeAssessmentFactory,
    PatientFactory,
    ProductFactory,
    TreatmentSiteFactory,
    VisitFactory,
)


@dataclass
class KnownClinic:
    patient: Patient
    other_patient: Patient
    visit: Visit
    knee: Dose
    face: Dose
    other_dose: Dose
    voided_visit: Visit


@pytest.fixture
def known_clinic(clinician) -> KnownClinic:
    maker = ManufacturerFactory(name="Kimera Labs")
    product = ProductFactory(manufacturer=maker, name="XoGlo 5")
    other_product = ProductFactory(manufacturer=maker, name="XoGlo 10")
    lot = LotFactory(product=product, lot_number="XG-100")
    other_lot = LotFactory(product=other_product, lot_number="XG-200")
    knee = TreatmentSiteFactory(name="Knee")
    face = TreatmentSiteFactory(
        name="Face",
        category=TreatmentSite.Category.FACE,
        dose_min_billions=Decimal("2"),
        dose_max_billions=Decimal("3"),
        laterality_applies=False,
    )
    room = LocationFactory(name="Main room")
    ada = PatientFactory(
        first_name="Ada",
        last_name="Lovelace",
        date_of_birth=datetime.date(1980, 3, 15),
        email="ada.lovelace@example.com",
        phone="+1 555 0142",
    )
    visit = VisitFactory(
        patient=ada,
        visited_at=local(datetime.date(2026, 1, 10)),
        location=room,
        clinician=clinician,
    )
    knee_dose = DoseFactory(visit=visit, site=knee, lot=lot, billions=Decimal("4"), baseline_pain=8)
    face_dose = DoseFactory(
        visit=visit,
        site=face,
        lot=lot,
        billions=Decimal("2.5"),
        laterality="na",
        route="intradermal",
    )
    OutcomeAssessmentFactory(
        dose=knee_dose,
        assessed_on=datetime.date(2026, 1, 24),
        timepoint="2w",
        pain=6,
        pgic=3,
        percent_better=20,
    )
    OutcomeAssessmentFactory(
        dose=knee_dose,
        assessed_on=datetime.date(2026, 2, 21),
        timepoint="6w",
        pain=4,
        pgic=2,
        percent_better=50,
        notes="Walks the dog again",
    )
    # A mistaken entry, voided: never counted.
    OutcomeAssessmentFactory(
        dose=knee_dose,
        assessed_on=datetime.date(2026, 4, 11),
        timepoint="3m",
        pain=9,
        voided_at=timezone.now(),
        void_reason="Wrong patient",
    )
    AdverseEventFactory(
        visit=visit,
        event_type=AdverseEventTypeFactory(),
        onset_date=datetime.date(2026, 1, 12),
        resolution_date=datetime.date(2026, 1, 20),
        description="Lip blister",
        narrative="Called the clinic on day 2",
        doses=[knee_dose],
    )
    grace = FollowUpRuleFactory()
    done = FollowUpFactory(
        visit=visit,
        rule=grace,
        due_on=datetime.date(2026, 1, 13),
        status=FollowUp.Status.COMPLETED,
        completed_at=local(datetime.date(2026, 1, 14), 15),
        reminders_sent=1,
    )
    ReminderDelivery.objects.create(
        follow_up=done,
        attempted_at=local(datetime.date(2026, 1, 13), 9),
        status=ReminderDelivery.Status.SENT,
        to_address=ada.email,
        reminder_number=1,
    )
    FollowUpFactory(
        visit=visit,
        rule=FollowUpRuleFactory(code="outcome_week_6", name="Outcome at 6 weeks", offset_days=42),
        due_on=datetime.date(2026, 2, 21),
    )
    grace_patient = PatientFactory(
        first_name="Grace",
        last_name="Hopper",
        date_of_birth=datetime.date(1956, 12, 9),
        sex=Patient.Sex.FEMALE,
    )
    other_visit = VisitFactory(
        patient=grace_patient,
        visited_at=local(datetime.date(2026, 3, 2)),
        location=LocationFactory(name="Annex"),
        clinician=clinician,
    )
    other_dose = DoseFactory(
        visit=other_visit, site=knee, lot=other_lot, billions=Decimal("5"), baseline_pain=3
    )
    OutcomeAssessmentFactory(
        dose=other_dose, assessed_on=datetime.date(2026, 4, 13), timepoint="6w", pain=2
    )
    voided = VisitFactory(
        patient=grace_patient,
        visited_at=local(datetime.date(2026, 3, 3)),
        voided_at=timezone.now(),
        void_reason="Recorded twice",
        clinician=clinician,
    )
    DoseFactory(visit=voided, site=knee, lot=other_lot, billions=Decimal("5"), baseline_pain=9)
    return KnownClinic(
        patient=ada,
        other_patient=grace_patient,
        visit=visit,
        knee=knee_dose,
        face=face_dose,
        other_dose=other_dose,
        voided_visit=voided,
    )
