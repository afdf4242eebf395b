"""Tasks that exist only for tests of the worker machinery. The worker started by
`celery_worker_process` imports this module (`--include`), so the test can send them."""

import time
from pathlib import Path

from celery import shared_task

from exotrack.health import worker_heartbeat_record


@shared_task
def slow_heartbeat(*, seconds: float) -> None:
    """Marks its start and its end, so a test can kill the worker in between."""
    worker_heartbeat_record(hostname="started")
    time.sleep(seconds)
    worker_heartbeat_record(hostname="finished")


@shared_task
def reached(*, path: str) -> None:
    """Creates the file at `path`. Sent behind other tasks to a worker that runs one task
    at a time in the order sent, it shows, once the file exists, that those are done."""
    Path(path).touch()
