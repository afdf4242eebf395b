import datetime

import pghistory
from django.core.validators import MaxValueValidator
from django.db import models


@pghistory.track()
class ClinicProfile(models.Model):
    """The clinic itself: one row. Reminder e-mails and reports read it."""

    name = models.CharField(max_length=200)
    contact_phone = models.CharField(max_length=40, blank=True)
    booking_url = models.URLField(blank=True, help_text="Online booking page, if any.")
    booking_instructions = models.TextField(
        blank=True, help_text="How patients book when there is no online page."
    )
    safety_contact_email = models.EmailField(
        blank=True, help_text="Receives serious adverse-event and safety-signal e-mails."
    )
    reminder_send_time = models.TimeField(
        default=datetime.time(9, 0), help_text="Local time reminder e-mails go out."
    )
    chart_review_percent = models.PositiveSmallIntegerField(
        "chart review (% of nurses' visits)",
        default=10,
        validators=[MaxValueValidator(100)],
        help_text="The share of visits recorded by nurses that a clinician reviews and signs"
        " off (medical-director chart review), picked at random when each visit is saved.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # A singleton: the primary key is always 1.
            models.CheckConstraint(condition=models.Q(pk=1), name="clinic_profile_singleton"),
            models.CheckConstraint(
                condition=models.Q(chart_review_percent__lte=100),
                name="clinic_chart_review_percent_max_100",
            ),
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class Location(models.Model):
    """A place where the clinic treats patients."""

    name = models.CharField(max_length=120, unique=True)
    address = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
