"""Follow-up rules, the follow-ups they schedule, reminder deliveries and patient
self-reports. The follow-up row is the schedule (DESIGN.md "Scheduled work")."""

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from exotrack.models import Recorded


class Kind(models.TextChoices):
    CHECK_IN = "check_in", "Check-in"
    OUTCOME = "outcome", "Outcome"
    REPEAT_SESSION = "repeat_session", "Repeat session"
    RECALL_CONTACT = "recall_contact", "Recall contact"


class Channel(models.TextChoices):
    EMAIL = "email", "Patient e-mail"
    CALL = "call", "Staff call"


@pghistory.track()
class FollowUpRule(models.Model):
    """Seeded from seeds/followup_rules.toml; managers edit. Applies to visits treating a
    site in one of `site_categories` (empty: every category)."""

    class Repeat(models.TextChoices):
        NONE = "", "Once"
        PERIODIC = "periodic", "Periodic (every interval)"
        REASSESS = "reassess", "Reassess (offer a repeat when the outcome plateaus)"

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    site_categories = ArrayField(models.CharField(max_length=10), default=list, blank=True)
    offset_days = models.PositiveIntegerField(help_text="Days after the visit it falls due.")
    repeat = models.CharField(max_length=10, choices=Repeat.choices, blank=True, default="")
    interval_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Periodic repeat sessions: days between sessions."
    )
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    template = models.SlugField(
        max_length=40,
        help_text="E-mail template pair followups/email/<template>.{txt,html}.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["offset_days", "name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(repeat="periodic") | Q(interval_days__gte=1),
                name="rule_periodic_has_interval",
            )
        ]

    def __str__(self) -> str:
        return self.name


