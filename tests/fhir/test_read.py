"""FHIR R4 reads: every type served maps to a valid R4 resource, roles and voiding are
respected, every read is access-logged and every error is an OperationOutcome."""

import datetime

import pytest
from django.utils import timezone

from apps.accounts.services.api_tokens import api_token_create
from apps.audit.models import AccessLog
from apps.fhir.resources import RESOURCE_TYPES
from tests.builders import login_api
from tests.factories import PatientFactory
from tests.fhir.helpers import validate

pytestmark = pytest.mark.django_db


def _get(client, path, **params):
    return client.get(f"/fhir/R4/{path}", params, HTTP_ACCEPT="application/fhir+json")


def _outcome(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    body = validate(response.json())
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == code
    return body


def test_every_type_reads_and_validates_as_r4(api_client, clinic, clinician, manager):
    ids = {
        "Patient": clinic.patient.pk,
        "Practitioner": clinician.pk,
        "Organization": 1,
        "Location": clinic.visit.location_id,
        "Medication": clinic.knee.lot_id,
        "Procedure": clinic.visit.pk,
        "MedicationAdministration": clinic.knee.pk,
        "AdverseEvent": clinic.event.pk,
        "Flag": clinic.flag.pk,
        "Observation": f"{clinic.assessment_id}-pain",
    }
    assert set(ids) == set(RESOURCE_TYPES)
    login_api(api_client, clinician)
    for name, pk in ids.items():
        response = _get(api_client, f"{name}/{pk}")
        assert response.status_code == 200, (name, response.content)
        assert response["Content-Type"].startswith("application/fhir+json")
        resource = validate(response.json())
        assert resource["resourceType"] == name
        assert resource["id"] == str(pk)


def test_patient_carries_the_mrn_under_our_system(api_client, clinic, clinician, settings):
    body = _get(login_api(api_client, clinician), f"Patient/{clinic.patient.pk}").json()
    assert body["identifier"] == [
        {"use": "usual", "system": f"{settings.FHIR_SYSTEM_BASE}/mrn", "value": clinic.patient.mrn}
    ]
    assert body["name"] == [{"use": "official", "family": "Lovelace", "given": ["Ada"]}]
    assert body["gender"] == "female"
    # Risk-profile fields are never part of the Patient resource.
    assert "immunocompromised" not in str(body)


def test_dose_maps_to_medication_administration(api_client, clinic, clinician):
    body = _get(login_api(api_client, clinician), f"MedicationAdministration/{clinic.knee.pk}")
    body = body.json()
    assert body["partOf"] == [{"reference": f"Procedure/{clinic.visit.pk}"}]
    assert body["subject"] == {"reference": f"Patient/{clinic.patient.pk}"}
    assert body["medicationReference"]["reference"] == f"Medication/{clinic.knee.lot_id}"
    assert body["performer"] == [
        {"actor": {"reference": f"Practitioner/{clinic.visit.clinician_id}"}}
    ]
    assert body["dosage"]["dose"] == {
        "value": 4.5,
        "unit": "billion particles",
        "system": "http://unitsofmeasure.org",
        "code": "10*9",
    }
    assert body["dosage"]["site"] == {"text": "Knee (left)"}
    assert body["dosage"]["route"]["coding"][0]["code"] == "12130007"
    assert body["effectiveDateTime"] == clinic.visit.visited_at.astimezone(datetime.UTC).isoformat()


def test_lot_maps_to_medication_with_batch_and_gtin(api_client, clinic, clinician):
    lot = clinic.knee.lot
    body = _get(login_api(api_client, clinician), f"Medication/{lot.pk}").json()
    assert body["code"]["coding"][0] == {
        "system": "https://www.gs1.org/gtin",
        "code": lot.product.gtin,
        "display": lot.product.name,
    }
    assert body["batch"] == {
        "lotNumber": lot.lot_number,
        "expirationDate": lot.expiry_date.isoformat(),
    }
    assert body["manufacturer"] == {"display": lot.product.manufacturer.name}
    no_gtin = _get(api_client, f"Medication/{clinic.face.lot_id}").json()
    assert "coding" not in no_gtin["code"]


def test_adverse_event_points_at_its_doses(api_client, clinic, clinician):
    body = _get(login_api(api_client, clinician), f"AdverseEvent/{clinic.event.pk}").json()
    assert body["seriousness"]["coding"][0]["code"] == "serious"
    assert body["severity"]["coding"][0]["code"] == "severe"
    assert body["severity"]["text"] == "CTCAE grade 3"
    assert body["outcome"]["coding"][0]["code"] == "recovering"
    assert body["suspectEntity"] == [
        {
            "instance": {"reference": f"MedicationAdministration/{clinic.knee.pk}"},
            "causality": [
                {
                    "assessment": {
                        "text": "Possibly related",
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/adverse-event-causality-assess",
                                "code": "Possible",
                            }
                        ],
                    }
                }
            ],
        }
    ]


