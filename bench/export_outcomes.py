"""The outcomes CSV of a whole clinic (about a million episodes), through a real web
server, side by side with a bare COPY of the same rows and with django-import-export.

    .venv/bin/python bench/export_outcomes.py [--database exotrack_bench_reports] [--runs 3]

Starts gunicorn (one sync worker, production settings) on the bench database, downloads
/api/v1/reports/exports/outcomes.csv as a signed-in manager would, and times the first
byte, the whole body and the worker's peak memory (VmHWM). In the same run, alternating:
- bare COPY: the same episodes from the same episodes table and joins, raw values (no
  text formatting, formula prefix or pseudonym), `COPY (...) TO STDOUT WITH CSV` read by
  psycopg in this process;
- the export's own SQL through psycopg, without Django or HTTP;
- on a sample (the visits of a few weeks): a plain ORM loop writing csv, and a
  django-import-export Resource over the same episodes, against the view on the same
  filter.
Writes bench/results/export.md.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from _common import ROOT, load_average, machine, write_section

SERVER = "postgres://postgres@127.0.0.1:5432"
PORT = 8765
URL = f"http://127.0.0.1:{PORT}/api/v1/reports/exports/outcomes.csv"
READ_BYTES = 256 * 1024


@dataclass
class Run:
    label: str
    first_byte_s: float
    total_s: float
    bytes: int
    rows: int
    peak_mib: float | None = None
    first_row_s: float | None = None  # the first data row, when the header left earlier

    @property
    def mb_per_s(self) -> float:
        return self.bytes / 1e6 / self.total_s

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.total_s


def _setup(database: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = f"{SERVER}/{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()


def _token() -> str:
    from apps.accounts.services import staff_user_seed
    from apps.accounts.services.api_tokens import api_token_create
    from exotrack.roles import MANAGER, ensure_roles

    ensure_roles()
    user, _ = staff_user_seed(username="bench-reports", role=MANAGER, password=os.urandom(16).hex())
    # The benchmark's own account, made just above: no second factor to pass.
    return api_token_create(by=user, name="Benchmark", days=1, second_factor_passed=True)[1]


def _bare_query(filters) -> tuple:
    """The outcomes export's rows with raw values, from the same episodes table and joins:
    what COPY costs with no formatting, pseudonym or formula prefix."""
    from psycopg import sql

    from apps.reports.sql import PIVOT_TIMEPOINTS, outcome_params

    pivot = sql.SQL(", ").join(sql.Identifier("e", f"pain_{tp}") for tp in PIVOT_TIMEPOINTS)
    query = sql.SQL(
        "SELECT p.id, p.date_of_birth, p.sex, s.name, s.category, e.laterality, pr.name, "
        "m.name, l.lot_number, e.billions, e.visited_at, e.baseline_pain, {pivot}, "
        "e.latest_timepoint, e.latest_pain, e.pgic, e.percent_better, e.adverse_events, "
        "e.last_assessed_on FROM reports_episode e "
        "JOIN patients_patient p ON p.id = e.patient_id "
        "JOIN treatments_treatmentsite s ON s.id = e.site_id "
        "JOIN inventory_lot l ON l.id = e.lot_id "
        "JOIN inventory_product pr ON pr.id = l.product_id "
        "JOIN inventory_manufacturer m ON m.id = pr.manufacturer_id WHERE {where}"
    ).format(
        pivot=pivot,
        where=sql.SQL(" AND ").join(
            [sql.SQL("true"), *filters.summary_period(), *filters.summary_conditions()]
        ),
    )
    return query, {**filters.params(), **outcome_params()}


def _psycopg_copy(label: str, query, params, *, header: bool) -> Run:
    import psycopg
    from psycopg import sql

    options = "FORMAT csv, HEADER true" if header else "FORMAT csv"
    statement = sql.SQL("COPY ({}) TO STDOUT WITH ({})").format(query, sql.SQL(options))
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as connection:
        connection.execute("SET jit = off")  # as the export's own connection does
        started = time.perf_counter()
        first, size, rows = None, 0, 0
        with connection.cursor() as cursor, cursor.copy(statement, params) as copy:
            for row in copy:
                if first is None:
                    first = time.perf_counter() - started
                size += len(row)
                rows += 1
        total = time.perf_counter() - started
    return Run(label, first or total, total, size, rows - (1 if header else 0))


def _worker_pid(master: int) -> int:
    for _ in range(100):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def _memory(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(key)


def _download(label: str, token: str, params: dict, worker: int) -> Run:
    started = time.perf_counter()
    first, first_row, size, rows = None, None, 0, 0
    with requests.get(
        URL, params=params, headers={"Authorization": f"Token {token}"}, stream=True, timeout=900
    ) as response:
        response.raise_for_status()
        for chunk in response.iter_content(READ_BYTES):
            if first is None:
                first = time.perf_counter() - started
            size += len(chunk)
            # De-identified rows carry no line break inside a cell: one per row.
            rows += chunk.count(b"\n")
            if first_row is None and rows >= 2:
                first_row = time.perf_counter() - started
    total = time.perf_counter() - started
    peak = _memory(worker, "VmHWM")
    return Run(label, first or total, total, size, rows - 1, peak, first_row or total)


def _start_server(database: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": f"{SERVER}/{database}",
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "LOG_LEVEL": "WARNING",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "config.wsgi", "--bind", f"127.0.0.1:{PORT}", "--workers", "1"]
    server = subprocess.Popen(
        [*command, "--timeout", "900", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    for _ in range(300):
        try:
            requests.get(f"http://127.0.0.1:{PORT}/accounts/login/", timeout=10)
            return server
        except requests.RequestException:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not answer")


def _sample_doses(filters):
    """The sample's episodes as the ORM reads them, with what the rows need."""
    from apps.treatments.models import Dose

    return (
        Dose.objects.filter(
            visit__voided_at__isnull=True,
            visit__patient__voided_at__isnull=True,
            visit__visited_at__gte=filters.params()["visited_from"],
            visit__visited_at__lt=filters.params()["visited_before"],
        )
        .select_related("visit__patient", "site", "lot__product__manufacturer")
        .prefetch_related("assessments", "adverse_events__event_type")
    )


