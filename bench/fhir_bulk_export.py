"""Bulk Data export of the whole synthetic clinic (every type), as the worker runs it:
time, resources/s per type, and the process's peak memory.

    .venv/bin/python bench/fhir_bulk_export.py [--database exotrack_bench]

Runs apps.fhir.services.bulk_export_run in this process (what a solo-pool worker does),
as one of the synthetic clinicians (clinician role: every type), into a temporary
directory. Writes its section (one per clinic size: a run replaces the section of the
same number of patients and keeps the others) into bench/results/fhir_bulk_export.md.
"""

import argparse
import os
import re
import resource
import shutil
import tempfile
import time
from pathlib import Path

from _common import (
    BENCH_DATABASE_URL,
    RESULTS_DIR,
    database_size,
    load_average,
    machine,
    write_section,
)

RESULT = "fhir_bulk_export"


def _peak_mib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _with_section(title: str, section: str) -> str:
    """The results file with this size's section in place, the others kept, largest first."""
    path = RESULTS_DIR / f"{RESULT}.md"
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    head, *parts = re.split(r"(?m)^### ", existing)
    sections = {part.split("\n", 1)[0]: "### " + part.rstrip() for part in parts}
    sections[title] = f"### {title}\n\n{section.strip()}"

    def size(name: str) -> int:
        digits = re.sub(r"\D", "", name.split(" ", 1)[0])
        return int(digits) if digits else 0

    head = head.rstrip() or "## FHIR Bulk Data export of the whole clinic"
    ordered = sorted(sections, key=size, reverse=True)
    return head + "\n\n" + "\n\n".join(sections[name] for name in ordered)


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
    patients = next((out["count"] for out in export.output if out["type"] == "Patient"), 0)
    # The 15-minute figure after a long export is close to its average load.
    after = " / ".join(f"{load:.2f}" for load in os.getloadavg())
    section = f"""{machine()}; load average {load_before} before, {after} after (1 / 5 / 15 min).
{database_size()}

Every type, one process (as a solo worker): **{seconds:,.1f} s for {total:,} resources,
{total / seconds:,.0f} resources/s**; peak memory {peak:,.0f} MiB (after Django set-up
{baseline:,.0f} MiB, so the export added {peak - baseline:,.0f} MiB). Status:
{export.status}.

| type | resources | NDJSON MiB |
|---|---|---|
{chr(10).join(rows)}
"""
    write_section(RESULT, _with_section(f"{patients:,} patients", section))
    # The benchmark's files and job are not kept.
    shutil.rmtree(export_dir)
    export.delete()


if __name__ == "__main__":
    main()
