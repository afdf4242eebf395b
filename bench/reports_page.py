"""The reports page at clinic scale: `/reports/` unfiltered and with each filter, as a
signed-in manager gets it (form, figures, four SVG charts, data dictionary), with the
kept figures deleted before every request, so each one computes its figures.

    .venv/bin/python bench/reports_page.py [--runs 15] [--reference]

Filters: none; each of site category, site, product, lot, clinician and location
alone (the busiest of each); a period of a year and one of two weeks; and three
together. --reference also times, once per case, the same figures worked out from the
records instead of the episodes table (the view reports_episode_source grouped the way
the page groups the table): what every request paid before the table existed.

Writes bench/results/report_page.md. Runs against the exotrack_bench database (see
bench/_common.py); the cache is the one CACHE_URL names (bench/_common.py: Redis).
"""

import argparse
import datetime
import hashlib
import time
from urllib.parse import urlencode

from _common import (
    TABLE_HEAD,
    TABLE_RULE,
    database_size,
    load_average,
    machine,
    measure,
    setup_django,
    write_section,
)
from _pages import page, signed_in


def _busiest(column: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM treatments_dose d JOIN treatments_visit v ON v.id = d.visit_id "  # noqa: S608 - a fixed column
            f"GROUP BY {column} ORDER BY count(*) DESC, {column} LIMIT 1"
        )
        return cursor.fetchone()[0]


def _cases() -> list[tuple[str, dict]]:
    from django.utils import timezone

    from apps.inventory.models import Lot
    from apps.treatments.models import TreatmentSite

    today = timezone.localdate()
    lot_id = _busiest("d.lot_id")
    return [
        ("unfiltered", {}),
        ("site category: joint", {"site_category": TreatmentSite.Category.JOINT}),
        ("site (busiest)", {"site": _busiest("d.site_id")}),
        ("product (busiest)", {"product": Lot.objects.get(pk=lot_id).product_id}),
        ("lot (busiest)", {"lot": lot_id}),
        ("clinician (busiest)", {"clinician": _busiest("v.clinician_id")}),
        ("location (busiest)", {"location": _busiest("v.location_id")}),
        (
            "visits of the last 365 days",
            {"date_from": today - datetime.timedelta(days=365), "date_to": today},
        ),
        (
            "visits of 2 weeks",
            {
                "date_from": today - datetime.timedelta(days=60),
                "date_to": today - datetime.timedelta(days=46),
            },
        ),
        (
            "category + clinician + 200 days",
            {
                "site_category": TreatmentSite.Category.JOINT,
                "clinician": _busiest("v.clinician_id"),
                "date_from": today - datetime.timedelta(days=300),
                "date_to": today - datetime.timedelta(days=100),
            },
        ),
    ]


def _forget_figures(query: dict):
    """Delete the figures the page may have kept for this filter (the key report_summary
    uses), so the request computes them."""
    from django.conf import settings
    from django.core.cache import cache

    from apps.reports.forms import ReportFilterForm

    form = ReportFilterForm(query)
    if not form.is_valid():
        raise SystemExit(f"{query}: {form.errors}")
    rule = (settings.OUTCOME_RESPONDER_MIN_POINTS, settings.OUTCOME_RESPONDER_MIN_PERCENT)
    key = "reports:summary:" + hashlib.sha256(repr((form.filters(), rule)).encode()).hexdigest()

    def forget():
        cache.delete(key)

    return forget


def _reference_seconds(query: dict) -> float:
    """The figures' sums from the records, per site and lot, as one GROUP BY."""
    from django.db import connection
    from psycopg import sql

    from apps.outcomes.rules import responder_params, responder_sql
    from apps.reports.forms import ReportFilterForm

    form = ReportFilterForm(query)
    form.is_valid()
    filters = form.filters()
    responder = responder_sql(baseline="e.baseline_pain", pain="e.latest_pain")
    pains = ", ".join(
        f"count({p}), sum({p}), sum({p} * {p})"
        for p in (
            "e.baseline_pain",
            "e.pain_2w",
            "e.pain_6w",
            "e.pain_3m",
            "e.pain_6m",
            "e.pain_12m",
        )
    )
    query_sql = sql.SQL(
        "SELECT e.site_id, e.lot_id, count(*), count(e.adverse_events), count({r}), "
        "count(*) FILTER (WHERE {r}), {pains} FROM reports_episode_source e WHERE {where} "
        "GROUP BY e.site_id, e.lot_id"
    ).format(
        r=responder,
        pains=sql.SQL(pains),
        where=sql.SQL(" AND ").join(
            [sql.SQL("true"), *filters.summary_period(), *filters.summary_conditions()]
        ),
    )
    connection.ensure_connection()
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(
            query_sql.as_string(connection.connection),
            {**filters.params(), **responder_params()},
        )
        cursor.fetchall()
        return time.perf_counter() - started


