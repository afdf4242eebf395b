"""Periodic jobs of the site shell. Thin: each calls one service."""

from celery import shared_task

from exotrack.api.idempotency import idempotency_keys_expire
from exotrack.health import worker_heartbeat_record


# A heartbeat that waited in the queue longer than the beat interval says nothing about
# the worker now: let it expire instead of piling up while the worker is down.
@shared_task(bind=True, ignore_result=True, expires=55)
def worker_heartbeat(self) -> None:
    worker_heartbeat_record(hostname=self.request.hostname or "")


@shared_task(ignore_result=True)
def idempotency_keys_expire_hourly() -> None:
    idempotency_keys_expire()
