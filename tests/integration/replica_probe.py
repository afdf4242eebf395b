"""The site as one process of a deployment with a reporting replica sees it, for
tests/integration/test_replica.py: configured from the environment (DATABASE_URL the
primary, DATABASE_REPLICA_URL its standby), it runs the steps named on the command line
and prints one JSON object with what each saw.

    write N   record one treated site of a visit (the Nth write of the test)
    replayed  wait until the replica has replayed it (up to the allowed lag)
    report    the reports page's figures and the outcomes CSV export, and where they read
    fhir      a Patient bulk export run as the worker runs it, and where it read
"""

import json
import os
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

import django

django.setup()

from apps.fhir import services as fhir_services  # noqa: E402
from apps.fhir.models import BulkExport  # noqa: E402
from apps.reports import downloads, selectors  # noqa: E402
from apps.reports.filters import ReportFilters  # noqa: E402
from apps.reports.forms import ExportForm  # noqa: E402
from exotrack import replica, roles  # noqa: E402
from tests.factories import DoseFactory, UserFactory  # noqa: E402


def _recording(module: ModuleType, name: str, sources: list[str]) -> None:
    """Keep what the module's function answered: the database it read from."""
    chosen: Callable[[], str] = getattr(module, name)

    def recorded() -> str:
        sources.append(chosen())
        return sources[-1]

    setattr(module, name, recorded)


def write(tag: int) -> dict[str, Any]:
    clinician = UserFactory(username=f"replica-clinician-{tag}", role=roles.CLINICIAN)
    DoseFactory(
        visit__clinician=clinician,
        lot__product__name=f"XoGlo replica {tag}",
        lot__product__gtin=f"0950600099{tag:04d}",
    )
    return {}


def report(reader) -> dict[str, Any]:
    sources: list[str] = []
    _recording(selectors, "database_for_reports", sources)
    _recording(downloads, "database_for_reports", sources)
    summary = selectors.report_summary(filters=ReportFilters())
    form = ExportForm({})
    assert form.is_valid(), form.errors
    response = downloads.export_download(
        user=reader, name="outcomes", form=form, path="/reports/exports/outcomes.csv"
    )
    lines = b"".join(response.streaming_content).decode().splitlines()
    return {"report_sources": sources, "episodes": summary.episodes, "export_rows": len(lines) - 1}


def fhir(reader) -> dict[str, Any]:
    sources: list[str] = []
    _recording(fhir_services, "database_with_every_commit", sources)
    export = BulkExport.objects.create(
        requested_by=reader, request_url="/fhir/Patient/$export", level="patient", types=["Patient"]
    )
    fhir_services.bulk_export_run(export_id=str(export.pk))
    export.refresh_from_db()
    assert export.status == BulkExport.Status.COMPLETED, export.error
    return {"fhir_source": sources[0], "fhir_patients": export.resources_written}


def main(steps: list[str]) -> None:
    seen: dict[str, Any] = {}
    steps = list(steps)
    while steps:
        step = steps.pop(0)
        if step == "write":
            seen |= write(int(steps.pop(0)))
            continue
        if step == "replayed":
            assert replica.database_with_every_commit() == replica.REPLICA, "replica behind"
            continue
        # Whoever reads is a clinician of this process; their access log row and the
        # export job are writes, which must reach the primary.
        reader = UserFactory(username=f"replica-reader-{step}-{os.getpid()}", role=roles.CLINICIAN)
        seen |= report(reader) if step == "report" else fhir(reader)
    print(json.dumps(seen))


if __name__ == "__main__":
    main(sys.argv[1:])