def _write_cost(writes: int) -> list[str]:
    """What keeping the episodes costs a write: `writes` assessments recorded and visits
    voided, one statement (and trigger run) each, with the episode triggers on and then
    deferred, each set in a transaction rolled back."""
    import random
    import statistics

    from django.db import connection, transaction

    from apps.outcomes.models import OutcomeAssessment
    from apps.reports.episodes import defer_episodes
    from apps.treatments.models import Dose

    # Assessments and voids concern recent visits: the doses of the last 20,000.
    last = Dose.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    first = max(1, last - 20_000)
    pick = random.Random(16)
    rows = []
    for label in ("triggers on", "triggers deferred"):
        samples: dict[str, list[float]] = {"assessment": [], "visit void": []}
        with transaction.atomic():
            if label == "triggers deferred":
                defer_episodes()
            for _ in range(writes):
                dose = (
                    Dose.objects.select_related("visit")
                    .filter(pk__gte=pick.randint(first, last))
                    .order_by("pk")
                    .first()
                )
                if dose is None:
                    continue
                started = time.perf_counter()
                OutcomeAssessment.objects.create(
                    dose=dose, assessed_on=dose.visit.visited_at.date(), timepoint="6w", pain=3
                )
                samples["assessment"].append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                with connection.cursor() as cursor:
                    cursor.execute(
                        "UPDATE treatments_visit SET voided_at = now() WHERE id = %s",
                        [dose.visit_id],
                    )
                samples["visit void"].append((time.perf_counter() - started) * 1000)
            transaction.set_rollback(True)
        for kind, times in samples.items():
            rows.append(
                f"| {kind}, {label} | {len(times)} | {statistics.median(times):.2f} | "
                f"{sorted(times)[int(0.95 * (len(times) - 1))]:.2f} |"
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="Requests per case.")
    parser.add_argument(
        "--reference", action="store_true", help="Also time the figures from the records."
    )
    parser.add_argument("--writes", type=int, default=100, help="Writes timed for their cost.")
    args = parser.parse_args()
    setup_django()
    from django.db import connection

    client = signed_in("manager")
    cases = _cases()
    load_before = load_average()
    rows, references = [], []
    for label, query in cases:
        url = "/reports/?" + urlencode(query)
        forget, get = _forget_figures(query), page(client, url)

        def call(forget=forget, get=get):
            forget()
            return get()

        load = load_average()
        timing = measure(label, [call] * args.runs, warmup=1)
        rows.append(timing.row(load))
        print(rows[-1], flush=True)
        if args.reference:
            references.append(f"| {label} | {_reference_seconds(query):.1f} | {load_average()} |")
            print(references[-1], flush=True)
    write_rows = _write_cost(args.writes)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM reports_episode), "
            "(SELECT count(*) FROM reports_episodetotal)"
        )
        episodes, totals = cursor.fetchone()
    parts = [
        "## Reports page at a million episodes (`bench/reports_page.py`)",
        "",
        f"{database_size()} Episodes table: {episodes:,} rows; its monthly totals: "
        f"{totals:,} rows. {machine()}. Load average (1 min) before/after: "
        f"{load_before} / {load_average()}.",
        "",
        f"`/reports/` through Django's test client, signed in as a manager, {args.runs} "
        "requests per case after one warm-up, the kept figures of the filter deleted "
        "before each request (no figure cache). Times are the whole request: form, "
        "figures, four SVG charts, the data dictionary.",
        "",
        TABLE_HEAD.rstrip(" |") + " | load |",
        TABLE_RULE + "---|",
        *rows,
    ]
    if references:
        parts += [
            "",
            "The same sums per site and lot worked out from the records (the view "
            "`reports_episode_source`: outcome pivot and adverse events per dose), one "
            "GROUP BY, once per case: what the page computed on every request before.",
            "",
            "| case | seconds | load |",
            "|---|---|---|",
            *references,
        ]
    parts += [
        "",
        "What keeping the episodes and totals costs a write: an assessment recorded "
        "(ORM create: the episode refreshed, its month's totals updated) and a visit "
        "voided (its episodes removed from the table and the totals), one statement "
        "each, for doses among the latest 20,000, with the triggers on and then deferred "
        "in the same kind of transaction, rolled back.",
        "",
        "| write | runs | p50 ms | p95 ms |",
        "|---|---|---|---|",
        *write_rows,
    ]
    write_section("report_page", "\n".join(parts))


if __name__ == "__main__":
    main()
