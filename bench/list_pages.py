"""The list pages at clinic scale (visits, the follow-up worklist, patients, lots, adverse
events, medication flags, the access log), as the role that reads each: the whole
request through Django's test client.

    .venv/bin/python bench/list_pages.py [--runs 30]

Each list counts at most 10,000 rows (`exotrack/paging.py`) and reads its page in the
list's order from an index, so the first page, a deep page and a filtered page should
cost about the same whatever the table's size. For each case the slowest SQL statement
of one request is shown with its plan. Writes bench/results/list_pages.md.
"""

import argparse

from _common import (
    TABLE_HEAD,
    TABLE_RULE,
    database_size,
    load_average,
    setup_django,
    write_section,
)
from _pages import measure_pages, page, signed_in, slowest_select


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="Requests per case.")
    runs = parser.parse_args().runs
    setup_django()
    from django.urls import reverse

    from apps.patients.models import Patient
    from apps.treatments.models import Visit

    clinician, manager = signed_in("clinician"), signed_in("manager")
    load_before = load_average()
    busiest_clinician = Visit.objects.values_list("clinician_id", flat=True).order_by("-id").first()
    some_patient = Patient.objects.order_by("id")[500]
    visits = reverse("treatments:visit-list")
    patients = reverse("patients:list")
    cases = [
        ("visits, page 1", clinician, visits),
        ("visits, page 100", clinician, visits + "?page=100"),
        ("visits, page 200 (the last counted)", clinician, visits + "?page=200"),
        ("visits of one clinician, page 1", clinician, f"{visits}?clinician={busiest_clinician}"),
        (
            "visits in one month, page 1",
            clinician,
            visits + "?date_from=2025-03-01&date_to=2025-03-31",
        ),
        ("follow-up worklist", clinician, reverse("followups:worklist")),
        ("patients, page 1", clinician, patients),
        ("patients, page 200 (the last counted)", clinician, patients + "?page=200"),
        ("patients with voided, page 1", clinician, patients + "?voided=1"),
        ("lots, page 1", clinician, reverse("inventory:lot-list")),
        ("adverse events, page 1", clinician, reverse("safety:adverse-event-list")),
        ("medication flags, page 1", clinician, reverse("safety:flag-list")),
        ("access log, page 1", manager, reverse("audit:access-log")),
        (
            "access log of one patient, page 1",
            manager,
            reverse("audit:access-log") + f"?patient={some_patient.mrn}",
        ),
    ]
    rows, plans = [], []
    for label, client, url in cases:
        timing, writes = measure_pages(label, [page(client, url)] * runs)
        took, plan = slowest_select(page(client, url))
        rows.append(timing.row(writes.cell, f"{took:.1f}"))
        plans.append(f"#### {label}: `{url}`\n\nSlowest statement ({took:.1f} ms):\n\n{plan}\n")
    write_section(
        "list_pages",
        "\n".join(
            [
                "## List pages (Django test client, capped count, page read from an index)",
                "",
                database_size(),
                f"Each case: {runs} requests after 3 warm-up requests; the time covers "
                "middleware, the access log, the capped count, one page of rows and the "
                "template. Session writes: saves of the session over the case's requests "
                "(the idle sign-out writes its last-seen time at most once a minute). "
                f"Load average before/after: {load_before} / {load_average()}.",
                "",
                TABLE_HEAD + " session writes | slowest statement ms |",
                TABLE_RULE + "---|---|",
                *rows,
                "",
                "### The slowest statement of each page, EXPLAIN (ANALYZE, BUFFERS)",
                "",
                *plans,
            ]
        ),
    )


if __name__ == "__main__":
    main()
