"""A Bulk Data export kicked off over HTTP runs on a real Celery worker: the client polls
the status URL until the manifest comes, downloads every file and every line validates
against the R4 models. A cancel reaches the running worker."""

import time

import pytest

from apps.clinic.models import ClinicProfile
from apps.fhir.models import BulkExport
from apps.fhir.resources import RESOURCE_TYPES
from tests.builders import login_api
from tests.factories import (
    AdverseEventFactory,
    DoseFactory,
    MedicationFlagFactory,
    OutcomeAssessmentFactory,
    VisitFactory,
)
from tests.fhir.bulk import download, kick_off, status_path

pytestmark = pytest.mark.integration


@pytest.fixture
def export_dir(settings, tmp_path):
    settings.FHIR_EXPORT_DIR = tmp_path / "exports"
    return settings.FHIR_EXPORT_DIR


def _poll(client, status: str, *, timeout: float = 60):
    deadline = time.monotonic() + timeout
    progress = []
    while time.monotonic() < deadline:
        response = client.get(status)
        if response.status_code != 202:
            return response, progress
        progress.append(response["X-Progress"])
        time.sleep(0.2)
    raise AssertionError(f"export still running after {timeout} s: {progress[-1:]}")


def test_export_on_a_worker_poll_and_download_every_file(
    celery_worker_factory, export_dir, api_client, clinician
):
    ClinicProfile.objects.create(pk=1, name="Bayview Regenerative")
    for _ in range(3):
        dose = DoseFactory(visit=VisitFactory(clinician=clinician))
        AdverseEventFactory(visit=dose.visit, doses=[dose])
        MedicationFlagFactory(medication__patient=dose.visit.patient)
        OutcomeAssessmentFactory(dose=dose, pgic=2, percent_better=30)
    celery_worker_factory(extra_env={"FHIR_EXPORT_DIR": str(export_dir)})
    login_api(api_client, clinician)

    status = status_path(kick_off(api_client, "Patient/$export"))
    response, progress = _poll(api_client, status)

    assert response.status_code == 200, response.content
    manifest = response.json()
    lines = download(api_client, manifest)
    assert set(lines) == set(RESOURCE_TYPES)
    assert len(lines["Patient"]) == 3
    assert len(lines["Observation"]) == 9
    assert all(p.endswith("resources") for p in progress)


def test_delete_reaches_the_worker(celery_worker_factory, export_dir, api_client, clinician):
    login_api(api_client, clinician)
    # Queued before any worker runs, cancelled, then a worker takes the message: it does
    # nothing and leaves no file behind.
    status = status_path(kick_off(api_client, "Patient/$export"))
    assert api_client.delete(status).status_code == 202
    worker = celery_worker_factory(extra_env={"FHIR_EXPORT_DIR": str(export_dir)})
    worker.wait_for(
        lambda: "bulk_export_run" in worker.log() and "succeeded" in worker.log(),
        timeout=30,
        what="the worker to take the cancelled export",
    )
    assert BulkExport.objects.get().status == BulkExport.Status.CANCELLED
    assert api_client.get(status).status_code == 404
    assert not list(export_dir.glob("*/*.ndjson"))
