"""Sending 10,000 reminder e-mails to a local SMTP server: messages per second and
connections opened.

    .venv/bin/python bench/reminder_send.py [--batch-size 100]

Uses the database bench/reminder_tick.py built (`exotrack_bench_reminders`, run that
first): its 10,000 due reminders are made due and unsent again, then sent through the
real sender (`reminders_send_due`: claims, templates, one SMTP connection per batch,
a conditional update and a delivery row per message) to an aiosmtpd server running in
a separate process, which counts messages, recipients and connections.
Writes the send section of bench/results/reminders.md.
"""

import argparse
import multiprocessing
import os
import time

from _common import load_average, machine
from reminder_tick import DATABASE_URL, DUE, ROOT, setup_django, write_part


def smtp_server_process(ready, stop, results) -> None:
    import sys

    sys.path.insert(0, str(ROOT))
    from tests.integration.smtp_server import smtp_server

    with smtp_server() as (handler, port):
        ready.put(port)
        stop.wait()
        results.put((handler.count(), handler.connections))


def make_due_again() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            """UPDATE followups_followup
               SET reminder_state = 'scheduled', reminders_sent = 0, claimed_until = NULL,
                   temporary_failures = 0, next_reminder_at = now() - make_interval(secs => id)
               WHERE id <= %s""",
            [DUE],
        )
        cursor.execute("DELETE FROM followups_reminderdelivery")
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("VACUUM ANALYZE followups_followup")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=100)
    batch_size = parser.parse_args().batch_size

    ready, stop, results = multiprocessing.Queue(), multiprocessing.Event(), multiprocessing.Queue()
    server = multiprocessing.Process(target=smtp_server_process, args=(ready, stop, results))
    server.start()
    port = ready.get(timeout=30)
    os.environ["DATABASE_URL"] = DATABASE_URL
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
    os.environ["FOLLOWUP_REMINDER_BATCH_SIZE"] = str(batch_size)
    setup_django()
    from apps.followups.models import ReminderDelivery
    from apps.followups.services.reminders import reminders_send_due

    make_due_again()
    started = time.perf_counter()
    tick = reminders_send_due(budget_seconds=3600)
    seconds = time.perf_counter() - started
    stop.set()
    arrived, connections = results.get(timeout=30)
    server.join(timeout=30)
    logged = ReminderDelivery.objects.filter(status="sent").count()

    lines = [
        "## Sending 10,000 reminders to a local SMTP server",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine()}; "
        f"load average {load_average()} at the end. "
        f"`.venv/bin/python bench/reminder_send.py --batch-size {batch_size}` against "
        "aiosmtpd in a separate process on the same machine (no TLS, no disk queue).",
        "",
        "| reminders sent | batch size | seconds | messages / s | connections opened "
        "| server accepted | delivery rows |",
        "|---|---|---|---|---|---|---|",
        f"| {tick.sent:,} | {batch_size} | {seconds:.1f} | {tick.sent / seconds:.0f} "
        f"| {connections} (sender counted {tick.connections}) | {arrived:,} | {logged:,} |",
    ]
    write_part("send", "\n".join(lines))


if __name__ == "__main__":
    main()
