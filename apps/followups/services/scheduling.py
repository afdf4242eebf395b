"""Putting follow-ups on the schedule. Every follow-up is made by `follow_up_add`, so the
reminder time and the e-mail-or-call decision are taken in one place."""

import datetime

import pghistory
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from apps.clinic.selectors import clinic_profile
from apps.followups.models import Channel, FollowUp, FollowUpRule, Kind
from apps.patients.models import Patient


def patient_reachable_by_email(patient: Patient) -> bool:
    """Reminder e-mails go only to patients who consented and have a valid address."""
    if not patient.email_consent or not patient.email:
        return False
    try:
        validate_email(patient.email)
    except ValidationError:
        return False
    return True


def reminder_time(due_on: datetime.date) -> datetime.datetime:
    """The clinic's send time (ClinicProfile.reminder_send_time) on the due day, in the
    clinic's zone, as an aware datetime (stored in UTC)."""
    send_at = datetime.datetime.combine(due_on, clinic_profile().reminder_send_time)
    return timezone.make_aware(send_at, timezone.get_default_timezone())


def follow_up_add(
    *,
    by,
    patient: Patient,
    kind: str,
    due_on: datetime.date,
    channel: str = Channel.EMAIL,
    visit=None,
    rule: FollowUpRule | None = None,
    site=None,
    lot=None,
    note: str = "",
) -> FollowUp:
    """Schedule one follow-up. An e-mail follow-up for a patient who cannot receive
    e-mail (no consent, no valid address) becomes a staff call instead.

    Callers that must be idempotent (rules, recalls) rely on the unique constraints and
    check for an existing row first, inside their own transaction."""
    if kind not in Kind.values:
        raise ValidationError({"kind": f"Not a kind of follow-up: {kind}."})
    if channel not in Channel.values:
        raise ValidationError({"channel": f"Not a channel: {channel}."})
    if patient.is_voided:
        raise ValidationError({"patient": "This patient record is voided."})
    if kind == Kind.RECALL_CONTACT and lot is None:
        raise ValidationError({"lot": "A recall contact names the recalled lot."})
    if channel == Channel.EMAIL and not patient_reachable_by_email(patient):
        channel = Channel.CALL
    email = channel == Channel.EMAIL
    with transaction.atomic(), pghistory.context(user=getattr(by, "pk", None)):
        return FollowUp.objects.create(
            patient=patient,
            visit=visit,
            rule=rule,
            site=site,
            lot=lot,
            kind=kind,
            channel=channel,
            due_on=due_on,
            note=note.strip(),
            reminder_state=FollowUp.ReminderState.SCHEDULED if email else "",
            next_reminder_at=reminder_time(due_on) if email else None,
            created_by=by,
        )
