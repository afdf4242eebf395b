"""The recall question at clinic scale: every dose given from one lot, with its visit
and patient, as the lot page, the API (`/api/v1/lots/{id}/recipients/`, first and last
page), the CSV export and "contact all recipients" ask it
(`apps.safety.selectors.recalls.lot_recipients`).

    .venv/bin/python bench/lot_recipients.py [--runs 40]

Writes bench/results/lot_recipients.md with timings and EXPLAIN ANALYZE.
"""

import argparse
import random
import time

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
    from django.db import transaction
    from django.db.models import Count
    from django.test import Client, RequestFactory
    from django.urls import reverse

    from apps.accounts.models import User
    from apps.inventory.models import Lot
    from apps.safety.sections import lot_recipients_section
    from apps.safety.selectors.recalls import (
        CLINICAL_COLUMNS,
        CONTACT_COLUMNS,
        TRACE_COLUMNS,
        lot_recipients,
    )
    from apps.safety.services.recalls import lot_recipients_contact

    # What a clinician or the manager sees: every column.
    columns = TRACE_COLUMNS + CONTACT_COLUMNS + CLINICAL_COLUMNS
    clinician = User.objects.filter(groups__name="clinician").order_by("id").first()
    client = Client(HTTP_HOST="localhost")
    client.force_login(clinician)

    def whole_list(lot_id: int):
        return lambda: list(lot_recipients(lot_id=lot_id, columns=columns))

    def page_section(lot_id: int):
        # The lot page's section as the page builds it (doses and patients counted in one
        # query, first 50 rows, access-log entry).
        lot = Lot.objects.get(pk=lot_id)

        def call():
            request = RequestFactory().get(f"/inventory/lots/{lot_id}/")
            request.user = clinician
            section = lot_recipients_section(user=clinician, lot=lot, request=request)
            return list(section["recipients"].object_list)

        return call

    def api_page(lot_id: int, number: int | str = 1):
        # The whole request: token or session check, exact count, one page of 50, the
        # access-log entry naming the page's patients, JSON.
        def call():
            response = client.get(f"/api/v1/lots/{lot_id}/recipients/?page={number}", secure=True)
            if response.status_code != 200:
                raise SystemExit(f"lot {lot_id} page {number}: HTTP {response.status_code}")
            return response

        return call

    def csv_download(lot_id: int):
        # The whole request: permissions, access log, streamed CSV read to the end.
        def call():
            response = client.get(reverse("safety:lot-recipients-csv", args=[lot_id]), secure=True)
            if response.status_code != 200:
                raise SystemExit(f"lot {lot_id}: HTTP {response.status_code}")
            return sum(len(chunk) for chunk in response.streaming_content)

        return call

    used = list(
        Lot.objects.annotate(dose_count=Count("doses"))
        .filter(dose_count__gt=0)
        .order_by("-dose_count", "id")
        .values_list("id", "dose_count")
    )
    busiest, busiest_doses = used[0]
    rng = random.Random(2026)
    sample = rng.sample(used, min(runs, len(used)))
    sizes = sorted(count for _, count in sample)
    typical = sorted(sample, key=lambda lot: lot[1])[len(sample) // 2][0]
    load_before = load_average()
    timings = [
        measure("random lots: whole list (all columns)", [whole_list(pk) for pk, _ in sample]),
        measure(f"busiest lot ({busiest_doses:,} doses): whole list", [whole_list(busiest)] * runs),
        measure("random lots: lot page section", [page_section(pk) for pk, _ in sample]),
        measure("busiest lot: lot page section", [page_section(busiest)] * runs),
        measure("random lots: API page 1", [api_page(pk) for pk, _ in sample]),
        measure("busiest lot: API page 1", [api_page(busiest)] * runs),
        measure("busiest lot: API last page", [api_page(busiest, "last")] * runs),
        measure("random lots: CSV download", [csv_download(pk) for pk, _ in sample]),
        measure("busiest lot: CSV download", [csv_download(busiest)] * min(runs, 20)),
    ]
    csv_bytes = csv_download(busiest)()

    # "Contact all recipients" for the busiest lot, once, rolled back.
    with transaction.atomic():
        Lot.objects.filter(pk=busiest).update(status=Lot.Status.RECALLED, status_reason="bench")
        started = time.perf_counter()
        created = lot_recipients_contact(by=clinician, lot=Lot.objects.get(pk=busiest))
        contact_s = time.perf_counter() - started
        again_started = time.perf_counter()
        again = lot_recipients_contact(by=clinician, lot=Lot.objects.get(pk=busiest))
        again_s = time.perf_counter() - again_started
        transaction.set_rollback(True)

    write_section(
        "lot_recipients",
        "\n".join(
            [
                "## Recipients of a lot (`apps.safety.selectors.recalls.lot_recipients`)",
                "",
                database_size(),
                f"{len(sample)} lots picked at random among the {len(used)} used lots "
                f"(doses per lot: median {sizes[len(sizes) // 2]:,}, "
                f"range {sizes[0]:,}-{sizes[-1]:,}); the busiest lot has {busiest_doses:,} "
                f"doses. Rows are values() with every column a clinician sees (visit, "
                f"patient, contact details, site, billions), voided visits left out. The CSV "
                f"case is the whole download request through Django's test client (the "
                f"busiest lot's file is {csv_bytes / 1024:,.0f} KiB). "
                f"Load average before/after: {load_before} / {load_average()}.",
                "",
                TABLE_HEAD,
                TABLE_RULE,
                *(timing.row() for timing in timings),
                "",
                f'"Contact all recipients" for the busiest lot (run once, rolled back): '
                f"{created:,} recall calls added in {contact_s:.1f} s; pressing again added "
                f"{again} in {again_s * 1000:.0f} ms.",
                "",
                f"### EXPLAIN (ANALYZE, BUFFERS): whole list of the busiest lot ({busiest})",
                "",
                explain(lot_recipients(lot_id=busiest, columns=columns)),
                "",
                f"### EXPLAIN (ANALYZE, BUFFERS): API page 1 of the busiest lot ({busiest})",
                "",
                explain(lot_recipients(lot_id=busiest, columns=columns)[:50]),
                "",
                f"### EXPLAIN (ANALYZE, BUFFERS): first page of a typical lot ({typical})",
                "",
                explain(lot_recipients(lot_id=typical, columns=columns)[:50]),
            ]
        ),
    )


if __name__ == "__main__":
    main()
