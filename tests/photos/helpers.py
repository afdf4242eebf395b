"""Shared by the photo tests: uploads built in memory, as a phone makes them."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (40.0, 42.0, 46.1),
    ExifTags.GPS.GPSLongitudeRef: "W",
    ExifTags.GPS.GPSLongitude: (74.0, 0.0, 21.5),
}


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
