"""Sending 10,000 due reminder e-mails to a local SMTP server: messages per second, CPU per
message, connections, and how many addresses got a message twice (must be none).

    .venv/bin/python bench/reminder_send.py [--senders 1 4] [--before REV] [--rounds 1]

Builds its own throw-away database (`exotrack_bench_reminder_send`, dropped and created;
`--reuse` keeps it): 10,000 patients, each with one address and one follow-up due in the
last hours (check-ins, outcomes and repeat sessions alike, so two thirds carry a
self-report link). Each run makes the 10,000 due and unsent again, starts a fresh
aiosmtpd server in a separate process (it counts arrivals per address and connections)
and runs the real minute tick (`reminders_send_due`: claims, messages, SMTP, the
delivery record) in a sender process until nothing is due.

`--before REV` runs the same tick of an earlier commit (its apps/, config/ and exotrack/
exported by `git archive` to a temporary folder) in the same run, alternating with the
current code, so the before/after ratio is measured under the same load. For the
earlier code `--senders N` means N sender processes side by side (it had no senders of
its own); for the current code it is FOLLOWUP_REMINDER_SENDERS, the tick's own senders.

Two references in the same run: plain smtplib sending 2,000 ready-made messages over
one connection into the same kind of server, and one-row UPDATE commits per second
(synchronous_commit on) from one session.

Writes the send section of bench/results/reminders.md.
"""

import argparse
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, load_average, machine
from reminder_tick import create_migrated_database, write_part

DATABASE = "exotrack_bench_reminder_send"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
DUE = 10_000


# --- The SMTP server, in a process of its own ----------------------------------------


def smtp_server_process(ready, stop, results) -> None:
    import logging
    import re

    # aiosmtpd logs every command at INFO: a terminal's worth of text per message,
    # which no real mail server's log costs.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    sys.path.insert(0, str(ROOT))
    from tests.integration.smtp_server import Arrival, RecordingHandler, smtp_server

    message_id = re.compile(rb"^Message-ID:\s*(<[^>]*>)", re.IGNORECASE | re.MULTILINE)

    class CountingHandler(RecordingHandler):
        """Keeps the recipient and Message-ID of each message without parsing the MIME
        parts as the tests' server does (which costs it as much CPU as the sender):
        a mail server queues the bytes it was given."""

        async def handle_DATA(self, server, session, envelope):
            found = message_id.search(envelope.original_content or b"")
            with self.lock:
                for to in envelope.rcpt_tos:
                    self.arrivals.append(
                        Arrival(
                            to=to,
                            message_id=found[1].decode() if found else "",
                            subject="",
                            message=None,  # type: ignore[arg-type]
                        )
                    )
                number = len(self.arrivals)
            return f"250 2.0.0 Ok: queued as T{number}"

    with smtp_server(CountingHandler()) as (handler, port):
        ready.put(port)
        stop.wait()
        per_address = handler.per_recipient()
        message_ids = [a.message_id for a in handler.arrivals]
        usage = resource.getrusage(resource.RUSAGE_SELF)
        results.put(
            {
                "arrived": handler.count(),
                "addresses": len(per_address),
                "twice": sum(1 for n in per_address.values() if n > 1),
                "repeated_ids": len(message_ids) - len(set(message_ids)),
                "connections": handler.connections,
                "cpu": usage.ru_utime + usage.ru_stime,
            }
        )


class MailServer:
    def __enter__(self) -> "MailServer":
        self.ready, self.results = multiprocessing.Queue(), multiprocessing.Queue()
        self.stop = multiprocessing.Event()
        self.process = multiprocessing.Process(
            target=smtp_server_process, args=(self.ready, self.stop, self.results)
        )
        self.process.start()
        self.port = self.ready.get(timeout=30)
        return self

    def counts(self) -> dict:
        self.stop.set()
        counts = self.results.get(timeout=60)
        self.process.join(timeout=30)
        return counts

    def __exit__(self, *exc_info: object) -> None:
        if self.process.is_alive():
            self.stop.set()
            self.process.join(timeout=30)


# --- The database --------------------------------------------------------------------


def setup_django(code_root: Path = ROOT) -> None:
    sys.path.insert(0, str(code_root))
    os.environ["DATABASE_URL"] = DATABASE_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()


