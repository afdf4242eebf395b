"""Every voidable record is voided the same way: the same permission check, the same
error codes, the same history, and a refusal changes nothing."""

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError

from apps.outcomes.services import assessment_void
from apps.patients.services import patient_void
from apps.safety.services.adverse_events import adverse_event_void
from apps.treatments.services import visit_void
from tests.factories import (
    AdverseEventFactory,
    OutcomeAssessmentFactory,
    PatientFactory,
    VisitFactory,
)

# (service, its record's keyword, factory, history event model)
VOIDABLE = {
    "patient": (patient_void, "patient", PatientFactory, "patients.PatientEvent"),
    "visit": (visit_void, "visit", VisitFactory, "treatments.VisitEvent"),
    "adverse event": (
        adverse_event_void,
        "event",
        AdverseEventFactory,
        "safety.AdverseEventEvent",
    ),
    "assessment": (
        assessment_void,
        "assessment",
        OutcomeAssessmentFactory,
        "outcomes.OutcomeAssessmentEvent",
    ),
}

pytestmark = [pytest.mark.django_db, pytest.mark.parametrize("kind", list(VOIDABLE))]


def _void(kind: str, record, **arguments):
    service, keyword, _, _ = VOIDABLE[kind]
    return service(**{keyword: record}, **arguments)


def _record(kind: str):
    return VOIDABLE[kind][2]()


def _history(kind: str, record) -> list:
    events = apps.get_model(VOIDABLE[kind][3]).objects.filter(pgh_obj_id=record.pk)
    return list(events.order_by("pgh_id"))


def _codes(refusal: pytest.ExceptionInfo) -> dict[str, list[str]]:
    return {
        field: [error.code for error in errors]
        for field, errors in refusal.value.error_dict.items()
    }


def test_a_clinician_voids_with_the_reason_in_the_history(kind, clinician):
    record = _record(kind)
    voided = _void(kind, record, by=clinician, reason="  Entered twice ")
    assert voided.is_voided and voided.voided_by == clinician
    assert voided.void_reason == "Entered twice"
    last = _history(kind, record)[-1]
    assert last.void_reason == "Entered twice"
    assert last.pgh_context.metadata["user"] == clinician.pk


def test_without_the_permission_nothing_changes(kind, front_desk):
    record = _record(kind)
    before = _history(kind, record)
    with pytest.raises(PermissionDenied):
        _void(kind, record, by=front_desk, reason="Entered twice")
    record.refresh_from_db()
    assert not record.is_voided and _history(kind, record) == before


def test_a_reason_is_required(kind, clinician):
    record = _record(kind)
    with pytest.raises(ValidationError) as refusal:
        _void(kind, record, by=clinician, reason=" ")
    assert _codes(refusal) == {"reason": ["required"]}
    record.refresh_from_db()
    assert not record.is_voided


def test_voiding_twice_is_refused_and_keeps_the_first_reason(kind, clinician):
    record = _record(kind)
    _void(kind, record, by=clinician, reason="Entered twice")
    with pytest.raises(ValidationError) as refusal:
        _void(kind, record, by=clinician, reason="Again")
    assert _codes(refusal) == {"reason": ["already_voided"]}
    record.refresh_from_db()
    assert record.void_reason == "Entered twice"
