"""The signature drawn on the signing page's canvas, sent as a PNG data URL.

It is decoded (never trusted as bytes), must show enough ink to be a mark rather than an
empty box or a stray tap, and is stored re-encoded as a plain PNG."""

import base64
import binascii
import io

from django.core.exceptions import ValidationError
from PIL import Image, UnidentifiedImageError

_PREFIX = "data:image/png;base64,"
MAX_DATA_URL_CHARS = 700_000
MAX_SIDE_PX = 2400
# A signature's ink must cover at least this many pixels and span this wide a box.
MIN_INK_PIXELS = 60
MIN_INK_WIDTH_PX = 30

BLANK = "Sign in the box with a finger, stylus or mouse: the box is still empty."


def signature_png(data_url: str) -> bytes:
    """The signature as PNG bytes, or ValidationError naming what is wrong."""
    if not data_url:
        raise ValidationError(BLANK, code="blank")
    if len(data_url) > MAX_DATA_URL_CHARS or not data_url.startswith(_PREFIX):
        raise ValidationError("The signature could not be read; clear the box and sign again.")
    try:
        raw = base64.b64decode(data_url[len(_PREFIX) :], validate=True)
        with Image.open(io.BytesIO(raw)) as image:
            if image.format != "PNG" or max(image.size) > MAX_SIDE_PX:
                raise ValidationError(
                    "The signature could not be read; clear the box and sign again."
                )
            image.load()
            rgba = image.convert("RGBA")
    except (binascii.Error, UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ValidationError(
            "The signature could not be read; clear the box and sign again."
        ) from None
    # Ink is any pixel that is both visible and darker than paper.
    alpha = rgba.getchannel("A")
    grey = rgba.convert("L").point(lambda v: 255 if v < 200 else 0)
    ink = Image.composite(
        grey, Image.new("L", rgba.size, 0), alpha.point(lambda a: 255 if a > 64 else 0)
    )
    box = ink.getbbox()
    inked = sum(ink.histogram()[255:])
    if box is None or inked < MIN_INK_PIXELS or box[2] - box[0] < MIN_INK_WIDTH_PX:
        raise ValidationError(BLANK, code="blank")
    # White paper behind the ink, so the PDF and a printout show it the same way.
    paper = Image.new("RGB", rgba.size, "white")
    paper.paste(rgba, mask=alpha)
    out = io.BytesIO()
    margin = 8
    left, top, right, bottom = box
    crop = (max(left - margin, 0), max(top - margin, 0), right + margin, bottom + margin)
    paper.crop(crop).save(out, format="PNG", optimize=True)
    return out.getvalue()
