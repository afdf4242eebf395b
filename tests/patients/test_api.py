"""The patients API: role-checked like the pages, logged like the pages."""

import datetime

import pytest

from apps.audit.models import AccessLog
from apps.patients.models import Medication, Patient
from tests.builders import assert_nothing_changed, login_api
from tests.factories import (
    LocationFactory,
    MedicationClassFactory,
    MedicationFactory,
    PatientFactory,
)

LIST = "/api/v1/patients/"
CLINICAL = {"immunocompromised", "immunocompromised_note", "cold_sore_history", "allergies"}
CLINICAL |= {"conditions", "medications"}


def detail(patient) -> str:
    return f"{LIST}{patient.pk}/"


@pytest.fixture
def patient(db):
    return PatientFactory(
        first_name="John",
        last_name="Smith",
        date_of_birth=datetime.date(1961, 4, 2),
        allergies="Penicillin",
    )


NEW = {"first_name": "John", "last_name": "Smith", "date_of_birth": "1961-04-02", "sex": "male"}


# --- reading ----------------------------------------------------------------------


def test_clinician_reads_clinical_fields_and_the_read_is_logged(api_client, clinician, patient):
    MedicationFactory(patient=patient, name="Lisinopril")
    response = login_api(api_client, clinician).get(detail(patient))
    assert response.status_code == 200
    assert response.data["allergies"] == "Penicillin"
    assert response.data["medications"][0]["name"] == "Lisinopril"
    assert response.data["medications"][0]["watched"] is True
    entry = AccessLog.objects.get()
    assert (entry.action, entry.patient_id, entry.user) == ("api_read", patient.pk, clinician)


def test_front_desk_gets_no_clinical_field_in_list_or_detail(api_client, front_desk, patient):
    client = login_api(api_client, front_desk)
    row = client.get(LIST).data["results"][0]
    assert row["mrn"] == patient.mrn
    assert not CLINICAL & set(row)
    one = client.get(detail(patient)).data
    assert one["last_name"] == "Smith" and not CLINICAL & set(one)
    assert "Penicillin" not in str(client.get(LIST).content)
    assert client.get(f"{detail(patient)}medications/").status_code == 403


def test_front_desk_cannot_write_clinical_fields(api_client, front_desk, patient):
    client = login_api(api_client, front_desk)
    response = client.patch(detail(patient), {"allergies": "None", "phone": "123"}, format="json")
    # Refused naming the field, not silently dropped; nothing of the request is saved.
    assert response.status_code == 400
    assert [(e["attr"], e["code"]) for e in response.json()["errors"]] == [
        ("allergies", "not_permitted")
    ]
    patient.refresh_from_db()
    assert patient.allergies == "Penicillin" and patient.phone != "123"
    assert client.patch(detail(patient), {"phone": "123"}, format="json").status_code == 200
    patient.refresh_from_db()
    assert patient.phone == "123"


def test_clinical_staff_still_write_clinical_fields(api_client, clinician, patient):
    client = login_api(api_client, clinician)

    response = client.patch(detail(patient), {"allergies": "None known"}, format="json")

    assert response.status_code == 200
    patient.refresh_from_db()
    assert patient.allergies == "None known"


def test_search_by_misspelled_name_and_log_it(api_client, nurse, patient):
    PatientFactory(first_name="Mary", last_name="Jones")
    response = login_api(api_client, nurse).get(LIST, {"q": "Jonh Smiht"})
    assert [r["id"] for r in response.data["results"]] == [patient.pk]
    entry = AccessLog.objects.get()
    assert entry.action == "search" and entry.detail["query"] == "Jonh Smiht"


def test_filters_and_voided_patients(api_client, clinician, patient):
    PatientFactory(date_of_birth=datetime.date(1990, 1, 1))
    client = login_api(api_client, clinician)
    assert [r["id"] for r in client.get(LIST, {"date_of_birth": "1961-04-02"}).data["results"]] == [
        patient.pk
    ]
    client.post(f"{detail(patient)}void/", {"reason": "Duplicate"}, format="json")
    assert patient.pk not in [r["id"] for r in client.get(LIST).data["results"]]
    shown = client.get(LIST, {"include_voided": "true"}).data["results"]
    assert patient.pk in [r["id"] for r in shown]
    assert client.get(detail(patient)).data["void_reason"] == "Duplicate"


def test_bad_filter_is_a_400_in_the_error_shape(api_client, clinician):
    response = login_api(api_client, clinician).get(LIST, {"date_of_birth": "yesterday"})
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert response.json()["errors"][0]["attr"] == "date_of_birth"


def test_no_role_no_patients(api_client, outsider, patient):
    client = login_api(api_client, outsider)
    assert client.get(LIST).status_code == 403
    assert client.get(detail(patient)).status_code == 403


def test_unknown_patient_is_404(api_client, clinician):
    assert login_api(api_client, clinician).get(f"{LIST}999999/").status_code == 404


def test_anonymous_is_refused(api_client, patient):
    assert api_client.get(LIST).status_code in (401, 403)