def load_clinic() -> None:
    """A clinic profile, 10,000 patients with an address each and one due follow-up
    each (loaded with triggers off, as the synthetic clinic is: no history rows)."""
    from django.db import connection

    from apps.clinic.models import ClinicProfile

    ClinicProfile.objects.update_or_create(
        pk=1,
        defaults={
            "name": "Harbour Regenerative Clinic",
            "contact_phone": "+1 555 0199",
            "booking_url": "https://book.harbour.example/",
            "booking_instructions": "Or drop by the front desk, Monday to Friday.",
        },
    )
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            """INSERT INTO patients_patient (
                   first_name, last_name, date_of_birth, sex, email, phone, email_consent,
                   email_consent_given_at, immunocompromised, immunocompromised_note,
                   cold_sore_history, allergies, conditions, void_reason, created_at, updated_at)
               SELECT 'Pat' || n, 'Bench', DATE '1950-01-01' + n, 'unknown',
                      'patient' || n || '@example.com', '', true, now() - interval '1 year',
                      false, '', false, '', '', '', now(), now()
               FROM generate_series(1, %s) AS n""",
            [DUE],
        )
        cursor.execute(
            """INSERT INTO followups_followup (
                   created_at, updated_at, patient_id, kind, channel, due_on, status, note,
                   completion_note, reminder_state, next_reminder_at, reminders_sent,
                   temporary_failures)
               SELECT now(), now(), p.id,
                      (ARRAY['check_in', 'outcome', 'repeat_session'])[1 + p.id %% 3],
                      'email', current_date, 'pending', '', '', 'scheduled', now(), 0, 0
               FROM patients_patient p""",
            [],
        )
        cursor.execute("SET session_replication_role = DEFAULT")


def make_due_again() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            """UPDATE followups_followup
               SET reminder_state = 'scheduled', reminders_sent = 0, claimed_until = NULL,
                   temporary_failures = 0, status = 'pending', channel = 'email',
                   next_reminder_at = now() - make_interval(secs => id %% 36000)""",
            [],
        )
        cursor.execute("DELETE FROM followups_reminderdelivery")
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("VACUUM ANALYZE followups_followup, followups_reminderdelivery")
    connection.close()


def delivery_rows() -> tuple[int, int]:
    """Delivery rows logged as sent, and follow-ups counted as sent more than once."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT (SELECT count(*) FROM followups_reminderdelivery WHERE status = 'sent'),
                      (SELECT count(*) FROM followups_followup WHERE reminders_sent > 1)"""
        )
        logged, counted_twice = cursor.fetchone()
    connection.close()
    return logged, counted_twice


# --- One sender process ----------------------------------------------------------------


def sender(code_root: Path) -> None:
    """Runs in a subprocess: the tick of the code at `code_root`, until nothing is due."""
    setup_django(code_root)
    from apps.followups.services.reminders import reminders_send_due

    tick = reminders_send_due(budget_seconds=3600)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "sent": tick.sent,
                "retrying": tick.retrying,
                "failed": tick.failed,
                "connections": tick.connections,
                "cpu": usage.ru_utime + usage.ru_stime,
            }
        )
    )


def run(*, label: str, code_root: Path, processes: int, senders: int, batch: int) -> dict:
    make_due_again()
    with MailServer() as server:
        env = {
            **os.environ,
            "DATABASE_URL": DATABASE_URL,
            "EMAIL_URL": f"smtp://127.0.0.1:{server.port}",
            "FOLLOWUP_REMINDER_BATCH_SIZE": str(batch),
            "FOLLOWUP_REMINDER_SENDERS": str(senders),
        }
        load_before = load_average()
        started = time.perf_counter()
        children = [
            subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "--sender", str(code_root)],
                # Celery's Django fix-up puts the working directory first on the path.
                cwd=code_root,
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(processes)
        ]
        outputs = [json.loads(child.communicate()[0].splitlines()[-1]) for child in children]
        seconds = time.perf_counter() - started
        load_after = load_average()
        counts = server.counts()
    logged, counted_twice = delivery_rows()
    sent = sum(o["sent"] for o in outputs)
    result = {
        "label": label,
        "processes": processes,
        "senders": senders,
        "batch": batch,
        "seconds": seconds,
        "sent": sent,
        "rate": sent / seconds,
        # The interpreter's start and Django's setup are in the process's CPU time too.
        "cpu_ms": 1000 * sum(o["cpu"] for o in outputs) / max(sent, 1),
        "server_cpu_ms": 1000 * counts["cpu"] / max(counts["arrived"], 1),
        "connections": counts["connections"],
        "sender_connections": sum(o["connections"] for o in outputs),
        "logged": logged,
        "counted_twice": counted_twice,
        "load": f"{load_before} / {load_after}",
        **{k: counts[k] for k in ("arrived", "addresses", "twice", "repeated_ids")},
    }
    print(json.dumps(result), flush=True)
    return result


