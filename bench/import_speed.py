"""Importing a clinic's patients and then their past doses, dry run and import of each,
timed as the worker runs them: rows per second, SQL queries per row and peak memory.

    .venv/bin/python bench/import_speed.py [--patients 10000] [--doses-per-patient 3]

It builds its own clinic in a throw-away database (test_exotrack_bench_import, created
from the migrations and dropped afterwards unless --keep) and appends a dated section to
bench/results/patient_import.md.
"""

import argparse
import datetime
import os
import random
import resource
import time
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from functools import partial

from _common import BENCH_DATABASE_URL, RESULTS_DIR, load_average, machine

SITES = ("Knee", "Shoulder", "Hip")
LOTS = 12


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _patients_csv(patients: int, rng: random.Random) -> tuple[bytes, list[str]]:
    lines = ["Patient ID,First name,Last name,DOB,Gender,E-mail,Consent"]
    ids = []
    start = datetime.date(1940, 1, 1)
    for number in range(1, patients + 1):
        born = start + datetime.timedelta(days=rng.randrange(60 * 365))
        ids.append(f"P-{number}")
        lines.append(
            f"P-{number},Import{number},Patient{rng.randrange(10**6)},"
            f"{born.isoformat()},{rng.choice('FM')},p{number}@example.com,yes"
        )
    return ("\n".join(lines) + "\n").encode(), ids


def _doses_csv(ids: list[str], per_patient: int, rng: random.Random) -> bytes:
    """Each patient's doses on visits of their own, a site (and side) per dose."""
    lines = ["Patient ID,Visit date,Site,Side,Product,Lot,Billions,Clinician"]
    first_day = datetime.date(2022, 1, 3)
    for external_id in ids:
        day = first_day + datetime.timedelta(days=rng.randrange(600))
        for number in range(per_patient):
            if number and number % 2 == 0:  # two doses a visit, then the next visit
                day += datetime.timedelta(days=rng.randrange(20, 90))
            site = SITES[number % len(SITES)]
            side = "left" if number % 2 == 0 else "right"
            lines.append(
                f"{external_id},{day.isoformat()},{site},{side},ExoFlow 10,"
                f"B-{rng.randrange(LOTS)},4,dr.bench"
            )
    return ("\n".join(lines) + "\n").encode()


def _clinic():
    """The manager who imports, the clinician named in the file, and the catalogue."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from apps.clinic.models import Location
    from apps.inventory.models import Manufacturer, Product
    from apps.treatments.models import Route, TreatmentSite
    from exotrack import roles
    from exotrack.roles import ensure_roles

    ensure_roles()
    users = get_user_model().objects
    manager, _ = users.get_or_create(username="bench-manager")
    manager.groups.add(Group.objects.get(name=roles.MANAGER))
    clinician, _ = users.get_or_create(username="dr.bench", first_name="Ben", last_name="Ch")
    clinician.groups.add(Group.objects.get(name=roles.CLINICIAN))
    Location.objects.get_or_create(name="Main room")
    for name in SITES:
        TreatmentSite.objects.get_or_create(
            name=name,
            defaults={
                "category": TreatmentSite.Category.JOINT,
                "dose_min_billions": Decimal(3),
                "dose_max_billions": Decimal(5),
                "default_route": Route.INTRA_ARTICULAR,
                "laterality_applies": True,
            },
        )
    maker, _ = Manufacturer.objects.get_or_create(name="Bench Labs")
    Product.objects.get_or_create(manufacturer=maker, name="ExoFlow 10")
    return users.get(pk=manager.pk)  # permissions read afresh


def _timed(step: Callable[[], object]) -> tuple[float, int]:
    from django.db import connection

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    # Counted without keeping them: a large file runs hundreds of thousands.
    with connection.execute_wrapper(count):
        started = time.perf_counter()
        step()
        seconds = time.perf_counter() - started
    return seconds, queries


def _run_file(manager, content: bytes, name: str, kind: str) -> list[str]:
    """Upload, dry run, import: a table row per step."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.imports import services

    patient_import = services.patient_import_upload(
        by=manager, file=SimpleUploadedFile(name, content), kind=kind
    )
    rows = patient_import.rows_total
    if kind == "visits":
        services.patient_import_map(
            by=manager,
            patient_import=patient_import,
            mapping=patient_import.mapping,
            date_format=patient_import.date_format,
            defaults=patient_import.defaults,
        )
    lines = []
    for label, step in (
        ("dry run", services.patient_import_check_start),
        ("import", services.patient_import_start),
    ):
        seconds, queries = _timed(partial(step, by=manager, patient_import=patient_import))
        lines.append(
            f"| {kind}: {label} | {rows:,} | {seconds:.1f} | {rows / seconds:,.0f} | "
            f"{queries / rows:.2f} |"
        )
        if patient_import.problems:
            raise SystemExit(f"{kind} {label}: {patient_import.problems[:3]}")
    counts = {k: getattr(patient_import, k) for k in ("new_patients", "new_visits", "new_doses")}
    print(kind, patient_import.status, counts)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--doses-per-patient", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the database for next time")
    parser.add_argument("--note", default="", help="a line said under the table")
    parser.add_argument("--record", action="store_true", help="append to the results file")
    parser.add_argument(
        "--trace-memory", action="store_true", help="also trace Python allocations (slower)"
    )
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = BENCH_DATABASE_URL.rsplit("/", 1)[0] + "/exotrack_bench_import"
    # Both steps run here, in this process, however large the file.
    os.environ["IMPORT_INLINE_MAX_ROWS"] = str(args.patients * (args.doses_per_patient + 1))
    from _common import setup_django

    setup_django()
    from django.db import connection

    rng = random.Random(20260314)
    patients_csv, ids = _patients_csv(args.patients, rng)
    doses_csv = _doses_csv(ids, args.doses_per_patient, rng)
    connection.creation.create_test_db(
        verbosity=0, autoclobber=True, serialize=False, keepdb=args.keep
    )
    try:
        manager = _clinic()
        baseline = _peak_mib()
        load_before = load_average()
        if args.trace_memory:
            tracemalloc.start()
        lines = _run_file(manager, patients_csv, "patients.csv", "patients")
        lines += _run_file(manager, doses_csv, "doses.csv", "visits")
        traced = tracemalloc.get_traced_memory()[1] / 2**20 if args.trace_memory else None
        tracemalloc.stop()
    finally:
        if not args.keep:
            connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
    traced_note = f"; Python allocations peaked at {traced:,.0f} MiB" if traced else ""
    today = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    markdown = f"""
## {today}: {args.patients:,} patients, then {len(ids) * args.doses_per_patient:,} past doses

{machine()}; load average {load_before} before, {load_average()} after.
Peak memory {_peak_mib():,.0f} MiB resident (after Django set-up {baseline:,.0f} MiB){traced_note}.

| step | rows | seconds | rows/s | SQL queries per row |
|---|---|---|---|---|
{chr(10).join(lines)}
{args.note}
"""
    print(markdown)
    if not args.record:
        return
    RESULTS_DIR.mkdir(exist_ok=True)
    with (RESULTS_DIR / "patient_import.md").open("a", encoding="utf-8") as results:
        results.write(markdown.rstrip() + "\n")


if __name__ == "__main__":
    main()
