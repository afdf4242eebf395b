"""Thin Celery tasks of the consents app: each calls a service."""

from celery import shared_task
from celery.contrib.django.task import DjangoTask

from apps.consents.services import consent_request_email_send
from exotrack.task_retries import ONE_EMAIL_TASK


# SMTP errors are OSErrors: retried with growing waits; the service sends once.
# DjangoTask, the app's task class anyway, named so that its delay_on_commit is typed.
@shared_task(base=DjangoTask, **ONE_EMAIL_TASK)
def consent_request_email(request_id: int) -> None:
    consent_request_email_send(request_id=request_id)