def _orm_loop(filters) -> Run:
    """What a plain Django loop costs: rows from the ORM, written by csv_lines."""
    from exotrack.csv_export import csv_lines

    doses = _sample_doses(filters)
    started = time.perf_counter()
    first, size, rows = None, 0, 0

    def values():
        for dose in doses.iterator(chunk_size=2000):
            scores = {a.timepoint: a.pain for a in dose.assessments.all() if a.voided_at is None}
            patient = dose.visit.patient
            yield [
                patient.pk,
                patient.date_of_birth,
                patient.sex,
                dose.site.name,
                dose.site.category,
                dose.laterality,
                dose.lot.product.name,
                dose.lot.product.manufacturer.name,
                dose.lot.lot_number,
                dose.billions,
                dose.visit.visited_at.date(),
                dose.baseline_pain,
                *(scores.get(tp) for tp in ("2w", "6w", "3m", "6m", "12m")),
                ";".join(sorted({e.event_type.name for e in dose.adverse_events.all()})),
            ]

    for line in csv_lines(["episode"] * 19, values()):
        if first is None:
            first = time.perf_counter() - started
        size += len(line.encode())
        rows += 1
    return Run("plain ORM loop + csv", first, time.perf_counter() - started, size, rows - 1)


def _import_export(filters) -> Run:
    from import_export import fields, resources

    from apps.treatments.models import Dose

    class EpisodeResource(resources.ModelResource):
        patient = fields.Field(attribute="visit__patient_id", column_name="patient")
        date_of_birth = fields.Field(attribute="visit__patient__date_of_birth")
        sex = fields.Field(attribute="visit__patient__sex")
        site_name = fields.Field(attribute="site__name")
        category = fields.Field(attribute="site__category")
        product = fields.Field(attribute="lot__product__name")
        manufacturer = fields.Field(attribute="lot__product__manufacturer__name")
        lot_number = fields.Field(attribute="lot__lot_number")
        visit_date = fields.Field(attribute="visit__visited_at")
        pains = fields.Field(column_name="pain by timepoint")
        events = fields.Field(column_name="adverse events")

        class Meta:
            model = Dose
            fields = (
                "patient",
                "date_of_birth",
                "sex",
                "site_name",
                "category",
                "laterality",
                "product",
                "manufacturer",
                "lot_number",
                "billions",
                "visit_date",
                "baseline_pain",
                "pains",
                "events",
            )

        def dehydrate_pains(self, dose) -> str:
            scores = {a.timepoint: a.pain for a in dose.assessments.all() if a.voided_at is None}
            return ";".join(str(scores.get(tp, "")) for tp in ("2w", "6w", "3m", "6m", "12m"))

        def dehydrate_events(self, dose) -> str:
            return ";".join(sorted({e.event_type.name for e in dose.adverse_events.all()}))

    doses = _sample_doses(filters)
    started = time.perf_counter()
    text = EpisodeResource().export(queryset=doses).csv
    total = time.perf_counter() - started
    # django-import-export builds the whole file before the first byte can leave.
    return Run("django-import-export", total, total, len(text.encode()), text.count("\n") - 1)


