"""The heartbeat task travels through the real broker to a real worker process."""

import datetime
import time

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from exotrack.models import WorkerHeartbeat
from exotrack.tasks import worker_heartbeat

pytestmark = pytest.mark.integration


def test_worker_records_its_heartbeat(celery_worker_process, client):
    sent_at = timezone.now()
    assert not WorkerHeartbeat.objects.exists()

    worker_heartbeat.delay()

    celery_worker_process.wait_for(
        WorkerHeartbeat.objects.exists, timeout=30, what="the heartbeat row"
    )
    heartbeat = WorkerHeartbeat.objects.get()
    assert sent_at <= heartbeat.beat_at <= timezone.now()
    assert heartbeat.hostname.startswith("test-")
    # /healthz shows it, young.
    body = client.get("/healthz").json()
    assert body["worker_heartbeat"]["hostname"] == heartbeat.hostname
    assert 0 <= body["worker_heartbeat"]["age_seconds"] < 30


def test_a_second_heartbeat_moves_the_single_row_forward(celery_worker_process):
    old = timezone.now() - datetime.timedelta(hours=2)
    WorkerHeartbeat.objects.create(pk=1, beat_at=old, hostname="gone@host")

    worker_heartbeat.delay()

    celery_worker_process.wait_for(
        lambda: WorkerHeartbeat.objects.get().beat_at > old,
        timeout=30,
        what="the heartbeat to move",
    )
    assert WorkerHeartbeat.objects.count() == 1


def test_beat_sends_the_heartbeat_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["worker-heartbeat"]
    assert entry["task"] == worker_heartbeat.name
    assert entry["schedule"] == 60.0


# Long enough for the running worker to pick up a message sent too early (it takes well
# under a second when one is on the queue).
WORKER_TURNAROUND = 2.0


def test_a_task_enqueued_in_a_transaction_leaves_only_after_commit(celery_worker_process):
    with transaction.atomic():
        worker_heartbeat.delay_on_commit()
        time.sleep(WORKER_TURNAROUND)
        assert not WorkerHeartbeat.objects.exists(), "sent before the transaction committed"

    celery_worker_process.wait_for(
        WorkerHeartbeat.objects.exists, timeout=30, what="the heartbeat after commit"
    )


def test_a_task_enqueued_in_a_rolled_back_transaction_is_never_sent(celery_worker_process):
    class RolledBack(Exception):
        pass

    with pytest.raises(RolledBack), transaction.atomic():
        worker_heartbeat.delay_on_commit()
        raise RolledBack

    time.sleep(WORKER_TURNAROUND)
    assert not WorkerHeartbeat.objects.exists()
