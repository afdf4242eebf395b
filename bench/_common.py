"""What the benchmarks share: Django set up against the dedicated benchmark database,
timing with percentiles and query counts, and the markdown they write.

Run the scripts from the project root with the project's Python, e.g.
`.venv/bin/python bench/patient_search.py`. They read DATABASE_URL (default: the
dedicated database exotrack_bench, filled by bench/build_db.py).
"""

import os
import platform
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"

# The benchmarks run the production settings (DEBUG off), which refuse the published
# local key and an in-process cache: a key made for this run (nothing signed by it
# outlives the run) and the machine's Redis, as a deployed clinic would have. The
# scripts' subprocesses (manage.py, gunicorn, Celery) inherit both.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("CACHE_URL", "redis://127.0.0.1:6379/12")
# Pages are measured as a signed-in user sees them, after the second factor: the test
# client's force_login has no second step, so none is asked for here.
os.environ.setdefault("MFA_REQUIRED_ROLES", "")
BENCH_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/exotrack_bench"


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ.setdefault("DATABASE_URL", BENCH_DATABASE_URL)
    # Pages name their static files without a collectstatic manifest; serving them is
    # not what is measured.
    os.environ.setdefault(
        "STATICFILES_BACKEND", "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    import gc

    import django

    django.setup()
    # As gunicorn's workers do (config/gunicorn.py): the loaded code is kept out of the
    # garbage collector's full collections.
    gc.freeze()


@dataclass
class Timing:
    label: str
    samples_ms: list[float]
    queries: list[int]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    @property
    def query_counts(self) -> str:
        low, high = min(self.queries), max(self.queries)
        return str(low) if low == high else f"{low}-{high}"

    def row(self, *extra: str) -> str:
        cells = [
            self.label,
            str(len(self.samples_ms)),
            f"{self.p50:.1f}",
            f"{self.p95:.1f}",
            f"{max(self.samples_ms):.1f}",
            self.query_counts,
            *extra,
        ]
        return "| " + " | ".join(cells) + " |"


TABLE_HEAD = "| case | runs | p50 ms | p95 ms | max ms | SQL queries |"
TABLE_RULE = "|---|---|---|---|---|---|"


def measure(label: str, calls: list[Callable[[], object]], *, warmup: int = 3) -> Timing:
    """Time each call once (after a few untimed warm-up calls, so the connection and
    caches are set up as on a running server), counting its SQL queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for call in calls[:warmup]:
        call()
    samples, queries = [], []
    for call in calls:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            call()
            samples.append((time.perf_counter() - started) * 1000)
        queries.append(len(captured.captured_queries))
    return Timing(label=label, samples_ms=samples, queries=queries)


def database_size() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT (SELECT count(*) FROM patients_patient),
                   (SELECT count(*) FROM treatments_visit),
                   (SELECT count(*) FROM treatments_dose),
                   (SELECT count(*) FROM inventory_lot),
                   pg_size_pretty(pg_database_size(current_database())),
                   current_database(), current_setting('server_version')
            """
        )
        patients, visits, doses, lots, size, name, version = cursor.fetchone()
    return (
        f"Database `{name}` (PostgreSQL {version}, {size}): {patients:,} patients, "
        f"{visits:,} visits, {doses:,} doses, {lots:,} lots."
    )


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    return f"{cpu}, {os.cpu_count()} cores{memory}, Python {platform.python_version()}"


def write_section(name: str, markdown: str) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.md"
    path.write_text(markdown.rstrip() + "\n", encoding="utf-8")
    print(markdown)
    return path


def explain(queryset) -> str:
    plan = queryset.explain(analyze=True, buffers=True)
    return "```\n" + plan + "\n```"


def explain_count(queryset) -> str:
    """The plan of the count a paginator runs for this queryset."""
    from django.db import connection

    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN (ANALYZE, BUFFERS) SELECT count(*) FROM ({sql}) AS matches",  # noqa: S608 - compiled by Django
            params,
        )
        return "```\n" + "\n".join(row[0] for row in cursor.fetchall()) + "\n```"


def load_average() -> str:
    """The 1-minute load: other work on the machine skews timings, so it is reported."""
    return f"{os.getloadavg()[0]:.2f}"
