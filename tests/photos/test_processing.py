import io
import struct
import zlib

import pillow_heif
import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from apps.photos.processing import processed_photo
from tests.photos.helpers import phone_photo, upload


def test_a_phone_photo_loses_exif_and_gps_and_is_turned_upright():
    result = processed_photo(upload(phone_photo((400, 200), orientation=6)))
    stored = Image.open(io.BytesIO(result.image))
    assert stored.format == "JPEG"
    assert (stored.width, stored.height) == (200, 400)  # turned as the camera said
    assert not stored.getexif()
    assert stored.getexif().get_ifd(0x8825) == {}
    assert b"PhoneMaker" not in result.image and b"Exif" not in result.image
    assert "xmp" not in stored.info and "exif" not in stored.info
    thumb = Image.open(io.BytesIO(result.thumbnail))
    assert max(thumb.size) <= 480 and not thumb.getexif()
    # The blue corner mark, top-left in the file, is top-right once turned upright.
    assert stored.getpixel((190, 10))[2] > 150


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_are_accepted(fmt):
    image = Image.new("RGBA", (120, 80), (0, 128, 0, 128))
    out = io.BytesIO()
    image.save(out, format=fmt)
    result = processed_photo(upload(out.getvalue(), f"p.{fmt.lower()}"))
    assert result.uploaded_format == fmt
    assert Image.open(io.BytesIO(result.image)).mode == "RGB"


def test_heic_from_an_iphone_is_accepted():
    heif = pillow_heif.from_pillow(Image.new("RGB", (128, 96), (10, 200, 30)))
    out = io.BytesIO()
    heif.save(out, quality=70)
    result = processed_photo(upload(out.getvalue(), "IMG_0001.HEIC", "image/heic"))
    assert result.uploaded_format == "HEIF"
    assert (result.width, result.height) == (128, 96)


def _refused(data: bytes, name: str = "photo.jpg") -> str:
    with pytest.raises(ValidationError) as refused:
        processed_photo(upload(data, name))
    return refused.value.messages[0]


def test_a_renamed_non_image_is_refused():
    assert "not a photo" in _refused(b"MZ\x90\x00 this is an executable really", "cat.jpg")
    assert "not a photo" in _refused(b"GIF89a" + b"\x00" * 100, "x.png")


def test_a_gif_or_bmp_is_refused_even_though_pillow_reads_it():
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="BMP")
    assert "not a photo" in _refused(out.getvalue(), "x.jpg")


def test_a_truncated_jpeg_is_refused():
    assert "not a photo" in _refused(phone_photo()[:300])


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims a huge picture: a decompression bomb's first bytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_a_decompression_bomb_is_refused_from_its_header():
    message = _refused(_png_header_only(60_000, 60_000), "bomb.png")
    assert "megapixels" in message


def test_a_picture_over_the_pixel_limit_is_refused(settings):
    settings.PHOTO_MAX_PIXELS = 10_000
    assert "200 by 100 pixels" in _refused(phone_photo((200, 100)))


def test_a_50_mb_file_is_refused_before_it_is_read():
    data = phone_photo() + b"\x00" * 50_000_000
    assert _refused(data) == "The file is 50 MB; photos up to 25 MB are accepted."


def test_a_pdf_polyglot_is_refused():
    # A JPEG that is also a PDF: viewers open it as either.
    polyglot = phone_photo() + b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<<>>\n%%EOF"
    assert "contains a PDF" in _refused(polyglot)
