"""Thin Celery tasks of the imports app: each calls a service. Both are idempotent: a
repeated or redelivered task finds the import no longer waiting and does nothing, and a
task whose worker died mid-way starts the same all-or-nothing transaction again.
DjangoTask, the app's task class anyway, is named so that their delay_on_commit is typed."""

from celery import shared_task
from celery.contrib.django.task import DjangoTask

from apps.imports import services


@shared_task(base=DjangoTask, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def patient_import_check_task(patient_import_id: str) -> None:
    services.patient_import_check(patient_import_id=patient_import_id)


@shared_task(base=DjangoTask, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def patient_import_run_task(patient_import_id: str) -> None:
    services.patient_import_run(patient_import_id=patient_import_id)
