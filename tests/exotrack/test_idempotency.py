"""Creating endpoints honour Idempotency-Key: a retried or parallel POST with the same key
makes one record and gets the first answer; the same key with another body is a 422."""

import datetime
import threading

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from apps.inventory.models import Manufacturer, StockMovement
from apps.patients.models import Medication, Patient
from exotrack import roles
from exotrack.models import IdempotencyKey
from exotrack.tasks import idempotency_keys_expire_hourly
from tests.factories import LotFactory, MedicationClassFactory, PatientFactory, UserFactory

MANUFACTURERS = "/api/v1/manufacturers/"
PATIENTS = "/api/v1/patients/"
NEW_PATIENT = {
    "first_name": "Ada",
    "last_name": "Quimby",
    "date_of_birth": "1970-01-02",
    "sex": "female",
}


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_retry_with_the_same_key_gets_the_first_answer(front_desk):
    client = _client(front_desk)

    first = client.post(PATIENTS, NEW_PATIENT, format="json", HTTP_IDEMPOTENCY_KEY="visit-7")
    again = client.post(PATIENTS, NEW_PATIENT, format="json", HTTP_IDEMPOTENCY_KEY="visit-7")

    assert first.status_code == 201
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Patient.objects.filter(last_name="Quimby").count() == 1


def test_the_same_key_with_another_body_is_refused(front_desk):
    client = _client(front_desk)
    client.post(PATIENTS, NEW_PATIENT, format="json", HTTP_IDEMPOTENCY_KEY="k1")

    other = client.post(
        PATIENTS, {**NEW_PATIENT, "first_name": "Bea"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )

    assert other.status_code == 422
    assert other.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert not Patient.objects.filter(first_name="Bea").exists()


def test_keys_belong_to_one_account(front_desk, manager):
    _client(manager).post(MANUFACTURERS, {"name": "CascadeVes"}, HTTP_IDEMPOTENCY_KEY="k1")
    own = _client(front_desk).post(PATIENTS, NEW_PATIENT, format="json", HTTP_IDEMPOTENCY_KEY="k1")

    assert own.status_code == 201


def test_a_refused_request_does_not_use_up_its_key(front_desk):
    client = _client(front_desk)
    refused = client.post(
        PATIENTS, {**NEW_PATIENT, "sex": "?"}, format="json", HTTP_IDEMPOTENCY_KEY="k2"
    )

    corrected = client.post(PATIENTS, NEW_PATIENT, format="json", HTTP_IDEMPOTENCY_KEY="k2")

    assert refused.status_code == 400
    assert corrected.status_code == 201
    assert IdempotencyKey.objects.get(key="k2").response_status == 201


def test_without_a_key_every_post_creates(front_desk):
    client = _client(front_desk)
    client.post(PATIENTS, NEW_PATIENT, format="json")
    client.post(PATIENTS, {**NEW_PATIENT, "confirm_duplicate": True}, format="json")

    assert Patient.objects.filter(last_name="Quimby").count() == 2


def test_a_too_long_key_is_a_field_error(front_desk):
    response = _client(front_desk).post(
        PATIENTS, NEW_PATIENT, format="json", HTTP_IDEMPOTENCY_KEY="x" * 300
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "idempotency_key"


@pytest.mark.django_db(transaction=True)
def test_parallel_posts_with_one_key_make_one_record(manager_user_for_threads):
    answers: list[int] = []
    start = threading.Barrier(8)

    def post() -> None:
        try:
            start.wait()
            response = _client(manager_user_for_threads).post(
                MANUFACTURERS, {"name": "Parallel Bio"}, HTTP_IDEMPOTENCY_KEY="same"
            )
            answers.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert answers == [201] * 8
    assert Manufacturer.objects.filter(name="Parallel Bio").count() == 1


@pytest.fixture
def manager_user_for_threads(transactional_db):
    # A flushed database: the roles are made again.
    roles.ensure_roles()
    return UserFactory(username="manager", role=roles.MANAGER)


def test_the_schema_documents_the_header_and_its_422(api_client, clinician):
    api_client.force_authenticate(clinician)
    schema = api_client.get("/api/schema/?format=json").json()

    create = schema["paths"]["/api/v1/adverse-events/"]["post"]

    assert "Idempotency-Key" in {p["name"] for p in create["parameters"] if p["in"] == "header"}
    assert "422" in create["responses"]


def test_keys_are_forgotten_after_their_lifetime(front_desk, settings):
    settings.IDEMPOTENCY_KEY_HOURS = 24
    client = _client(front_desk)
    with time_machine.travel(timezone.now() - datetime.timedelta(hours=25)):
        client.post(PATIENTS, NEW_PATIENT, format="json", HTTP_IDEMPOTENCY_KEY="old")
    client.post(
        PATIENTS,
        {**NEW_PATIENT, "confirm_duplicate": True},
        format="json",
        HTTP_IDEMPOTENCY_KEY="recent",
    )

    idempotency_keys_expire_hourly()

    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["recent"]


@pytest.mark.django_db
def test_actions_that_create_a_record_honour_the_key(nurse, manager):
    """Adding a medication, wasting and adjusting vials: a retry adds one record."""
    MedicationClassFactory(code="thyroid_hormone", watched=True)
    patient = PatientFactory()
    medication = {"name": "Levothyroxine", "medication_class": "thyroid_hormone"}
    url = f"{PATIENTS}{patient.pk}/medications/"
    nurse_client = _client(nurse)
    answers = [
        nurse_client.post(url, medication, format="json", HTTP_IDEMPOTENCY_KEY="med-1")
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[1]["Idempotent-Replayed"] == "true"
    assert Medication.objects.filter(patient=patient).count() == 1

    lot = LotFactory(vials_received=10)
    manager_client = _client(manager)
    for action, body in (
        ("waste", {"vials": 2, "reason": "Dropped"}),
        ("adjust", {"vials": -1, "reason": "Count"}),
    ):
        for _ in range(2):
            answer = manager_client.post(
                f"/api/v1/lots/{lot.pk}/{action}/", body, format="json", HTTP_IDEMPOTENCY_KEY=action
            )
            assert answer.status_code in (200, 201), answer.content
    assert StockMovement.objects.filter(lot=lot).exclude(kind="received").count() == 2
    lot.refresh_from_db()
    assert lot.vials_on_hand == 7
