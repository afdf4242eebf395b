"""Real Celery worker processes for tests that need one.

`celery_worker_process` starts `celery worker` as a subprocess against the real Redis
broker and this test run's database, and stops it after the test; kill() (SIGKILL) and
start() let a test prove that delivery survives a lost worker. `celery_worker_factory`
starts workers with options: another pool, another broker (a private Redis a test
restarts), extra environment (CELERY_VISIBILITY_TIMEOUT=2 for quick redelivery).
Workers also import tests/integration/tasks.py, tasks that exist only for these tests.
`wait_until_drained()` proves that a worker has handled everything sent before it, so a
test can then check that something did not happen without guessing a pause.
`private_redis` is a Redis server of the test's own, to restart at will (send to it with
`task.apply_async(connection=...)` from `celery_app.connection_for_write(url)`).

The broker is settings.CELERY_BROKER_URL of the test run: give each concurrent test
run its own Redis database (e.g. CELERY_BROKER_URL=redis://127.0.0.1:6379/14), since a
worker consumes whatever is on its queue. Waiting and unacknowledged messages are
cleared before the first worker starts, so nothing from an earlier run leaks in.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from tests.integration.tasks import reached

BASE_DIR = Path(settings.BASE_DIR)
CELERY = Path(sys.executable).with_name("celery")


def _database_url() -> str:
    # The test database pytest-django created (test_<name>), not the configured one.
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


class CeleryWorkerProcess:
    def __init__(
        self,
        *,
        log_path: Path,
        pool: str = "solo",
        broker_url: str = "",
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.log_path = log_path
        self.pool = pool
        self.drained_count = 0
        self.process: subprocess.Popen | None = None
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _database_url(),
            # A test that restarts its own Redis passes that server's URL.
            "CELERY_BROKER_URL": broker_url or settings.CELERY_BROKER_URL,
            **(extra_env or {}),
        }

    def start(self, *, timeout: float = 60) -> None:
        assert self.process is None or self.process.poll() is not None, "already running"
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "config",
                "worker",
                "-P",
                self.pool,
                "-c",
                "1",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--include",
                "tests.integration.tasks",
                "-n",
                f"test-{os.getpid()}@%h",
            ],
            cwd=BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.wait_for(
            lambda: " ready." in self.log_path.read_text(errors="replace")[offset:],
            timeout=timeout,
            what="the worker to start",
        )

    def stop(self, *, timeout: float = 20) -> None:
        """Warm shutdown: the worker finishes its current task, then exits."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"worker ignored SIGTERM for {timeout}s\n{self.log()}") from None

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a lost host would: no acknowledgement, no cleanup."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_until_drained(self, *, timeout: float = 30) -> None:
        """Wait until the worker has handled every task sent to its broker so far. It runs
        one task at a time (concurrency 1), in the order sent, so once a marker task sent
        now has run, whatever was sent before it has run too. Only for a test with this
        one worker on the queue: with two, the other might still hold an earlier task."""
        self.drained_count += 1
        marker = self.log_path.with_name(f"{self.log_path.stem}-drained-{self.drained_count}")
        with celery_app.connection_for_write(self.env["CELERY_BROKER_URL"]) as broker:
            reached.apply_async(kwargs={"path": str(marker)}, connection=broker)
        self.wait_for(marker.exists, timeout=timeout, what="the tasks sent before the marker")

    def wait_for(self, condition: Callable[[], object], *, timeout: float = 30, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"worker exited while waiting for {what}\n{self.log()}")
            time.sleep(0.2)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{self.log()}")


def _forget_waiting_messages() -> None:
    """Empty the queue and the broker's record of unacknowledged messages, so nothing an
    earlier run left (or a worker killed mid-task) is delivered into this test."""
    with celery_app.connection_for_write(settings.CELERY_BROKER_URL) as broker:
        celery_app.control.purge(connection=broker)
        channel = broker.default_channel
        channel.client.delete(channel.unacked_key, channel.unacked_index_key)


@pytest.fixture
def celery_worker_factory(
    transactional_db, tmp_path
) -> Iterator[Callable[..., CeleryWorkerProcess]]:
    """Start workers with options (pool, broker_url, extra_env); all are stopped after
    the test. Data the test commits is visible to them (transactional_db)."""
    _forget_waiting_messages()
    workers: list[CeleryWorkerProcess] = []

    def start(**options) -> CeleryWorkerProcess:
        worker = CeleryWorkerProcess(
            log_path=tmp_path / f"celery-worker-{len(workers) + 1}.log", **options
        )
        workers.append(worker)
        worker.start()
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def celery_worker_process(celery_worker_factory) -> CeleryWorkerProcess:
    """A started worker with the default options."""
    return celery_worker_factory()


class PrivateRedis:
    """A Redis server of the test's own, so the test may restart it without disturbing
    anyone else's broker. No persistence: a restart loses what was queued, as a crashed
    broker without AOF would."""

    def __init__(self, *, log_path: Path) -> None:
        self.log_path = log_path
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self, *, timeout: float = 10) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"redis-server did not start\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(log_path=tmp_path / "redis.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()
