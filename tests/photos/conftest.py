"""Photo fixtures: a private file store per test, a visit with a treated site, and
uploads built in memory (a phone photo with GPS, a bomb, a polyglot ...)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from apps.consents.models import PhotoUse
from apps.consents.services import consent_form_create, consent_sign
from tests.consents.conftest import BODY, drawn_signature
from tests.factories import DoseFactory, PatientFactory, UserFactory, VisitFactory

GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (40.0, 42.0, 46.1),
    ExifTags.GPS.GPSLongitudeRef: "W",
    ExifTags.GPS.GPSLongitude: (74.0, 0.0, 21.5),
}


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def phone_photo(size=(400, 200), *, orientation: int = 6, fmt: str = "JPEG") -> bytes:
    """A photo as a phone saves it: landscape pixels, an EXIF orientation (6: turn 90°
    clockwise to view), the camera's make and the GPS position."""
    image = Image.new("RGB", size, (200, 120, 100))
    image.paste((20, 20, 200), (0, 0, size[0] // 4, size[1] // 4))  # a mark in the corner
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.IFD.GPSInfo] = GPS
    out = io.BytesIO()
    image.save(out, format=fmt, exif=exif.tobytes())
    return out.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def patient(db):
    return PatientFactory(first_name="Grace", last_name="Hopper")


@pytest.fixture
def dose(patient):
    return DoseFactory(visit=VisitFactory(patient=patient))


@pytest.fixture
def photo_consent(patient, nurse):
    version = consent_form_create(
        title="Knee treatment",
        body=BODY,
        site_categories=["joint"],
        by=UserFactory(role="manager"),
    )
    return consent_sign(
        patient=patient,
        version=version,
        product=None,
        signed_name="Grace Hopper",
        signature=drawn_signature(),
        photo_use=PhotoUse.RECORD,
        by=nurse,
    )
