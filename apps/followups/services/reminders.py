"""Reminder e-mails to patients: claimed from the schedule, sent, recorded, exactly once.

The follow-up row is the schedule (DESIGN.md "Scheduled work"); a Celery tick every
minute calls `reminders_send_due`, which runs FOLLOWUP_REMINDER_SENDERS senders side by
side (threads, each with its own database connection and SMTP connection). Each sender
repeats two steps until nothing is due or the tick's budget is used:

1. Claim (`reminders_claim_due`), one short transaction: the due rows nobody holds are
   read `FOR UPDATE SKIP LOCKED` (several senders never wait on, nor take, each other's
   rows) and given a lease, `claimed_until = now + FOLLOWUP_REMINDER_LEASE_SECONDS`.
   Patients who meanwhile withdrew consent or lost a valid address are moved to the
   staff call list in the same transaction, with no e-mail.
2. Send the batch over one SMTP connection. The rows and their patients are read again
   ten at a time (one query) just before their messages, so an unsubscribe or a
   completion since the claim counts, at most ten messages late. Right after the
   server's answer to each message, one statement (its own transaction, committed with
   synchronous_commit on) records it, conditionally (as healthchecks' sendalerts does):
   the row changes only if it still carries this sender's lease and the reminder time
   it was claimed with, so a lease that ran out, a follow-up completed or rescheduled
   meanwhile, or a second sender, never gets a reminder counted twice. Every attempt
   leaves a ReminderDelivery row.

A sender killed mid-batch leaves its unsent claims to expire; the next tick after the
lease sends them. The one window that can repeat a reminder is between the server's
250 and the commit that follows it (a few milliseconds): a sender killed exactly
there sends that message again after the lease. A PostgreSQL crash loses nothing
committed, so it repeats nothing.
"""

import datetime
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from email.utils import make_msgid
from urllib.parse import urlsplit

import pghistory
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db import connections as db_connections
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from apps.clinic.selectors import clinic_profile
from apps.followups.models import Channel, FollowUp, Kind, ReminderDelivery
from apps.followups.services.outbox import ReminderOutbox, Reply
from apps.followups.services.reminder_writer import ReminderWriter
from apps.followups.services.scheduling import patient_reachable_by_email, reminder_time
from apps.followups.tokens import (
    LinkExpired,
    UnsubscribeLink,
    consent_version,
    self_report_token,
    unsubscribe_link,
    unsubscribe_token,
)
from apps.patients.models import Patient
from apps.patients.services import patient_email_consent_withdraw

logger = logging.getLogger(__name__)

# Only these ask the patient how they are; the others ask them to book or to call.
SELF_REPORT_KINDS = (Kind.CHECK_IN, Kind.OUTCOME)
CALL_INSTEAD_NOTE = "No e-mail consent or valid address when the reminder was due: call instead."
UNSUBSCRIBED_NOTE = "The patient stopped reminder e-mails: call instead."


def _history(what: str) -> pghistory.context:
    # No staff member acts here; the history says which part of the system did.
    return pghistory.context(process=what)


# --- Claiming ----------------------------------------------------------------------


def _due(now: datetime.datetime) -> QuerySet[FollowUp]:
    """Rows the partial index followup_reminder_due_idx holds, due and not held."""
    return FollowUp.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        status=FollowUp.Status.PENDING,
        next_reminder_at__isnull=False,
        next_reminder_at__lte=now,
    )


