"""Reminder e-mails arrive exactly once, proven with real processes: a Redis broker, Celery
worker processes and an SMTP server (aiosmtpd, in this test process) that counts what it
accepted per recipient.

The test plays Celery beat: it sends the minute tick (`reminders_send_due`) itself, every
second or so, instead of waiting a minute between ticks. Leases, waits and timeouts are
shortened through the workers' environment."""

import datetime
import re
import time
from collections.abc import Callable

import pytest
from django.conf import settings
from django.utils import timezone

from apps.followups.models import FollowUp, Kind, ReminderDelivery
from apps.followups.services.scheduling import follow_up_add
from apps.followups.tasks import reminders_send_due
from config.celery import app as celery_app
from tests.factories import PatientFactory
from tests.integration.smtp_server import RecordingHandler, smtp_server

pytestmark = pytest.mark.integration

LEASE_SECONDS = 8
EMAIL_TIMEOUT = 2  # a message starts only with 2 x this left on the lease


@pytest.fixture
def mail_server():
    with smtp_server() as (handler, _port):
        yield handler


def worker_env(mail_server: RecordingHandler, **overrides: str) -> dict[str, str]:
    return {
        "EMAIL_URL": f"smtp://127.0.0.1:{mail_server.port}",
        "EMAIL_TIMEOUT": str(EMAIL_TIMEOUT),
        "FOLLOWUP_REMINDER_LEASE_SECONDS": str(LEASE_SECONDS),
        "FOLLOWUP_REMINDER_BATCH_SIZE": "5",
        # Each worker's tick runs senders side by side, as in production.
        "FOLLOWUP_REMINDER_SENDERS": "3",
        "FOLLOWUP_REMINDER_TICK_SECONDS": "20",
        "FOLLOWUP_REMINDER_RETRY_BACKOFF_SECONDS": "1",
        "FOLLOWUP_REMINDER_RETRY_MAX_ATTEMPTS": "30",
        # A killed worker's tick comes back quickly (the next tick would do as well).
        "CELERY_VISIBILITY_TIMEOUT": "2",
        **overrides,
    }


def due_reminders(count: int) -> list[FollowUp]:
    """Follow-ups of `count` patients, each with a reminder that fell due a minute ago."""
    follow_ups = [
        follow_up_add(
            by=None,
            patient=PatientFactory(email=f"patient{n}@example.com"),
            kind=Kind.REPEAT_SESSION,
            due_on=timezone.localdate(),
        )
        for n in range(count)
    ]
    FollowUp.objects.filter(pk__in=[f.pk for f in follow_ups]).update(
        next_reminder_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    return follow_ups


def send_tick(broker_url: str = "") -> None:
    """What beat does every minute. A broker being restarted refuses for a moment."""
    for _ in range(50):
        try:
            with celery_app.connection_for_write(broker_url or settings.CELERY_BROKER_URL) as c:
                reminders_send_due.apply_async(connection=c, retry=False)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("could not send the tick to the broker")


def play_beat(
    worker, until: Callable[[], bool], *, what: str, every: float = 1.0, broker_url: str = ""
) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        send_tick(broker_url)
        assert worker.running, f"the worker died while waiting for {what}\n{worker.log()}"
        stop = time.monotonic() + every
        while time.monotonic() < stop:
            if until():
                return
            time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}\n{worker.log()}")


def assert_each_arrived_once(
    mail_server: RecordingHandler, follow_ups: list[FollowUp], *workers
) -> None:
    # Warm shutdown: each worker finishes the batch it is sending and exits, so a late
    # duplicate would have arrived by the time its process is gone.
    for worker in workers:
        worker.stop()
    assert mail_server.per_recipient() == {f.patient.email: 1 for f in follow_ups}
    sent = ReminderDelivery.objects.filter(status=ReminderDelivery.Status.SENT)
    assert sent.count() == len(follow_ups)
    assert sorted(sent.values_list("message_id", flat=True)) == sorted(
        a.message_id for a in mail_server.arrivals
    )
    for follow_up in FollowUp.objects.filter(pk__in=[f.pk for f in follow_ups]):
        assert follow_up.reminder_state == FollowUp.ReminderState.SENT
        assert follow_up.reminders_sent == 1
        assert follow_up.claimed_until is None


