"""Receiving lots, wasting and correcting stock, quarantine, and the catalogue, through
the services every page and API call uses."""

import datetime
from decimal import Decimal

import pghistory.models
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.inventory import services
from apps.inventory.models import Lot, Manufacturer, Product
from tests.factories import LotFactory, ManufacturerFactory, ProductFactory


def receive(product, by, **overrides):
    today = timezone.localdate()
    fields = {
        "product": product,
        "lot_number": "ABC123",
        "expiry_date": today + datetime.timedelta(days=180),
        "received_on": today,
        "vials_received": 10,
        "labelled_billions_per_vial": Decimal("5.00"),
    }
    return services.lot_receive(by=by, **{**fields, **overrides})


def message_dict(error) -> dict:
    return error.value.message_dict


@pytest.mark.django_db
class TestLotReceive:
    def test_puts_the_vials_into_stock_with_who_received_them(self, manager):
        lot = receive(ProductFactory(), manager, measured_billions_per_vial=Decimal("3.4"))
        movement = lot.movements.get()
        assert (lot.vials_on_hand, lot.created_by, lot.status) == (10, manager, "available")
        assert (movement.kind, movement.vials, movement.by) == ("received", 10, manager)
        assert lot.measured_billions_per_vial == Decimal("3.4")

    def test_history_names_the_person(self, manager):
        lot = receive(ProductFactory(), manager)
        event = pghistory.models.Events.objects.references(lot).order_by("pgh_created_at").last()
        assert event.pgh_context["user"] == manager.pk

    def test_lot_number_is_unique_per_product(self, manager):
        product = ProductFactory(name="XoGlo Pro")
        receive(product, manager)
        with pytest.raises(ValidationError) as error:
            receive(product, manager, lot_number="abc123 ")
        today = timezone.localdate()
        assert message_dict(error) == {
            "lot_number": [f"Lot ABC123 of XoGlo Pro was already received on {today:%Y-%m-%d}."]
        }
        receive(ProductFactory(), manager)  # the same number from another product is fine
        assert Lot.objects.filter(lot_number="ABC123").count() == 2

    def test_refuses_impossible_deliveries_naming_each_field(self, manager):
        today = timezone.localdate()
        with pytest.raises(ValidationError) as error:
            receive(
                ProductFactory(),
                manager,
                expiry_date=today,
                received_on=today,
                vials_received=0,
                labelled_billions_per_vial=Decimal("0"),
                measured_source="NTA report 7",
            )
        assert set(message_dict(error)) == {
            "expiry_date",
            "vials_received",
            "labelled_billions_per_vial",
            "measured_billions_per_vial",
        }
        with pytest.raises(ValidationError) as error:
            receive(ProductFactory(), manager, received_on=today + datetime.timedelta(days=1))
        assert set(message_dict(error)) == {"received_on"}
        assert not Lot.objects.exists()

    def test_measured_count_and_storage_can_be_added_later_but_not_the_delivery(self, manager):
        lot = receive(ProductFactory(), manager)
        services.lot_update(
            by=manager,
            lot=lot,
            measured_billions_per_vial=Decimal("2.9"),
            measured_source="NTA",
            storage_location="Freezer B",
        )
        lot.refresh_from_db()
        assert (lot.measured_billions_per_vial, lot.storage_location) == (
            Decimal("2.9"),
            "Freezer B",
        )
        with pytest.raises(ValidationError) as error:
            services.lot_update(by=manager, lot=lot, vials_received=99)
        assert set(message_dict(error)) == {"vials_received"}


