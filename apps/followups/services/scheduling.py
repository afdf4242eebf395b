"""Putting follow-ups on the schedule. Every follow-up is made by `follow_up_add`, so the
reminder time and the e-mail-or-call decision are taken in one place."""

import datetime
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from apps.accounts.models import User
from apps.clinic.selectors import clinic_profile
from apps.followups.models import Channel, FollowUp, FollowUpRule, Kind
from apps.inventory.models import Lot
from apps.patients.models import Patient
from apps.treatments.models import Dose, TreatmentSite, Visit
from exotrack.history import recorded_by


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


def reminders_retime(*, send_time: datetime.time, by: User | None) -> int:
    """Move every reminder not yet sent to `send_time` on its own day (clinic's zone), in
    one statement, recorded as `by`'s change. Left alone: a retry after a temporary
    failure (it waits its back-off, not the send time) and a reminder a sender holds
    right now (it is being sent). Returns how many moved."""
    zone = timezone.get_default_timezone_name()
    with transaction.atomic(), recorded_by(by):
        return (
            FollowUp.objects.filter(
                status=FollowUp.Status.PENDING,
                next_reminder_at__isnull=False,
                temporary_failures=0,
            )
            .exclude(claimed_until__gt=timezone.now())
            .update(
                # The local day the reminder was due on, at the new local time.
                next_reminder_at=RawSQL(
                    "((next_reminder_at AT TIME ZONE %s)::date + %s::time) AT TIME ZONE %s",
                    (zone, send_time, zone),
                ),
                updated_at=timezone.now(),
            )
        )


def _kind_check(*, kind: str, lot: Lot | None) -> None:
    if kind not in Kind.values:
        raise ValidationError({"kind": f"Not a kind of follow-up: {kind}."})
    if kind == Kind.RECALL_CONTACT and lot is None:
        raise ValidationError({"lot": "A recall contact names the recalled lot."})


def follow_up_calls_add(
    *,
    by: User,
    patient_ids: list[int],
    kind: str,
    due_on: datetime.date,
    lot: Lot | None = None,
    note: str = "",
) -> None:
    """Staff calls for many patients at once (a lot recall reaches thousands): one
    multi-row INSERT instead of a statement per patient. A patient who already holds one
    is skipped by the unique constraints (ON CONFLICT DO NOTHING); the caller locks
    whatever makes its presses run one at a time and counts what was added."""
    _kind_check(kind=kind, lot=lot)
    with transaction.atomic(), recorded_by(by):
        FollowUp.objects.bulk_create(
            (
                FollowUp(
                    patient_id=patient_id,
                    lot=lot,
                    kind=kind,
                    channel=Channel.CALL,
                    due_on=due_on,
                    note=note.strip(),
                    created_by=by,
                )
                for patient_id in patient_ids
            ),
            batch_size=1000,
            ignore_conflicts=True,
        )


def follow_up_add(
    *,
    by: User,
    patient: Patient,
    kind: str,
    due_on: datetime.date,
    channel: str = Channel.EMAIL,
    visit: Visit | None = None,
    rule: FollowUpRule | None = None,
    site: TreatmentSite | None = None,
    lot: Lot | None = None,
    note: str = "",
) -> FollowUp:
    """Schedule one follow-up. An e-mail follow-up for a patient who cannot receive
    e-mail (no consent, no valid address) becomes a staff call instead.

    Callers that must be idempotent (rules, recalls) rely on the unique constraints and
    check for an existing row first, inside their own transaction."""
    _kind_check(kind=kind, lot=lot)
    if channel not in Channel.values:
        raise ValidationError({"channel": f"Not a channel: {channel}."})
    if patient.is_voided:
        raise ValidationError({"patient": "This patient record is voided."})
    if channel == Channel.EMAIL and not patient_reachable_by_email(patient):
        channel = Channel.CALL
    email = channel == Channel.EMAIL
    with transaction.atomic(), recorded_by(by):
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


# --- Follow-ups a visit brings -----------------------------------------------------