def test_two_workers_ticking_at_once_send_each_reminder_once(celery_worker_factory, mail_server):
    """(a) Two ticks reach two workers at the same moment; their claims never overlap."""
    mail_server.rcpt_hold = 0.05  # so the two senders are at work side by side
    follow_ups = due_reminders(30)
    env = worker_env(mail_server)
    first = celery_worker_factory(extra_env=env)
    second = celery_worker_factory(extra_env=env)

    send_tick()
    send_tick()

    first.wait_for(lambda: mail_server.count() >= 30, timeout=60, what="30 reminders")
    assert_each_arrived_once(mail_server, follow_ups, first, second)
    # Both workers took a tick and sent some of the thirty.
    for worker in (first, second):
        worker.wait_for(
            lambda w=worker: re.search(r"Reminders: [1-9]\d* sent", w.log()),
            timeout=30,
            what="the worker's tick to send some",
        )
    # One connection per batch of five, across both senders.
    assert mail_server.connections <= 30 // 5 + 2


def test_a_worker_killed_mid_batch_leaves_nothing_lost_or_repeated(
    celery_worker_factory, mail_server
):
    """(b) SIGKILL while the server holds a message before accepting it; a new worker
    (after the lease) sends every reminder, each exactly once."""
    mail_server.rcpt_hold = 0.4
    follow_ups = due_reminders(12)
    worker = celery_worker_factory(extra_env=worker_env(mail_server))

    send_tick()
    worker.wait_for(
        lambda: mail_server.count() >= 3 and mail_server.holding.is_set(),
        timeout=30,
        what="a message in flight after three accepted",
    )
    worker.kill()
    arrived_before_kill = mail_server.count()
    assert 3 <= arrived_before_kill < 12
    # The killed sender's claims stand until their lease ends.
    held = FollowUp.objects.filter(claimed_until__gt=timezone.now()).count()
    assert held >= 1

    mail_server.rcpt_hold = 0.0
    worker.start()
    play_beat(worker, lambda: mail_server.count() >= 12, what="all 12 reminders")

    assert_each_arrived_once(mail_server, follow_ups, worker)


def test_a_broker_restart_loses_no_reminder(celery_worker_factory, mail_server, private_redis):
    """(c) Redis restarts (losing what it held: no persistence) while a tick is sending;
    the database is the schedule, so the next ticks send the rest, once each."""
    mail_server.rcpt_hold = 0.2
    follow_ups = due_reminders(10)
    worker = celery_worker_factory(broker_url=private_redis.url, extra_env=worker_env(mail_server))

    send_tick(private_redis.url)
    worker.wait_for(lambda: mail_server.count() >= 2, timeout=30, what="the tick to start")
    private_redis.restart()
    # A tick sent to the restarted broker before the worker is back, and the ones after.
    play_beat(
        worker,
        lambda: mail_server.count() >= 10,
        what="all 10 reminders",
        broker_url=private_redis.url,
    )

    worker.wait_for(
        lambda: "Connection to broker lost" in worker.log(),
        timeout=30,
        what="the worker to notice the restart",
    )
    assert_each_arrived_once(mail_server, follow_ups, worker)


def test_a_server_refusing_for_a_while_gets_each_reminder_once_it_accepts(
    celery_worker_factory, mail_server
):
    """(d) 421 for the first seconds: each attempt is logged and retried after a growing
    wait; once the server accepts, each reminder is delivered once."""
    follow_ups = due_reminders(5)
    worker = celery_worker_factory(extra_env=worker_env(mail_server))
    refusing_until = time.monotonic() + 3
    mail_server.refuse = lambda address: (
        "421 4.3.2 Service shutting down, try later" if time.monotonic() < refusing_until else None
    )

    play_beat(worker, lambda: mail_server.count() >= 5, what="the 5 reminders")

    assert_each_arrived_once(mail_server, follow_ups, worker)
    for follow_up in follow_ups:
        attempts = list(follow_up.deliveries.order_by("id").values_list("status", "smtp_code"))
        assert attempts[-1] == ("sent", 250)
        assert len(attempts) >= 2
        assert set(attempts[:-1]) == {("temporary_failure", 421)}
        follow_up.refresh_from_db()
        assert follow_up.temporary_failures == 0
