"""The reminder tick at scale: does claiming the due reminders cost the same whether the
clinic has 100,000 or 1,000,000 follow-ups (10,000 of them due)?

    .venv/bin/python bench/reminder_tick.py [--runs 7]

Builds its own databases (dropped and created): `exotrack_bench_reminders` migrated and
loaded with 100,000 follow-ups by one INSERT ... SELECT generate_series, then copied
(CREATE DATABASE ... TEMPLATE) to `exotrack_bench_reminders_1m` and grown to 1,000,000.
The runs alternate between the two, so load from other work on the machine falls on
both alike. Two timings, each the median of `--runs` runs per size, with the claims
released (and the table vacuumed) before each run:

- one claim: the first batch (FOLLOWUP_REMINDER_BATCH_SIZE, 100) as a sender takes it;
- a whole tick's claims: batch after batch until all 10,000 due are held.

Writes bench/results/reminders.md (tick section) with the ratio and the EXPLAIN
(ANALYZE, BUFFERS) of the claim query at 1,000,000.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

from _common import ROOT, load_average, machine

DATABASE = "exotrack_bench_reminders"
LARGE_DATABASE = "exotrack_bench_reminders_1m"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-d", "postgres", "-c"]
DUE = 10_000
PATIENTS = 2_000


def create_migrated_database(name: str) -> None:
    """A fresh, migrated database of a benchmark's own (dropped first if it is there)."""
    subprocess.run([*PSQL, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True)
    subprocess.run([*PSQL, f"CREATE DATABASE {name}"], check=True)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}"},
        check=True,
    )


def build_database() -> None:
    subprocess.run([*PSQL, f"DROP DATABASE IF EXISTS {LARGE_DATABASE} WITH (FORCE)"], check=True)
    create_migrated_database(DATABASE)


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = DATABASE_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()


def add_patients() -> None:
    import datetime

    from apps.patients.models import Patient

    Patient.objects.bulk_create(
        Patient(
            first_name=f"Pat{n}",
            last_name="Bench",
            date_of_birth=datetime.date(1960, 1, 1) + datetime.timedelta(days=n),
            email=f"patient{n}@example.com",
            email_consent=True,
        )
        for n in range(PATIENTS)
    )


def add_follow_ups(*, first: int, last: int, due: int = 0) -> None:
    """Follow-ups first..last (1-based). The first `due` fell due in the last hours; of
    the rest, as in a clinic that has run for years: about 60 % completed, 10 %
    cancelled or superseded, 10 % staff calls, 20 % e-mails scheduled in the coming
    year. Loaded with triggers off (as the synthetic clinic is), so no history rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SELECT min(id) FROM patients_patient")
        first_patient = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO followups_followup (
                created_at, updated_at, patient_id, kind, channel, due_on, status, note,
                completion_note, reminder_state, next_reminder_at, reminders_sent,
                temporary_failures)
            SELECT now(), now(), %(first_patient)s + n %% %(patients)s,
                (ARRAY['check_in', 'outcome', 'repeat_session'])[1 + n %% 3],
                CASE WHEN n > %(due)s AND n %% 10 = 7 THEN 'call' ELSE 'email' END,
                (now() + make_interval(days => (n %% 730) - 365))::date,
                CASE WHEN n <= %(due)s THEN 'pending'
                     WHEN n %% 10 < 6 THEN 'completed'
                     WHEN n %% 10 = 6 THEN 'cancelled'
                     ELSE 'pending' END,
                '', '',
                CASE WHEN n <= %(due)s OR n %% 10 IN (8, 9) THEN 'scheduled' ELSE '' END,
                CASE WHEN n <= %(due)s THEN now() - make_interval(secs => n)
                     WHEN n %% 10 IN (8, 9) THEN now() + make_interval(mins => n %% 525600 + 1)
                     END,
                0, 0
            FROM generate_series(%(first)s, %(last)s) AS n
            """,
            {
                "first_patient": first_patient,
                "patients": PATIENTS,
                "due": due,
                "first": first,
                "last": last,
            },
        )
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("VACUUM ANALYZE followups_followup")


def copy_to_large_database() -> None:
    from django.db import connection

    connection.close()
    subprocess.run([*PSQL, f"CREATE DATABASE {LARGE_DATABASE} TEMPLATE {DATABASE}"], check=True)


def use_database(name: str) -> None:
    """Point Django's one connection at this database (closed now, opened on next use)."""
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = name


def release_claims() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            "UPDATE followups_followup SET claimed_until = NULL WHERE claimed_until IS NOT NULL"
        )
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("VACUUM ANALYZE followups_followup")


