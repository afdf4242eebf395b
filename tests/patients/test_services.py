"""Registering, changing and voiding patients; adding and stopping medications."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.patients.models import Patient, PatientEvent
from apps.patients.services import (
    PossibleDuplicate,
    RegistrationsRefused,
    medication_add,
    medication_stop,
    patient_register,
    patient_register_many,
    patient_update,
    patient_void,
)
from tests.factories import MedicationClassFactory, MedicationFactory, PatientFactory

BORN = datetime.date(1970, 5, 17)


def _register(user, **extra):
    fields = {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": BORN, **extra}
    return patient_register(by=user, **fields)


def test_registration_gives_a_sequential_mrn_and_remembers_who(front_desk):
    first = _register(front_desk)
    second = _register(front_desk, first_name="Grace", last_name="Hopper")
    assert first.mrn.startswith("EX") and len(first.mrn) == 9
    assert int(second.mrn[2:]) == int(first.mrn[2:]) + 1
    assert first.created_by == front_desk


def test_consent_dates_follow_the_tick_box(front_desk):
    patient = _register(front_desk, email="ada@example.com", email_consent=True)
    assert patient.email_consent_given_at is not None
    assert patient.email_consent_withdrawn_at is None

    patient = patient_update(by=front_desk, patient=patient, email_consent=False)
    assert patient.email_consent_withdrawn_at is not None
    given = patient.email_consent_given_at

    patient = patient_update(by=front_desk, patient=patient, phone="+1 555 0199")
    assert patient.email_consent_given_at == given  # unchanged box, unchanged dates

    patient = patient_update(by=front_desk, patient=patient, email_consent=True)
    assert patient.email_consent_given_at > given
    assert patient.email_consent_withdrawn_at is None


def test_no_consent_no_dates(front_desk):
    patient = _register(front_desk, email_consent=False)
    assert patient.email_consent_given_at is None


def test_same_name_and_birth_date_warns_before_saving(front_desk):
    existing = _register(front_desk)
    with pytest.raises(PossibleDuplicate) as warning:
        _register(front_desk, first_name=" ada ", last_name="LOVELACE")
    assert warning.value.matches == [existing]
    assert existing.mrn in str(warning.value)
    assert Patient.objects.count() == 1


def test_confirmed_duplicate_is_registered(front_desk):
    _register(front_desk)
    again = _register(front_desk, confirm_duplicate=True)
    assert Patient.objects.count() == 2 and again.pk


def test_voided_patient_is_not_a_duplicate(front_desk, clinician):
    existing = _register(front_desk)
    patient_void(by=clinician, patient=existing, reason="Test record")
    assert _register(front_desk).pk != existing.pk


def test_bad_input_saves_nothing(front_desk):
    with pytest.raises(ValidationError) as error:
        _register(front_desk, email="not-an-address")
    assert "email" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        _register(front_desk, date_of_birth=timezone.localdate() + datetime.timedelta(days=1))
    assert "date_of_birth" in error.value.message_dict
    assert not Patient.objects.exists()


def test_a_birth_date_more_than_120_years_back_is_refused(front_desk):
    too_old = timezone.localdate().replace(year=timezone.localdate().year - 121)
    with pytest.raises(ValidationError) as error:
        _register(front_desk, date_of_birth=too_old)
    assert error.value.error_dict["date_of_birth"][0].code == "date_out_of_range"
    assert not Patient.objects.exists()


def test_reminder_consent_needs_an_address(front_desk):
    with pytest.raises(ValidationError) as error:
        _register(front_desk, email="", email_consent=True)
    assert error.value.error_dict["email"][0].code == "consent_without_email"
    assert not Patient.objects.exists()
    patient = _register(front_desk, email="ada@example.com", email_consent=True)
    with pytest.raises(ValidationError):
        patient_update(by=front_desk, patient=patient, email="")
    patient.refresh_from_db()
    assert patient.email == "ada@example.com"


def test_front_desk_may_not_set_clinical_fields(front_desk):
    with pytest.raises(PermissionDenied):
        _register(front_desk, allergies="Penicillin")
    patient = PatientFactory()
    with pytest.raises(PermissionDenied):
        patient_update(by=front_desk, patient=patient, immunocompromised=True)
    patient.refresh_from_db()
    assert patient.immunocompromised is False


def test_clinician_records_the_risk_profile(clinician):
    patient = _register(clinician, immunocompromised=True, immunocompromised_note="On rituximab")
    patient = patient_update(by=clinician, patient=patient, cold_sore_history=True)
    assert patient.immunocompromised and patient.cold_sore_history


def test_void_needs_a_reason_and_keeps_the_row(clinician):
    patient = PatientFactory()
    with pytest.raises(ValidationError):
        patient_void(by=clinician, patient=patient, reason="  ")
    voided = patient_void(by=clinician, patient=patient, reason="Registered twice")
    assert voided.is_voided and voided.voided_by == clinician
    assert Patient.objects.filter(pk=patient.pk).exists()
    with pytest.raises(ValidationError):
        patient_void(by=clinician, patient=voided, reason="again")
    with pytest.raises(ValidationError):
        patient_update(by=clinician, patient=voided, phone="1")


def test_many_are_registered_by_the_same_rules_all_or_none(front_desk):
    existing = _register(front_desk)
    people = [
        {"first_name": "Grace", "last_name": "Hopper", "date_of_birth": BORN},
        {"first_name": " ADA", "last_name": "lovelace", "date_of_birth": BORN},
        {"first_name": "Kid", "last_name": "Future", "date_of_birth": datetime.date(2090, 1, 1)},
        {"first_name": "grace ", "last_name": "HOPPER", "date_of_birth": BORN},
        {"first_name": "Alan", "last_name": "Turing", "email_consent": True, "date_of_birth": BORN},
    ]
    with pytest.raises(RegistrationsRefused) as refused:
        patient_register_many(by=front_desk, people=people)
    refusals = refused.value.refusals
    assert sorted(refusals) == [1, 2, 3, 4]
    assert isinstance(refusals[1], PossibleDuplicate) and refusals[1].matches == [existing]
    assert "date_of_birth" in refusals[2].message_dict
    assert "same name and date of birth" in refusals[3].messages[0]
    assert "email" in refusals[4].message_dict
    assert Patient.objects.count() == 1

    grace, alan = patient_register_many(
        by=front_desk,
        people=[people[0], {**people[4], "email": "alan@example.com"}],
    )
    assert int(alan.mrn[2:]) == int(grace.mrn[2:]) + 1
    assert alan.email_consent_given_at is not None
    events = PatientEvent.objects.filter(pgh_obj__in=[grace, alan])
    assert [e.pgh_context.metadata["user"] for e in events] == [front_desk.pk] * 2


def test_writes_name_their_actor_in_the_history(clinician):
    patient = _register(clinician)
    patient_update(by=clinician, patient=patient, phone="+1 555 0123")
    events = PatientEvent.objects.filter(pgh_obj=patient).order_by("pgh_id")
    assert [e.pgh_label for e in events] == ["insert", "update"]
    assert all(e.pgh_context.metadata["user"] == clinician.pk for e in events)


def test_medication_add_and_stop(clinician):
    patient = PatientFactory()
    thyroid = MedicationClassFactory(code="thyroid_hormone")
    medication = medication_add(
        by=clinician,
        patient=patient,
        name=" Levothyroxine ",
        medication_class=thyroid,
        dose_text="75 mcg",
        started_on=datetime.date(2020, 1, 1),
    )
    assert medication.name == "Levothyroxine" and medication.created_by == clinician
    stopped = medication_stop(by=clinician, medication=medication, stopped_on=BORN.replace(2026))
    assert stopped.stopped_on == datetime.date(2026, 5, 17)
    with pytest.raises(ValidationError):
        medication_stop(by=clinician, medication=stopped, stopped_on=datetime.date(2026, 6, 1))


def test_medication_cannot_stop_before_it_started(clinician):
    medication = MedicationFactory(started_on=datetime.date(2024, 3, 1))
    with pytest.raises(ValidationError) as error:
        medication_stop(by=clinician, medication=medication, stopped_on=datetime.date(2024, 1, 1))
    assert "stopped_on" in error.value.message_dict
    medication.refresh_from_db()
    assert medication.stopped_on is None
