"""Connects this app to what the treatments app (apps/treatments/signals.py) and the
clinic profile (apps/clinic/signals.py) announce.

All run inside the sender's transaction: the follow-ups commit or roll back with it."""

import datetime

from django.dispatch import receiver

from apps.clinic.models import ClinicProfile
from apps.clinic.signals import reminder_send_time_changed
from apps.followups.services.scheduling import (
    follow_ups_cancel_for_visit,
    follow_ups_for_past_visits,
    follow_ups_schedule_for_visit,
    follow_ups_supersede_for_visit,
    reminders_retime,
)
from apps.treatments.models import Visit
from apps.treatments.signals import past_visits_recorded, visit_recorded, visit_voided


@receiver(visit_recorded, sender=Visit, dispatch_uid="followups.schedule_after_visit")
def schedule_follow_ups(sender, *, visit: Visit, by, **kwargs) -> None:
    # Earlier reminders for the sites treated now are answered by this visit; then this
    # visit's own follow-ups go on the schedule.
    follow_ups_supersede_for_visit(visit=visit, by=by)
    follow_ups_schedule_for_visit(visit=visit, by=by)


@receiver(past_visits_recorded, sender=Visit, dispatch_uid="followups.schedule_after_past_visits")
def schedule_follow_ups_of_past_visits(sender, *, visits: list[Visit], by, **kwargs) -> None:
    follow_ups_for_past_visits(visits=visits, by=by)


@receiver(visit_voided, sender=Visit, dispatch_uid="followups.cancel_after_void")
def cancel_follow_ups(sender, *, visit: Visit, by, reason: str, **kwargs) -> None:
    follow_ups_cancel_for_visit(visit=visit, by=by, reason=reason)


@receiver(
    reminder_send_time_changed, sender=ClinicProfile, dispatch_uid="followups.retime_reminders"
)
def retime_reminders(sender, *, send_time: datetime.time, by, **kwargs) -> None:
    reminders_retime(send_time=send_time, by=by)
