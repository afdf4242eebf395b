"""The patient page (`patients:detail`) at clinic scale, as a signed-in clinician sees it:
the whole request through Django's test client (middleware, access log, template).

    .venv/bin/python bench/patient_page.py [--runs 40]

Measures patients picked at random and the patients with the most visits (the longest
timelines). Writes bench/results/patient_page.md.
"""

import argparse
import random

from _common import (
    TABLE_HEAD,
    TABLE_RULE,
    database_size,
    load_average,
    setup_django,
    write_section,
)
from _pages import measure_pages, page, signed_in


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="Patients opened per case.")
    runs = parser.parse_args().runs
    setup_django()
    from django.db.models import Count
    from django.urls import reverse

    from apps.patients.models import Patient

    client = signed_in("clinician")
    load_before = load_average()

    def open_page(patient_id: int):
        return page(client, reverse("patients:detail", args=[patient_id]))

    rng = random.Random(2026)
    ids = list(Patient.objects.filter(voided_at__isnull=True).values_list("id", flat=True))
    random_ids = rng.sample(ids, runs)
    busiest = list(
        Patient.objects.annotate(visit_count=Count("visits"))
        .order_by("-visit_count", "id")
        .values_list("id", "visit_count")[:runs]
    )
    timings = [
        measure_pages("random patient", [open_page(pk) for pk in random_ids]),
        measure_pages(
            f"most visits ({busiest[-1][1]}-{busiest[0][1]} visits)",
            [open_page(pk) for pk, _ in busiest],
        ),
    ]
    sample = client.get(reverse("patients:detail", args=[busiest[0][0]]), secure=True)
    write_section(
        "patient_page",
        "\n".join(
            [
                "## Patient page (`patients:detail`, clinician, Django test client)",
                "",
                database_size(),
                f"Each case: {runs} patients, one request each after 3 warm-up requests; "
                f"the time covers middleware, access-log insert, queries and template. "
                f"Page size of the busiest patient: {len(sample.content) / 1024:.0f} KiB. "
                "Session writes: saves of the session over the case's requests (the idle "
                "sign-out writes its last-seen time at most once a minute). "
                f"Load average before/after: {load_before} / {load_average()}.",
                "",
                TABLE_HEAD + " session writes |",
                TABLE_RULE + "---|",
                *(timing.row(writes.cell) for timing, writes in timings),
            ]
        ),
    )


if __name__ == "__main__":
    main()