@pytest.mark.django_db
class TestStockChanges:
    def test_waste_and_adjust_need_a_reason(self, manager):
        lot = LotFactory(vials_received=5)
        for change in (services.stock_waste, services.stock_adjust):
            with pytest.raises(ValidationError) as error:
                change(by=manager, lot=lot, vials=1, reason="  ")
            assert set(message_dict(error)) == {"reason"}

    def test_waste_takes_and_adjust_goes_both_ways(self, manager):
        lot = LotFactory(vials_received=5)
        wasted = services.stock_waste(by=manager, lot=lot, vials=2, reason="Vial dropped")
        services.stock_adjust(by=manager, lot=lot, vials=1, reason="Found in freezer B")
        services.stock_adjust(by=manager, lot=lot, vials=-4, reason="Count: 0 left")
        assert (wasted.vials, wasted.by) == (-2, manager)
        assert lot.vials_on_hand == 0
        assert [m.kind for m in lot.movements.order_by("id")] == [
            "received",
            "wasted",
            "adjusted",
            "adjusted",
        ]

    def test_never_below_zero(self, manager):
        lot = LotFactory(lot_number="Z1", vials_received=2)
        for change, vials in ((services.stock_waste, 3), (services.stock_adjust, -3)):
            with pytest.raises(ValidationError) as error:
                change(by=manager, lot=lot, vials=vials, reason="count")
            assert message_dict(error) == {
                "vials": ["Lot Z1 has 2 vials on hand; it cannot go below zero."]
            }
        lot.refresh_from_db()
        assert lot.vials_on_hand == 2

    def test_a_slip_of_the_keyboard_is_refused_not_stored(self, manager, nurse):
        lot = LotFactory()
        with pytest.raises(ValidationError) as error:
            services.stock_adjust(by=manager, lot=lot, vials=94792043845825008, reason="count")
        assert message_dict(error) == {"vials": ["No more than 10000 vials at a time."]}
        with pytest.raises(ValidationError):
            services.stock_use(
                lot_id=lot.pk, vials=10**12, on=timezone.localdate(), by=nurse, reason="visit"
            )
        with pytest.raises(ValidationError) as error:
            receive(ProductFactory(), manager, vials_received=10**10)
        assert set(message_dict(error)) == {"vials_received"}

    def test_zero_vials_is_refused(self, manager):
        lot = LotFactory()
        with pytest.raises(ValidationError):
            services.stock_waste(by=manager, lot=lot, vials=0, reason="x")
        with pytest.raises(ValidationError):
            services.stock_adjust(by=manager, lot=lot, vials=0, reason="x")


@pytest.mark.django_db
class TestLotStatus:
    def test_quarantine_makes_a_lot_unusable_and_release_makes_it_usable(self, manager, nurse):
        lot = LotFactory(lot_number="Q7")
        services.lot_status_set(by=manager, lot=lot, status="quarantined", reason="Freezer alarm")
        with pytest.raises(ValidationError, match="Lot Q7 is quarantined"):
            services.stock_use(
                lot_id=lot.pk, vials=1, on=timezone.localdate(), by=nurse, reason="visit"
            )
        released = services.lot_status_set(by=manager, lot=lot, status="available", reason="OK")
        assert (released.status, released.status_reason) == ("available", "OK")
        services.stock_use(lot_id=lot.pk, vials=1, on=timezone.localdate(), by=nurse, reason="v")

    def test_a_recalled_lot_stays_recalled(self, manager):
        lot = LotFactory(lot_number="R1")
        services.lot_status_set(by=manager, lot=lot, status="recalled", reason="Maker recall")
        with pytest.raises(ValidationError) as error:
            services.lot_status_set(by=manager, lot=lot, status="available", reason="oops")
        assert message_dict(error) == {"status": ["Lot R1 is recalled for good."]}

    def test_reason_and_a_known_status_are_required(self, manager):
        lot = LotFactory()
        with pytest.raises(ValidationError):
            services.lot_status_set(by=manager, lot=lot, status="quarantined", reason="")
        with pytest.raises(ValidationError):
            services.lot_status_set(by=manager, lot=lot, status="lost", reason="x")


@pytest.mark.django_db
class TestCatalogue:
    def test_product_create_and_update(self, manager):
        maker = services.manufacturer_create(
            by=manager, name="Kimera Labs", website="https://k.example"
        )
        product = services.product_create(
            by=manager, manufacturer=maker, name="XoGlo", gtin=" ", regulatory_status="IND 1"
        )
        assert (product.gtin, product.created_by) == (None, manager)
        services.product_update(by=manager, product=product, gtin="09506000134352")
        assert Product.objects.get().gtin == "09506000134352"
        services.manufacturer_update(by=manager, manufacturer=maker, contact="QA: +1 555 0199")
        assert Manufacturer.objects.get().contact == "QA: +1 555 0199"

    def test_product_rules(self, manager):
        maker = ManufacturerFactory()
        ProductFactory(manufacturer=maker, name="XoGlo", gtin="09506000134352")
        with pytest.raises(ValidationError) as error:
            services.product_create(
                by=manager,
                manufacturer=maker,
                name="Other",
                gtin="12AB",
                storage_min_celsius=Decimal("-20"),
                storage_max_celsius=Decimal("-80"),
            )
        assert set(message_dict(error)) == {"gtin", "storage_max_celsius"}
        with pytest.raises(ValidationError) as error:
            services.product_create(by=manager, manufacturer=maker, name="XoGlo")
        assert "already exists" in str(error.value)
        with pytest.raises(ValidationError) as error:
            services.product_create(
                by=manager, manufacturer=maker, name="New", gtin="09506000134352"
            )
        assert set(message_dict(error)) == {"gtin"}
        assert Product.objects.count() == 1
