"""Medication-adjustment flags (DOMAIN.md "Medication adjustment")."""

import datetime

import pghistory
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from apps.patients.models import Medication, Patient
from apps.safety.models import MedicationFlag


def watched_medications(*, patient: Patient, on: datetime.date):
    """The patient's medications in a watched class that are taken on that day."""
    return (
        Medication.objects.filter(patient=patient, medication_class__watched=True)
        .filter(Q(started_on__isnull=True) | Q(started_on__lte=on))
        .filter(Q(stopped_on__isnull=True) | Q(stopped_on__gte=on))
        .select_related("medication_class")
        .order_by("id")
    )


def medication_flags_raise(
    *,
    by,
    patient: Patient,
    source: str,
    reason: str,
    visit=None,
    on: datetime.date | None = None,
) -> list[MedicationFlag]:
    """One open flag per watched medication of the patient, unless one is already
    unresolved for it. Returns the flags raised now (none when all were open already).

    Idempotent under concurrency: the partial unique index on unresolved flags refuses a
    second one, and each insert runs in its own savepoint so that refusal is a no-op."""
    on = on or timezone.localdate()
    raised = []
    with transaction.atomic(), pghistory.context(user=getattr(by, "pk", None)):
        unresolved = set(
            MedicationFlag.objects.filter(patient=patient)
            .exclude(status=MedicationFlag.Status.RESOLVED)
            .values_list("medication_id", flat=True)
        )
        for medication in watched_medications(patient=patient, on=on):
            if medication.pk in unresolved:
                continue
            review_days = medication.medication_class.review_within_days
            try:
                with transaction.atomic():
                    raised.append(
                        MedicationFlag.objects.create(
                            patient=patient,
                            medication=medication,
                            medication_class=medication.medication_class,
                            source=source,
                            visit=visit,
                            reason=reason,
                            review_by=on + datetime.timedelta(days=review_days),
                            created_by=by,
                        )
                    )
            except IntegrityError:
                continue  # raised by someone else a moment ago
    return raised
