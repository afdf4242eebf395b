"""A demo patient's treatment history from seeds/demo.toml, recorded through the same
services staff use, so follow-ups, medication flags and warnings arise as they would.

Days are relative to the day of seeding: a demo loaded any day shows follow-ups due
today, an overdue one, and an outcome already measured."""

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.clinic.models import Location
from apps.inventory.models import Lot
from apps.outcomes.services import assessment_record
from apps.safety.models import AdverseEventType
from apps.safety.services.adverse_events import adverse_event_record
from apps.treatments.models import TreatmentSite
from apps.treatments.services import DoseInput, WarningsNeedAcknowledgement, visit_record

DEMO_ACKNOWLEDGEMENT = "Reviewed with the patient (demo record)."


def _named(model, **lookup):
    found = model.objects.filter(**lookup).first()
    if found is None:
        raise ValidationError({"visits": f"No {model._meta.verbose_name} {lookup}."})
    return found


def _dose(
    *, site: str, lot: str, billions: float, laterality: str = "na", baseline_pain=None
) -> DoseInput:
    return DoseInput(
        site=_named(TreatmentSite, name=site),
        lot_id=_named(Lot, lot_number=lot).pk,
        billions=Decimal(str(billions)),
        laterality=laterality,
        baseline_pain=baseline_pain,
    )


def demo_visit_record(
    *,
    user,
    patient,
    days_ago: int,
    location: str,
    indication: str,
    doses: list[dict],
    cold_sore_prophylaxis: bool = False,
    adverse_events: Sequence[dict] = (),
    assessments: Sequence[dict] = (),
    recorded_by: str = "",
):
    """One visit with its doses, and what followed it: adverse events and outcomes.
    `recorded_by` names a nurse who saved it: its warnings then await the clinician's
    sign-off, as they would in the clinic."""
    visited_at = timezone.now().replace(hour=14, minute=0, second=0, microsecond=0)
    visited_at -= datetime.timedelta(days=days_ago)
    fields: dict[str, Any] = {
        "by": _named(get_user_model(), username=recorded_by) if recorded_by else user,
        "patient": patient,
        "visited_at": visited_at,
        "location": _named(Location, name=location),
        "clinician": user,
        "indication": indication,
        "doses": [_dose(**dose) for dose in doses],
        "consent_recorded": True,
        "consent_form_version": "2026-01",
        "cold_sore_prophylaxis": cold_sore_prophylaxis,
    }
    try:
        visit = visit_record(**fields)
    except WarningsNeedAcknowledgement as pending:
        if not pending.may_acknowledge:
            visit = visit_record(**fields, save_for_sign_off=True)
        else:
            reasons = {warning.code: DEMO_ACKNOWLEDGEMENT for warning in pending.warnings}
            visit = visit_record(**fields, acknowledgements=reasons)
    visit_day = timezone.localdate(visit.visited_at)
    recorded = list(visit.doses.order_by("id"))
    for event in adverse_events:
        event = dict(event)
        if "resolution_days_after" in event:
            days = event.pop("resolution_days_after")
            event["resolution_date"] = visit_day + datetime.timedelta(days=days)
        adverse_event_record(
            by=user,
            patient=patient,
            visit=visit,
            doses=recorded,
            event_type=_named(AdverseEventType, code=event.pop("type")),
            onset_date=visit_day + datetime.timedelta(days=event.pop("onset_days_after")),
            **event,
        )
    for assessment in assessments:
        assessment = dict(assessment)
        assessed_on = visit_day + datetime.timedelta(days=assessment.pop("days_after"))
        for dose in recorded:
            assessment_record(by=user, dose=dose, assessed_on=assessed_on, **assessment)
    return visit
