"""Reads of follow-ups and their reminder deliveries, filtered by the reader's role."""

import datetime

from django.db.models import Case, IntegerField, QuerySet, Value, When

from apps.accounts.models import User
from apps.followups.models import FollowUp, FollowUpRule, Kind, ReminderDelivery
from apps.patients.models import Patient
from apps.patients.selectors import may_see_clinical, of_visible_patients

VIEW_PERMISSION = "followups.view_followup"


def follow_ups_with_details() -> QuerySet[FollowUp]:
    """Follow-ups with what a row shows, in one query whatever their number."""
    return FollowUp.objects.select_related("patient", "site", "rule", "lot", "completed_by")


def follow_ups_visible_to(user: User, *, include_voided: bool = True) -> QuerySet[FollowUp]:
    """Follow-ups of patients this user may open; none without the follow-up
    permission. Voided patients' follow-ups stay readable by link, like their visits."""
    if not user.has_perm(VIEW_PERMISSION):
        return FollowUp.objects.none()
    return of_visible_patients(follow_ups_with_details(), user, include_voided=include_voided)


def follow_up_search(
    *,
    user: User,
    due_from: datetime.date | None = None,
    due_to: datetime.date | None = None,
    status: str = "",
    kind: str = "",
    channel: str = "",
    patient_id: int | None = None,
) -> QuerySet[FollowUp]:
    """Follow-ups this user may see, soonest due first, narrowed by what the filters name."""
    follow_ups = follow_ups_visible_to(user).order_by("due_on", "id")
    if due_from is not None:
        follow_ups = follow_ups.filter(due_on__gte=due_from)
    if due_to is not None:
        follow_ups = follow_ups.filter(due_on__lte=due_to)
    if status:
        follow_ups = follow_ups.filter(status=status)
    if kind:
        follow_ups = follow_ups.filter(kind=kind)
    if channel:
        follow_ups = follow_ups.filter(channel=channel)
    if patient_id is not None:
        follow_ups = follow_ups.filter(patient_id=patient_id)
    return follow_ups


def patient_follow_ups(*, patient: Patient) -> QuerySet[FollowUp]:
    """The patient's follow-ups: pending ones first, soonest due first; then the rest,
    newest first."""
    pending_first = Case(
        When(status=FollowUp.Status.PENDING, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        FollowUp.objects.filter(patient=patient)
        .select_related("site", "rule", "completed_by")
        .order_by(pending_first, "due_on", "id")
    )


def follow_up_rules() -> QuerySet[FollowUpRule]:
    """Active rules first, then by when they fall due."""
    return FollowUpRule.objects.order_by("-active", "offset_days", "name")


def deliveries_visible_to(user: User) -> QuerySet[ReminderDelivery]:
    if not user.has_perm("followups.view_reminderdelivery"):
        return ReminderDelivery.objects.none()
    return ReminderDelivery.objects.filter(
        follow_up__in=follow_ups_visible_to(user).values("pk")
    ).order_by("-attempted_at", "-id")


# What staff without the clinical view (the front desk) see of a follow-up. A recall
# contact is a call to make, never a recall: which patients received a recalled lot is
# clinical. The notes are clinical too (a system note names a lot, a void reason or the
# treated sites; a colleague's note may name symptoms): the desk sees a note only when it
# is theirs, the completion note they wrote or the note of a follow-up they added.
DESK_RECALL_KIND = "call_patient"
DESK_KINDS = [
    *((kind.value, kind.label) for kind in Kind if kind != Kind.RECALL_CONTACT),
    (DESK_RECALL_KIND, "Call the patient"),
]


def kind_shown_to(user: User, follow_up: FollowUp) -> tuple[str, str]:
    """The follow-up's kind (code, label) as `user` may see it."""
    if follow_up.kind == Kind.RECALL_CONTACT and not may_see_clinical(user):
        return DESK_RECALL_KIND, dict(DESK_KINDS)[DESK_RECALL_KIND]
    return follow_up.kind, follow_up.get_kind_display()


def notes_shown_to(user: User, follow_up: FollowUp) -> tuple[str, str]:
    """The follow-up's note and completion note as `user` may see them."""
    if may_see_clinical(user):
        return follow_up.note, follow_up.completion_note
    note = follow_up.note if follow_up.created_by_id == user.pk else ""
    completion_note = follow_up.completion_note if follow_up.completed_by_id == user.pk else ""
    return note, completion_note


def kind_filter_value(user: User, value: str) -> str | None:
    """The stored kind a filter by `value` asks for, None when it asks for none the user
    may see: the desk filters recall contacts as calls to make, never as recalls."""
    if value == DESK_RECALL_KIND:
        return Kind.RECALL_CONTACT
    if value == Kind.RECALL_CONTACT and not may_see_clinical(user):
        return None
    return value
