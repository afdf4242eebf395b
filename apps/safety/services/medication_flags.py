"""Medication-adjustment flags (DOMAIN.md "Medication adjustment")."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.accounts.models import User
from apps.patients.models import Medication, Patient
from apps.safety.models import MedicationFlag
from apps.treatments.models import Visit
from exotrack.history import recorded_by


def watched_medications(*, patient: Patient, on: datetime.date) -> QuerySet[Medication]:
    """The patient's medications in a watched class that are taken on that day."""
    return (
        Medication.objects.filter(patient=patient, medication_class__watched=True)
        .filter(Q(started_on__isnull=True) | Q(started_on__lte=on))
        .filter(Q(stopped_on__isnull=True) | Q(stopped_on__gte=on))
        .select_related("medication_class")
        .order_by("id")
    )


def patients_taking_watched_medications(*, patient_ids: set[int]) -> set[int]:
    """Which of these patients have any medication in a watched class, whatever its
    days: the others need no look at their medications on a visit's day."""
    return set(
        Medication.objects.filter(patient_id__in=patient_ids, medication_class__watched=True)
        .values_list("patient_id", flat=True)
        .order_by()
        .distinct()
    )


def _review_by(medication: Medication, on: datetime.date) -> datetime.date:
    return on + datetime.timedelta(days=medication.medication_class.review_within_days)


def medication_flags_raise(
    *,
    by: User | None,
    patient: Patient,
    source: str,
    reason: str,
    visit: Visit | None = None,
    on: datetime.date | None = None,
) -> list[MedicationFlag]:
    """One open flag per watched medication of the patient, unless one is already
    unresolved for it. Returns the flags raised now (none when all were open already).
    Each flag's reason is `reason` (why now) followed by what its class's flags say.

    Idempotent under concurrency: the partial unique index on unresolved flags refuses a
    second one, and each insert runs in its own savepoint so that refusal is a no-op."""
    on = on or timezone.localdate()
    watched = list(watched_medications(patient=patient, on=on))
    if not watched:
        return []  # most patients: nothing to flag, so nothing more to read
    raised = []
    with transaction.atomic(), recorded_by(by):
        unresolved = set(
            MedicationFlag.objects.filter(patient=patient)
            .exclude(status=MedicationFlag.Status.RESOLVED)
            .values_list("medication_id", flat=True)
        )
        for medication in watched:
            if medication.pk in unresolved:
                continue
            try:
                with transaction.atomic():
                    raised.append(
                        MedicationFlag.objects.create(
                            patient=patient,
                            medication=medication,
                            medication_class=medication.medication_class,
                            source=source,
                            visit=visit,
                            reason=f"{reason} {medication.medication_class.flag_reason}",
                            review_by=_review_by(medication, on),
                            created_by=by,
                        )
                    )
            except IntegrityError:
                continue  # raised by someone else a moment ago
    return raised


def medication_flag_raise(*, by: User, medication: Medication, reason: str) -> MedicationFlag:
    """A flag raised by staff for one medication (any class: staff judge the need).

    Refused while the medication has an unresolved flag: that one is to be reviewed."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why this medication needs a review."})
    if medication.patient.is_voided:
        raise ValidationError({"medication": "This patient record is voided."})
    with transaction.atomic(), recorded_by(by):
        if not _unresolved(medication).exists():
            try:
                with transaction.atomic():
                    return MedicationFlag.objects.create(
                        patient_id=medication.patient_id,
                        medication=medication,
                        medication_class=medication.medication_class,
                        source=MedicationFlag.Source.MANUAL,
                        reason=reason,
                        review_by=_review_by(medication, timezone.localdate()),
                        created_by=by,
                    )
            except IntegrityError:
                pass  # raised by someone else a moment ago: refused like any open flag
        flag = _unresolved(medication).first()
        due = f", review by {flag.review_by:%Y-%m-%d}" if flag else ""
        raise ValidationError(
            {"medication": f"{medication.name} already has a flag to review{due}."}
        )


def _unresolved(medication: Medication) -> QuerySet[MedicationFlag]:
    return MedicationFlag.objects.filter(medication=medication).exclude(
        status=MedicationFlag.Status.RESOLVED
    )


def _locked(flag: MedicationFlag) -> MedicationFlag:
    return MedicationFlag.objects.select_for_update().get(pk=flag.pk)


def medication_flag_acknowledge(*, by: User, flag: MedicationFlag) -> MedicationFlag:
    """A clinician has seen the flag and will review it; only open flags."""
    with transaction.atomic(), recorded_by(by):
        locked = _locked(flag)
        if locked.status != MedicationFlag.Status.OPEN:
            raise ValidationError(
                {"status": f"This flag is {locked.get_status_display().lower()}, not open."}
            )
        locked.status = MedicationFlag.Status.ACKNOWLEDGED
        locked.acknowledged_at = timezone.now()
        locked.acknowledged_by = by
        locked.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "updated_at"])
        return locked


def medication_flag_resolve(
    *, by: User, flag: MedicationFlag, action: str, note: str = ""
) -> MedicationFlag:
    """Close the review with the action taken on the medication. From open or
    acknowledged; resolving an open flag acknowledges it at the same moment."""
    if action not in MedicationFlag.Action.values:
        raise ValidationError(
            {"action": "Say what was done: dose reduced, unchanged, referred or stopped."}
        )
    with transaction.atomic(), recorded_by(by):
        locked = _locked(flag)
        if locked.status == MedicationFlag.Status.RESOLVED:
            raise ValidationError({"status": "This flag is already resolved."})
        now = timezone.now()
        if locked.acknowledged_at is None:
            locked.acknowledged_at = now
            locked.acknowledged_by = by
        locked.status = MedicationFlag.Status.RESOLVED
        locked.action = action
        locked.resolution_note = note.strip()
        locked.resolved_at = now
        locked.resolved_by = by
        locked.save(
            update_fields=[
                "status",
                "action",
                "resolution_note",
                "acknowledged_at",
                "acknowledged_by",
                "resolved_at",
                "resolved_by",
                "updated_at",
            ]
        )
        return locked
