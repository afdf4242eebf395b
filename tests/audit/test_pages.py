"""The access-log page and the change-history page, both for managers."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AccessLog
from apps.audit.services import access_log_record
from apps.patients.models import Patient, PatientEvent
from apps.patients.services import patient_register, patient_update
from tests.factories import MedicationFactory, PatientFactory, UserFactory

LOG = reverse("audit:access-log")


def _history(obj) -> str:
    return reverse("audit:history", args=[obj._meta.app_label, obj._meta.model_name, obj.pk])


# --- access log ------------------------------------------------------------------


def test_only_managers_read_the_access_log(client, clinician, front_desk, manager):
    for user in (clinician, front_desk):
        client.force_login(user)
        assert client.get(LOG).status_code == 403
    client.force_login(manager)
    assert client.get(LOG).status_code == 200


def test_reading_a_patient_shows_up_in_the_log(client, clinician, manager):
    patient = PatientFactory(first_name="Ada", last_name="Lovelace")
    client.force_login(clinician)
    client.get(reverse("patients:detail", args=[patient.pk]))
    client.get(reverse("patients:list"), {"q": "Lovelace"})
    client.force_login(manager)
    body = client.get(LOG).content.decode()
    assert "Ada Lovelace" in body and patient.mrn in body
    assert "Viewed" in body and "Searched" in body and "“Lovelace”" in body


def test_filter_by_staff_patient_and_date(client, manager, clinician, nurse):
    ada, bob = PatientFactory(), PatientFactory()
    access_log_record(user=clinician, action="view", subject="patient", patient_id=ada.pk)
    access_log_record(user=nurse, action="view", subject="patient", patient_id=bob.pk)
    # The log is append-only: an old entry is written in the past, never moved there.
    with time_machine.travel(timezone.now() - datetime.timedelta(days=10), tick=False):
        old = access_log_record(user=nurse, action="view", subject="patient", patient_id=ada.pk)
    client.force_login(manager)

    def shown(**params):
        return [entry for entry, _ in client.get(LOG, params).context["rows"]]

    assert {e.user for e in shown(user=nurse.pk)} == {nurse}
    assert {e.patient_id for e in shown(patient=ada.mrn.lower())} == {ada.pk}
    today = timezone.localdate().isoformat()
    assert old not in shown(date_from=today, date_to=today)
    assert len(shown(date_from=today)) == 2
    assert shown(patient="EX9999999") == []
    access_log_record(user=nurse, action="search", subject="patient-search")
    assert {e.action for e in shown(action="search")} == {"search"}


def test_bad_date_range_is_a_field_error(client, manager):
    client.force_login(manager)
    response = client.get(LOG, {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert "date_to" in response.context["form"].errors
    assert response.context["rows"] == []


def test_access_log_query_count_is_the_same_for_one_and_fifty(
    client, manager, clinician, django_assert_num_queries
):
    client.force_login(manager)
    patient = PatientFactory()
    access_log_record(user=clinician, action="view", subject="patient", patient_id=patient.pk)
    # session, user, permissions (2), count, page with users, patients on the page,
    # staff choices of the filter, groups for the header.
    with django_assert_num_queries(9):
        client.get(LOG)
    for other in PatientFactory.create_batch(49):
        access_log_record(user=UserFactory(), action="view", subject="patient", patient_id=other.pk)
    with django_assert_num_queries(9):
        response = client.get(LOG)
    assert len(response.context["rows"]) == 50


# --- change history ------------------------------------------------------------------


def test_history_lists_each_change_with_who_and_what(client, manager, clinician, front_desk):
    patient = patient_register(
        by=front_desk,
        first_name="Ada",
        last_name="Lovelace",
        date_of_birth=datetime.date(1970, 1, 2),
    )
    patient_update(
        by=clinician,
        patient=patient,
        allergies="Latex",
        phone="+1 555 0100",
        cold_sore_history=True,
    )
    client.force_login(manager)
    response = client.get(_history(patient))
    assert response.status_code == 200
    newest, first = response.context["changes"]
    assert first.label == "insert" and first.user == front_desk
    assert newest.label == "update" and newest.user == clinician
    changed = {name: (old, new) for name, old, new in newest.changes}
    assert changed["allergies"] == ("", "Latex") and changed["phone"] == ("", "+1 555 0100")
    assert changed["cold-sore (HSV) history"] == (False, True)  # named as the clinic reads it
    body = response.content.decode()
    assert "Latex" in body and clinician.get_full_name() in body
    # Shown in the clinic's zone.
    local = timezone.localtime(newest.at).strftime("%Y-%m-%d %H:%M")
    assert local in body
    # Reading history is reading the record.
    assert AccessLog.objects.filter(patient_id=patient.pk, subject="history:patients.patient")


def test_bulk_update_still_leaves_history(client, manager):
    patient = PatientFactory(phone="1")
    Patient.objects.filter(pk=patient.pk).update(phone="2")  # no save(), no signals
    client.force_login(manager)
    changes = client.get(_history(patient)).context["changes"]
    assert [c.label for c in changes] == ["update", "insert"]
    assert ("phone", "1", "2") in changes[0].changes


def test_history_of_a_medication_is_logged_against_its_patient(client, manager):
    medication = MedicationFactory()
    client.force_login(manager)
    assert client.get(_history(medication)).status_code == 200
    entry = AccessLog.objects.get(subject="history:patients.medication")
    assert entry.patient_id == medication.patient_id


def test_record_without_events_says_so(client, manager):
    patient = PatientFactory()
    # As after a bulk load with the history triggers switched off.
    PatientEvent.objects.filter(pgh_obj_id=patient.pk).delete()
    client.force_login(manager)
    response = client.get(_history(patient))
    assert response.status_code == 200
    assert "No changes recorded" in response.content.decode()


@pytest.mark.parametrize(
    "args",
    [("patients", "patient", 999999), ("audit", "accesslog", 1), ("nowhere", "thing", 1)],
)
def test_no_history_is_404(client, manager, args):
    client.force_login(manager)
    assert client.get(reverse("audit:history", args=args)).status_code == 404


def test_only_history_readers(client, clinician):
    patient = PatientFactory()
    client.force_login(clinician)
    assert client.get(_history(patient)).status_code == 403


def test_access_log_shows_clinic_time(client, manager, clinician, settings):
    settings.TIME_ZONE = "America/New_York"
    utc_noon = datetime.datetime(2026, 7, 1, 12, 0, tzinfo=datetime.UTC)
    with time_machine.travel(utc_noon, tick=False):
        access_log_record(user=clinician, action="view", subject="patient")
    client.force_login(manager)
    body = client.get(LOG).content.decode()
    # New York is UTC-4 in July.
    assert "2026-07-01 08:00:00" in body
