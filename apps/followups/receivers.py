"""Connects this app to what the treatments app announces (apps/treatments/signals.py).

Both run inside the visit's transaction: the follow-ups commit or roll back with it."""

from django.dispatch import receiver

from apps.followups.services.scheduling import (
    follow_ups_cancel_for_visit,
    follow_ups_schedule_for_visit,
    follow_ups_supersede_for_visit,
)
from apps.treatments.models import Visit
from apps.treatments.signals import visit_recorded, visit_voided


@receiver(visit_recorded, sender=Visit, dispatch_uid="followups.schedule_after_visit")
def schedule_follow_ups(sender, *, visit: Visit, by, **kwargs) -> None:
    # Earlier reminders for the sites treated now are answered by this visit; then this
    # visit's own follow-ups go on the schedule.
    follow_ups_supersede_for_visit(visit=visit, by=by)
    follow_ups_schedule_for_visit(visit=visit, by=by)


@receiver(visit_voided, sender=Visit, dispatch_uid="followups.cancel_after_void")
def cancel_follow_ups(sender, *, visit: Visit, by, reason: str, **kwargs) -> None:
    follow_ups_cancel_for_visit(visit=visit, by=by, reason=reason)
