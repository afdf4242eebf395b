"""Importing 10,000 patients from a CSV: the dry run and the import, timed, with the
process's peak memory, as the worker runs them.

    .venv/bin/python bench/patient_import.py [--database exotrack_bench] [--patients 10000]

Writes bench/results/patient_import.md. The imported patients are voided-free extra rows
in the benchmark database; run it on a database built for benchmarks only.
"""

import argparse
import datetime
import os
import random
import resource
import time

from _common import BENCH_DATABASE_URL, load_average, machine, write_section


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _csv(patients: int, seed: int) -> bytes:
    rng = random.Random(seed)
    lines = ["Patient ID,First name,Last name,DOB,Gender,E-mail,Consent"]
    start = datetime.date(1940, 1, 1)
    for number in range(1, patients + 1):
        born = start + datetime.timedelta(days=rng.randrange(60 * 365))
        lines.append(
            f"BENCH-{seed}-{number},Import{number},Patient{rng.randrange(10**6)},"
            f"{born.isoformat()},{rng.choice('FM')},p{seed}x{number}@example.com,yes"
        )
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="exotrack_bench")
    parser.add_argument("--patients", type=int, default=10_000)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = BENCH_DATABASE_URL.rsplit("/", 1)[0] + f"/{args.database}"
    # Both steps run here, in this process, however large the file.
    os.environ["IMPORT_INLINE_MAX_ROWS"] = str(args.patients)
    from _common import setup_django

    setup_django()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.imports import services
    from exotrack import roles
    from exotrack.roles import ensure_roles

    ensure_roles()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    manager, _ = get_user_model().objects.get_or_create(username="bench-import-manager")
    manager.groups.add(Group.objects.get(name=roles.MANAGER))
    manager = get_user_model().objects.get(pk=manager.pk)
    content = _csv(args.patients, seed=int(time.time()))
    baseline = _peak_mib()
    load_before = load_average()

    started = time.perf_counter()
    patient_import = services.patient_import_upload(
        by=manager, file=SimpleUploadedFile("bench.csv", content)
    )
    services.patient_import_check_start(by=manager, patient_import=patient_import)
    checked = time.perf_counter()
    services.patient_import_start(by=manager, patient_import=patient_import)
    imported = time.perf_counter()
    peak = _peak_mib()
    markdown = f"""## Importing {args.patients:,} patients from a CSV

{machine()}; load average {load_before} before, {load_average()} after.
File of {len(content) / 2**20:.1f} MiB. Status {patient_import.status},
{patient_import.new_patients:,} new patients, {len(patient_import.problems)} problems.

| step | seconds | rows/s |
|---|---|---|
| upload and dry run | {checked - started:.1f} | {args.patients / (checked - started):,.0f} |
| import | {imported - checked:.1f} | {args.patients / (imported - checked):,.0f} |

Peak memory {peak:,.0f} MiB (after Django set-up {baseline:,.0f} MiB).
"""
    write_section("patient_import", markdown)


if __name__ == "__main__":
    main()
