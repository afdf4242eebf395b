"""Lot -> patients: who received a lot, for a recall (21 CFR 1271.290 traceability).

Driven from the doses of the lot (their lot index), joined to visit and patient by
primary key, so the cost follows the lot's size, not the clinic's. Rows are plain
values, never model objects: a busy lot has thousands of doses."""

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)

from apps.accounts.models import User
from apps.followups.models import FollowUp, Kind
from apps.inventory.models import Lot
from apps.patients.models import Patient
from apps.treatments.models import Dose

# Always shown: which visit, when, and whose record it is.
TRACE_COLUMNS = (
    "id",
    "visit_id",
    "visit__visited_at",
    "visit__patient_id",
    "visit__patient__mrn",
    "visit__patient__last_name",
    "visit__patient__first_name",
    "visit__patient__voided_at",
)
# For roles that may see patients' contact details (patients.view_patient).
CONTACT_COLUMNS = ("visit__patient__email", "visit__patient__phone")
# For roles that may see what was given (treatments.view_dose).
CLINICAL_COLUMNS = ("site__name", "laterality", "billions", "route")


def recipient_columns(user: User) -> tuple[str, ...]:
    """The columns of the recipient list this user may see."""
    columns: tuple[str, ...] = TRACE_COLUMNS
    if user.has_perm("patients.view_patient"):
        columns += CONTACT_COLUMNS
    if user.has_perm("treatments.view_dose"):
        columns += CLINICAL_COLUMNS
    return columns


def lot_recipients(*, lot_id: int, columns: tuple[str, ...] = TRACE_COLUMNS) -> QuerySet:
    """Every dose given from the lot at a visit that stands (voided visits are mistakes
    and left out), with its visit and patient, oldest visit first."""
    return (
        Dose.objects.filter(lot_id=lot_id, visit__voided_at__isnull=True)
        .alias(visit_time=_not_from_the_visit_list_index("visit__visited_at"))
        .order_by("visit_time", "visit_id", "id")
        .values(*columns)
    )


def _not_from_the_visit_list_index(field: str) -> ExpressionWrapper:
    # The visit time as a sort key that no index delivers. Sorted by the plain column,
    # a page of 50 was planned as a walk through every visit in time order, probing each
    # for a dose of this lot, in the hope of finding 50 early: a lot is used in a few
    # weeks of its life, so for a lot used late that read 480,000 visits (15 s for the
    # first API page of the busiest lot). Sorting an expression, the plan starts from the
    # lot's doses (their lot index) and sorts those alone.
    return ExpressionWrapper(F(field) + Value(datetime.timedelta(0)), output_field=DateTimeField())


def lot_recipient_patient_ids(*, lot_id: int) -> QuerySet:
    """Ids of the patients who received the lot (as a subquery)."""
    return (
        Dose.objects.filter(lot_id=lot_id, visit__voided_at__isnull=True)
        .values("visit__patient_id")
        .distinct()
    )


def patients_to_call(*, lot_id: int) -> QuerySet[Patient]:
    """Recipients of the lot not yet on the worklist for a recall call (voided patient
    records left out): whom "Contact all recipients" adds."""
    already = FollowUp.objects.filter(kind=Kind.RECALL_CONTACT, lot_id=lot_id).values("patient_id")
    return Patient.objects.filter(
        pk__in=lot_recipient_patient_ids(lot_id=lot_id), voided_at__isnull=True
    ).exclude(pk__in=already)


RECALL_CALLS_SHOWN = 100


def lot_recall_calls(*, lot_id: int, shown: int = RECALL_CALLS_SHOWN) -> dict[str, Any]:
    """The recall calls of a lot: how many are still to make, reached and closed (one
    query), and the calls themselves, the ones still to make first (one more, when there
    are any)."""
    calls = FollowUp.objects.filter(kind=Kind.RECALL_CONTACT, lot_id=lot_id)
    counts = calls.aggregate(
        total=Count("id"),
        to_call=Count("id", filter=Q(status=FollowUp.Status.PENDING)),
        reached=Count("id", filter=Q(status=FollowUp.Status.COMPLETED)),
    )
    counts["closed"] = counts["total"] - counts["to_call"] - counts["reached"]
    pending_first = Case(
        When(status=FollowUp.Status.PENDING, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    if not counts["total"]:
        return {"counts": counts, "calls": []}
    # What each status means to whoever made the calls.
    call_status = Case(
        When(status=FollowUp.Status.PENDING, then=Value("To call")),
        When(status=FollowUp.Status.COMPLETED, then=Value("Reached")),
        default=Value("Closed"),
        output_field=CharField(),
    )
    rows = (
        calls.select_related("patient", "completed_by")
        .annotate(call_status=call_status)
        .order_by(pending_first, "due_on", "id")
    )
    return {"counts": counts, "calls": list(rows[:shown])}


def patients_read(rows: Iterable[Mapping[str, Any]]) -> list[int]:
    """The patients a page of recipient rows shows, for the access log of its read."""
    return sorted({row["visit__patient_id"] for row in rows})


def lots_out_of_use() -> QuerySet[Lot]:
    """Lots in quarantine or recalled, with their recall calls still to make and made:
    one query, recalls first."""
    calls = Q(follow_ups__kind=Kind.RECALL_CONTACT)
    return (
        Lot.objects.filter(status__in=[Lot.Status.RECALLED, Lot.Status.QUARANTINED])
        .select_related("product")
        .annotate(
            calls_to_make=Count(
                "follow_ups", filter=calls & Q(follow_ups__status=FollowUp.Status.PENDING)
            ),
            calls_total=Count("follow_ups", filter=calls),
        )
        .order_by("-status", "product__name", "lot_number")
    )
