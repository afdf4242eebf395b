"""Thin Celery tasks of the safety app: each calls a service."""

from celery import shared_task
from django.utils import timezone

from apps.safety.services import safety_signals


# Beat sends it daily at SAFETY_SIGNALS_HOUR (clinic time). A failed e-mail leaves the
# lots untold in the database, so a retry (or the next day) tells them once.
@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=60,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
    ignore_result=True,
)
def safety_signals_daily() -> None:
    safety_signals.safety_signals_refresh(now=timezone.now())
