"""Writes of photos: upload (checked and re-encoded), voiding, and the photos patients
send from their self-report link, accepted into the record or rejected by staff."""

import datetime
import hashlib
import secrets
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone

from apps.photos.models import STORED_IMAGE_FIELDS, Photo, SentPhoto, StoredImage
from apps.photos.processing import ProcessedPhoto, processed_photo
from apps.photos.selectors import photos_allowed
from apps.treatments.models import Dose
from exotrack.history import recorded_by
from exotrack.private_files import private_storage
from exotrack.voiding import void_record

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.followups.models import FollowUp

SENT_BY_PATIENT_NOTE = "Sent by the patient with their follow-up answers."


def _check(*, dose: Dose, taken_on: datetime.date) -> dict[str, str]:
    errors = {}
    visit = dose.visit
    if visit.is_voided:
        errors["dose"] = "This visit was voided; photos go with a visit that stands."
    if taken_on > timezone.localdate():
        errors["taken_on"] = "The photo cannot be taken in the future."
    # The consent in force when the photo enters the record decides, whenever it was taken.
    if not photos_allowed(patient=visit.patient):
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
    processed = checked_upload(upload, field="upload")
    with transaction.atomic(), recorded_by(by):
        return _photo_create(
            dose=dose,
            taken_on=taken_on,
            stored=_files_store(patient_id=dose.visit.patient_id, on=taken_on, processed=processed),
            view=view,
            note=note,
            by=by,
        )


def checked_upload(upload: File, *, field: str) -> ProcessedPhoto:
    """The upload checked and re-encoded, or ValidationError keyed `field`."""
    try:
        return processed_photo(upload)
    except ValidationError as problem:
        raise ValidationError({field: problem.messages[0]}) from None


def _files_store(*, patient_id: int, on: datetime.date, processed: ProcessedPhoto) -> dict:
    """Save the image and thumbnail; the StoredImage fields of the row that names them.
    Files first: a failed insert leaves unreferenced files, never a row without them."""
    storage = private_storage()
    stem = f"photos/{patient_id}/{on:%Y%m%d}-{secrets.token_hex(8)}"
    return {
        "image_name": storage.save(f"{stem}.jpg", ContentFile(processed.image)),
        "thumbnail_name": storage.save(f"{stem}-thumb.jpg", ContentFile(processed.thumbnail)),
        "width": processed.width,
        "height": processed.height,
        "image_sha256": hashlib.sha256(processed.image).hexdigest(),
        "uploaded_format": processed.uploaded_format,
        "uploaded_bytes": processed.uploaded_bytes,
    }


def _photo_create(
    *, dose: Dose, taken_on: datetime.date, stored: dict, view: str, note: str, by: "User"
) -> Photo:
    visit = dose.visit
    return Photo.objects.create(
        patient_id=visit.patient_id,
        dose=dose,
        taken_on=taken_on,
        days_since_treatment=(taken_on - timezone.localtime(visit.visited_at).date()).days,
        view=view.strip(),
        note=note.strip(),
        created_by=by,
        **stored,
    )


def sent_photo_store(
    *, follow_up: "FollowUp", processed: ProcessedPhoto, sent_at: datetime.datetime
) -> SentPhoto:
    """Keep a photo the patient sent, waiting for review. Called inside the transaction
    of the patient's answers, after every check passed; refused unless the patient's
    consent in force allows photos."""
    if not photos_allowed(patient=follow_up.patient):
        raise ValidationError({"photo": "Your consent does not cover photos; please send none."})
    stored = _files_store(
        patient_id=follow_up.patient_id, on=timezone.localdate(sent_at), processed=processed
    )
    return SentPhoto.objects.create(
        follow_up=follow_up, patient_id=follow_up.patient_id, sent_at=sent_at, **stored
    )


def _waiting(sent: SentPhoto, *, by: "User") -> SentPhoto:
    """`sent` locked, if `by` may review it and it still waits."""
    if not by.has_perm("photos.add_photo"):
        raise PermissionDenied("Only clinical staff who add photos review the ones patients send.")
    locked = SentPhoto.objects.select_for_update().select_related("follow_up").get(pk=sent.pk)
    if locked.review != SentPhoto.Review.WAITING:
        raise ValidationError(
            f"This photo is not waiting for review any more ({locked.get_review_display()})."
        )
    return locked


def sent_photo_accept(*, sent: SentPhoto, dose: Dose, view: str = "", by: "User") -> Photo:
    """Take a photo a patient sent into the record, as a photo of `dose` (a treated site
    of the visit the follow-up is about) taken on the day it was sent. The same files:
    nothing is decoded again."""
    with transaction.atomic(), recorded_by(by):
        locked = _waiting(sent, by=by)
        if dose.visit_id != locked.follow_up.visit_id:
            raise ValidationError({"dose": "Choose a treated site of the visit followed up."})
        taken_on = timezone.localdate(locked.sent_at)
        errors = _check(dose=dose, taken_on=taken_on)
        if errors:
            raise ValidationError(errors)
        stored = {f: getattr(locked, f) for f in STORED_IMAGE_FIELDS}
        photo = _photo_create(
            dose=dose, taken_on=taken_on, stored=stored, view=view, note=SENT_BY_PATIENT_NOTE, by=by
        )
        _reviewed(locked, review=SentPhoto.Review.ACCEPTED, by=by, photo=photo)
        return photo


def sent_photo_reject(*, sent: SentPhoto, reason: str, by: "User") -> SentPhoto:
    """Keep a sent photo out of the record (blurred, another body part ...); it stays on
    file with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the photo is not taken into the record."})
    with transaction.atomic(), recorded_by(by):
        locked = _waiting(sent, by=by)
        _reviewed(locked, review=SentPhoto.Review.REJECTED, by=by, reject_reason=reason)
        return locked


def _reviewed(sent: SentPhoto, *, review: str, by: "User", **changes: object) -> None:
    sent.review = review
    sent.reviewed_by = by
    sent.reviewed_at = timezone.now()
    for name, value in changes.items():
        setattr(sent, name, value)
    sent.save(update_fields=["review", "reviewed_by", "reviewed_at", *changes])


def photo_void(*, photo: Photo, reason: str, by: "User") -> Photo:
    return void_record(
        record=photo,
        by=by,
        reason=reason,
        permission="photos.void_photo",
        noun="photo",
        refused="Only a clinician or manager voids a photo.",
    )


def photo_file(photo: StoredImage, *, thumbnail: bool = False) -> bytes:
    with private_storage().open(photo.thumbnail_name if thumbnail else photo.image_name) as f:
        return f.read()
