"""Thin Celery tasks of the follow-ups app: each calls a service."""

from celery import shared_task

from apps.followups.services import reminders


# Beat sends it every minute (expiring after 55 s, so a backlog of ticks is dropped).
# No retries: the database is the schedule, and the next tick takes up whatever this
# one left. acks_late is global, so a killed worker's tick is redelivered; its claims
# keep a redelivered tick from sending anything twice.
@shared_task(ignore_result=True)
def reminders_send_due() -> None:
    reminders.reminders_send_due()
