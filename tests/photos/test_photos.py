import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from apps.audit.models import AccessLog
from apps.photos.models import Photo
from apps.photos.services import photo_add, photo_file, photo_void
from tests.builders import local
from tests.factories import DoseFactory, VisitFactory
from tests.photos.helpers import phone_photo, upload


def _files(root):
    """Photo files only: the consent behind the photos has its PDF in the same store."""
    root = root / "photos"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_an_upload_is_stored_privately_without_gps(dose, photo_consent, nurse, private_files):
    photo = photo_add(
        dose=dose,
        taken_on=timezone.localdate(),
        upload=upload(phone_photo()),
        view="front",
        by=nurse,
    )
    assert photo.days_since_treatment == 1
    assert (photo.width, photo.height) == (200, 400)
    stored = _files(private_files)
    assert [p.name.endswith("-thumb.jpg") for p in stored].count(True) == 1
    for path in stored:
        assert str(path).startswith(str(private_files))
        data = path.read_bytes()
        assert b"Exif" not in data and b"PhoneMaker" not in data
        assert not Image.open(io.BytesIO(data)).getexif()


def test_a_bad_file_stores_nothing(dose, photo_consent, nurse, private_files):
    with pytest.raises(ValidationError) as refused:
        photo_add(
            dose=dose,
            taken_on=timezone.localdate(),
            upload=upload(b"not an image at all", "fake.jpg"),
            by=nurse,
        )
    assert "not a photo" in refused.value.message_dict["upload"][0]
    assert not Photo.objects.exists() and _files(private_files) == []


def test_without_photo_consent_nothing_is_stored(dose, nurse, private_files):
    with pytest.raises(ValidationError) as refused:
        photo_add(dose=dose, taken_on=timezone.localdate(), upload=upload(phone_photo()), by=nurse)
    assert "allows photos" in refused.value.message_dict["upload"][0]
    assert not Photo.objects.exists() and _files(private_files) == []


def test_a_photo_cannot_be_dated_in_the_future(dose, photo_consent, nurse):
    with pytest.raises(ValidationError) as refused:
        photo_add(
            dose=dose,
            taken_on=timezone.localdate() + datetime.timedelta(days=1),
            upload=upload(phone_photo()),
            by=nurse,
        )
    assert "taken_on" in refused.value.message_dict


def test_voiding_needs_a_reason_and_keeps_the_photo(dose, photo_consent, nurse, clinician):
    photo = photo_add(
        dose=dose, taken_on=timezone.localdate(), upload=upload(phone_photo()), by=nurse
    )
    with pytest.raises(ValidationError):
        photo_void(photo=photo, reason="", by=clinician)
    photo = photo_void(photo=photo, reason="Wrong patient", by=clinician)
    assert photo.is_voided and Photo.objects.filter(pk=photo.pk).exists()
    assert photo_file(photo).startswith(b"\xff\xd8")


def test_uploading_through_the_visit_page(client, nurse, dose, photo_consent):
    client.force_login(nurse)
    url = reverse("photos:upload", args=[dose.visit_id])
    form = client.get(url).content.decode()
    assert 'accept="image/*"' in form and 'capture="environment"' in form
    response = client.post(
        url,
        {
            "dose": dose.pk,
            "taken_on": timezone.localdate().isoformat(),
            "view": "front",
            "upload": upload(phone_photo()),
        },
    )
    photo = Photo.objects.get()
    assert response.status_code == 302 and response.url == reverse("photos:detail", args=[photo.pk])


def test_a_refused_upload_says_why_on_the_page(client, nurse, dose, photo_consent):
    client.force_login(nurse)
    response = client.post(
        reverse("photos:upload", args=[dose.visit_id]),
        {
            "dose": dose.pk,
            "taken_on": timezone.localdate().isoformat(),
            "upload": upload(b"%PDF-1.7 not a picture", "scan.jpg"),
        },
    )
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert not Photo.objects.exists()