def reminders_claim_due(
    *, now: datetime.datetime | None = None, limit: int | None = None
) -> list[FollowUp]:
    """Claim up to `limit` due reminders for this sender, oldest first, and return them
    (with patient and rule) carrying the lease in `claimed_until`."""
    now = now or timezone.now()
    limit = limit or settings.FOLLOWUP_REMINDER_BATCH_SIZE
    until = now + datetime.timedelta(seconds=settings.FOLLOWUP_REMINDER_LEASE_SECONDS)
    with transaction.atomic(), _history("reminder claim"):
        rows = list(
            _due(now)
            .select_related("patient", "rule")
            .order_by("next_reminder_at", "id")
            .select_for_update(skip_locked=True, of=("self",))[:limit]
        )
        unreachable = [r.pk for r in rows if not _may_email(r.patient)]
        if unreachable:
            _move_to_calls(FollowUp.objects.filter(pk__in=unreachable), CALL_INSTEAD_NOTE, now)
        claimed = [r for r in rows if r.pk not in unreachable]
        if claimed:
            FollowUp.objects.filter(pk__in=[r.pk for r in claimed]).update(claimed_until=until)
    for row in claimed:
        row.claimed_until = until
    return claimed


def _may_email(patient: Patient) -> bool:
    return not patient.is_voided and patient_reachable_by_email(patient)


def _move_to_calls(follow_ups: QuerySet[FollowUp], note: str, now: datetime.datetime) -> int:
    return follow_ups.update(
        channel=Channel.CALL,
        reminder_state=FollowUp.ReminderState.NONE,
        next_reminder_at=None,
        claimed_until=None,
        note=note,
        updated_at=now,
    )


# --- The message -------------------------------------------------------------------


