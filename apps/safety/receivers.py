"""Connects this app to what the treatments app announces (apps/treatments/signals.py)."""

from django.dispatch import receiver
from django.utils import timezone

from apps.safety.models import MedicationFlag
from apps.safety.services.medication_flags import (
    medication_flags_raise,
    patients_taking_watched_medications,
)
from apps.treatments.models import Visit
from apps.treatments.signals import past_visits_recorded, visit_recorded


@receiver(visit_recorded, sender=Visit, dispatch_uid="safety.flags_after_visit")
def flag_watched_medications(sender, *, visit: Visit, by, **kwargs) -> None:
    medication_flags_raise(
        by=by,
        patient=visit.patient,
        source=MedicationFlag.Source.VISIT,
        reason=f"Treated on {timezone.localdate(visit.visited_at):%Y-%m-%d}.",
        visit=visit,
        on=timezone.localdate(visit.visited_at),
    )


@receiver(past_visits_recorded, sender=Visit, dispatch_uid="safety.flags_after_past_visits")
def flag_watched_medications_of_past_visits(sender, *, visits: list[Visit], by, **kwargs) -> None:
    # One read for all the visits' patients: most take no watched medication at all.
    taking = patients_taking_watched_medications(patient_ids={visit.patient_id for visit in visits})
    for visit in visits:
        if visit.patient_id in taking:
            flag_watched_medications(sender, visit=visit, by=by)
