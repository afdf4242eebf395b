"""Adverse events, medication-adjustment flags and the state of per-lot safety signals."""

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q

from exotrack.models import Recorded, Voidable


@pghistory.track()
class AdverseEventType(models.Model):
    """The seeded list of events a clinic records (seeds/adverse_event_types.toml).

    The expected rate is the clinic's reference for safety signals: "1 in
    expected_one_in" exposures, counted per dose (treatments) or per visit."""

    class Exposure(models.TextChoices):
        DOSE = "dose", "per treatment (dose)"
        VISIT = "visit", "per visit"

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    needs_description = models.BooleanField(
        default=False, help_text="'Other': the event is described in words."
    )
    expected_one_in = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Expected rate as 1 in N exposures; blank: no signal is tested.",
    )
    exposure = models.CharField(max_length=5, choices=Exposure.choices, default=Exposure.DOSE)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expected_one_in__isnull=True) | Q(expected_one_in__gte=1),
                name="adverse_event_type_rate_positive",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Seriousness(models.TextChoices):
    """FDA MedWatch 3500A box A2/B2 criteria."""

    DEATH = "death", "Death"
    LIFE_THREATENING = "life_threatening", "Life-threatening"
    HOSPITALISATION = "hospitalisation", "Hospitalisation (initial or prolonged)"
    DISABILITY = "disability", "Disability or permanent damage"
    CONGENITAL_ANOMALY = "congenital_anomaly", "Congenital anomaly / birth defect"
    REQUIRED_INTERVENTION = "required_intervention", "Required intervention to prevent damage"
    OTHER_SERIOUS = "other_serious", "Other serious (important medical event)"


class AdverseEventOutcome(models.TextChoices):
    """How the adverse event itself ended (MedWatch's "outcome"), not a treatment outcome
    of the outcomes app."""

    RECOVERED = "recovered", "Recovered / resolved"
    RECOVERING = "recovering", "Recovering / resolving"
    NOT_RECOVERED = "not_recovered", "Not recovered / not resolved"
    RECOVERED_WITH_SEQUELAE = "sequelae", "Recovered with sequelae"
    FATAL = "fatal", "Fatal"
    UNKNOWN = "unknown", "Unknown"


class Causality(models.TextChoices):
    RELATED = "related", "Related"
    PROBABLE = "probable", "Probably related"
    POSSIBLE = "possible", "Possibly related"
    UNLIKELY = "unlikely", "Unlikely related"
    UNRELATED = "unrelated", "Not related"
    UNASSESSED = "unassessed", "Not yet assessed"


class Challenge(models.TextChoices):
    """MedWatch 3500A box C: did the event abate when the product stopped / recur when
    it was given again."""

    YES = "yes", "Yes"
    NO = "no", "No"
    NOT_APPLICABLE = "na", "Doesn't apply"
    UNKNOWN = "unknown", "Unknown"