def test_images_are_served_only_through_checked_and_logged_views(
    client, nurse, front_desk, dose, photo_consent, settings
):
    photo = photo_add(
        dose=dose, taken_on=timezone.localdate(), upload=upload(phone_photo()), by=nurse
    )
    client.force_login(front_desk)
    assert client.get(reverse("photos:image", args=[photo.pk])).status_code == 403
    client.force_login(nurse)
    image = client.get(reverse("photos:image", args=[photo.pk]))
    thumb = client.get(reverse("photos:thumbnail", args=[photo.pk]))
    assert image["Content-Type"] == "image/jpeg" and image["Cache-Control"] == "private, no-store"
    assert thumb.content.startswith(b"\xff\xd8")
    subjects = list(AccessLog.objects.order_by("id").values_list("subject", flat=True))
    assert subjects == ["photo-image", "photo-thumbnail"]
    # No URL maps onto the file store.
    assert client.get(f"/{settings.MEDIA_URL.strip('/')}/{photo.image_name}").status_code == 404


def test_comparison_lines_up_one_site_by_days_since_treatment(
    client, clinician, nurse, patient, photo_consent, django_assert_num_queries
):
    today = timezone.localdate()
    first = DoseFactory(
        visit=VisitFactory(
            patient=patient, visited_at=local(timezone.localdate() - datetime.timedelta(days=60))
        )
    )
    other_knee = DoseFactory(visit=first.visit, laterality="right", lot=first.lot)
    for days_ago in (60, 30, 0):
        photo_add(
            dose=first,
            taken_on=today - datetime.timedelta(days=days_ago),
            upload=upload(phone_photo()),
            by=nurse,
        )
    photo_add(dose=other_knee, taken_on=today, upload=upload(phone_photo()), by=nurse)
    voided = photo_add(dose=first, taken_on=today, upload=upload(phone_photo()), by=nurse)
    photo_void(photo=voided, reason="Blurred", by=clinician)
    client.force_login(clinician)
    url = reverse("photos:compare", args=[patient.pk, first.site_id, "left"])
    # session, user, permissions (user's, groups'), patient, site, the photos with their
    # doses and visits, history context + access-log insert, the user's roles for the
    # page header.
    with django_assert_num_queries(9):
        page = client.get(url)
    text = page.content.decode()
    assert text.count("photos/") - text.count("photos/photos.css") >= 3
    assert "Baseline" in text and "Day 30" in text and "Day 60" in text
    assert text.index("Baseline") < text.index("Day 30") < text.index("Day 60")
    assert text.count('class="card"') == 3  # the other knee and the voided one left out


def test_the_visit_page_shows_photos_and_maps_in_constant_queries(
    client, nurse, dose, photo_consent, django_assert_num_queries
):
    from decimal import Decimal

    from apps.injection_maps.services import PointInput, injection_map_save

    photo_add(dose=dose, taken_on=timezone.localdate(), upload=upload(phone_photo()), by=nurse)
    injection_map_save(dose=dose, points=[PointInput(Decimal(10), Decimal(10))], by=nurse)
    client.force_login(nurse)
    url = reverse("treatments:visit-detail", args=[dose.visit_id])
    client.get(url)
    # session, user, permissions (2), the visit with doses, warnings and vials opened (4),
    # history context with the access-log insert (1), roles for the header (1); consents
    # relied on (1), the map's doses and points (2), the photos (1).
    with django_assert_num_queries(14) as once:
        page = client.get(url)
    assert page.content.decode().count("/thumbnail.jpg") == 1
    for _ in range(4):
        photo_add(dose=dose, taken_on=timezone.localdate(), upload=upload(phone_photo()), by=nurse)
    injection_map_save(
        dose=dose, points=[PointInput(Decimal(i), Decimal(i)) for i in range(1, 30)], by=nurse
    )
    with django_assert_num_queries(len(once)):
        page = client.get(url)
    assert page.content.decode().count("/thumbnail.jpg") == 5


def test_the_page_asking_to_void_a_photo_is_a_read(client, dose, photo_consent, nurse, clinician):
    photo = photo_add(
        dose=dose, taken_on=timezone.localdate(), upload=upload(phone_photo()), by=nurse
    )
    client.force_login(clinician)
    assert client.get(reverse("photos:void", args=[photo.pk])).status_code == 200
    assert [(e.subject, e.patient_id, e.object_id) for e in AccessLog.objects.all()] == [
        ("photo", photo.patient_id, photo.pk)
    ]
