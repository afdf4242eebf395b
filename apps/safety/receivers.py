"""Connects this app to what the treatments app announces (apps/treatments/signals.py)."""

from django.dispatch import receiver
from django.utils import timezone

from apps.safety.models import MedicationFlag
from apps.safety.services.medication_flags import medication_flags_raise
from apps.treatments.models import Visit
from apps.treatments.signals import visit_recorded


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
