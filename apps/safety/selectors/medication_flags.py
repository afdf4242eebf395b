"""Reads of medication-adjustment flags, filtered by what the reader may see."""

import datetime

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from apps.accounts.models import User
from apps.patients.models import Patient
from apps.patients.selectors import of_visible_patients
from apps.safety.models import MedicationFlag

# Flags still waiting for a clinician: open or acknowledged.
TO_REVIEW = (MedicationFlag.Status.OPEN, MedicationFlag.Status.ACKNOWLEDGED)


def may_see_flags(user: User) -> bool:
    # A flag names a medication: clinical information.
    return user.has_perm("safety.view_medicationflag") and user.has_perm("patients.view_clinical")


def flags_visible_to(user: User) -> QuerySet[MedicationFlag]:
    """Flags of patients this user may open (voided records left out), with what a
    flag line shows, in one query."""
    if not may_see_flags(user):
        return MedicationFlag.objects.none()
    return (
        of_visible_patients(MedicationFlag.objects.all(), user, include_voided=False)
        .select_related(
            "patient", "medication", "medication_class", "acknowledged_by", "resolved_by"
        )
        .order_by("review_by", "id")
    )


def flag_search(
    *,
    user: User,
    status: str = "",
    medication_class_id: int | None = None,
    patient_id: int | None = None,
    overdue: bool | None = None,
    today: datetime.date | None = None,
) -> QuerySet[MedicationFlag]:
    """Flags to review (open and acknowledged unless `status` names one), the most
    overdue review first, then the soonest: ordering by review-by date does both."""
    today = today or timezone.localdate()
    flags = flags_visible_to(user)
    flags = flags.filter(status=status) if status else flags.filter(status__in=TO_REVIEW)
    if medication_class_id is not None:
        flags = flags.filter(medication_class_id=medication_class_id)
    if patient_id is not None:
        flags = flags.filter(patient_id=patient_id)
    if overdue is not None:
        flags = flags_overdue(flags, overdue=overdue, today=today)
    return flags


def flags_overdue(
    flags: QuerySet[MedicationFlag], *, overdue: bool, today: datetime.date
) -> QuerySet[MedicationFlag]:
    """Overdue: still to review past the review-by date; not overdue: every other flag."""
    late = Q(status__in=TO_REVIEW, review_by__lt=today)
    return flags.filter(late) if overdue else flags.exclude(late)


def patient_flags(*, patient: Patient) -> QuerySet[MedicationFlag]:
    """All of a patient's flags for the patient page: to review first, then resolved,
    newest first."""
    return (
        MedicationFlag.objects.filter(patient=patient)
        .select_related("medication", "medication_class", "acknowledged_by", "resolved_by")
        .order_by(F("resolved_at").desc(nulls_first=True), "review_by", "-id")
    )


PANEL_ROWS = 10


def flags_panel(*, user: User) -> dict:
    """The dashboard panel: the flags to review most urgently, how many there are and
    how many are overdue (two queries)."""
    today = timezone.localdate()
    flags = flag_search(user=user, today=today)
    counts = flags.order_by().aggregate(
        total=Count("id"), overdue=Count("id", filter=Q(review_by__lt=today))
    )
    return {"today": today, "flags": list(flags[:PANEL_ROWS]), **counts}