@pytest.mark.parametrize("user_fixture", ["clinician", "front_desk"])
def test_list_query_count_is_the_same_for_one_and_fifty(
    api_client, request, user_fixture, django_assert_num_queries
):
    user = request.getfixturevalue(user_fixture)
    client = login_api(api_client, user)
    MedicationFactory()
    client.get(LIST)  # warm the permission cache of this user object
    # permissions check (user + group permissions are cached on the user), count, page,
    # access-log insert, medications prefetch (clinical staff only).
    expected = 4 if user_fixture == "clinician" else 3
    with django_assert_num_queries(expected):
        assert client.get(LIST).status_code == 200
    for extra in PatientFactory.create_batch(49, preferred_location=LocationFactory()):
        MedicationFactory(patient=extra)
    with django_assert_num_queries(expected):
        response = client.get(LIST)
    assert len(response.data["results"]) == 50


# --- writing ---------------------------------------------------------------------


def test_register_and_read_back(api_client, front_desk):
    response = login_api(api_client, front_desk).post(
        LIST, {**NEW, "email": "js@example.com", "email_consent": True}, format="json"
    )
    assert response.status_code == 201, response.data
    assert response.data["mrn"].startswith("EX")
    assert response.data["email_consent_given_at"] is not None
    assert not CLINICAL & set(response.data)


def test_duplicate_is_a_400_naming_the_match_unless_confirmed(api_client, front_desk, patient):
    client = login_api(api_client, front_desk)
    with assert_nothing_changed():
        response = client.post(LIST, NEW, format="json")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["attr"] == "confirm_duplicate" and error["code"] == "possible_duplicate"
    assert patient.mrn in error["detail"]
    assert Patient.objects.count() == 1

    response = client.post(LIST, {**NEW, "confirm_duplicate": True}, format="json")
    assert response.status_code == 201
    assert Patient.objects.count() == 2


def test_bad_input_is_field_level_and_saves_nothing(api_client, clinician):
    with assert_nothing_changed():
        response = login_api(api_client, clinician).post(
            LIST, {**NEW, "email": "nope", "date_of_birth": "2999-01-01"}, format="json"
        )
    assert response.status_code == 400
    attrs = {e["attr"] for e in response.json()["errors"]}
    assert "email" in attrs
    assert not Patient.objects.exists()
    with assert_nothing_changed():
        response = login_api(api_client, clinician).post(
            LIST, {**NEW, "date_of_birth": "2999-01-01"}, format="json"
        )
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "date_of_birth"


def test_manager_reads_but_does_not_register(api_client, manager, patient):
    client = login_api(api_client, manager)
    assert client.get(detail(patient)).status_code == 200
    with assert_nothing_changed():
        assert client.post(LIST, NEW, format="json").status_code == 403


def test_api_writes_carry_the_actor_in_history(api_client, clinician, patient):
    login_api(api_client, clinician).patch(detail(patient), {"phone": "1"}, format="json")
    event = patient.events.order_by("-pgh_id").first()
    assert event.pgh_context.metadata["user"] == clinician.pk


def test_void_needs_permission_and_reason(api_client, nurse, manager, patient):
    url = f"{detail(patient)}void/"
    with assert_nothing_changed():
        assert (
            login_api(api_client, nurse).post(url, {"reason": "x"}, format="json").status_code
            == 403
        )
    client = login_api(api_client, manager)
    with assert_nothing_changed():
        response = client.post(url, {"reason": ""}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "reason"
    response = client.post(url, {"reason": "Registered twice"}, format="json")
    assert response.status_code == 200 and response.data["voided_at"]
    # A voided patient is read-only.
    with assert_nothing_changed():
        assert client.post(url, {"reason": "again"}, format="json").status_code == 404


# --- medications ---------------------------------------------------------------------


def test_medications_add_list_and_stop(api_client, nurse, patient):
    MedicationClassFactory(code="thyroid_hormone", watched=True)
    client = login_api(api_client, nurse)
    url = f"{detail(patient)}medications/"
    response = client.post(
        url,
        {
            "name": "Levothyroxine",
            "medication_class": "thyroid_hormone",
            "started_on": "2020-01-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    medication_id = response.data["id"]
    assert [m["name"] for m in client.get(url).data] == ["Levothyroxine"]

    stop = f"{url}{medication_id}/stop/"
    with assert_nothing_changed():
        response = client.post(stop, {"stopped_on": "2019-01-01"}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "stopped_on"
    response = client.post(stop, {"stopped_on": "2026-01-05"}, format="json")
    assert response.status_code == 200 and response.data["stopped_on"] == "2026-01-05"
    assert Medication.objects.get().stopped_on == datetime.date(2026, 1, 5)


def test_unknown_medication_class_is_a_field_error(api_client, nurse, patient):
    with assert_nothing_changed():
        response = login_api(api_client, nurse).post(
            f"{detail(patient)}medications/",
            {"name": "X", "medication_class": "nonsense"},
            format="json",
        )
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "medication_class"


def test_nul_character_in_medication_class_is_a_field_error(api_client, nurse, patient):
    with assert_nothing_changed():
        response = login_api(api_client, nurse).post(
            f"{detail(patient)}medications/",
            {"name": "X", "medication_class": "anti\x00hypertensive"},
            format="json",
        )
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "medication_class"
    assert not Medication.objects.exists()


def test_schema_documents_patients_with_examples(api_client, clinician):
    schema = login_api(api_client, clinician).get("/api/schema/?format=json").json()
    post = schema["paths"]["/api/v1/patients/"]["post"]
    assert "Possible duplicate" in str(post["responses"]["400"])
    assert "/api/v1/patients/{id}/void/" in schema["paths"]
    assert "/api/v1/patients/{id}/medications/{medication_pk}/stop/" in schema["paths"]
