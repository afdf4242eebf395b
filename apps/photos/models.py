"""Before/after photos: clinical records of one treated site (a dose) of one visit, and
the photos patients send from their self-report link, waiting for staff to accept them
into the record or reject them.

Only the re-encoded image is kept (no EXIF, no GPS, orientation applied), with its
thumbnail, in the private file store. Never deleted: voided (or rejected) with a reason."""

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q

from exotrack.models import Recorded, Voidable


class StoredImage(models.Model):
    """The re-encoded image and thumbnail in the private file store, and what was uploaded."""

    image_name = models.CharField(max_length=200)
    thumbnail_name = models.CharField(max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    image_sha256 = models.CharField(max_length=64)
    uploaded_format = models.CharField(max_length=10)
    uploaded_bytes = models.PositiveIntegerField()

    class Meta:
        abstract = True


STORED_IMAGE_FIELDS = [f.name for f in StoredImage._meta.local_fields]


@pghistory.track()
class Photo(Recorded, Voidable, StoredImage):
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="photos")
    # The treated site of the visit the photo documents: a baseline on the treatment day,
    # follow-ups later.
    dose = models.ForeignKey("treatments.Dose", on_delete=models.PROTECT, related_name="photos")
    taken_on = models.DateField()
    days_since_treatment = models.IntegerField()
    view = models.CharField(
        max_length=60, blank=True, help_text="e.g. front, left profile, flexed: the same each time."
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["taken_on", "id"]
        permissions = [("void_photo", "Can void a photo recorded by mistake")]
        indexes = [models.Index(fields=["patient", "taken_on"], name="photo_patient_taken_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True) | ~Q(void_reason=""),
                name="photo_void_has_reason",
            )
        ]

    def __str__(self) -> str:
        return f"Photo {self.pk} of dose {self.dose_id} on {self.taken_on}"


@pghistory.track()
class SentPhoto(StoredImage):
    """A photo the patient sent with their answers to a follow-up. It is not part of the
    record until a staff member accepts it, naming the treated site it shows (the
    patient's page names no site); a rejected one is kept with the reason."""

    class Review(models.TextChoices):
        WAITING = "waiting", "Waiting for review"
        ACCEPTED = "accepted", "Accepted into the record"
        REJECTED = "rejected", "Rejected"

    follow_up = models.ForeignKey(
        "followups.FollowUp", on_delete=models.PROTECT, related_name="sent_photos"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="sent_photos"
    )
    sent_at = models.DateTimeField()
    review = models.CharField(max_length=10, choices=Review.choices, default=Review.WAITING)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reject_reason = models.TextField(blank=True)
    photo = models.OneToOneField(
        Photo, null=True, blank=True, on_delete=models.PROTECT, related_name="sent_photo"
    )

    class Meta:
        ordering = ["sent_at", "id"]
        # Seen, accepted and rejected with the photo permissions: no permissions of its own.
        default_permissions = ()
        indexes = [
            models.Index(
                fields=["sent_at"], name="sent_photo_waiting_idx", condition=Q(review="waiting")
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(review="rejected") | ~Q(reject_reason=""),
                name="sent_photo_reject_has_reason",
            ),
            models.CheckConstraint(
                condition=(Q(review="accepted") & Q(photo__isnull=False))
                | (~Q(review="accepted") & Q(photo__isnull=True)),
                name="sent_photo_accepted_has_photo",
            ),
        ]

    def __str__(self) -> str:
        return f"Photo sent by patient {self.patient_id} on {self.sent_at:%Y-%m-%d}"
