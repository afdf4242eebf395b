"""Bulk Data export of the whole synthetic clinic (every type), as the worker runs it:
time, resources/s per type, and the process's peak memory.

    .venv/bin/python bench/fhir_bulk_export.py [--database exotrack_bench]

Runs apps.fhir.services.bulk_export_run in this process (what a solo-pool worker does),
as one of the synthetic clinicians (clinician role: every type), into a temporary
directory. Writes bench/results/fhir_bulk_export.md.
"""

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from _common import BENCH_DATABASE_URL, database_size, load_average, machine, write_section


def _peak_mib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="exotrack_bench")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = BENCH_DATABASE_URL.rsplit("/", 1)[0] + f"/{args.database}"
    export_dir = Path(tempfile.mkdtemp(prefix="fhir-bench-"))
    os.environ["FHIR_EXPORT_DIR"] = str(export_dir)
    from _common import setup_django

    setup_django()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from apps.fhir import services
    from apps.fhir.models import BulkExport

    clinician = get_user_model().objects.get(username="synthetic-clinician-1")
    export = BulkExport.objects.create(
        requested_by=clinician,
        request_url="bench",
        level=BulkExport.Level.PATIENT,
        types=services.exportable_types(clinician),
    )
    connection.ensure_connection()
    baseline = _peak_mib()
    load_before = load_average()
    started = time.perf_counter()
    services.bulk_export_run(export_id=str(export.pk))
    seconds = time.perf_counter() - started
    export.refresh_from_db()
    peak = _peak_mib()
    rows = [
        f"| {out['type']} | {out['count']:,} | "
        f"{(export_dir / str(export.pk) / out['file']).stat().st_size / 2**20:,.1f} |"
        for out in export.output
    ]
    total = export.resources_written
    markdown = f"""## FHIR Bulk Data export of the whole clinic

{machine()}; load average {load_before} before, {load_average()} after.
{database_size()}

Every type, one process (as a solo worker): **{seconds:,.1f} s for {total:,} resources,
{total / seconds:,.0f} resources/s**; peak memory {peak:,.0f} MiB (after Django set-up
{baseline:,.0f} MiB, so the export added {peak - baseline:,.0f} MiB). Status:
{export.status}.

| type | resources | NDJSON MiB |
|---|---|---|
{chr(10).join(rows)}
"""
    write_section("fhir_bulk_export", markdown)
    # The benchmark's files and job are not kept.
    shutil.rmtree(export_dir)
    export.delete()


if __name__ == "__main__":
    main()