def _rule_applies(rule: FollowUpRule, category: str) -> bool:
    return not rule.site_categories or category in rule.site_categories


def _stop_reminders(follow_up: FollowUp) -> None:
    """A follow-up that is no longer pending must never be e-mailed about."""
    follow_up.next_reminder_at = None
    follow_up.claimed_until = None


def _visit_rules() -> list[FollowUpRule]:
    """The rules a visit may bring follow-ups by (recall contacts follow a recall)."""
    return list(FollowUpRule.objects.filter(active=True).exclude(kind=Kind.RECALL_CONTACT))


def follow_ups_schedule_for_visit(
    *,
    visit: Visit,
    by: User,
    backdated_grace_days: int | None = None,
    rules: list[FollowUpRule] | None = None,
) -> list[FollowUp]:
    """Put the visit's follow-ups on the schedule: one per matching rule, and for
    repeat-session rules one per treated site (the next visit to that site supersedes
    it). Returns the follow-ups made now; calling again makes nothing new.

    A backdated visit skips rules whose due date passed more than
    FOLLOWUP_BACKDATED_GRACE_DAYS ago: a day-3 infection check asked a month late helps
    nobody. Rules due more recently are still scheduled and show as overdue.
    `backdated_grace_days` overrides the setting (0: nothing due before today).

    A voided visit schedules nothing; nor does a site for a repeat session when a later
    visit already treated it (a visit entered late must not re-open what that one
    answered). `rules`: the visit rules, read once by a caller scheduling many visits."""
    if visit.is_voided:
        return []
    visit_day = timezone.localdate(visit.visited_at)
    if backdated_grace_days is None:
        backdated_grace_days = settings.FOLLOWUP_BACKDATED_GRACE_DAYS
    oldest_due = timezone.localdate() - datetime.timedelta(days=backdated_grace_days)
    rules = [
        rule
        for rule in (_visit_rules() if rules is None else rules)
        if visit_day + datetime.timedelta(days=rule.offset_days) >= oldest_due
    ]
    if not rules:
        # A visit long past (an imported one) has every follow-up day behind it: nothing
        # to schedule, and nothing more to read for it.
        return []
    sites = {dose.site_id: dose.site for dose in visit.doses.select_related("site")}
    treated_later = set(
        Dose.objects.filter(
            visit__patient_id=visit.patient_id,
            visit__visited_at__gt=visit.visited_at,
            visit__voided_at__isnull=True,
            site_id__in=sites,
        ).values_list("site_id", flat=True)
    )
    made = []
    with transaction.atomic(), recorded_by(by):
        existing = set(
            FollowUp.objects.filter(visit=visit, rule__isnull=False).values_list(
                "rule_id", "site_id"
            )
        )
        for rule in rules:
            due_on = visit_day + datetime.timedelta(days=rule.offset_days)
            matching = [s for s in sites.values() if _rule_applies(rule, s.category)]
            if not matching:
                continue
            per_site = rule.kind == Kind.REPEAT_SESSION
            if per_site:
                matching = [s for s in matching if s.pk not in treated_later]
            for site in sorted(matching, key=lambda s: s.pk) if per_site else [None]:
                if (rule.pk, getattr(site, "pk", None)) in existing:
                    continue
                made.append(
                    follow_up_add(
                        by=by,
                        patient=visit.patient,
                        kind=rule.kind,
                        due_on=due_on,
                        channel=rule.channel,
                        visit=visit,
                        rule=rule,
                        site=site,
                    )
                )
    return made


def follow_ups_supersede_for_visit(*, visit: Visit, by: User) -> int:
    """A visit treating a site answers the pending repeat-session reminders for that
    site from the patient's earlier visits: they become SUPERSEDED and are never sent.
    Returns how many were superseded."""
    with transaction.atomic(), recorded_by(by):
        return FollowUp.objects.filter(
            patient_id=visit.patient_id,
            kind=Kind.REPEAT_SESSION,
            status=FollowUp.Status.PENDING,
            site_id__in=visit.doses.values("site_id"),  # in the same statement
            visit__visited_at__lt=visit.visited_at,
        ).update(
            status=FollowUp.Status.SUPERSEDED,
            next_reminder_at=None,
            claimed_until=None,
            note=f"Superseded by the visit of {timezone.localdate(visit.visited_at):%Y-%m-%d}.",
            updated_at=timezone.now(),
        )


