"""Tasks that exist only for tests of the worker machinery. The worker started by
`celery_worker_process` imports this module (`--include`), so the test can send them."""

import time

from celery import shared_task

from exotrack.health import worker_heartbeat_record


@shared_task
def slow_heartbeat(*, seconds: float) -> None:
    """Marks its start and its end, so a test can kill the worker in between."""
    worker_heartbeat_record(hostname="started")
    time.sleep(seconds)
    worker_heartbeat_record(hostname="finished")
