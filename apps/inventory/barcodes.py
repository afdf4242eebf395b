"""GS1 vial barcodes (DataMatrix or GS1-128): AI (01) GTIN, (17) expiry, (10) lot, (21) serial.

A scanner sends the code raw, with GS (\\x1d) between variable-length fields and often a
symbology prefix such as "]d2"; a label printed for people shows the same data with the
application identifiers in parentheses. Both are accepted.
"""

import datetime
from dataclasses import dataclass

import biip
from biip.gs1_messages import GS1Message
from django.core.exceptions import ValidationError

from apps.inventory.models import Lot, Product

# Why a barcode can be refused; the API publishes these codes.
BARCODE_ERROR_CODES = (
    "empty",
    "malformed",
    "no_gtin",
    "bad_gtin",
    "no_lot",
    "unknown_gtin",
    "expiry_mismatch",
)


@dataclass(frozen=True)
class ScannedVial:
    gtin: str
    lot_number: str
    expiry_date: datetime.date | None
    serial: str
    product: Product
    lot: Lot | None  # None: a lot of this product not yet received


def _gs1_message(raw: str) -> GS1Message:
    # str.strip() also drops stray leading/trailing GS characters, which carry no data.
    code = raw.strip()
    if not code:
        raise ValidationError("The barcode is empty: scan the vial label again.", code="empty")
    if code.startswith("("):
        try:
            return GS1Message.parse_hri(code)
        except (biip.ParseError, ValueError, IndexError) as error:
            raise ValidationError(
                f"This is not a readable GS1 vial barcode: {error}", code="malformed"
            ) from error
    try:
        result = biip.parse(code)
    except (biip.ParseError, ValueError, IndexError) as error:
        # biip raises on a broken symbology prefix (e.g. a lone "]") instead of reporting it.
        raise ValidationError(
            f"This is not a readable GS1 vial barcode: {error or 'incomplete prefix'}",
            code="malformed",
        ) from error
    if result.gs1_message is None:
        raise ValidationError(
            f"This is not a readable GS1 vial barcode: {result.gs1_message_error}",
            code="malformed",
        )
    return result.gs1_message


def barcode_parse(raw: str) -> ScannedVial:
    """Read a vial barcode and match it to the product (by GTIN) and, if already
    received, the lot. Reads only: nothing is saved."""
    message = _gs1_message(raw)
    gtin_field = message.element_strings.get(ai="01")
    lot_field = message.element_strings.get(ai="10")
    expiry_field = message.element_strings.get(ai="17")
    serial_field = message.element_strings.get(ai="21")
    if gtin_field is None:
        raise ValidationError("The barcode has no GTIN (AI 01).", code="no_gtin")
    if gtin_field.gtin is None:
        raise ValidationError(
            f"The GTIN {gtin_field.value} in the barcode is not valid: {gtin_field.gtin_error}",
            code="bad_gtin",
        )
    if lot_field is None:
        raise ValidationError("The barcode has no lot number (AI 10).", code="no_lot")
    gtin = gtin_field.value
    expiry = expiry_field.date if expiry_field is not None else None

    product = Product.objects.select_related("manufacturer").filter(gtin=gtin).first()
    if product is None:
        raise ValidationError(
            f"No product has GTIN {gtin}. Add the GTIN to the product before scanning.",
            code="unknown_gtin",
        )
    lot = (
        Lot.objects.select_related("product__manufacturer")
        .filter(product=product, lot_number=lot_field.value)
        .first()
    )
    if lot is not None and expiry is not None and lot.expiry_date != expiry:
        raise ValidationError(
            f"The barcode says lot {lot.lot_number} expires on {expiry:%Y-%m-%d}, but the "
            f"lot record says {lot.expiry_date:%Y-%m-%d}. Check the vial before using it.",
            code="expiry_mismatch",
        )
    return ScannedVial(
        gtin=gtin,
        lot_number=lot_field.value,
        expiry_date=expiry,
        serial=serial_field.value if serial_field is not None else "",
        product=product,
        lot=lot,
    )
