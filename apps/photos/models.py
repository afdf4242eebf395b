"""Before/after photos: clinical records of one treated site (a dose) of one visit.

Only the re-encoded image is kept (no EXIF, no GPS, orientation applied), with its
thumbnail, in the private file store. Never deleted: voided with a reason."""

import pghistory
from django.db import models
from django.db.models import Q

from exotrack.models import Recorded, Voidable


@pghistory.track()
class Photo(Recorded, Voidable):
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
    image_name = models.CharField(max_length=200)
    thumbnail_name = models.CharField(max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    image_sha256 = models.CharField(max_length=64)
    uploaded_format = models.CharField(max_length=10)
    uploaded_bytes = models.PositiveIntegerField()

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