@pghistory.track()
class AdverseEvent(Recorded, Voidable):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="adverse_events"
    )
    visit = models.ForeignKey(
        "treatments.Visit", on_delete=models.PROTECT, related_name="adverse_events"
    )
    # The dose(s) of that visit the event is attributed to, and through them the lots.
    doses = models.ManyToManyField(
        "treatments.Dose", through="AdverseEventDose", related_name="adverse_events"
    )
    event_type = models.ForeignKey(
        AdverseEventType, on_delete=models.PROTECT, related_name="adverse_events"
    )
    description = models.CharField(
        max_length=200, blank=True, help_text="What happened, when the type is 'other'."
    )
    onset_date = models.DateField()
    resolution_date = models.DateField(null=True, blank=True)
    grade = models.PositiveSmallIntegerField(
        "CTCAE grade",
        choices=[
            (1, "1 Mild"),
            (2, "2 Moderate"),
            (3, "3 Severe or hospitalisation"),
            (4, "4 Life-threatening"),
            (5, "5 Death"),
        ],
    )
    seriousness = ArrayField(
        models.CharField(max_length=24, choices=Seriousness.choices),
        default=list,
        blank=True,
        help_text="FDA seriousness criteria met; none: not serious.",
    )
    outcome = models.CharField(
        max_length=16, choices=AdverseEventOutcome.choices, default=AdverseEventOutcome.UNKNOWN
    )
    causality = models.CharField(
        max_length=12, choices=Causality.choices, default=Causality.UNASSESSED
    )
    action_taken = models.CharField(
        max_length=200, blank=True, help_text="e.g. valacyclovir, antibiotics, medication changed"
    )
    abated_on_stopping = models.CharField(
        max_length=8, choices=Challenge.choices, default=Challenge.UNKNOWN
    )
    recurred_on_reintroduction = models.CharField(
        max_length=8, choices=Challenge.choices, default=Challenge.UNKNOWN
    )
    weight_kg = models.DecimalField(
        "weight (kg) at the event", max_digits=5, decimal_places=1, null=True, blank=True
    )
    narrative = models.TextField(blank=True)
    reported_to_manufacturer_on = models.DateField(null=True, blank=True)
    manufacturer_reference = models.CharField(max_length=80, blank=True)
    reported_to_fda_on = models.DateField("reported to FDA on", null=True, blank=True)
    fda_reference = models.CharField("FDA reference", max_length=80, blank=True)
    # Set once the safety contact has been e-mailed about this serious event.
    safety_contact_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-onset_date", "-id"]
        indexes = [
            models.Index(fields=["patient", "-onset_date"], name="ae_patient_onset_idx"),
            models.Index(fields=["visit"], name="ae_visit_idx"),
            # The adverse-event list pages newest first.
            models.Index(fields=["-onset_date", "-id"], name="ae_newest_first_idx"),
            # The clinicians' dashboard panel of serious events: a few among 70,000
            # events at 100,000 patients, which it read through on every view.
            models.Index(
                fields=["-onset_date", "-id"],
                name="ae_serious_idx",
                condition=Q(voided_at__isnull=True) & ~Q(seriousness=[]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(grade__gte=1) & Q(grade__lte=5), name="ae_grade_1_to_5"
            ),
            models.CheckConstraint(
                condition=Q(resolution_date__isnull=True) | Q(resolution_date__gte=F("onset_date")),
                name="ae_resolves_after_onset",
            ),
            models.CheckConstraint(
                condition=~Q(grade=5) | Q(outcome="fatal"), name="ae_grade_5_is_fatal"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} from {self.onset_date:%Y-%m-%d}"

    @property
    def is_serious(self) -> bool:
        return bool(self.seriousness)


@pghistory.track()
class AdverseEventDose(models.Model):
    """An explicit link table so that re-linking doses leaves history too."""

    adverse_event = models.ForeignKey(AdverseEvent, on_delete=models.CASCADE, related_name="+")
    dose = models.ForeignKey("treatments.Dose", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["adverse_event", "dose"], name="ae_dose_once"),
        ]
        indexes = [models.Index(fields=["dose"], name="ae_dose_dose_idx")]

    def __str__(self) -> str:
        return f"event {self.adverse_event_id} / dose {self.dose_id}"


@pghistory.track()
class MedicationFlag(Recorded):
    """A clinician should review a watched medication after treatment (DOMAIN.md
    "Medication adjustment"). At most one unresolved flag per medication."""

    class Source(models.TextChoices):
        VISIT = "visit", "Treatment recorded"
        MANUAL = "manual", "Raised by staff"
        # The stored value predates the name "self-report"; it stays so that flags already
        # raised, their history and the API keep their value.
        SELF_REPORT = "patient_report", "Patient reported dizziness"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    class Action(models.TextChoices):
        DOSE_REDUCED = "dose_reduced", "Dose reduced"
        UNCHANGED = "unchanged", "Unchanged"
        REFERRED = "referred", "Referred to prescriber"
        STOPPED = "stopped", "Stopped"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="medication_flags"
    )
    medication = models.ForeignKey(
        "patients.Medication", on_delete=models.PROTECT, related_name="flags"
    )
    medication_class = models.ForeignKey(
        "patients.MedicationClass", on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    visit = models.ForeignKey(
        "treatments.Visit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    review_by = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=12, choices=Action.choices, blank=True)
    resolution_note = models.TextField(blank=True)

    class Meta:
        ordering = ["review_by", "id"]
        indexes = [
            models.Index(
                fields=["review_by", "id"],
                name="flag_unresolved_review_idx",
                condition=~Q(status="resolved"),
            ),
            models.Index(fields=["patient", "status"], name="flag_patient_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["medication"],
                condition=~Q(status="resolved"),
                name="flag_one_unresolved_per_medication",
            ),
            models.CheckConstraint(
                condition=~Q(status="resolved") | ~Q(action=""),
                name="flag_resolved_has_action",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.medication} ({self.get_status_display()})"


class LotSignal(models.Model):
    """Whether a lot currently signals for an event type, as the daily recomputation
    left it. `notified_at` is set when the safety contact was told; a lot that clears
    and signals again is a new episode (signalling_since moves) and is told again."""

    lot = models.ForeignKey("inventory.Lot", on_delete=models.CASCADE, related_name="+")
    event_type = models.ForeignKey(AdverseEventType, on_delete=models.CASCADE, related_name="+")
    signalling = models.BooleanField(default=False)
    signalling_since = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField()
    exposures = models.PositiveIntegerField(default=0)
    events = models.PositiveIntegerField(default=0)
    p_value = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lot", "event_type"], name="lot_signal_once"),
        ]

    def __str__(self) -> str:
        return f"lot {self.lot_id} / {self.event_type_id}: {'signal' if self.signalling else '-'}"
