"""Retry options shared by the tasks that hand e-mail to the SMTP server.

SMTP errors are OSErrors: such a task is retried with growing, jittered waits (1 min,
2 min ... up to an hour apart). Their services keep what was not sent in the database,
so a retry sends only that."""

from typing import TypedDict


class RetryOptions(TypedDict):
    """`shared_task` keyword arguments, typed so that `**` of them is checked."""

    acks_late: bool
    autoretry_for: tuple[type[BaseException], ...]
    retry_backoff: int
    retry_backoff_max: int
    retry_jitter: bool
    max_retries: int
    ignore_result: bool


DAILY_EMAIL_TASK: RetryOptions = {
    "acks_late": True,
    "autoretry_for": (OSError,),
    "retry_backoff": 60,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 8,
    "ignore_result": True,
}


# One message enqueued after commit (a serious event, a signing link): retried sooner and
# longer than a daily task, since a person is waiting for it.
ONE_EMAIL_TASK: RetryOptions = {
    "acks_late": True,
    "autoretry_for": (OSError,),
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 12,
    "ignore_result": True,
}
