"""The recall question at clinic scale: every dose given from one lot, with its visit
and patient (doses -> visits -> patients for one lot id), and the distinct patients.

    .venv/bin/python bench/lot_recipients.py [--runs 40]

Writes bench/results/lot_recipients.md with timings and EXPLAIN ANALYZE.
"""

import argparse
import random

from _common import (
    TABLE_HEAD,
    TABLE_RULE,
    database_size,
    explain,
    load_average,
    measure,
    setup_django,
    write_section,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="Lots asked about per case.")
    runs = parser.parse_args().runs
    setup_django()
    from django.core.paginator import Paginator
    from django.db.models import Count

    from apps.accounts.models import User
    from apps.inventory.models import Lot
    from apps.patients.models import Patient
    from apps.treatments.models import Dose
    from apps.treatments.selectors import visit_search

    clinician = User.objects.filter(groups__name="clinician").order_by("id").first()

    def visits_page(lot_id: int) -> list:
        # The visits list filtered by lot, as its page shows it: count and 50 visits.
        page = Paginator(visit_search(user=clinician, lot_id=lot_id), 50).get_page(1)
        return [page.paginator.count, *page.object_list]

    def doses_of(lot_id: int):
        return (
            Dose.objects.filter(lot_id=lot_id)
            .select_related("visit__patient", "site")
            .order_by(
                "visit__patient__last_name", "visit__patient__first_name", "visit__visited_at"
            )
        )

    def recall_rows(lot_id: int):
        # Only what a recall list or export prints: no model objects built.
        return Dose.objects.filter(lot_id=lot_id).values_list(
            "visit__patient__mrn",
            "visit__patient__last_name",
            "visit__patient__first_name",
            "visit__patient__email",
            "visit__patient__phone",
            "visit__visited_at",
            "site__name",
            "billions",
        )

    def recipients_of(lot_id: int):
        return (
            Patient.objects.filter(visits__doses__lot_id=lot_id)
            .annotate(doses_from_lot=Count("visits__doses"))
            .order_by("last_name", "first_name", "id")
        )

    used = list(
        Lot.objects.annotate(dose_count=Count("doses"))
        .filter(dose_count__gt=0)
        .order_by("-dose_count", "id")
        .values_list("id", "dose_count")
    )
    rng = random.Random(2026)
    sample = rng.sample(used, min(runs, len(used)))
    sizes = sorted(count for _, count in sample)
    load_before = load_average()
    timings = [
        measure(
            "all doses + visit + patient",
            [lambda pk=pk: list(doses_of(pk)) for pk, _ in sample],
        ),
        measure(
            "all doses, printed columns only",
            [lambda pk=pk: list(recall_rows(pk)) for pk, _ in sample],
        ),
        measure(
            "distinct patients + dose count",
            [lambda pk=pk: list(recipients_of(pk)) for pk, _ in sample],
        ),
        measure(
            "visits list filtered by lot (count + first 50)",
            [lambda pk=pk: visits_page(pk) for pk, _ in sample],
        ),
        measure(
            f"busiest lot ({used[0][1]:,} doses), all doses",
            [lambda: list(doses_of(used[0][0]))] * runs,
        ),
        measure(
            f"busiest lot ({used[0][1]:,} doses), printed columns only",
            [lambda: list(recall_rows(used[0][0]))] * runs,
        ),
    ]
    write_section(
        "lot_recipients",
        "\n".join(
            [
                "## Recipients of a lot (the recall query)",
                "",
                database_size(),
                f"{len(sample)} lots picked at random among the {len(used)} used lots "
                f"(doses per lot: median {sizes[len(sizes) // 2]:,}, "
                f"range {sizes[0]:,}-{sizes[-1]:,}); rows fetched into Django objects. "
                f"Load average before/after: {load_before} / {load_average()}.",
                "",
                TABLE_HEAD,
                TABLE_RULE,
                *(timing.row() for timing in timings),
                "",
                f"### EXPLAIN (ANALYZE, BUFFERS): all doses of lot {sample[0][0]}",
                "",
                explain(doses_of(sample[0][0])),
                "",
                f"### EXPLAIN (ANALYZE, BUFFERS): distinct patients of lot {sample[0][0]}",
                "",
                explain(recipients_of(sample[0][0])),
                "",
                f"### EXPLAIN (ANALYZE, BUFFERS): visits list filtered by lot {sample[0][0]}",
                "",
                explain(visit_search(user=clinician, lot_id=sample[0][0])[:50]),
            ]
        ),
    )


if __name__ == "__main__":
    main()
