"""Reads of photos, with the joins their pages need."""

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from apps.photos.models import Photo

if TYPE_CHECKING:
    from apps.patients.models import Patient
    from apps.treatments.models import Visit


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