def reminder_template(follow_up: FollowUp) -> str:
    """The rule names the e-mail; a follow-up without a rule uses its kind's."""
    rule = follow_up.rule
    name = rule.template if rule is not None else follow_up.kind
    return f"followups/email/{name}"


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def reminder_message(
    *, follow_up: FollowUp, writer: ReminderWriter, number: int
) -> EmailMultiAlternatives:
    """The reminder e-mail: who the clinic is, that a follow-up is due, how to book and
    how to stop these e-mails. Nothing about the treatment (no diagnosis, product, dose
    or treated site), since e-mail is read on shared screens and kept for years."""
    patient = follow_up.patient
    unsubscribe_url = _absolute(
        reverse("patient_links:unsubscribe", kwargs={"token": unsubscribe_token(patient)})
    )
    parts = writer.parts(
        template=reminder_template(follow_up),
        context={
            "first_name": patient.first_name,
            "due_on": follow_up.due_on,
            "further": number > 1,
            "unsubscribe_url": unsubscribe_url,
            "self_report_url": (
                _absolute(
                    reverse(
                        "patient_links:self-report",
                        kwargs={"token": self_report_token(follow_up.pk)},
                    )
                )
                if follow_up.kind in SELF_REPORT_KINDS
                else ""
            ),
        },
    )
    domain = urlsplit(settings.SITE_URL).hostname or "exotrack.local"
    message = EmailMultiAlternatives(
        subject=parts.subject,
        body=parts.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[patient.email],
        headers={
            "Message-ID": make_msgid(idstring=f"reminder.{follow_up.pk}.{number}", domain=domain),
            # RFC 8058: mail programs offer a one-click "unsubscribe" that POSTs here.
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(parts.html, "text/html")
    return message


# --- Recording what the server said ------------------------------------------------


def _still_claimed(follow_up: FollowUp) -> QuerySet[FollowUp]:
    """The row, only while it carries this sender's lease and the reminder time it was
    claimed for (a conditional update: 0 rows means someone else has it now)."""
    return FollowUp.objects.filter(
        pk=follow_up.pk,
        claimed_until=follow_up.claimed_until,
        next_reminder_at=follow_up.next_reminder_at,
    )


def _log(
    follow_up: FollowUp, *, status: str, reply: Reply, message_id: str, now: datetime.datetime
) -> None:
    ReminderDelivery.objects.create(
        follow_up=follow_up,
        attempted_at=now,
        status=status,
        to_address=follow_up.patient.email,
        smtp_code=reply.code,
        smtp_reply=reply.text,
        message_id=message_id,
        reminder_number=follow_up.reminders_sent + 1,
    )


# One statement, so one round trip and one commit (autocommit) per message: both CTEs
# run whether or not the follow-up is still this sender's, so the delivery is logged in
# every case and `counted` says whether the follow-up changed. The pghistory context is
# prepended to it as to any ORM write, and the history triggers fire on both tables.
_RECORD_SENT = """
WITH logged AS (
    INSERT INTO followups_reminderdelivery (
        follow_up_id, attempted_at, status, to_address, smtp_code, smtp_reply, message_id,
        reminder_number)
    VALUES (%(id)s, %(now)s, %(status)s, %(to)s, %(code)s, %(reply)s, %(message_id)s,
        %(number)s)
), counted AS (
    UPDATE followups_followup
    SET reminders_sent = reminders_sent + 1, reminder_state = %(state)s,
        next_reminder_at = %(further_at)s, claimed_until = NULL, temporary_failures = 0,
        updated_at = %(now)s
    WHERE id = %(id)s AND claimed_until = %(claimed_until)s
        AND next_reminder_at = %(claimed_for)s
    RETURNING 1
)
SELECT count(*) FROM counted
"""


def _record_accepted(
    follow_up: FollowUp, reply: Reply, message_id: str, further_at: datetime.datetime | None
) -> bool:
    """The conditional update of `_still_claimed` and the delivery row of `_log`, as
    one statement: the ORM's two statements in a transaction cost this sender more CPU
    and round trips than the message itself."""
    number = follow_up.reminders_sent + 1
    with _history("reminder sent"), connection.cursor() as cursor:
        cursor.execute(
            _RECORD_SENT,
            {
                "id": follow_up.pk,
                "now": timezone.now(),
                "status": ReminderDelivery.Status.SENT,
                "to": follow_up.patient.email,
                "code": reply.code,
                "reply": reply.text,
                "message_id": message_id,
                "number": number,
                "state": FollowUp.ReminderState.SENT,
                "further_at": further_at if number < settings.FOLLOWUP_REMINDER_MAX else None,
                "claimed_until": follow_up.claimed_until,
                "claimed_for": follow_up.next_reminder_at,
            },
        )
        (counted,) = cursor.fetchone()
    return bool(counted)


def retry_delay(failures: int) -> datetime.timedelta:
    """Wait after the n-th temporary failure in a row: base, 2 x base, 4 x base ..."""
    return datetime.timedelta(
        seconds=settings.FOLLOWUP_REMINDER_RETRY_BACKOFF_SECONDS * 2 ** (failures - 1)
    )


def _record_refused(follow_up: FollowUp, reply: Reply, message_id: str) -> str:
    """A refusal: retried later while temporary and under the attempt limit, otherwise
    failed (shown to staff on the worklist). Returns the delivery status logged."""
    now = timezone.now()
    failures = follow_up.temporary_failures + (0 if reply.permanent else 1)
    gives_up = reply.permanent or failures >= settings.FOLLOWUP_REMINDER_RETRY_MAX_ATTEMPTS
    status = (
        ReminderDelivery.Status.FAILED if gives_up else ReminderDelivery.Status.TEMPORARY_FAILURE
    )
    with transaction.atomic(), _history("reminder refused"):
        _log(follow_up, status=status, reply=reply, message_id=message_id, now=now)
        _still_claimed(follow_up).update(
            reminder_state=FollowUp.ReminderState.FAILED if gives_up else F("reminder_state"),
            next_reminder_at=None if gives_up else now + retry_delay(failures),
            claimed_until=None,
            temporary_failures=failures,
            updated_at=now,
        )
    return status


def _release(follow_ups: list[FollowUp]) -> None:
    """Hand back claims this sender will not use, so the next tick need not wait."""
    for follow_up in follow_ups:
        _still_claimed(follow_up).update(claimed_until=None)


# --- Sending -----------------------------------------------------------------------


@dataclass
class ReminderTick:
    """What one tick did, for the worker's log."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    released: int = 0
    moved_to_calls: int = 0
    batches: int = 0
    connections: int = 0
    senders: int = 1

    @classmethod
    def total(cls, ticks: list["ReminderTick"]) -> "ReminderTick":
        return cls(**{f.name: sum(getattr(t, f.name) for t in ticks) for f in fields(cls)})


# The rows of a batch are read again this many at a time, in one query, just before
# their messages: an unsubscribe or a completion since the claim is honoured at most
# this many messages late, for a tenth of the queries of one read per message.
READ_AGAIN_EVERY = 10


def _read_again(follow_ups: list[FollowUp]) -> dict[int, FollowUp]:
    """These rows as they are now, with their patients, keeping only those that still
    carry the lease and the reminder time they were claimed with (`_still_claimed`)."""
    claimed = {f.pk: (f.claimed_until, f.next_reminder_at) for f in follow_ups}
    current = FollowUp.objects.filter(pk__in=claimed).select_related("patient")
    return {f.pk: f for f in current if (f.claimed_until, f.next_reminder_at) == claimed[f.pk]}


def _still_ours_and_reachable(
    follow_up: FollowUp, current: FollowUp | None, tick: "ReminderTick"
) -> bool:
    """Whether the row read again (`current`, None once it is no longer this sender's)
    may still be e-mailed: staff may have completed or moved the follow-up, or the
    patient unsubscribed or changed address, since the claim."""
    if current is None:
        tick.released += 1
        return False
    if not _may_email(current.patient):
        with transaction.atomic(), _history("reminder claim"):
            _move_to_calls(_still_claimed(follow_up), CALL_INSTEAD_NOTE, timezone.now())
        tick.moved_to_calls += 1
        return False
    follow_up.patient = current.patient
    return True


def _unwritable(exc: Exception) -> Reply:
    return Reply(accepted=False, text=f"The e-mail could not be written: {exc!r}", permanent=True)


def _lease_left(follow_up: FollowUp) -> float:
    if follow_up.claimed_until is None:  # no lease, no time
        return 0.0
    return (follow_up.claimed_until - timezone.now()).total_seconds()


def reminders_send_batch(*, claimed: list[FollowUp], tick: ReminderTick) -> None:
    """Send claimed reminders over one SMTP connection, recording each answer as it
    comes. A message is started only while the lease has room for a whole SMTP
    conversation (two EMAIL_TIMEOUTs), so no second sender can claim it mid-send."""
    writer = ReminderWriter(clinic_profile())
    # Computed once per batch: the clinic's send time, further-reminder days from today.
    further_at = reminder_time(
        timezone.localdate() + datetime.timedelta(days=settings.FOLLOWUP_REMINDER_FURTHER_DAYS)
    )
    unreachable: Reply | None = None
    current: dict[int, FollowUp] = {}
    with ReminderOutbox() as outbox:
        for position, follow_up in enumerate(claimed):
            if _lease_left(follow_up) < 2 * settings.EMAIL_TIMEOUT:
                _release(claimed[position:])
                tick.released += len(claimed) - position
                break
            if position % READ_AGAIN_EVERY == 0:
                current = _read_again(claimed[position : position + READ_AGAIN_EVERY])
            if not _still_ours_and_reachable(follow_up, current.get(follow_up.pk), tick):
                continue
            number = follow_up.reminders_sent + 1
            try:
                message = reminder_message(follow_up=follow_up, writer=writer, number=number)
            except Exception as exc:
                # A reminder that cannot be written must not hold up the ones behind it
                # tick after tick: it fails now and staff call instead.
                logger.exception("Reminder for follow-up %s could not be written", follow_up.pk)
                _record_refused(follow_up, _unwritable(exc), message_id="")
                tick.failed += 1
                continue
            message_id = message.extra_headers["Message-ID"]
            # Once the server cannot be reached, the rest of the batch share that answer.
            reply = unreachable or outbox.send(message)
            if reply.unreachable:
                unreachable = reply
            if reply.accepted:
                _record_accepted(follow_up, reply, message_id, further_at)
                tick.sent += 1
            elif _record_refused(follow_up, reply, message_id) == ReminderDelivery.Status.FAILED:
                tick.failed += 1
            else:
                tick.retrying += 1
        tick.connections += outbox.connections_opened
    tick.batches += 1


def _send_until(deadline: float) -> ReminderTick:
    """One sender: claim and send batch after batch until nothing is due or the
    deadline (time.monotonic) has passed."""
    tick = ReminderTick()
    while time.monotonic() < deadline:
        claimed = reminders_claim_due()
        if not claimed:
            break
        reminders_send_batch(claimed=claimed, tick=tick)
    return tick


def _sender_thread(deadline: float) -> ReminderTick:
    try:
        return _send_until(deadline)
    finally:
        # This thread's own database connection, opened for it.
        db_connections.close_all()


def reminders_send_due(*, budget_seconds: float | None = None) -> ReminderTick:
    """The minute tick: FOLLOWUP_REMINDER_SENDERS senders side by side, each claiming
    and sending batches over its own database and SMTP connections until nothing is
    due or the budget (FOLLOWUP_REMINDER_TICK_SECONDS) is used, so a tick stays shorter
    than a minute and ticks rarely overlap (when they do, the claims keep them apart).
    The senders are threads: each mostly waits for the mail server or for its commit,
    and the claims (SKIP LOCKED) keep them apart as they keep two workers apart. One
    sender runs in the caller's thread, on its connection."""
    budget = settings.FOLLOWUP_REMINDER_TICK_SECONDS if budget_seconds is None else budget_seconds
    deadline = time.monotonic() + budget
    senders = max(1, settings.FOLLOWUP_REMINDER_SENDERS)
    if senders == 1:
        tick = _send_until(deadline)
    else:
        with ThreadPoolExecutor(max_workers=senders, thread_name_prefix="reminder-sender") as pool:
            tick = ReminderTick.total(list(pool.map(_sender_thread, [deadline] * senders)))
    if tick.batches:
        logger.info(
            "Reminders: %d sent, %d to retry, %d failed, %d handed back, %d connection(s), "
            "%d sender(s)",
            tick.sent,
            tick.retrying,
            tick.failed,
            tick.released,
            tick.connections,
            tick.senders,
        )
    return tick


# --- Unsubscribing -----------------------------------------------------------------


def reminders_unsubscribe_pending(*, token: str) -> bool:
    """Whether the unsubscribe link still has something to do: True while the patient
    gets reminder e-mails, False once they have stopped. Changes nothing, so opening
    the link (or a mail provider's link scanner fetching it) withdraws nothing. Raises
    as reminders_unsubscribe does."""
    link = unsubscribe_link(token)
    patient = Patient.objects.only("email_consent", "email_consent_given_at").get(
        pk=link.patient_id
    )
    _check_consent_version(patient, link)
    return patient.email_consent


def reminders_unsubscribe(*, token: str) -> Patient:
    """The patient pressed the button behind the unsubscribe link, or their mail program
    sent the RFC 8058 one-click POST: consent is withdrawn at once, with history, and
    their pending e-mail follow-ups move to the staff call list. Raises LinkInvalid for
    a tampered token, LinkExpired for one past FOLLOWUP_UNSUBSCRIBE_LINK_DAYS or sent
    before consent was given again, and Patient.DoesNotExist for a patient who is not
    there. Pressing twice changes nothing more."""
    link = unsubscribe_link(token)
    with transaction.atomic(), _history("unsubscribe link"):
        # Locked, so a re-consent cannot land between the version check and the withdrawal.
        _check_consent_version(Patient.objects.select_for_update().get(pk=link.patient_id), link)
        patient = patient_email_consent_withdraw(patient_id=link.patient_id)
        _move_to_calls(
            FollowUp.objects.filter(
                patient_id=link.patient_id, status=FollowUp.Status.PENDING, channel=Channel.EMAIL
            ),
            UNSUBSCRIBED_NOTE,
            timezone.now(),
        )
    return patient


def _check_consent_version(patient: Patient, link: UnsubscribeLink) -> None:
    # A link sent before the patient consented again must not withdraw the new consent.
    if consent_version(patient.email_consent_given_at) != link.consent_version:
        raise LinkExpired
