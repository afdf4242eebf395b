"""Writes of photos: upload (checked and re-encoded) and voiding."""

import datetime
import hashlib
import secrets
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone

from apps.consents.models import PhotoUse
from apps.consents.selectors import patient_photo_use, photo_use_allows
from apps.photos.models import Photo
from apps.photos.processing import ProcessedPhoto, processed_photo
from apps.treatments.models import Dose
from exotrack.history import recorded_by
from exotrack.private_files import private_storage
from exotrack.voiding import void_record

if TYPE_CHECKING:
    from apps.accounts.models import User


def _check(*, dose: Dose, taken_on: datetime.date) -> dict[str, str]:
    errors = {}
    visit = dose.visit
    if visit.is_voided:
        errors["dose"] = "This visit was voided; photos go with a visit that stands."
    if taken_on > timezone.localdate():
        errors["taken_on"] = "The photo cannot be taken in the future."
    # The consent in force when the photo enters the record decides, whenever it was taken.
    granted = patient_photo_use(patient=visit.patient, on=timezone.localdate())
    if not photo_use_allows(granted, PhotoUse.RECORD):
        errors["upload"] = (
            "The patient has no consent in force that allows photos; take a consent first."
        )
    return errors


def photo_add(
    *,
    dose: Dose,
    taken_on: datetime.date,
    upload: File,
    view: str = "",
    note: str = "",
    by: "User",
) -> Photo:
    """Store a photo of a treated site. Nothing is kept if any check fails."""
    errors = _check(dose=dose, taken_on=taken_on)
    if errors:
        raise ValidationError(errors)
    try:
        processed = processed_photo(upload)
    except ValidationError as problem:
        raise ValidationError({"upload": problem.messages[0]}) from None
    with transaction.atomic(), recorded_by(by):
        return _photo_store(
            dose=dose, taken_on=taken_on, processed=processed, view=view, note=note, by=by
        )


def _photo_store(
    *,
    dose: Dose,
    taken_on: datetime.date,
    processed: ProcessedPhoto,
    view: str,
    note: str,
    by: "User",
) -> Photo:
    visit = dose.visit
    storage = private_storage()
    stem = f"photos/{visit.patient_id}/{taken_on:%Y%m%d}-{secrets.token_hex(8)}"
    photo = Photo(
        patient_id=visit.patient_id,
        dose=dose,
        taken_on=taken_on,
        days_since_treatment=(taken_on - timezone.localtime(visit.visited_at).date()).days,
        view=view.strip(),
        note=note.strip(),
        width=processed.width,
        height=processed.height,
        image_sha256=hashlib.sha256(processed.image).hexdigest(),
        uploaded_format=processed.uploaded_format,
        uploaded_bytes=processed.uploaded_bytes,
        created_by=by,
    )
    # Files first: a failed insert leaves unreferenced files, never a photo without them.
    photo.image_name = storage.save(f"{stem}.jpg", ContentFile(processed.image))
    photo.thumbnail_name = storage.save(f"{stem}-thumb.jpg", ContentFile(processed.thumbnail))
    photo.save()
    return photo


def photo_void(*, photo: Photo, reason: str, by: "User") -> Photo:
    return void_record(
        record=photo,
        by=by,
        reason=reason,
        permission="photos.void_photo",
        noun="photo",
        refused="Only a clinician or manager voids a photo.",
    )


def photo_file(photo: Photo, *, thumbnail: bool = False) -> bytes:
    with private_storage().open(photo.thumbnail_name if thumbnail else photo.image_name) as f:
        return f.read()
