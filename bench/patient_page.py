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
    measure,
    setup_django,
    write_section,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="Patients opened per case.")
    runs = parser.parse_args().runs
    setup_django()
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from apps.accounts.models import User
    from apps.patients.models import Patient

    clinician = User.objects.filter(groups__name="clinician").order_by("id").first()
    client = Client(HTTP_HOST="localhost")
    client.force_login(clinician)
    load_before = load_average()

    def open_page(patient_id: int):
        def call():
            response = client.get(reverse("patients:detail", args=[patient_id]), secure=True)
            if response.status_code != 200:
                raise SystemExit(f"patient {patient_id}: HTTP {response.status_code}")
            return response

        return call

    rng = random.Random(2026)
    ids = list(Patient.objects.filter(voided_at__isnull=True).values_list("id", flat=True))
    random_ids = rng.sample(ids, runs)
    busiest = list(
        Patient.objects.annotate(visit_count=Count("visits"))
        .order_by("-visit_count", "id")
        .values_list("id", "visit_count")[:runs]
    )
    timings = [
        measure("random patient", [open_page(pk) for pk in random_ids]),
        measure(
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
                f"Load average before/after: {load_before} / {load_average()}.",
                "",
                TABLE_HEAD,
                TABLE_RULE,
                *(timing.row() for timing in timings),
            ]
        ),
    )


if __name__ == "__main__":
    main()