def _median(runs: list[Run]) -> Run:
    middle = sorted(runs, key=lambda r: r.total_s)[len(runs) // 2]
    first_rows = [r.first_row_s for r in runs if r.first_row_s is not None]
    return Run(
        middle.label,
        statistics.median(r.first_byte_s for r in runs),
        middle.total_s,
        middle.bytes,
        middle.rows,
        max((r.peak_mib for r in runs if r.peak_mib is not None), default=None),
        statistics.median(first_rows) if first_rows else None,
    )


def _table(runs: list[Run], reference: Run) -> str:
    lines = [
        "| case | rows | MB | first byte s | first row s | total s | MB/s | rows/s "
        "| rows/s vs bare COPY | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        peak = f"{run.peak_mib:.0f}" if run.peak_mib is not None else "-"
        first_row = f"{run.first_row_s:.2f}" if run.first_row_s is not None else "="
        lines.append(
            f"| {run.label} | {run.rows:,} | {run.bytes / 1e6:.1f} | {run.first_byte_s:.2f} "
            f"| {first_row} "
            f"| {run.total_s:.1f} | {run.mb_per_s:.1f} | {run.rows_per_s:,.0f} "
            f"| {100 * run.rows_per_s / reference.rows_per_s:.0f} % | {peak} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="exotrack_bench_reports")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sample-days", type=int, default=7)
    args = parser.parse_args()
    _setup(args.database)
    import datetime

    from django.utils import timezone

    from apps.reports.exports import EXPORTS, ExportOptions, export_query
    from apps.reports.filters import ReportFilters

    token = _token()
    whole = ReportFilters()
    export_sql, export_params = export_query(EXPORTS["outcomes"], whole, ExportOptions())
    bare_sql, bare_params = _bare_query(whole)
    load_before = load_average()
    server = _start_server(args.database)
    try:
        worker = _worker_pid(server.pid)
        idle_mib = _memory(worker, "VmRSS")
        bare, direct, view = [], [], []
        for _ in range(args.runs):
            bare.append(_psycopg_copy("bare COPY, raw values", bare_sql, bare_params, header=False))
            view.append(_download("view: gunicorn + Django + COPY", token, {}, worker))
            direct.append(
                _psycopg_copy("export SQL via psycopg", export_sql, export_params, header=True)
            )
        # The sample: visits of the last few weeks, the same filter for every tool.
        end = timezone.localdate() - datetime.timedelta(days=30)
        start = end - datetime.timedelta(days=args.sample_days)
        sample = ReportFilters(date_from=start, date_to=end)
        sample_params = {"date_from": start.isoformat(), "date_to": end.isoformat()}
        sample_bare = _psycopg_copy("bare COPY, raw values", *_bare_query(sample), header=False)
        sample_view = _download("view: gunicorn + Django + COPY", token, sample_params, worker)
    finally:
        server.terminate()
        server.wait(timeout=30)
    orm = _orm_loop(sample)
    import_export = _import_export(sample)
    load_after = load_average()

    whole_runs = [_median(bare), _median(direct), _median(view)]
    view_run = whole_runs[2]
    versus_import_export = sample_view.rows_per_s / import_export.rows_per_s
    versus_orm = sample_view.rows_per_s / orm.rows_per_s
    versus_bare = 100 * view_run.rows_per_s / whole_runs[0].rows_per_s
    markdown = f"""## Outcomes CSV at a million episodes (`bench/export_outcomes.py`)

{_database_line()} {machine()}. Load average before/after: {load_before} / {load_after}
(the machine is shared; each case ran {args.runs} times, alternating, median shown).

Whole clinic, de-identified (pseudonym by HMAC in SQL), no filter. The gunicorn worker
held {idle_mib:.0f} MiB (VmRSS, every app's code loaded) before the first download;
"peak RSS" is its VmHWM after them, so the download itself added
{view_run.peak_mib - idle_mib:.0f} MiB.

{_table(whole_runs, whole_runs[0])}

Sample: visits from {start} to {end} ({sample_view.rows:,} episodes), the same filter for
every tool; import-export and the ORM loop run in this process.

{_table([sample_bare, sample_view, orm, import_export], sample_bare)}

On the sample the view writes **{versus_import_export:.1f} x** the rows per second of
django-import-export and **{versus_orm:.1f} x** those of the plain ORM loop.
Whole clinic: first byte **{view_run.first_byte_s:.2f} s** (the header row; the first
episode row after {view_run.first_row_s:.2f} s), worker peak
**{view_run.peak_mib:.0f} MiB**, **{versus_bare:.0f} %** of the bare COPY's rows per second.
"""
    write_section("export", markdown)


def _database_line() -> str:
    from _common import database_size

    return database_size()


if __name__ == "__main__":
    main()
