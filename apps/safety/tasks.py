"""Thin Celery tasks of the safety app: each calls a service."""

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.utils import timezone

from apps.safety.services import adverse_events, safety_signals
from exotrack.task_retries import DAILY_EMAIL_TASK, ONE_EMAIL_TASK


# SMTP errors are OSErrors: retried with growing, jittered waits (30 s, 1 min, 2 min ...
# up to an hour apart). The claim is rolled back on failure, so a retry sends it once.
# DjangoTask, the app's task class anyway, named so that its delay_on_commit is typed.
@shared_task(base=DjangoTask, **ONE_EMAIL_TASK)
def serious_event_email(event_id: int) -> None:
    adverse_events.serious_event_notify(event_id=event_id)


# Beat sends it every ten minutes; one that waited longer than that is dropped.
@shared_task(ignore_result=True, expires=9 * 60)
def serious_events_email_pending() -> None:
    adverse_events.serious_events_notify_pending()


# Beat sends it daily at SAFETY_SIGNALS_HOUR (clinic time). A failed e-mail leaves the
# lots untold in the database, so a retry (or the next day) tells them once.
@shared_task(**DAILY_EMAIL_TASK)
def safety_signals_daily() -> None:
    safety_signals.safety_signals_refresh(now=timezone.now())
