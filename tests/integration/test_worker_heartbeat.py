"""The heartbeat task travels through the real broker to a real worker process."""

import datetime

import pytest
from django.conf import settings
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
