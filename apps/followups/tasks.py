"""Thin Celery tasks of the follow-ups app: each calls a service."""

from celery import shared_task
from django.utils import timezone

from apps.followups import digest
from apps.followups.services import reminders
from exotrack.task_retries import DAILY_EMAIL_TASK


# Beat sends it every minute (expiring after 55 s, so a backlog of ticks is dropped).
# No retries: the database is the schedule, and the next tick takes up whatever this
# one left. acks_late is global, so a killed worker's tick is redelivered; its claims
# keep a redelivered tick from sending anything twice.
@shared_task(ignore_result=True)
def reminders_send_due() -> None:
    reminders.reminders_send_due()


# Beat sends it daily at STAFF_DIGEST_HOUR (clinic time). A clinician whose digest could
# not be sent has no StaffDigest row for the day, so a retry sends just theirs.
@shared_task(**DAILY_EMAIL_TASK)
def staff_digest_daily() -> None:
    digest.staff_digest_send(now=timezone.now())