# A sender's lease (claimed_until) is bookkeeping, not a change to the follow-up: leaving
# it out of the history means a claim writes no history row, only a sent reminder does.
@pghistory.track(exclude=["claimed_until"])
class FollowUp(Recorded):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        SUPERSEDED = "superseded", "Superseded by a later visit"

    class ReminderState(models.TextChoices):
        """Where the e-mail reminder stands; `call` follow-ups never leave NONE."""

        NONE = "", "No e-mail"
        SCHEDULED = "scheduled", "Scheduled"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="follow_ups"
    )
    visit = models.ForeignKey(
        "treatments.Visit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    rule = models.ForeignKey(
        FollowUpRule, null=True, blank=True, on_delete=models.PROTECT, related_name="follow_ups"
    )
    # Repeat sessions are per treated site, so a new visit treating it supersedes them.
    site = models.ForeignKey(
        "treatments.TreatmentSite",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Recall contacts name the recalled lot.
    lot = models.ForeignKey(
        "inventory.Lot", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_ups"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    due_on = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    note = models.TextField(blank=True, help_text="Why it was added, rescheduled or cancelled.")
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completion_note = models.TextField(blank=True)

    # --- reminder e-mail schedule (claimed by the minute tick) ---
    reminder_state = models.CharField(
        max_length=10, choices=ReminderState.choices, blank=True, default=""
    )
    next_reminder_at = models.DateTimeField(
        null=True, blank=True, help_text="When the next reminder e-mail is due (UTC)."
    )
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="A sender holds this reminder until then."
    )
    temporary_failures = models.PositiveSmallIntegerField(default=0)
    # --- patient self-report link (usable once) ---
    self_report_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            # The minute tick: only pending e-mails with a reminder time are in it, so its
            # cost follows the due rows, not the table.
            models.Index(
                fields=["next_reminder_at"],
                name="followup_reminder_due_idx",
                condition=Q(status="pending", next_reminder_at__isnull=False),
            ),
            models.Index(
                fields=["due_on", "id"],
                name="followup_pending_due_idx",
                condition=Q(status="pending"),
            ),
            # The dashboard's counts of the day: every pending follow-up due by today
            # (55,000 at 100,000 patients) read from the index alone, without visiting
            # the 11,000 table pages they lie on.
            models.Index(
                fields=["due_on", "channel", "reminder_state", "patient"],
                name="followup_pending_counts_idx",
                condition=Q(status="pending"),
            ),
            models.Index(fields=["patient", "due_on"], name="followup_patient_due_idx"),
            # The worklist's failed deliveries: a handful among 400,000 pending follow-ups,
            # which the pending-due index would read through to the end to find.
            models.Index(
                fields=["due_on", "id"],
                name="followup_failed_delivery_idx",
                condition=Q(status="pending", reminder_state="failed"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "rule", "site"],
                name="followup_once_per_visit_rule_site",
                nulls_distinct=False,
                condition=Q(visit__isnull=False, rule__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["patient", "lot"],
                name="followup_recall_once_per_patient_lot",
                condition=Q(kind="recall_contact"),
            ),
            models.CheckConstraint(
                condition=~Q(kind="recall_contact") | Q(lot__isnull=False),
                name="followup_recall_names_lot",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} due {self.due_on:%Y-%m-%d}"


@pghistory.track()
class ReminderDelivery(models.Model):
    """One attempt to hand a reminder to the SMTP server: kept for every attempt."""

    class Status(models.TextChoices):
        SENT = "sent", "Accepted by the mail server"
        TEMPORARY_FAILURE = "temporary_failure", "Temporary failure (will retry)"
        FAILED = "failed", "Failed"

    follow_up = models.ForeignKey(FollowUp, on_delete=models.PROTECT, related_name="deliveries")
    attempted_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices)
    to_address = models.CharField(max_length=254)
    smtp_code = models.PositiveSmallIntegerField(null=True, blank=True)
    smtp_reply = models.TextField(blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    reminder_number = models.PositiveSmallIntegerField(
        help_text="1 for the first reminder, 2 for the further one..."
    )

    class Meta:
        ordering = ["-attempted_at", "-id"]
        indexes = [
            models.Index(fields=["follow_up", "-attempted_at"], name="delivery_followup_idx"),
        ]
        verbose_name_plural = "reminder deliveries"

    def __str__(self) -> str:
        return f"{self.get_status_display()} at {self.attempted_at:%Y-%m-%d %H:%M}"


@pghistory.track()
class SelfReport(models.Model):
    """What a patient answered through the self-report link. A "yes" waits in the
    worklist for a clinician to confirm into an adverse event or dismiss."""

    class Review(models.TextChoices):
        NOT_NEEDED = "", "Nothing to review"
        WAITING = "waiting", "Waiting for review"
        CONFIRMED = "confirmed", "Confirmed as an adverse event"
        DISMISSED = "dismissed", "Dismissed"

    follow_up = models.OneToOneField(FollowUp, on_delete=models.PROTECT, related_name="self_report")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="self_reports"
    )
    submitted_at = models.DateTimeField()
    cold_sore = models.BooleanField()
    wound_signs = models.BooleanField("redness, warmth or pus where injected")
    fever = models.BooleanField()
    dizziness = models.BooleanField("dizziness on standing")
    review = models.CharField(max_length=10, choices=Review.choices, blank=True, default="")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_note = models.TextField(blank=True)
    adverse_event = models.ForeignKey(
        "safety.AdverseEvent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(
                fields=["submitted_at"],
                name="self_report_waiting_idx",
                condition=Q(review="waiting"),
            )
        ]

    def __str__(self) -> str:
        return f"Self-report {self.submitted_at:%Y-%m-%d}"

    @property
    def has_symptom(self) -> bool:
        return self.cold_sore or self.wound_signs or self.fever or self.dizziness


class StaffDigest(models.Model):
    """The daily digest e-mail a clinician received: one per person per clinic day, so a
    task that runs twice sends nothing twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    digest_on = models.DateField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "digest_on"], name="staff_digest_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"Digest for {self.user_id} on {self.digest_on:%Y-%m-%d}"
