"""When a lot may be given: the list filter and the reason a chosen lot is refused are
one rule, so they agree on every lot."""

import datetime
import itertools

import pytest

from apps.inventory.models import Lot, StockMovement
from tests.factories import LotFactory

TODAY = datetime.date(2026, 6, 1)


@pytest.mark.django_db
def test_the_filter_and_the_reason_agree_on_every_kind_of_lot():
    cases = list(
        itertools.product(Lot.Status.values, (-1, 0, 1), (0, 1)),
    )
    lots = []
    for status, expires_in, vials_left in cases:
        lot = LotFactory(
            status=status,
            expiry_date=TODAY + datetime.timedelta(days=expires_in),
            received_on=TODAY - datetime.timedelta(days=30),
            vials_received=1,
        )
        if not vials_left:
            StockMovement.objects.create(lot=lot, kind=StockMovement.Kind.USED, vials=-1)
            lot.refresh_from_db(fields=["vials_on_hand"])
        lots.append(lot)
    listed = set(Lot.objects.filter(Lot.usable_on(TODAY)).values_list("pk", flat=True))
    for lot, (status, expires_in, vials_left) in zip(lots, cases, strict=True):
        expected = status == Lot.Status.AVAILABLE and expires_in >= 0 and vials_left > 0
        assert (lot.pk in listed) is expected, (status, expires_in, vials_left)
        assert (lot.unusable_reason(TODAY) is None) is expected, (status, expires_in, vials_left)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "code", "message"),
    [
        ({"status": Lot.Status.RECALLED}, "lot_unusable", "Lot U1 is recalled."),
        ({"status": Lot.Status.QUARANTINED}, "lot_unusable", "Lot U1 is quarantined."),
        (
            {"expiry_date": TODAY - datetime.timedelta(days=1)},
            "lot_unusable",
            "Lot U1 expired on 2026-05-31.",
        ),
        ({}, "not_enough_stock", "Lot U1 has 1 vial left, 2 needed."),
    ],
)
def test_one_message_and_code_per_reason(changes, code, message):
    defaults = {"expiry_date": TODAY, "received_on": TODAY - datetime.timedelta(days=30)}
    lot = LotFactory(lot_number="U1", vials_received=1, **{**defaults, **changes})
    problem = lot.unusable_reason(TODAY, vials=2)
    assert (problem.code, problem.message) == (code, message)
