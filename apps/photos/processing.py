"""Checks and re-encodes an uploaded photo with Pillow.

A file is a photo only if it decodes as JPEG, PNG, WebP or HEIC (pillow-heif), whatever
its name or declared type. Size and pixel count are checked before the pixels are decoded
(so a decompression bomb is refused from its header), a file that carries a PDF is
refused (a polyglot would otherwise pass as a picture), and what is kept is a new JPEG
drawn from the pixels alone: EXIF, GPS, XMP and comments are left behind, the camera's
orientation is applied to the pixels."""

import io
from dataclasses import dataclass

import pillow_heif
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from PIL import Image, ImageOps, UnidentifiedImageError

pillow_heif.register_heif_opener()

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
THUMBNAIL_SIDE_PX = 480
# JPEG quality of what is kept: visually lossless for skin and hair detail.
IMAGE_QUALITY = 88
THUMBNAIL_QUALITY = 80

NOT_A_PHOTO = "This file is not a photo we can read: upload a JPEG, PNG, WebP or HEIC picture."


@dataclass(frozen=True)
class ProcessedPhoto:
    image: bytes
    thumbnail: bytes
    width: int
    height: int
    uploaded_format: str
    uploaded_bytes: int


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.0f} MB"


def _read(upload: File) -> bytes:
    limit = settings.PHOTO_MAX_UPLOAD_BYTES
    if upload.size > limit:
        raise ValidationError(
            f"The file is {_megabytes(upload.size)}; photos up to {_megabytes(limit)} are accepted."
        )
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(f"Photos up to {_megabytes(limit)} are accepted.")
    return data


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new RGB image with the same pixels and no metadata at all; transparency on white."""
    upright = ImageOps.exif_transpose(image)
    if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info:
        rgba = upright.convert("RGBA")
        clean = Image.new("RGB", rgba.size, "white")
        clean.paste(rgba, mask=rgba.getchannel("A"))
        return clean
    clean = Image.new("RGB", upright.size)
    clean.paste(upright.convert("RGB"))
    return clean


def processed_photo(upload: File) -> ProcessedPhoto:
    """The upload checked and re-encoded, or ValidationError with what is wrong."""
    data = _read(upload)
    if b"%PDF-" in data:
        raise ValidationError(
            "This file also contains a PDF document; upload the photo on its own."
        )
    try:
        with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
            width, height = image.size
            if width * height > settings.PHOTO_MAX_PIXELS:
                raise ValidationError(
                    f"The picture is {width} by {height} pixels; photos up to "
                    f"{settings.PHOTO_MAX_PIXELS / 1_000_000:.0f} megapixels are accepted."
                )
            # Image.open names the format it identified; only images made in memory have none.
            uploaded_format = image.format or ""
            image.load()
            clean = _pixels_only(image)
    except Image.DecompressionBombError:
        raise ValidationError(
            "The picture is too large to open safely: photos up to "
            f"{settings.PHOTO_MAX_PIXELS / 1_000_000:.0f} megapixels are accepted."
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ValidationError(NOT_A_PHOTO) from None
    thumbnail = clean.copy()
    thumbnail.thumbnail((THUMBNAIL_SIDE_PX, THUMBNAIL_SIDE_PX))
    return ProcessedPhoto(
        image=_jpeg(clean, IMAGE_QUALITY),
        thumbnail=_jpeg(thumbnail, THUMBNAIL_QUALITY),
        width=clean.width,
        height=clean.height,
        uploaded_format=uploaded_format,
        uploaded_bytes=len(data),
    )
