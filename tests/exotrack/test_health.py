"""/healthz answers 200 only when the database and the broker both answer."""

import datetime
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from exotrack.health import CHECK_TIMEOUT_SECONDS, worker_heartbeat_record
from exotrack.models import WorkerHeartbeat

CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"


def test_healthy_when_database_and_broker_answer(client, db):
    # Anonymous on purpose: load balancers do not sign in.
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert body["worker_heartbeat"] is None  # no worker has run yet


def test_unavailable_when_the_broker_is_unreachable(client, db, settings):
    settings.CELERY_BROKER_URL = CLOSED_PORT_BROKER

    started = time.monotonic()
    response = client.get("/healthz")

    assert time.monotonic() - started < CHECK_TIMEOUT_SECONDS + 1
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "ok"
    assert body["broker"] != "ok"


def test_reports_the_age_of_the_last_worker_heartbeat(client, db):
    worker_heartbeat_record(hostname="celery@clinic-1")
    WorkerHeartbeat.objects.update(beat_at=timezone.now() - datetime.timedelta(minutes=5))

    body = client.get("/healthz").json()

    assert body["worker_heartbeat"]["hostname"] == "celery@clinic-1"
    assert 299 <= body["worker_heartbeat"]["age_seconds"] <= 310
    # An old heartbeat is information for ops, not an outage.
    assert body["status"] == "ok"


def test_heartbeat_keeps_one_row(db):
    worker_heartbeat_record(hostname="celery@a")
    worker_heartbeat_record(hostname="celery@b")

    assert list(WorkerHeartbeat.objects.values_list("pk", "hostname")) == [(1, "celery@b")]


def test_only_get_is_allowed(client, db):
    assert client.post("/healthz").status_code == 405


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, *, timeout: float = 10) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_unavailable_when_the_database_is_unreachable(tmp_path):
    """A real server process whose DATABASE_URL points at a closed port."""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/exotrack",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    }
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except (ConnectionError, urllib.error.URLError):
                assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()

    assert status == 503, body
    payload = json.loads(body)
    assert payload["status"] == "unavailable"
    assert payload["database"] != "ok"
    assert payload["broker"] == "ok"
    assert payload["worker_heartbeat"] is None