def follow_ups_for_past_visits(*, visits: list[Visit], by: User) -> None:
    """What each visit recorded as a past record (an import) brings, as for one visit
    (supersede, then schedule with no follow-up whose day has passed), with the rules
    read once and one look for pending repeat sessions among all the visits' patients:
    most imported visits have every follow-up day behind them and nothing to answer."""
    rules = _visit_rules()
    awaiting = set(
        FollowUp.objects.filter(
            patient_id__in={visit.patient_id for visit in visits},
            kind=Kind.REPEAT_SESSION,
            status=FollowUp.Status.PENDING,
        ).values_list("patient_id", flat=True)
    )
    for visit in sorted(visits, key=lambda visit: visit.visited_at):
        if visit.patient_id in awaiting:
            follow_ups_supersede_for_visit(visit=visit, by=by)
        follow_ups_schedule_for_visit(visit=visit, by=by, backdated_grace_days=0, rules=rules)


def follow_ups_cancel_for_visit(*, visit: Visit, by: User, reason: str) -> int:
    """A voided visit's pending follow-ups are cancelled with the reason, reminders
    stopped, and the repeat-session reminders it had superseded come back. Returns how
    many were cancelled."""
    with transaction.atomic(), recorded_by(by):
        cancelled = FollowUp.objects.filter(visit=visit, status=FollowUp.Status.PENDING).update(
            status=FollowUp.Status.CANCELLED,
            next_reminder_at=None,
            claimed_until=None,
            note=f"Visit voided: {reason}",
            updated_at=timezone.now(),
        )
        for site_id in visit.doses.values_list("site_id", flat=True).distinct():
            _repeat_session_restore(visit=visit, site_id=site_id)
        return cancelled


def _repeat_session_restore(*, visit: Visit, site_id: int) -> None:
    """The latest superseded repeat session of this site from an earlier visit that
    stands, unless another visit's reminder for the site is still pending: a visit
    voided as a mistake must not leave a monthly patient without their reminder."""
    same_site = FollowUp.objects.filter(
        patient_id=visit.patient_id, kind=Kind.REPEAT_SESSION, site_id=site_id
    )
    if same_site.filter(status=FollowUp.Status.PENDING).exists():
        return
    earlier = (
        same_site.filter(
            status=FollowUp.Status.SUPERSEDED,
            visit__visited_at__lt=visit.visited_at,
            visit__voided_at__isnull=True,
        )
        .select_for_update(of=("self",))
        .select_related("patient")
        .order_by("-visit__visited_at", "-id")
        .first()
    )
    if earlier is None:
        return
    earlier.status = FollowUp.Status.PENDING
    earlier.note = "Back on the schedule: the visit that superseded it was voided."
    if earlier.channel == Channel.EMAIL and earlier.reminder_state != FollowUp.ReminderState.SENT:
        earlier.reminder_state = FollowUp.ReminderState.SCHEDULED
        earlier.next_reminder_at = reminder_time(max(earlier.due_on, timezone.localdate()))
    earlier.save()


# --- Staff work on one follow-up ---------------------------------------------------

# Recall contacts come from a lot recall, never by hand.
MANUAL_KINDS = (Kind.CHECK_IN, Kind.OUTCOME, Kind.REPEAT_SESSION)