def time_claims() -> tuple[float, float]:
    """Milliseconds of one claim, and of claiming all due (batch after batch)."""
    from apps.followups.services.reminders import reminders_claim_due

    release_claims()
    started = time.perf_counter()
    first = reminders_claim_due()
    one = (time.perf_counter() - started) * 1000
    claimed = len(first)
    while batch := reminders_claim_due():
        claimed += len(batch)
    whole = (time.perf_counter() - started) * 1000
    if claimed != DUE:
        raise RuntimeError(f"claimed {claimed} of {DUE} due")
    release_claims()
    return one, whole


def claim_plan() -> str:
    from django.db import transaction
    from django.utils import timezone

    from apps.followups.services.reminders import _due

    queryset = (
        _due(timezone.now())
        .select_related("patient", "rule")
        .order_by("next_reminder_at", "id")
        .select_for_update(skip_locked=True, of=("self",))[:100]
    )
    with transaction.atomic():
        plan = queryset.explain(analyze=True, buffers=True)
        transaction.set_rollback(True)
    return plan


def table_size() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*),
                      count(*) FILTER (WHERE status = 'pending' AND next_reminder_at IS NOT NULL),
                      pg_size_pretty(pg_total_relation_size('followups_followup')),
                      pg_size_pretty(pg_relation_size('followup_reminder_due_idx'))
               FROM followups_followup"""
        )
        total, indexed, size, index = cursor.fetchone()
    return (
        f"{total:,} follow-ups ({indexed:,} in the partial index followup_reminder_due_idx, "
        f"{index}; table with indexes {size})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    started = time.monotonic()
    build_database()
    setup_django()
    add_patients()
    add_follow_ups(first=1, last=100_000, due=DUE)
    copy_to_large_database()
    use_database(LARGE_DATABASE)
    add_follow_ups(first=100_001, last=1_000_000)
    databases = {100_000: DATABASE, 1_000_000: LARGE_DATABASE}
    timings: dict[int, tuple[list[float], list[float]]] = {n: ([], []) for n in databases}
    for _ in range(runs + 1):  # the first round warms both up and is not counted
        for total, name in databases.items():
            use_database(name)
            one, whole = time_claims()
            timings[total][0].append(one)
            timings[total][1].append(whole)
    results = {}
    for total, name in databases.items():
        use_database(name)
        results[total] = (table_size(), timings[total][0][1:], timings[total][1][1:])
    plan = claim_plan()

    lines = [
        "## The minute tick: claiming due reminders",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine()}; "
        f"load average {load_average()} at the end (the machine is shared). "
        f"`.venv/bin/python bench/reminder_tick.py --runs {runs}` "
        f"({time.monotonic() - started:.0f} s including the build).",
        "",
        f"{DUE:,} reminders due; medians of {runs} runs per size, alternating between the "
        "two databases, claims released and the table vacuumed before each run. A claim "
        "writes a history row per reminder claimed (the pghistory trigger on follow-ups "
        "stays on).",
        "",
        "| follow-ups in all | one claim (100 due) ms | all 10,000 claimed, ms | table |",
        "|---|---|---|---|",
    ]
    for total, (size, one, whole) in results.items():
        lines.append(
            f"| {total:,} | {statistics.median(one):.1f} | {statistics.median(whole):.0f} "
            f"| {size} |"
        )
    small, large = results[100_000], results[1_000_000]
    lines += [
        "",
        "Ratio 1,000,000 / 100,000 (goal <= 1.2): one claim "
        f"**{statistics.median(large[1]) / statistics.median(small[1]):.2f}**, all due claimed "
        f"**{statistics.median(large[2]) / statistics.median(small[2]):.2f}**.",
        "",
        "Every run (ms), 100,000: one claim "
        + ", ".join(f"{v:.1f}" for v in small[1])
        + "; all due "
        + ", ".join(f"{v:.0f}" for v in small[2])
        + ". 1,000,000: one claim "
        + ", ".join(f"{v:.1f}" for v in large[1])
        + "; all due "
        + ", ".join(f"{v:.0f}" for v in large[2])
        + ".",
        "",
        "Plan of the claim at 1,000,000 (`EXPLAIN (ANALYZE, BUFFERS)`, first batch):",
        "",
        "```",
        plan,
        "```",
    ]
    write_part("tick", "\n".join(lines))


def write_part(part: str, markdown: str) -> None:
    """bench/results/reminders.md holds the tick and the send sections; each script
    rewrites its own part between markers and leaves the other's."""
    from _common import RESULTS_DIR

    path = RESULTS_DIR / "reminders.md"
    text = path.read_text() if path.exists() else "# Reminder e-mails at scale\n"
    start, end = f"<!-- {part} -->", f"<!-- /{part} -->"
    block = f"{start}\n{markdown.rstrip()}\n{end}"
    if start in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text.rstrip() + "\n", encoding="utf-8")
    print(markdown)


if __name__ == "__main__":
    main()