def test_each_score_is_an_observation_on_the_treated_site(api_client, clinic, clinician):
    login_api(api_client, clinician)
    pain = _get(api_client, f"Observation/{clinic.assessment_id}-pain").json()
    assert pain["code"]["coding"][0]["code"] == "72514-3"
    assert pain["valueInteger"] == 3
    assert pain["bodySite"] == {"text": "Knee (left)"}
    assert pain["partOf"] == [{"reference": f"MedicationAdministration/{clinic.knee.pk}"}]
    region = _get(api_client, f"Observation/{clinic.assessment_id}-region").json()
    assert region["valueQuantity"]["value"] == 71.5
    for measure in ("pgic", "percent", "region"):
        validate(_get(api_client, f"Observation/{clinic.assessment_id}-{measure}").json())
    percent = _get(api_client, f"Observation/{clinic.assessment_id}-percent").json()
    assert percent["valueQuantity"]["value"] == 40
    # An id we never issue, or a score not recorded, is not found.
    _outcome(_get(api_client, f"Observation/{clinic.assessment_id}"), 404, "not-found")


def test_every_read_is_access_logged(api_client, clinic, clinician):
    login_api(api_client, clinician)
    _get(api_client, f"Procedure/{clinic.visit.pk}")
    entry = AccessLog.objects.get(subject="fhir:Procedure")
    assert (entry.user, entry.action, entry.patient_id, entry.object_id) == (
        clinician,
        AccessLog.Action.API_READ,
        clinic.patient.pk,
        clinic.visit.pk,
    )


def test_voided_records_are_not_served(api_client, clinic, clinician):
    login_api(api_client, clinician)
    clinic.visit.voided_at = timezone.now()
    clinic.visit.void_reason = "Wrong patient"
    clinic.visit.save()
    for path in (
        f"Procedure/{clinic.visit.pk}",
        f"MedicationAdministration/{clinic.knee.pk}",
        f"Observation/{clinic.assessment_id}-pain",
    ):
        _outcome(_get(api_client, path), 404, "not-found")
    voided = PatientFactory(voided_at=timezone.now(), void_reason="Duplicate")
    _outcome(_get(api_client, f"Patient/{voided.pk}"), 404, "not-found")


def test_unauthenticated_is_401_with_an_outcome(api_client, clinic):
    response = _get(api_client, f"Patient/{clinic.patient.pk}")
    _outcome(response, 401, "login")
    assert response["WWW-Authenticate"].startswith("Token")


def test_token_authentication_reads(api_client, clinic, clinician):
    _, token = api_token_create(by=clinician, name="Registry", days=1, second_factor_passed=False)
    response = api_client.get(
        f"/fhir/R4/Patient/{clinic.patient.pk}", HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert response.status_code == 200


def test_front_desk_reads_patients_but_no_clinical_type(api_client, clinic, front_desk):
    login_api(api_client, front_desk)
    assert _get(api_client, f"Patient/{clinic.patient.pk}").status_code == 200
    for path in (
        f"Procedure/{clinic.visit.pk}",
        f"MedicationAdministration/{clinic.knee.pk}",
        f"AdverseEvent/{clinic.event.pk}",
        f"Flag/{clinic.flag.pk}",
        f"Observation/{clinic.assessment_id}-pain",
        "Observation",
    ):
        _outcome(_get(api_client, path), 403, "forbidden")


def test_an_outsider_sees_nothing(api_client, clinic, outsider):
    login_api(api_client, outsider)
    _outcome(_get(api_client, f"Patient/{clinic.patient.pk}"), 403, "forbidden")


def test_unknown_types_and_addresses_are_outcomes(api_client, clinic, clinician):
    login_api(api_client, clinician)
    _outcome(_get(api_client, "Encounter/1"), 404, "not-supported")
    _outcome(_get(api_client, "Patient/999999"), 404, "not-found")
    _outcome(_get(api_client, "Patient/abc"), 404, "not-found")
    _outcome(_get(api_client, "nothing/here/at/all"), 404, "not-found")
    body = api_client.post("/fhir/R4/Patient", {}, format="json")
    _outcome(body, 405, "not-supported")


def test_capability_statement_lists_exactly_what_is_served(client, settings):
    response = client.get("/fhir/R4/metadata")
    assert response.status_code == 200
    body = validate(response.json())
    assert body["fhirVersion"] == "4.0.1"
    resources = {entry["type"]: entry for entry in body["rest"][0]["resource"]}
    assert set(resources) == {*RESOURCE_TYPES, "Group"}
    for name, entry in resources.items():
        if name == "Group":
            assert "interaction" not in entry
            continue
        params = {param["name"] for param in entry["searchParam"]}
        assert params == set(RESOURCE_TYPES[name].search_parameters())
