"""Domain-free model pieces shared by the clinical apps."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class Voidable(models.Model):
    """Clinical records are never deleted: a mistake is voided with a reason."""

    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    void_reason = models.TextField(blank=True)

    class Meta:
        abstract = True

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None


class Recorded(models.Model):
    """Who created a record and when (UTC)."""

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class WorkerHeartbeat(models.Model):
    """One row: when a Celery worker last ran the heartbeat task (beat sends it every
    minute). /healthz shows its age so ops can tell a stalled worker from a quiet one."""

    beat_at = models.DateTimeField()
    hostname = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            # A singleton: the primary key is always 1.
            models.CheckConstraint(condition=models.Q(pk=1), name="worker_heartbeat_singleton"),
        ]

    def __str__(self) -> str:
        return f"{self.hostname or 'worker'} at {self.beat_at:%Y-%m-%d %H:%M:%S}"


class IdempotencyKey(models.Model):
    """A creating API call made with an `Idempotency-Key` header, and its answer: the same
    key from the same account within IDEMPOTENCY_KEY_HOURS gets the same answer instead of
    a second record (exotrack/api/idempotency.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # SHA-256 of the method, path and body: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.user_id})"