def follow_up_add_by_staff(
    *,
    by: User,
    patient: Patient,
    kind: str,
    due_on: datetime.date | None,
    channel: str = Channel.EMAIL,
    site: TreatmentSite | None = None,
    note: str = "",
) -> FollowUp:
    """A follow-up a staff member adds by hand (no rule, no visit)."""
    errors: dict[str, str] = {}
    if kind not in MANUAL_KINDS:
        errors["kind"] = "Choose a check-in, an outcome or a repeat session."
    if channel not in Channel.values:
        errors["channel"] = "Choose patient e-mail or staff call."
    if due_on is None:
        errors["due_on"] = "Give the day it falls due."
    elif due_on < timezone.localdate():
        errors["due_on"] = "A new follow-up cannot fall due in the past."
    if site is not None and kind != Kind.REPEAT_SESSION:
        errors["site"] = "Only a repeat session names a treated site."
    if errors:
        raise ValidationError(errors)
    return follow_up_add(
        by=by,
        patient=patient,
        kind=kind,
        due_on=cast(datetime.date, due_on),  # a missing day was refused above
        channel=channel,
        site=site,
        note=note,
    )


def _locked_pending(follow_up: FollowUp, *, field: str) -> FollowUp:
    """The follow-up's row, locked against the reminder sender and other staff, or a
    field error when it is no longer pending."""
    locked = FollowUp.objects.select_for_update().select_related("patient").get(pk=follow_up.pk)
    if locked.status != FollowUp.Status.PENDING:
        raise ValidationError(
            {
                field: ValidationError(
                    f"This follow-up is already {locked.get_status_display().lower()}.",
                    code="not_pending",
                )
            }
        )
    return locked


def follow_up_reschedule(
    *, follow_up: FollowUp, by: User, due_on: datetime.date | None, note: str = ""
) -> FollowUp:
    """Move a pending follow-up to another day. Its e-mail reminder moves with it: one
    not yet sent goes out on the new day instead; one already sent (or failed) is sent
    again on the new day, since the patient was told of the old one. A patient who has
    since withdrawn consent gets a staff call instead."""
    if due_on is None:
        raise ValidationError({"due_on": "Give the new day."})
    if due_on < timezone.localdate():
        raise ValidationError({"due_on": "A follow-up cannot be moved into the past."})
    with transaction.atomic(), recorded_by(by):
        locked = _locked_pending(follow_up, field="due_on")
        if due_on == locked.due_on:
            raise ValidationError({"due_on": "The follow-up already falls due that day."})
        note = note.strip()
        locked.note = f"Moved from {locked.due_on:%Y-%m-%d}" + (f": {note}" if note else ".")
        locked.due_on = due_on
        if locked.channel == Channel.EMAIL and not patient_reachable_by_email(locked.patient):
            locked.channel = Channel.CALL
        if locked.channel == Channel.EMAIL:
            locked.reminder_state = FollowUp.ReminderState.SCHEDULED
            locked.next_reminder_at = reminder_time(due_on)
            locked.temporary_failures = 0
        else:
            locked.reminder_state = FollowUp.ReminderState.NONE
            _stop_reminders(locked)
        locked.claimed_until = None
        locked.save()
        return locked


def _close(
    follow_up: FollowUp,
    *,
    by: User | None,
    field: str,
    text: str,
    missing: str,
    keep_in: str,
    **changes: Any,
) -> FollowUp:
    """End a pending follow-up (completed or cancelled): the staff member's words, asked
    for as `field`, are kept in `keep_in`; its reminders stop."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: missing})
    with transaction.atomic(), recorded_by(by):
        locked = _locked_pending(follow_up, field=field)
        for name, value in {**changes, keep_in: text}.items():
            setattr(locked, name, value)
        _stop_reminders(locked)
        locked.save()
        return locked


def follow_up_cancel(*, follow_up: FollowUp, by: User, reason: str) -> FollowUp:
    return _close(
        follow_up,
        by=by,
        field="reason",
        text=reason,
        missing="Say why the follow-up is cancelled.",
        keep_in="note",
        status=FollowUp.Status.CANCELLED,
    )


def follow_up_complete(*, follow_up: FollowUp, by: User | None, note: str) -> FollowUp:
    """Done: the call was made, the patient answered, or the session was booked."""
    return _close(
        follow_up,
        by=by,
        field="note",
        text=note,
        missing="Say what came of it.",
        keep_in="completion_note",
        status=FollowUp.Status.COMPLETED,
        completed_at=timezone.now(),
        completed_by=by,
    )
