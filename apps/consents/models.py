"""Consent forms the clinic keeps (versioned, never edited) and the consents patients sign.

A signed consent keeps exactly what the patient was shown (the filled-in text), the drawn
signature, and the archived PDF with its SHA-256. Triggers in the database refuse to edit a
published version or a signed consent; only withdrawal (with a reason) is written later."""

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from apps.treatments.models import TreatmentSite
from exotrack.models import Recorded


class PhotoUse(models.TextChoices):
    """What the patient allows photos of them to be used for, each level including the one
    before it."""

    NONE = "none", "No photos"
    RECORD = "record", "Clinical record only"
    TEACHING = "teaching", "Clinical record and teaching"
    MARKETING = "marketing", "Clinical record, teaching and marketing"


PHOTO_USE_ORDER = [PhotoUse.NONE, PhotoUse.RECORD, PhotoUse.TEACHING, PhotoUse.MARKETING]


@pghistory.track()
class ConsentForm(Recorded):
    """A consent form the clinic uses, e.g. "Facial exosome treatment"; its text lives in
    its versions."""

    title = models.CharField(max_length=200, unique=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


@pghistory.track()
class ConsentVersion(models.Model):
    """One published text of a consent form. Never edited: a change is a new version."""

    form = models.ForeignKey(ConsentForm, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    # Plain text or a small subset of Markdown, with {placeholders} filled at signing.
    body = models.TextField()
    site_categories = ArrayField(
        models.CharField(max_length=10, choices=TreatmentSite.Category.choices),
        help_text="Treatment-site categories a signature on this version covers.",
    )
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["form__title", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["form", "number"], name="consent_version_number_once"),
            models.CheckConstraint(condition=Q(number__gte=1), name="consent_version_from_one"),
        ]
        triggers = [
            pgtrigger.Protect(
                name="consent_version_published_unchanged",
                operation=pgtrigger.Update | pgtrigger.Delete,
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} (version {self.number})"

    def site_category_labels(self) -> list[str]:
        labels = dict(TreatmentSite.Category.choices)
        return [labels.get(code, code) for code in self.site_categories]


@pghistory.track()
class ConsentRequest(models.Model):
    """A remote-signing link e-mailed to a patient: expires, and works once."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="consent_requests"
    )
    version = models.ForeignKey(ConsentVersion, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(
        "inventory.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    email = models.EmailField()
    requested_at = models.DateTimeField(auto_now_add=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    emailed_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"Signing link for {self.version} to patient {self.patient_id}"


# Withdrawal is the only change a signed consent may ever see.
_WITHDRAWAL_FIELDS = ["withdrawn_at", "withdrawn_by", "withdraw_reason"]


@pghistory.track()
class SignedConsent(models.Model):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="signed_consents"
    )
    version = models.ForeignKey(ConsentVersion, on_delete=models.PROTECT, related_name="signed")
    product = models.ForeignKey(
        "inventory.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Exactly what the patient read: the version's text with its placeholders filled.
    shown_title = models.CharField(max_length=200)
    shown_text = models.TextField()
    photo_use = models.CharField(max_length=10, choices=PhotoUse.choices)
    signed_name = models.CharField("name typed by the patient", max_length=200)
    signature_png = models.BinaryField()
    signed_at = models.DateTimeField()
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    request = models.OneToOneField(
        ConsentRequest,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signed_consent",
    )
    pdf_name = models.CharField(max_length=200)
    pdf_sha256 = models.CharField("SHA-256 of the PDF", max_length=64)
    pdf_bytes = models.PositiveIntegerField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdraw_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-signed_at", "-id"]
        permissions = [("withdraw_signedconsent", "Can withdraw a signed consent")]
        indexes = [models.Index(fields=["patient", "-signed_at"], name="consent_patient_time_idx")]
        constraints = [
            # Signed in the clinic before a witness, or remotely through a link.
            models.CheckConstraint(
                condition=Q(witness__isnull=False) | Q(request__isnull=False),
                name="consent_witnessed_or_remote",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdraw_reason=""),
                name="consent_withdrawal_has_reason",
            ),
        ]
        triggers = [
            pgtrigger.ReadOnly(name="consent_signed_unchanged", exclude=_WITHDRAWAL_FIELDS),
            pgtrigger.Protect(name="consent_signed_kept", operation=pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.shown_title} signed {self.signed_at:%Y-%m-%d}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


@pghistory.track()
class VisitConsent(models.Model):
    """A signed consent a recorded visit relied on, one row per consent (a visit treating
    a knee and the face may rely on two forms)."""

    visit = models.ForeignKey(
        "treatments.Visit", on_delete=models.PROTECT, related_name="consents_relied_on"
    )
    consent = models.ForeignKey(SignedConsent, on_delete=models.PROTECT, related_name="visits")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["visit", "consent"], name="visit_consent_once")
        ]

    def __str__(self) -> str:
        return f"Visit {self.visit_id} relied on consent {self.consent_id}"
