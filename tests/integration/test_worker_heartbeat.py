"""The heartbeat task travels through the real broker to a real worker process."""

import datetime
import time

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.celery import app as celery_app
from exotrack.models import WorkerHeartbeat
from exotrack.tasks import worker_heartbeat
from tests.integration.tasks import slow_heartbeat

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


def test_a_task_enqueued_in_a_transaction_leaves_only_after_commit(celery_worker_process):
    with transaction.atomic():
        worker_heartbeat.delay_on_commit()
        celery_worker_process.wait_until_drained()
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

    celery_worker_process.wait_until_drained()
    assert not WorkerHeartbeat.objects.exists()


VISIBILITY_TIMEOUT = 2


def test_a_task_running_when_its_worker_is_killed_is_delivered_again(celery_worker_factory):
    """acks_late + reject_on_worker_lost: a task is acknowledged only once it finished,
    so SIGKILL mid-task leaves it with the broker, which hands it out again after the
    visibility timeout (shortened here from an hour to 2 s)."""
    worker = celery_worker_factory(extra_env={"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)})

    slow_heartbeat.delay(seconds=3)
    worker.wait_for(
        lambda: WorkerHeartbeat.objects.filter(hostname="started").exists(),
        timeout=30,
        what="the task to start",
    )
    worker.kill()
    assert WorkerHeartbeat.objects.get().hostname == "started"

    # A starting worker restores messages unacknowledged for longer than the timeout
    # (later scans are throttled to every ~100 s), so restart once it has passed.
    time.sleep(VISIBILITY_TIMEOUT + 0.5)
    worker.start()
    worker.wait_for(
        lambda: WorkerHeartbeat.objects.filter(hostname="finished").exists(),
        timeout=60,
        what="the task to be delivered again and finish",
    )


def test_the_worker_carries_on_after_the_broker_restarts(celery_worker_factory, private_redis):
    worker = celery_worker_factory(broker_url=private_redis.url)

    private_redis.restart()
    with celery_app.connection_for_write(private_redis.url) as broker:
        worker_heartbeat.apply_async(connection=broker)

    worker.wait_for(
        WorkerHeartbeat.objects.exists, timeout=60, what="the worker to reconnect and run it"
    )
    assert "Connection to broker lost" in worker.log()
