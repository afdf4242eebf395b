"""Bulk Data export (kick-off, status, manifest, NDJSON files, _type, _since, groups,
cancel, expiry), with the export run in-process; tests/integration runs it on a worker."""

import datetime

import pytest
from django.utils import timezone

from apps.audit.models import AccessLog
from apps.fhir import services
from apps.fhir.models import BulkExport
from apps.fhir.resources import RESOURCE_TYPES
from tests.builders import login_api
from tests.factories import LotFactory, PatientFactory
from tests.fhir.bulk import download, kick_off, status_path

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _export_dir(settings, tmp_path):
    settings.FHIR_EXPORT_DIR = tmp_path / "exports"


@pytest.fixture
def run_exports(django_capture_on_commit_callbacks):
    """Kick-offs queue the task after commit; run the queued exports here instead."""

    def run():
        for export in BulkExport.objects.filter(status=BulkExport.Status.QUEUED):
            services.bulk_export_run(export_id=str(export.pk))

    with django_capture_on_commit_callbacks(execute=False):
        yield run


def test_patient_export_end_to_end(api_client, clinic, clinician, run_exports):
    login_api(api_client, clinician)
    status = status_path(kick_off(api_client, "Patient/$export"))
    waiting = api_client.get(status)
    assert waiting.status_code == 202
    assert waiting["X-Progress"] == f"0 of {len(RESOURCE_TYPES)} types, 0 resources"
    run_exports()
    done = api_client.get(status)
    assert done.status_code == 200
    assert done["Content-Type"] == "application/json"
    manifest = done.json()
    assert manifest["requiresAccessToken"] is True
    assert manifest["request"].endswith("/fhir/R4/Patient/$export")
    lines = download(api_client, manifest)
    assert [r["id"] for r in lines["Patient"]] == [str(clinic.patient.pk)]
    assert len(lines["MedicationAdministration"]) == 2
    assert len(lines["Observation"]) == 4
    assert set(lines) == set(RESOURCE_TYPES)
    logged = AccessLog.objects.filter(action=AccessLog.Action.EXPORT).values_list(
        "subject", flat=True
    )
    assert sorted(set(logged)) == ["fhir:bulk-export", "fhir:bulk-file"]


def test_type_and_since(api_client, clinic, clinician, run_exports):
    login_api(api_client, clinician)
    status = status_path(kick_off(api_client, "Patient/$export", _type="Patient,Procedure"))
    run_exports()
    manifest = api_client.get(status).json()
    assert [o["type"] for o in manifest["output"]] == ["Patient", "Procedure"]
    since = manifest["transactionTime"]
    PatientFactory(first_name="Later")
    status = status_path(kick_off(api_client, "Patient/$export", _type="Patient", _since=since))
    run_exports()
    lines = download(api_client, api_client.get(status).json())
    assert [r["name"][0]["given"] for r in lines["Patient"]] == [["Later"]]


def test_group_is_the_recipients_of_a_lot(api_client, clinic, clinician, run_exports):
    PatientFactory()
    login_api(api_client, clinician)
    status = status_path(
        kick_off(
            api_client,
            f"Group/{clinic.knee.lot_id}/$export",
            _type="Patient,MedicationAdministration",
        )
    )
    run_exports()
    lines = download(api_client, api_client.get(status).json())
    assert [r["id"] for r in lines["Patient"]] == [str(clinic.patient.pk)]
    assert len(lines["MedicationAdministration"]) == 2


def test_an_empty_group_gives_an_empty_manifest(api_client, clinic, clinician, run_exports):
    login_api(api_client, clinician)
    unused = LotFactory()
    status = status_path(kick_off(api_client, f"Group/{unused.pk}/$export", _type="Patient"))
    run_exports()
    response = api_client.get(status)
    assert response.status_code == 200
    assert response.json()["output"] == []
    missing = kick_off(api_client, "Group/999999/$export")
    assert missing.status_code == 404
    assert missing.json()["resourceType"] == "OperationOutcome"


def test_delete_cancels(api_client, clinic, clinician, run_exports):
    login_api(api_client, clinician)
    status = status_path(kick_off(api_client, "Patient/$export"))
    assert api_client.delete(status).status_code == 202
    run_exports()
    assert BulkExport.objects.get().status == BulkExport.Status.CANCELLED
    assert api_client.get(status).status_code == 404


