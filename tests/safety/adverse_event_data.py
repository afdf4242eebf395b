"""Shared rows for the adverse-event tests: the seeded types, a treated visit with two
doses from two lots, and a helper that records a valid event unless told otherwise."""

import datetime
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from apps.followups.models import SelfReport
from apps.safety.models import AdverseEventType
from apps.safety.services.adverse_events import adverse_event_record, adverse_event_type_seed
from config.celery import app as celery_app
from tests.factories import (
    ClinicProfileFactory,
    DoseFactory,
    FollowUpFactory,
    LotFactory,
    PatientFactory,
    TreatmentSiteFactory,
    VisitFactory,
)

SAFETY_CONTACT = "safety@clinic.test"


def seed_event_types() -> dict[str, AdverseEventType]:
    path = Path(settings.BASE_DIR) / "seeds" / "adverse_event_types.toml"
    entries = tomllib.loads(path.read_text(encoding="utf-8"))["types"]
    return {entry["code"]: adverse_event_type_seed(**entry)[0] for entry in entries}


@pytest.fixture
def event_types(db) -> dict[str, AdverseEventType]:
    return seed_event_types()


@pytest.fixture
def treated_visit(db, clinician):
    """Three days ago: left knee from one lot, face from another."""
    patient = PatientFactory(first_name="Ada", last_name="Lovelace", cold_sore_history=True)
    visit = VisitFactory(
        patient=patient,
        clinician=clinician,
        visited_at=timezone.now() - datetime.timedelta(days=3),
    )
    DoseFactory(visit=visit, lot=LotFactory(lot_number="KNEE-1"))
    DoseFactory(
        visit=visit,
        lot=LotFactory(lot_number="FACE-1"),
        site=TreatmentSiteFactory(name="Face", category="face", laterality_applies=False),
        laterality="na",
        billions=Decimal("2.5"),
    )
    return visit


@pytest.fixture
def safety_contact(db) -> str:
    ClinicProfileFactory(name="Lakeside Clinic", safety_contact_email=SAFETY_CONTACT)
    return SAFETY_CONTACT


@pytest.fixture
def eager_tasks():
    """Tasks run in this process when sent (after commit), through the test's mail outbox."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_eager_propagates = False


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def record_event(*, by, visit, event_type, **extra):
    """A valid, non-serious event on the visit's first dose unless `extra` says otherwise."""
    fields = {
        "patient": visit.patient,
        "doses": [visit.doses.order_by("id").first()],
        "onset_date": days_ago(2),
        "grade": 1,
    }
    fields.update(extra)
    return adverse_event_record(by=by, visit=visit, event_type=event_type, **fields)


SERIOUS = {
    "seriousness": ["hospitalisation"],
    "grade": 3,
    "narrative": "Admitted overnight for IV antibiotics; discharged the next day.",
}


def cold_sore_and_serious_infection(by, visit, types) -> tuple:
    """Two events to filter: a grade-1 cold sore on the face dose two days ago, and a
    serious grade-3 infection of the knee dose yesterday."""
    knee, face = visit.doses.order_by("id")
    cold_sore = record_event(by=by, visit=visit, event_type=types["cold_sore"], doses=[face])
    infection = record_event(
        by=by,
        visit=visit,
        event_type=types["injection_site_infection"],
        doses=[knee],
        onset_date=days_ago(1),
        **SERIOUS,
    )
    return cold_sore, infection


def waiting_report(patient, **answers) -> SelfReport:
    """A patient's self-report waiting for review; answers default to a cold sore only."""
    symptoms = {"cold_sore": True, "wound_signs": False, "fever": False, "dizziness": False}
    return SelfReport.objects.create(
        follow_up=FollowUpFactory(patient=patient, visit=None),
        patient=patient,
        submitted_at=timezone.now(),
        review=SelfReport.Review.WAITING,
        **{**symptoms, **answers},
    )
