"""Medication flags over REST: list and filters, a flag raised by hand, acknowledge and
resolve, each refusal a 400 naming the field, and what each role may do."""

import datetime

import pytest
from django.utils import timezone

from apps.audit.models import AccessLog
from apps.safety.models import MedicationFlag
from tests.builders import assert_nothing_changed, errors, login_api
from tests.factories import MedicationFactory, MedicationFlagFactory, PatientFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/medication-flags/"


def _flag(days: int, **extra) -> MedicationFlag:
    return MedicationFlagFactory(
        review_by=timezone.localdate() + datetime.timedelta(days=days), **extra
    )


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


class TestRoles:
    def test_reading(self, api_client, personas, outsider):
        flag = _flag(1)
        for role, user in {**personas, "outsider": outsider}.items():
            client = login_api(api_client, user)
            expected = 403 if role in ("front_desk", "outsider") else 200
            assert client.get(URL).status_code == expected, role
            assert client.get(f"{URL}{flag.pk}/").status_code == expected, role

    @pytest.mark.parametrize("role", ["nurse", "manager", "front_desk"])
    def test_only_clinicians_acknowledge_and_resolve(self, api_client, personas, role):
        flag = _flag(1)
        client = login_api(api_client, personas[role])
        with assert_nothing_changed():
            assert client.post(f"{URL}{flag.pk}/acknowledge/").status_code == 403
        with assert_nothing_changed():
            assert (
                client.post(f"{URL}{flag.pk}/resolve/", {"action": "unchanged"}).status_code == 403
            )
        flag.refresh_from_db()
        assert flag.status == "open"

    @pytest.mark.parametrize("role", ["manager", "front_desk"])
    def test_managers_and_front_desk_raise_none(self, api_client, personas, role):
        medication = MedicationFactory()
        with assert_nothing_changed():
            response = login_api(api_client, personas[role]).post(
                URL, {"medication": medication.pk, "reason": "dizzy"}
            )
        assert response.status_code == 403
        assert not MedicationFlag.objects.exists()

    def test_a_flag_of_a_voided_patient_is_404(self, api_client, clinician):
        flag = _flag(
            1, medication=MedicationFactory(patient=PatientFactory(voided_at=timezone.now()))
        )
        client = login_api(api_client, clinician)
        assert client.get(f"{URL}{flag.pk}/").status_code == 404
        with assert_nothing_changed():
            assert client.post(f"{URL}{flag.pk}/acknowledge/").status_code == 404


class TestList:
    def test_overdue_first_and_filters(self, api_client, nurse):
        patient = PatientFactory()
        later = _flag(9, medication=MedicationFactory(patient=patient))
        overdue = _flag(-2)
        resolved = _flag(-5, status="resolved", action="unchanged")
        acknowledged = _flag(3, status="acknowledged")
        client = login_api(api_client, nurse)
        assert _ids(client.get(URL)) == [resolved.pk, overdue.pk, acknowledged.pk, later.pk]
        assert _ids(client.get(URL, {"overdue": "true"})) == [overdue.pk]
        assert _ids(client.get(URL, {"overdue": "false"})) == [
            resolved.pk,
            acknowledged.pk,
            later.pk,
        ]
        assert _ids(client.get(URL, {"status": "acknowledged"})) == [acknowledged.pk]
        assert _ids(client.get(URL, {"patient": patient.pk})) == [later.pk]
        row = client.get(URL, {"overdue": "true"}).json()["results"][0]
        assert row["overdue"] is True and row["medication_name"] == "Lisinopril"
        assert AccessLog.objects.filter(subject="medication-flags", action="api_read").exists()

    def test_constant_queries(self, api_client, clinician, django_assert_num_queries):
        _flag(1)
        client = login_api(api_client, clinician)
        client.get(URL)
        # (the permissions are cached on the signed-in user by the first request)
        # access-log insert, count, one page of flags (with patient, medication, class,
        # who acknowledged and resolved).
        with django_assert_num_queries(3):
            client.get(URL)
        for days in range(30):
            _flag(days)
        with django_assert_num_queries(3):
            assert len(_ids(client.get(URL))) == 31