# --- References ----------------------------------------------------------------------


def plain_smtplib(count: int = 2_000) -> float:
    """Messages per second of smtplib alone: ready-made messages, one connection."""
    import smtplib
    from email.message import EmailMessage

    messages = []
    for n in range(count):
        message = EmailMessage()
        message["From"] = "no-reply@exotrack.local"
        message["To"] = f"plain{n}@example.com"
        message["Subject"] = "Harbour Regenerative Clinic: time for a short check-in"
        message.set_content("Hello,\n\n" + "A short check-in is due.\n" * 20)
        messages.append(message)
    with MailServer() as server:
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", server.port) as smtp:
            for message in messages:
                smtp.send_message(message)
        seconds = time.perf_counter() - started
        server.counts()
    return count / seconds


def commits_per_second(count: int = 2_000) -> float:
    """One-row UPDATE, committed (synchronous_commit on), from one session."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_commit (id int PRIMARY KEY, n int)")
        cursor.execute("INSERT INTO bench_commit VALUES (1, 0) ON CONFLICT DO NOTHING")
    started = time.perf_counter()
    for _ in range(count):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE bench_commit SET n = n + 1 WHERE id = 1")
    seconds = time.perf_counter() - started
    connection.close()
    return count / seconds


def export_code(revision: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="reminder-send-before-"))
    archive = subprocess.run(
        ["git", "archive", revision, "apps", "config", "exotrack"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


# --- The report ------------------------------------------------------------------------


def report(results: list[dict], *, args: argparse.Namespace, smtp_rate: float, commits: float):
    command = " ".join(["bench/reminder_send.py", *sys.argv[1:]])
    lines = [
        "## Sending 10,000 reminders to a local SMTP server",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine()}; "
        f"load average {load_average()} at the end (the machine is shared). "
        f"`.venv/bin/python {command}` against aiosmtpd in a separate process on the same "
        "machine (no TLS, no disk queue), 10,000 patients with one due reminder each.",
        "",
        "| code | sender processes x senders | batch | seconds | messages / s "
        "| sender CPU ms / message | server CPU ms / message | connections (server / sender) "
        "| accepted | addresses | addresses given two | delivery rows | load (start / end) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['label']} | {r['processes']} x {r['senders']} | {r['batch']} "
            f"| {r['seconds']:.1f} | **{r['rate']:.0f}** | {r['cpu_ms']:.1f} "
            f"| {r['server_cpu_ms']:.1f} | {r['connections']} / {r['sender_connections']} "
            f"| {r['arrived']:,} | {r['addresses']:,} | {r['twice']} | {r['logged']:,} "
            f"| {r['load']} |"
        )
    lines += [
        "",
        f"References in the same run: plain smtplib, 2,000 ready-made messages over one "
        f"connection: **{smtp_rate:.0f} messages/s**; PostgreSQL, one-row UPDATE commits "
        f"from one session: **{commits:.0f} commits/s**.",
    ]
    write_part("send", "\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--senders", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--before", help="also run this earlier commit's tick, e.g. HEAD~3")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="keep the database of a last run")
    parser.add_argument("--sender", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sender:
        sender(args.sender)
        return

    if not args.reuse:
        create_migrated_database(DATABASE)
    setup_django()
    if not args.reuse:
        load_clinic()
    before = export_code(args.before) if args.before else None
    results = []
    for _ in range(args.rounds):
        for senders in args.senders:
            if before is not None:
                results.append(
                    run(
                        label=f"before ({args.before})",
                        code_root=before,
                        processes=senders,
                        senders=1,
                        batch=args.batch_size,
                    )
                )
            results.append(
                run(
                    label="now",
                    code_root=ROOT,
                    processes=1,
                    senders=senders,
                    batch=args.batch_size,
                )
            )
    smtp_rate = plain_smtplib()
    commits = commits_per_second()
    report(results, args=args, smtp_rate=smtp_rate, commits=commits)


if __name__ == "__main__":
    main()
