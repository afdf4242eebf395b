import pghistory
from django.conf import settings
from django.db import models
from django.db.models import F, Q

from exotrack.models import Recorded, Voidable


class Route(models.TextChoices):
    INTRA_ARTICULAR = "intra_articular", "Intra-articular"
    PERITENDINOUS = "peritendinous", "Peri-tendinous"
    INTRAMUSCULAR = "intramuscular", "Intramuscular"
    SUBCUTANEOUS = "subcutaneous", "Subcutaneous"
    INTRADERMAL = "intradermal", "Intradermal"
    SUBMUCOSAL = "submucosal", "Submucosal (oral)"
    TOPICAL_MICRONEEDLING = "topical_microneedling", "Topical after microneedling"
    INTRAVENOUS = "intravenous", "Intravenous"
    OTHER = "other", "Other"


class Laterality(models.TextChoices):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"
    BILATERAL = "bilateral", "Bilateral"
    NOT_APPLICABLE = "na", "Not applicable"


@pghistory.track()
class TreatmentSite(models.Model):
    """The catalogue of regions the clinic treats, with typical dose ranges (seeded,
    managers edit). Doses outside the range need an acknowledged reason."""

    class Category(models.TextChoices):
        JOINT = "joint", "Joint"
        TENDON = "tendon", "Tendon"
        DENTAL = "dental", "Dental"
        FACE = "face", "Face"
        SCALP = "scalp", "Scalp"
        SYSTEMIC = "systemic", "Systemic"
        OTHER = "other", "Other"

    name = models.CharField(max_length=120, unique=True)
    category = models.CharField(max_length=10, choices=Category.choices)
    dose_min_billions = models.DecimalField(max_digits=8, decimal_places=2)
    dose_max_billions = models.DecimalField(max_digits=8, decimal_places=2)
    default_route = models.CharField(max_length=24, choices=Route.choices)
    laterality_applies = models.BooleanField(default=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["category", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(dose_min_billions__gt=0)
                & Q(dose_max_billions__gte=F("dose_min_billions")),
                name="site_dose_range_valid",
            )
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class Visit(Recorded, Voidable):
    class SignOff(models.TextChoices):
        NOT_NEEDED = "not_needed", "No sign-off needed"
        AWAITING = "awaiting", "Awaiting clinician sign-off"
        SIGNED_OFF = "signed_off", "Signed off"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="visits")
    visited_at = models.DateTimeField()
    location = models.ForeignKey("clinic.Location", on_delete=models.PROTECT, related_name="+")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits_as_clinician"
    )
    indication = models.CharField(max_length=200)
    consent_recorded = models.BooleanField(default=False)
    consent_form_version = models.CharField(max_length=40, blank=True)
    cold_sore_prophylaxis = models.BooleanField(
        "cold-sore prophylaxis given",
        default=False,
        help_text="e.g. valacyclovir before treatment",
    )
    notes = models.TextField(blank=True)
    # A nurse may save a visit whose warnings only a clinician may acknowledge, and a share
    # of nurses' visits is picked for chart review: both wait for a clinician's sign-off.
    # Defaults in the database too: bulk loads (COPY) name only the columns they fill.
    sign_off = models.CharField(
        max_length=12,
        choices=SignOff.choices,
        default=SignOff.NOT_NEEDED,
        db_default=SignOff.NOT_NEEDED,
    )
    chart_review = models.BooleanField(
        "picked for chart review",
        default=False,
        db_default=False,
        help_text="Picked at random for the medical director's chart review.",
    )
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    sign_off_note = models.TextField(blank=True, db_default="")

    class Meta:
        ordering = ["-visited_at", "-id"]
        permissions = [("void_visit", "Can void a visit recorded by mistake")]
        indexes = [
            models.Index(fields=["patient", "-visited_at"], name="visit_patient_time_idx"),
            # The visit list pages newest first through a million visits.
            models.Index(fields=["-visited_at", "-id"], name="visit_newest_first_idx"),
            # A lot's recipients: each dose of the lot looks up its visit's time, whether
            # it was voided and whose it was from the index alone (an index-only scan),
            # not from the visit rows scattered over the table.
            models.Index(
                fields=["id"],
                include=["visited_at", "voided_at", "patient"],
                name="visit_trace_idx",
            ),
            # The sign-off list: the few visits waiting, oldest first.
            models.Index(
                fields=["created_at", "id"],
                name="visit_awaiting_sign_off_idx",
                condition=Q(sign_off="awaiting"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(consent_recorded=False) | ~Q(consent_form_version=""),
                name="visit_consent_has_form_version",
            ),
            models.CheckConstraint(
                condition=Q(sign_off="signed_off", signed_off_by__isnull=False)
                | (~Q(sign_off="signed_off") & Q(signed_off_by__isnull=True)),
                name="visit_signed_off_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"Visit {self.pk} on {self.visited_at:%Y-%m-%d}"


@pghistory.track()
class Dose(models.Model):
    """One treated site of one visit, from one lot."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="doses")
    site = models.ForeignKey(TreatmentSite, on_delete=models.PROTECT, related_name="doses")
    laterality = models.CharField(
        max_length=10, choices=Laterality.choices, default=Laterality.NOT_APPLICABLE
    )
    lot = models.ForeignKey("inventory.Lot", on_delete=models.PROTECT, related_name="doses")
    billions = models.DecimalField("billions of particles", max_digits=8, decimal_places=2)
    route = models.CharField(max_length=24, choices=Route.choices)
    volume_ml = models.DecimalField(
        "volume (mL)", max_digits=6, decimal_places=2, null=True, blank=True
    )
    baseline_pain = models.PositiveSmallIntegerField("baseline pain (0-10)", null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(billions__gt=0), name="dose_positive"),
            models.CheckConstraint(
                condition=Q(volume_ml__isnull=True) | Q(volume_ml__gt=0),
                name="dose_volume_positive",
            ),
            models.CheckConstraint(
                condition=Q(baseline_pain__isnull=True) | Q(baseline_pain__lte=10),
                name="dose_baseline_pain_0_10",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.billions} bn to {self.site}"


@pghistory.track()
class VisitWarning(models.Model):
    """A warning a visit carries. A clinician acknowledges it with a reason, when recording
    or, for a visit a nurse saved for sign-off, when signing it off (until then it has no
    reason and no one who acknowledged it)."""

    class Code(models.TextChoices):
        DOSE_OUT_OF_RANGE = "dose_out_of_range", "Dose outside the site's range"
        CUMULATIVE_DOSE_HIGH = "cumulative_dose_high", "High total dose in 30 days"
        IMMUNOCOMPROMISED = "immunocompromised", "Immunocompromised patient"
        COLD_SORE_NO_PROPHYLAXIS = "cold_sore_no_prophylaxis", "Cold-sore history, no prophylaxis"
        NO_SIGNED_CONSENT = "no_signed_consent", "No signed consent covering the treated sites"
        NO_CONSENT_RECORDED = "no_consent_recorded", "No consent recorded"

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="warnings")
    code = models.CharField(max_length=32, choices=Code.choices)
    message = models.TextField()
    reason = models.TextField(blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(acknowledged_by__isnull=False, acknowledged_at__isnull=False)
                & ~Q(reason="")
                | Q(acknowledged_by__isnull=True, acknowledged_at__isnull=True, reason=""),
                name="visit_warning_acknowledged_with_reason",
            )
        ]

    def __str__(self) -> str:
        return self.get_code_display()

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_by_id is not None


# `returned` is set when a voided visit gives its vials back to stock.
@pghistory.track()
class VialsOpened(models.Model):
    """Vials of one lot opened at one visit, and the ledger movement that took them."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="vials_opened")
    lot = models.ForeignKey("inventory.Lot", on_delete=models.PROTECT, related_name="+")
    vials = models.PositiveIntegerField()
    movement = models.OneToOneField(
        "inventory.StockMovement", on_delete=models.PROTECT, related_name="vials_opened"
    )
    returned = models.OneToOneField(
        "inventory.StockMovement", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["visit", "lot"], name="vials_opened_once_per_lot"),
            models.CheckConstraint(condition=Q(vials__gt=0), name="vials_opened_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.vials} vials of lot {self.lot_id} at visit {self.visit_id}"
