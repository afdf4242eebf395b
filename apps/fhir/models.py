"""Bulk Data export jobs (HL7 FHIR Bulk Data Access 2.0): one row per kick-off."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models


class BulkExport(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Level(models.TextChoices):
        PATIENT = "patient", "All patients (Patient/$export)"
        GROUP = "group", "Recipients of a lot (Group/[id]/$export)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    request_url = models.CharField(max_length=2000)
    level = models.CharField(max_length=8, choices=Level.choices)
    # Group exports: the lot whose recipients are exported.
    lot = models.ForeignKey(
        "inventory.Lot", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    types = ArrayField(models.CharField(max_length=40))
    since = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # The moment the export reads as of: what the manifest calls transactionTime.
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    types_done = models.PositiveSmallIntegerField(default=0)
    resources_written = models.PositiveBigIntegerField(default=0)
    # [{"type": "Patient", "file": "Patient.ndjson", "count": 12}, ...]
    output = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["status", "expires_at"], name="bulk_export_expiry_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level="patient", lot__isnull=True)
                | models.Q(level="group", lot__isnull=False),
                name="bulk_export_group_names_a_lot",
            )
        ]

    def __str__(self) -> str:
        return f"Bulk export {self.id} ({self.get_status_display()})"
