"""Taking vials from a lot at a visit, and putting them back when the visit is voided."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, connections, transaction

from apps.inventory import selectors, services
from apps.inventory.models import Lot, StockMovement
from tests.factories import LotFactory, ProductFactory

TODAY = datetime.date(2026, 6, 1)


def lot(**kwargs) -> Lot:
    defaults = {
        "expiry_date": TODAY + datetime.timedelta(days=90),
        "received_on": TODAY - datetime.timedelta(days=10),
        "vials_received": 5,
    }
    return LotFactory(**{**defaults, **kwargs})


@pytest.mark.django_db
class TestStockUse:
    def test_takes_vials_from_the_lot(self, nurse):
        a_lot = lot()
        movement = services.stock_use(lot_id=a_lot.id, vials=2, on=TODAY, by=nurse, reason="visit")
        a_lot.refresh_from_db()
        assert (movement.kind, movement.vials, movement.by) == ("used", -2, nurse)
        assert a_lot.vials_on_hand == 3

    def test_last_day_before_expiry_is_still_usable(self, nurse):
        a_lot = lot(expiry_date=TODAY)
        movement = services.stock_use(lot_id=a_lot.id, vials=1, on=TODAY, by=nurse, reason="visit")
        a_lot.refresh_from_db()
        assert (movement.kind, movement.vials) == ("used", -1)
        assert a_lot.vials_on_hand == 4

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"expiry_date": datetime.date(2026, 5, 31)}, "Lot Q1 expired on 2026-05-31."),
            ({"status": Lot.Status.RECALLED}, "Lot Q1 is recalled."),
            ({"status": Lot.Status.QUARANTINED}, "Lot Q1 is quarantined."),
        ],
    )
    def test_refuses_a_lot_not_usable_that_day(self, nurse, changes, message):
        a_lot = lot(lot_number="Q1", received_on=datetime.date(2026, 1, 1))
        Lot.objects.filter(pk=a_lot.pk).update(**changes)
        with pytest.raises(ValidationError) as error:
            services.stock_use(lot_id=a_lot.id, vials=1, on=TODAY, by=nurse, reason="visit")
        assert error.value.messages == [message]
        assert a_lot.movements.count() == 1

    def test_refuses_more_vials_than_on_hand(self, nurse):
        a_lot = lot(lot_number="Q2", vials_received=2)
        with pytest.raises(ValidationError) as error:
            services.stock_use(lot_id=a_lot.id, vials=3, on=TODAY, by=nurse, reason="visit")
        assert error.value.messages == ["Lot Q2 has 2 vials left, 3 needed."]
        a_lot.refresh_from_db()
        assert a_lot.vials_on_hand == 2

    def test_refuses_zero_vials(self, nurse):
        with pytest.raises(ValidationError):
            services.stock_use(lot_id=lot().id, vials=0, on=TODAY, by=nurse, reason="visit")

    def test_stands_or_falls_with_the_callers_transaction(self, nurse):
        a_lot = lot()

        class VisitRefused(Exception):
            pass

        with pytest.raises(VisitRefused), transaction.atomic():
            services.stock_use(lot_id=a_lot.id, vials=2, on=TODAY, by=nurse, reason="visit")
            raise VisitRefused
        a_lot.refresh_from_db()
        assert (a_lot.vials_on_hand, a_lot.movements.count()) == (5, 1)

    def test_return_puts_the_vials_back(self, nurse):
        a_lot = lot()
        used = services.stock_use(lot_id=a_lot.id, vials=2, on=TODAY, by=nurse, reason="visit")
        back = services.stock_return(movement=used, by=nurse, reason="visit voided: wrong patient")
        a_lot.refresh_from_db()
        assert (back.kind, back.vials) == ("returned", 2)
        assert a_lot.vials_on_hand == 5

    def test_only_a_use_can_be_returned(self, nurse):
        received = lot().movements.get()
        with pytest.raises(ValidationError):
            services.stock_return(movement=received, by=nurse, reason="oops")


@pytest.mark.django_db
class TestLedgerRules:
    def test_direct_sql_cannot_take_stock_below_zero(self):
        a_lot = lot(vials_received=1)
        with (
            pytest.raises(IntegrityError, match="lot_stock_never_negative"),
            connection.cursor() as cur,
        ):
            cur.execute(
                "INSERT INTO inventory_stockmovement (lot_id, kind, vials, reason, at) "
                "VALUES (%s, 'used', -2, '', now())",
                [a_lot.id],
            )

    @pytest.mark.parametrize(
        "sql",
        [
            "UPDATE inventory_stockmovement SET vials = 100 WHERE lot_id = %s",
            "DELETE FROM inventory_stockmovement WHERE lot_id = %s",
        ],
    )
    def test_ledger_is_append_only(self, sql):
        a_lot = lot()
        with (
            pytest.raises(DatabaseError, match="ledger_append_only"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(sql, [a_lot.id])
        assert a_lot.movements.get().vials == 5


@pytest.mark.django_db
def test_usable_lots_are_first_expiry_first_out():
    product = ProductFactory()
    later = lot(product=product, expiry_date=TODAY + datetime.timedelta(days=200))
    sooner = lot(product=product, expiry_date=TODAY + datetime.timedelta(days=20))
    lot(product=product, expiry_date=TODAY - datetime.timedelta(days=1))
    Lot.objects.filter(pk=lot(product=product).pk).update(status=Lot.Status.QUARANTINED)
    empty = lot(product=product, vials_received=1)
    StockMovement.objects.create(lot=empty, kind="used", vials=-1)
    lot()  # another product

    assert list(selectors.lots_usable_on(on=TODAY, product=product)) == [sooner, later]
    assert len(selectors.lots_usable_on(on=TODAY)) == 3


@pytest.mark.django_db(transaction=True)
def test_two_visits_at_once_cannot_oversell_the_last_vial(nurse):
    """Two connections race for the last vial: one gets it, the other a clear message."""
    a_lot = lot(vials_received=1)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def record_visit():
        try:
            barrier.wait()
            with transaction.atomic():
                services.stock_use(lot_id=a_lot.id, vials=1, on=TODAY, by=nurse, reason="visit")
            outcomes.append("used")
        except ValidationError as error:
            outcomes.append(error.messages[0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=record_visit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    a_lot.refresh_from_db()
    assert sorted(outcomes) == sorted(
        ["used", f"Lot {a_lot.lot_number} has 0 vials left, 1 needed."]
    )
    assert a_lot.vials_on_hand == 0
