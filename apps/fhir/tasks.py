"""Thin Celery tasks of the FHIR app: each calls a service."""

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.utils import timezone

from apps.fhir import services


# Redelivered after a lost worker (acks_late): the service carries on after the last
# resource type it finished (or starts over when those files are not whole).
# DjangoTask, the app's task class anyway, named so that its delay_on_commit is typed.
@shared_task(base=DjangoTask, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def bulk_export_run(export_id: str) -> None:
    services.bulk_export_run(export_id=export_id)


@shared_task(ignore_result=True, expires=50 * 60)
def bulk_exports_expire() -> None:
    services.bulk_exports_expire(now=timezone.now())
