"""Staff pages of photos: upload on a visit, the photo itself, the side-by-side comparison
of one site, voiding, and the review of a photo a patient sent. Every page and every
image goes through the access check and is written to the access log; the files are
never served by the static server."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from apps.accounts.models import User
from apps.accounts.requests import StaffRequest
from apps.audit.models import AccessLog
from apps.audit.services import access_log_record
from apps.consents.models import PhotoUse
from apps.consents.selectors import patient_photo_use
from apps.patients.selectors import of_visible_patients, patients_visible_to
from apps.photos.forms import (
    PhotoForm,
    PhotoVoidForm,
    SentPhotoAcceptForm,
    SentPhotoRejectForm,
)
from apps.photos.models import Photo, SentPhoto
from apps.photos.selectors import (
    REVIEW_SENT_PHOTOS,
    SEE_PHOTOS,
    sent_photos_visible_to,
    site_comparison,
)
from apps.photos.services import (
    photo_add,
    photo_file,
    photo_void,
    sent_photo_accept,
    sent_photo_reject,
)
from apps.treatments.models import Dose, Laterality, TreatmentSite, Visit
from apps.treatments.selectors import visits_visible_to
from exotrack.forms import add_service_errors

_SEE_PHOTOS = list(SEE_PHOTOS)


def _visible_photos(user: User) -> QuerySet[Photo]:
    if not user.has_perm("patients.view_clinical"):
        return Photo.objects.none()
    return of_visible_patients(
        Photo.objects.select_related(
            "patient", "dose__site", "dose__visit", "created_by", "voided_by"
        ),
        user,
    )


def _visible_photo(request: StaffRequest, pk: int) -> Photo:
    return get_object_or_404(_visible_photos(request.user), pk=pk)


def _log(request: StaffRequest, subject: str, *, patient_id: int, object_id: int) -> None:
    access_log_record(
        user=request.user,
        action=AccessLog.Action.VIEW,
        subject=subject,
        patient_id=patient_id,
        object_id=object_id,
        path=request.get_full_path(),
    )


@login_required
@permission_required([*_SEE_PHOTOS, "photos.add_photo"], raise_exception=True)
def photo_upload(request: StaffRequest, visit_pk: int) -> HttpResponse:
    try:
        visit = visits_visible_to(request.user).get(pk=visit_pk)
    except Visit.DoesNotExist as missing:
        raise Http404("No such visit.") from missing
    doses = visit.doses.select_related("site", "visit__patient").order_by("id")
    form = PhotoForm(request.POST or None, request.FILES or None, doses=doses)
    if request.method == "POST" and form.is_valid():
        try:
            photo = photo_add(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Photo added; its location data and camera details removed.")
            return redirect("photos:detail", pk=photo.pk)
    return render(
        request,
        "photos/photo_form.html",
        {"form": form, "visit": visit},
        status=400 if form.is_bound else 200,
    )


@login_required
@permission_required(_SEE_PHOTOS, raise_exception=True)
def photo_detail(request: StaffRequest, pk: int) -> HttpResponse:
    photo = _visible_photo(request, pk)
    _log(request, "photo", patient_id=photo.patient_id, object_id=photo.pk)
    granted = patient_photo_use(patient=photo.patient, on=timezone.localdate())
    return render(
        request,
        "photos/photo_detail.html",
        {"photo": photo, "photo_use": PhotoUse(granted).label},
    )


def _image_response(request: StaffRequest, pk: int, *, thumbnail: bool) -> HttpResponse:
    photo = _visible_photo(request, pk)
    _log(
        request,
        "photo-thumbnail" if thumbnail else "photo-image",
        patient_id=photo.patient_id,
        object_id=photo.pk,
    )
    return _jpeg_response(photo_file(photo, thumbnail=thumbnail), name=f"photo-{photo.pk}.jpg")


def _jpeg_response(data: bytes, *, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@login_required
@permission_required(_SEE_PHOTOS, raise_exception=True)
def photo_image(request: StaffRequest, pk: int) -> HttpResponse:
    return _image_response(request, pk, thumbnail=False)


@login_required
@permission_required(_SEE_PHOTOS, raise_exception=True)
def photo_thumbnail(request: StaffRequest, pk: int) -> HttpResponse:
    return _image_response(request, pk, thumbnail=True)


@login_required
@permission_required(_SEE_PHOTOS, raise_exception=True)
def site_compare(request: StaffRequest, patient_pk: int, site_pk: int, side: str) -> HttpResponse:
    if not request.user.has_perm("patients.view_clinical") or side not in Laterality.values:
        raise Http404("No such site.")
    patient = get_object_or_404(
        patients_visible_to(request.user, include_voided=True), pk=patient_pk
    )
    site = get_object_or_404(TreatmentSite, pk=site_pk)
    photos = list(site_comparison(patient=patient, site_id=site.pk, laterality=side))
    access_log_record(
        user=request.user,
        action=AccessLog.Action.VIEW,
        subject="photo-comparison",
        patient_id=patient.pk,
        path=request.path,
        detail={"site": site.name, "side": side, "photos": [p.pk for p in photos]},
    )
    return render(
        request,
        "photos/compare.html",
        {
            "patient": patient,
            "site": site,
            "side": Laterality(side).label if site.laterality_applies else "",
            "photos": photos,
        },
    )


@login_required
@permission_required([*_SEE_PHOTOS, "photos.void_photo"], raise_exception=True)
def photo_void_view(request: StaffRequest, pk: int) -> HttpResponse:
    photo = _visible_photo(request, pk)
    form = PhotoVoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            photo_void(photo=photo, reason=form.cleaned_data["reason"], by=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Photo voided; it stays in the record's history.")
            return redirect("photos:detail", pk=photo.pk)
    # The page shows the photo and names the patient: a read, as on the photo's own page.
    _log(request, "photo", patient_id=photo.patient_id, object_id=photo.pk)
    return render(request, "photos/photo_void.html", {"photo": photo, "form": form})


def _visible_sent_photo(request: StaffRequest, pk: int) -> SentPhoto:
    return get_object_or_404(sent_photos_visible_to(request.user), pk=pk)


@login_required
@permission_required(list(REVIEW_SENT_PHOTOS), raise_exception=True)
@require_http_methods(["GET", "POST"])
def sent_photo_review(request: StaffRequest, pk: int) -> HttpResponse:
    """A photo a patient sent: accept it into the record as a photo of one treated site
    of the visit followed up, or reject it with a reason."""
    sent = _visible_sent_photo(request, pk)
    doses = (
        Dose.objects.filter(visit=sent.follow_up.visit)
        .select_related("site", "visit__patient")
        .order_by("id")
    )
    action = request.POST.get("action") if request.method == "POST" else None
    accept = SentPhotoAcceptForm(request.POST if action == "accept" else None, doses=doses)
    reject = SentPhotoRejectForm(request.POST if action == "reject" else None)
    if action == "accept" and accept.is_valid():
        try:
            photo = sent_photo_accept(sent=sent, by=request.user, **accept.cleaned_data)
        except ValidationError as error:
            add_service_errors(accept, error)
        else:
            messages.success(request, "Photo taken into the record.")
            return redirect("photos:detail", pk=photo.pk)
    if action == "reject" and reject.is_valid():
        try:
            sent_photo_reject(sent=sent, by=request.user, **reject.cleaned_data)
        except ValidationError as error:
            add_service_errors(reject, error)
        else:
            messages.success(request, "Photo rejected: it stays on file, out of the record.")
            return redirect("followups:worklist")
    _log(request, "sent-photo", patient_id=sent.patient_id, object_id=sent.pk)
    return render(
        request,
        "photos/sent_photo_review.html",
        {
            "sent": sent,
            "visit": sent.follow_up.visit,
            "accept": accept,
            "reject": reject,
            # The error summary belongs to whichever form was sent.
            "form": reject if action == "reject" else accept,
        },
        status=400 if action else 200,
    )


@login_required
@permission_required(_SEE_PHOTOS, raise_exception=True)
def sent_photo_image(request: StaffRequest, pk: int) -> HttpResponse:
    sent = _visible_sent_photo(request, pk)
    _log(request, "sent-photo-image", patient_id=sent.patient_id, object_id=sent.pk)
    return _jpeg_response(photo_file(sent), name=f"sent-photo-{sent.pk}.jpg")
