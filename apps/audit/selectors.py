"""Reads of the access log and of the trigger-kept change history."""

import datetime
from dataclasses import dataclass
from typing import Any

import pghistory.models
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Model, Q, QuerySet

from apps.audit.models import AccessLog
from apps.patients.models import Patient
from exotrack.dates import day_after_start, day_start


def access_log_entries(
    *,
    user_id: int | None = None,
    patient_id: int | None = None,
    action: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[AccessLog]:
    entries = AccessLog.objects.select_related("user")
    if user_id is not None:
        entries = entries.filter(user_id=user_id)
    if patient_id is not None:
        # A read of one record names its patient; a read of a list (a lot's recipients, a
        # dashboard panel, the stock ledger) names its patients in the detail.
        entries = entries.filter(
            Q(patient_id=patient_id) | Q(detail__contains={"patients": [patient_id]})
        )
    if action:
        entries = entries.filter(action=action)
    if date_from is not None:
        entries = entries.filter(at__gte=day_start(date_from))
    if date_to is not None:
        entries = entries.filter(at__lt=day_after_start(date_to))
    return entries.order_by("-at", "-id")


def patients_by_id(ids: set[int]) -> dict[int, Patient]:
    """One query for the patients named on a page of log entries (voided ones too)."""
    if not ids:
        return {}
    found = Patient.objects.filter(pk__in=ids).only("id", "mrn", "first_name", "last_name")
    return {p.pk: p for p in found}


@dataclass(frozen=True)
class Change:
    at: datetime.datetime
    label: str
    user: Any
    changes: list[tuple[str, Any, Any]]


def tracked_model(app_label: str, model_name: str) -> type[Model] | None:
    """The model if its changes are kept by history triggers, else None."""
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError:
        return None
    tracked = getattr(model, "pgh_event_models", None) or {}
    return model if tracked else None


def record_history(*, model: type[Model], pk: int) -> list[Change]:
    """Every insert and update of one record, oldest first, with who made it and what
    changed. Works from the trigger-written events, so bulk updates appear too."""
    events = list(
        pghistory.models.Events.objects.tracks(model(pk=pk)).order_by("pgh_created_at", "pgh_id")
    )
    user_ids = {
        int(e.pgh_context["user"]) for e in events if e.pgh_context and e.pgh_context.get("user")
    }
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=user_ids)} if user_ids else {}
    # Column names as the clinic reads them ("allergies", "preferred location").
    labels = {f.attname: str(f.verbose_name) for f in model._meta.concrete_fields}
    changes = []
    for event in events:
        user_id = (event.pgh_context or {}).get("user")
        if event.pgh_diff:
            fields = [(labels.get(n, n), old, new) for n, (old, new) in event.pgh_diff.items()]
        else:
            # The first event has nothing before it: show what was recorded.
            fields = [(labels.get(n, n), None, value) for n, value in event.pgh_data.items()]
        fields.sort(key=lambda field: field[0])
        changes.append(
            Change(
                at=event.pgh_created_at,
                label=event.pgh_label,
                user=users.get(int(user_id)) if user_id else None,
                changes=fields,
            )
        )
    return changes
