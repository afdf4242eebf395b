"""Reads of photos, with the joins their pages need."""

import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone

from apps.consents.models import PhotoUse
from apps.consents.selectors import patient_photo_use, photo_use_allows
from apps.patients.selectors import of_visible_patients
from apps.photos.models import Photo, SentPhoto

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.patients.models import Patient
    from apps.treatments.models import Visit

# Who sees photos; who adds them also reviews the ones patients send.
SEE_PHOTOS = ("photos.view_photo", "patients.view_clinical", "treatments.view_visit")
REVIEW_SENT_PHOTOS = (*SEE_PHOTOS, "photos.add_photo")


def photos_allowed(*, patient: "Patient", on: datetime.date | None = None) -> bool:
    """Whether the patient's consent in force on `on` (today) lets photos into the record."""
    granted = patient_photo_use(patient=patient, on=on or timezone.localdate())
    return photo_use_allows(granted, PhotoUse.RECORD)


def _photos() -> QuerySet[Photo]:
    return Photo.objects.select_related("dose__site", "dose__visit", "created_by")


def visit_photos(*, visit: "Visit") -> QuerySet[Photo]:
    return _photos().filter(dose__visit=visit).order_by("dose_id", "taken_on", "id")


def patient_photo_sites(*, patient: "Patient") -> list[dict[str, Any]]:
    """The treated sites (with side) that have photos, for the patient page's links."""
    rows = (
        Photo.objects.filter(patient=patient, voided_at__isnull=True)
        .values("dose__site_id", "dose__site__name", "dose__laterality")
        .order_by("dose__site__name", "dose__laterality")
        .distinct()
    )
    return [
        {
            "site_id": r["dose__site_id"],
            "site": r["dose__site__name"],
            "side": r["dose__laterality"],
        }
        for r in rows
    ]


def site_comparison(*, patient: "Patient", site_id: int, laterality: str) -> QuerySet[Photo]:
    """Photos of one site (and side) of one patient, standing ones only, in the order
    they were taken: the baseline first, then each follow-up with its days since the
    treatment it documents."""
    return (
        _photos()
        .filter(
            patient=patient,
            dose__site_id=site_id,
            dose__laterality=laterality,
            voided_at__isnull=True,
        )
        .order_by("taken_on", "days_since_treatment", "id")
    )


def sent_photos_waiting(*, user: "User") -> list[SentPhoto] | None:
    """Photos patients sent that wait for review, oldest first, of patients the user may
    see (voided patients left out); None when the user does not review them. One query."""
    if not user.has_perms(REVIEW_SENT_PHOTOS):
        return None
    return list(
        of_visible_patients(SentPhoto.objects.all(), user, include_voided=False)
        .filter(review=SentPhoto.Review.WAITING)
        .select_related("patient", "follow_up__visit")
        .order_by("sent_at", "id")
    )


def sent_photos_visible_to(user: "User") -> QuerySet[SentPhoto]:
    """Sent photos of the patients this user may open (voided ones too, by link)."""
    if not user.has_perms(SEE_PHOTOS):
        return SentPhoto.objects.none()
    return of_visible_patients(SentPhoto.objects.all(), user).select_related(
        "patient", "follow_up__visit", "reviewed_by", "photo"
    )