def test_kick_off_refusals_are_outcomes(api_client, clinic, clinician, nurse):
    login_api(api_client, clinician)
    cases = [
        (api_client.get("/fhir/R4/Patient/$export"), 400),  # no Prefer: respond-async
        (kick_off(api_client, "Patient/$export", _type="Encounter"), 400),
        (kick_off(api_client, "Patient/$export", _since="yesterday"), 400),
        (kick_off(api_client, "Patient/$export", _typeFilter="Patient?x=1"), 400),
        (kick_off(api_client, "Patient/$export", _outputFormat="text/csv"), 400),
    ]
    login_api(api_client, nurse)
    cases.append((kick_off(api_client, "Patient/$export"), 403))
    for response, status in cases:
        assert response.status_code == status, response.content
        assert response.json()["resourceType"] == "OperationOutcome"
    assert not BulkExport.objects.exists()


def test_only_the_requester_sees_the_export(api_client, clinic, clinician, manager, run_exports):
    login_api(api_client, clinician)
    status = status_path(kick_off(api_client, "Patient/$export", _type="Patient"))
    run_exports()
    manifest = api_client.get(status).json()
    login_api(api_client, manager)
    assert api_client.get(status).status_code == 404
    file_path = manifest["output"][0]["url"].split("testserver")[1]
    assert api_client.get(file_path).status_code == 404


def test_files_expire(api_client, clinic, clinician, run_exports, settings):
    login_api(api_client, clinician)
    status = status_path(kick_off(api_client, "Patient/$export", _type="Patient"))
    run_exports()
    export = BulkExport.objects.get()
    directory = services.bulk_export_directory(export)
    assert directory.exists()
    later = export.expires_at + datetime.timedelta(seconds=1)
    assert export.expires_at - export.finished_at == datetime.timedelta(
        hours=settings.FHIR_EXPORT_EXPIRY_HOURS
    )
    assert services.bulk_exports_expire(now=later) == 1
    assert not directory.exists()
    assert api_client.get(status).status_code == 404
    assert services.bulk_exports_expire(now=timezone.now()) == 0


def test_a_finished_export_is_not_run_again(clinic, clinician, run_exports):
    export = services.bulk_export_start(
        by=clinician, level="patient", request_url="x", types=["Patient"]
    )
    run_exports()
    export.refresh_from_db()
    finished = export.finished_at
    services.bulk_export_run(export_id=str(export.pk))
    export.refresh_from_db()
    assert export.finished_at == finished


def _lost_after_first_type(export: BulkExport) -> None:
    """The state a worker lost while writing the second type leaves behind: the first
    type's file whole and listed, the second's half written."""
    directory = services.bulk_export_directory(export)
    (directory / "Procedure.ndjson").unlink()
    (directory / "Procedure.partial").write_text('{"resourceType": "Proc')
    BulkExport.objects.filter(pk=export.pk).update(
        status=BulkExport.Status.RUNNING,
        finished_at=None,
        expires_at=None,
        types_done=1,
        resources_written=999,
        output=[o for o in export.output if o["type"] == "Patient"],
    )


def test_a_redelivered_export_carries_on_after_the_last_type_it_finished(
    api_client, clinic, clinician, run_exports
):
    login_api(api_client, clinician)
    status = status_path(kick_off(api_client, "Patient/$export", _type="Patient,Procedure"))
    run_exports()
    export = BulkExport.objects.get()
    patients_file = services.bulk_export_directory(export) / "Patient.ndjson"
    _lost_after_first_type(export)
    written_before = patients_file.stat().st_mtime_ns

    services.bulk_export_run(export_id=str(export.pk))

    again = BulkExport.objects.get()
    assert again.status == BulkExport.Status.COMPLETED
    assert again.started_at == export.started_at  # the same transactionTime
    assert patients_file.stat().st_mtime_ns == written_before  # not written again
    assert not list(services.bulk_export_directory(again).glob("*.partial"))
    manifest = api_client.get(status).json()
    assert [(o["type"], o["count"]) for o in again.output] == [("Patient", 1), ("Procedure", 1)]
    lines = download(api_client, manifest)
    assert [r["id"] for r in lines["Patient"]] == [str(clinic.patient.pk)]
    assert len(lines["Procedure"]) == 1
    assert again.resources_written == 2


def test_a_redelivered_export_whose_files_are_not_whole_starts_over(clinic, clinician, run_exports):
    export = services.bulk_export_start(
        by=clinician, level="patient", request_url="x", types=["Patient", "Procedure"]
    )
    run_exports()
    export.refresh_from_db()
    _lost_after_first_type(export)
    (services.bulk_export_directory(export) / "Patient.ndjson").write_text("")

    services.bulk_export_run(export_id=str(export.pk))

    again = BulkExport.objects.get()
    assert again.status == BulkExport.Status.COMPLETED
    assert again.started_at > export.started_at
    assert [(o["type"], o["count"]) for o in again.output] == [("Patient", 1), ("Procedure", 1)]