class TestRaise:
    def test_raise_by_hand(self, api_client, nurse):
        medication = MedicationFactory(name="Lisinopril")
        response = login_api(api_client, nurse).post(
            URL, {"medication": medication.pk, "reason": "Dizzy on standing"}, format="json"
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["source"], body["status"], body["created_by"]) == ("manual", "open", nurse.pk)

    def test_refused_while_one_is_unresolved(self, api_client, nurse):
        flag = _flag(4, medication=MedicationFactory(name="Lisinopril"))
        with assert_nothing_changed():
            response = login_api(api_client, nurse).post(
                URL, {"medication": flag.medication_id, "reason": "again"}, format="json"
            )
        assert response.status_code == 400
        assert errors(response) == {
            "medication": [
                f"Lisinopril already has a flag to review, review by {flag.review_by:%Y-%m-%d}."
            ]
        }
        assert MedicationFlag.objects.count() == 1

    def test_a_voided_patients_medication_does_not_exist(self, api_client, nurse):
        medication = MedicationFactory(patient=PatientFactory(voided_at=timezone.now()))
        with assert_nothing_changed():
            response = login_api(api_client, nurse).post(
                URL, {"medication": medication.pk, "reason": "dizzy"}, format="json"
            )
        assert response.status_code == 400 and set(errors(response)) == {"medication"}


class TestReview:
    def test_acknowledge_then_resolve(self, api_client, clinician):
        flag = _flag(4)
        client = login_api(api_client, clinician)
        acknowledged = client.post(f"{URL}{flag.pk}/acknowledge/")
        assert acknowledged.status_code == 200
        assert (acknowledged.json()["status"], acknowledged.json()["acknowledged_by"]) == (
            "acknowledged",
            clinician.pk,
        )
        with assert_nothing_changed():
            again = client.post(f"{URL}{flag.pk}/acknowledge/")
        assert again.status_code == 400
        assert errors(again) == {"status": ["This flag is acknowledged, not open."]}

        resolved = client.post(
            f"{URL}{flag.pk}/resolve/",
            {"action": "referred", "note": "Letter to the GP"},
            format="json",
        )
        assert resolved.status_code == 200
        body = resolved.json()
        assert (body["status"], body["action"], body["resolution_note"], body["resolved_by"]) == (
            "resolved",
            "referred",
            "Letter to the GP",
            clinician.pk,
        )

    def test_resolve_needs_an_action(self, api_client, clinician):
        flag = _flag(4)
        with assert_nothing_changed():
            response = login_api(api_client, clinician).post(
                f"{URL}{flag.pk}/resolve/", {"note": "?"}, format="json"
            )
        assert response.status_code == 400 and set(errors(response)) == {"action"}
        flag.refresh_from_db()
        assert flag.status == "open"

    def test_a_resolved_flag_cannot_be_resolved_again(self, api_client, clinician):
        flag = _flag(4, status="resolved", action="unchanged")
        with assert_nothing_changed():
            response = login_api(api_client, clinician).post(
                f"{URL}{flag.pk}/resolve/", {"action": "stopped"}, format="json"
            )
        assert response.status_code == 400
        assert errors(response) == {"status": ["This flag is already resolved."]}


def test_a_flag_names_its_medication_class_by_code_as_medications_do(api_client, clinician):
    flag = MedicationFlagFactory()
    api_client.force_authenticate(clinician)

    row = api_client.get(f"/api/v1/medication-flags/{flag.pk}/").json()
    medications = api_client.get(f"/api/v1/patients/{flag.patient_id}/medications/").json()

    assert row["medication_class"] == flag.medication_class.code
    assert row["medication_class"] in {m["medication_class"] for m in medications}
