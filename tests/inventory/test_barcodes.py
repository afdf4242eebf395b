"""Reading GS1 vial barcodes as scanners send them and as labels print them."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from apps.inventory.services import barcode_parse
from tests.factories import LotFactory, ProductFactory

GTIN = "09506000134352"
GS = "\x1d"


@pytest.fixture
def product(db):
    return ProductFactory(name="XoGlo Pro", gtin=GTIN)


@pytest.mark.parametrize(
    "raw",
    [
        f"01{GTIN}1727013110ABC123{GS}21X1",
        f"]d201{GTIN}1727013110ABC123{GS}21X1",
        f"]C101{GTIN}1727013110ABC123{GS}21X1",
        f"(01){GTIN}(17)270131(10)ABC123(21)X1",
        f"  {GS}01{GTIN}1727013110ABC123{GS}21X1\n",
    ],
    ids=["raw-gs", "datamatrix-prefix", "gs1-128-prefix", "parenthesised", "stray-whitespace"],
)
def test_reads_gtin_lot_expiry_and_serial(product, raw):
    vial = barcode_parse(raw)
    assert (vial.gtin, vial.lot_number, vial.expiry_date, vial.serial) == (
        GTIN,
        "ABC123",
        datetime.date(2027, 1, 31),
        "X1",
    )
    assert vial.product == product
    assert vial.lot is None


def test_matches_a_received_lot(product):
    lot = LotFactory(product=product, lot_number="ABC123", expiry_date=datetime.date(2027, 1, 31))
    assert barcode_parse(f"(01){GTIN}(17)270131(10)ABC123").lot == lot


def test_expiry_disagreeing_with_the_lot_record_is_refused(product):
    LotFactory(product=product, lot_number="ABC123", expiry_date=datetime.date(2027, 2, 28))
    with pytest.raises(ValidationError) as error:
        barcode_parse(f"(01){GTIN}(17)270131(10)ABC123")
    assert error.value.messages == [
        "The barcode says lot ABC123 expires on 2027-01-31, but the lot record says "
        "2027-02-28. Check the vial before using it."
    ]


def test_unknown_gtin_is_refused(db):
    with pytest.raises(ValidationError) as error:
        barcode_parse(f"(01){GTIN}(17)270131(10)ABC123")
    assert error.value.messages == [
        f"No product has GTIN {GTIN}. Add the GTIN to the product before scanning."
    ]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "empty"),
        ("hello world", "malformed"),
        ("]", "malformed"),
        ("]\u00b1xyz", "malformed"),
        ("(01)123(10)A", "malformed"),
        (f"(01){GTIN}(17)271331(10)A", "malformed"),
        ("(01)09506000134353(10)A", "bad_gtin"),
        (f"(01){GTIN}(17)270131", "no_lot"),
        ("(10)ABC123(17)270131", "no_gtin"),
    ],
    ids=[
        "empty",
        "text",
        "lone-bracket",
        "bad-symbology",
        "short-gtin",
        "month-13",
        "check-digit",
        "no-lot",
        "no-gtin",
    ],
)
def test_malformed_codes_are_refused_with_a_reason(product, raw, code):
    with pytest.raises(ValidationError) as error:
        barcode_parse(raw)
    assert error.value.code == code
    assert error.value.messages[0]
