"""The inventory pages as each role meets them."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.inventory.models import Lot, Manufacturer, Product, StockMovement
from tests.factories import LotFactory, ManufacturerFactory, ProductFactory

GTIN = "09506000134352"


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.mark.django_db
class TestWhoSeesWhat:
    @pytest.mark.parametrize(
        ("url_name", "allowed"),
        [
            ("inventory:lot-list", {"clinician", "nurse", "manager"}),
            ("inventory:lot-receive", {"manager"}),
            ("inventory:product-list", {"clinician", "nurse", "manager"}),
            ("inventory:product-add", {"manager"}),
            ("inventory:manufacturer-add", {"manager"}),
            ("inventory:lot-options", {"clinician", "nurse", "manager"}),
        ],
    )
    def test_pages_by_role(self, client, personas, outsider, url_name, allowed):
        for role, user in {**personas, "outsider": outsider}.items():
            client.force_login(user)
            status = client.get(reverse(url_name)).status_code
            assert status == (200 if role in allowed else 403), (role, status)

    def test_lot_detail_shows_the_ledger_to_managers_only(self, signed_in, manager, nurse):
        lot = LotFactory()
        url = reverse("inventory:lot-detail", args=[lot.pk])
        assert 'id="ledger"' in signed_in(manager).get(url).content.decode()
        page = signed_in(nurse).get(url).content.decode()
        assert 'id="ledger"' not in page
        assert "Waste or correct" not in page
        assert "20 of 20 received" in page

    def test_a_missing_lot_is_404(self, signed_in, manager):
        assert (
            signed_in(manager).get(reverse("inventory:lot-detail", args=[999999])).status_code
            == 404
        )

    def test_nurse_cannot_waste_or_quarantine(self, signed_in, nurse):
        lot = LotFactory()
        client = signed_in(nurse)
        stock = client.post(
            reverse("inventory:lot-stock-change", args=[lot.pk]),
            {"kind": "wasted", "vials": 1, "reason": "dropped"},
        )
        status = client.post(
            reverse("inventory:lot-status", args=[lot.pk]),
            {"status": "quarantined", "reason": "cold chain"},
        )
        assert (stock.status_code, status.status_code) == (403, 403)
        assert lot.movements.count() == 1


@pytest.mark.django_db
class TestLotList:
    def test_shows_labelled_and_measured_counts_side_by_side(self, signed_in, nurse):
        LotFactory(
            lot_number="M1",
            labelled_billions_per_vial=Decimal("5.00"),
            measured_billions_per_vial=Decimal("3.40"),
        )
        LotFactory(lot_number="U1", labelled_billions_per_vial=Decimal("2.50"))
        page = signed_in(nurse).get(reverse("inventory:lot-list")).content.decode()
        assert "<td>5.00</td>\n      <td>3.40</td>" in page
        assert "<td>2.50</td>\n      <td>not measured</td>" in page

    def test_filters(self, signed_in, manager):
        today = timezone.localdate()
        product = ProductFactory()
        soon = LotFactory(
            product=product, lot_number="SOON", expiry_date=today + datetime.timedelta(days=10)
        )
        LotFactory(product=product, lot_number="LATER")
        held = LotFactory(lot_number="HELD")
        Lot.objects.filter(pk=held.pk).update(status="quarantined")
        client = signed_in(manager)

        def lots(**params):
            page = client.get(reverse("inventory:lot-list"), params).content.decode()
            return {n for n in ("SOON", "LATER", "HELD") if f">{n}</a>" in page}

        assert lots() == {"SOON", "LATER", "HELD"}
        assert lots(product=product.pk) == {"SOON", "LATER"}
        assert lots(status="quarantined") == {"HELD"}
        assert lots(expiring="30") == {"SOON"}
        assert soon.pk

    def test_constant_queries(self, signed_in, manager, django_assert_num_queries):
        client = signed_in(manager)
        LotFactory()
        # session, user, user + group permissions, products for the filter, lot count,
        # the user's roles (header), and one page of lots with product and maker.
        with django_assert_num_queries(8) as one:
            client.get(reverse("inventory:lot-list"))
        for _ in range(49):
            LotFactory()
        with django_assert_num_queries(len(one.captured_queries)):
            client.get(reverse("inventory:lot-list"))


@pytest.mark.django_db
class TestReceiving:
    def form(self, product, **overrides):
        today = timezone.localdate()
        return {
            "product": product.pk,
            "lot_number": "ABC123",
            "expiry_date": str(today + datetime.timedelta(days=100)),
            "received_on": str(today),
            "vials_received": "8",
            "labelled_billions_per_vial": "5",
            **overrides,
        }

    def test_scan_fills_the_form_without_saving(self, signed_in, manager):
        product = ProductFactory(name="XoGlo Pro", gtin=GTIN)
        client = signed_in(manager)
        typed = {"vials_received": "8", "csrfmiddlewaretoken": "x"}
        for headers in ({}, {"HX-Request": "true"}):
            response = client.post(
                reverse("inventory:lot-receive"),
                {**typed, "barcode": f"]d201{GTIN}1727013110ABC123\x1d21X1"},
                headers=headers,
            )
            page = response.content.decode()
            assert "Read XoGlo Pro, lot ABC123, expires 2027-01-31." in page
            assert 'value="ABC123"' in page
            assert 'value="2027-01-31"' in page
            assert f'<option value="{product.pk}" selected>' in page
            assert 'value="8"' in page  # what was typed before the scan stays
            assert ("<html" in page) == (not headers)  # htmx gets only the fields
        assert not Lot.objects.exists()

    def test_a_bad_scan_says_why(self, signed_in, manager):
        client = signed_in(manager)
        response = client.post(
            reverse("inventory:lot-receive"), {"barcode": "hello"}, headers={"HX-Request": "true"}
        )
        assert "This is not a readable GS1 vial barcode" in response.content.decode()

    def test_receive_saves_and_shows_the_lot(self, signed_in, manager):
        product = ProductFactory()
        response = signed_in(manager).post(
            reverse("inventory:lot-receive"), self.form(product), follow=True
        )
        lot = Lot.objects.get()
        assert response.redirect_chain[-1][0] == reverse("inventory:lot-detail", args=[lot.pk])
        assert "Lot ABC123 received: 8 vials in stock." in response.content.decode()

    def test_errors_stand_next_to_their_fields(self, signed_in, manager):
        lot = LotFactory(lot_number="ABC123")
        today = timezone.localdate()
        response = signed_in(manager).post(
            reverse("inventory:lot-receive"), self.form(lot.product, expiry_date=str(today))
        )
        form = response.context["form"]
        assert set(form.errors) == {"lot_number", "expiry_date"} or set(form.errors) == {
            "expiry_date"
        }
        assert Lot.objects.count() == 1


@pytest.mark.django_db
class TestLotActions:
    def test_manager_wastes_and_quarantines_from_the_lot_page(self, signed_in, manager):
        lot = LotFactory(vials_received=4)
        client = signed_in(manager)
        client.post(
            reverse("inventory:lot-stock-change", args=[lot.pk]),
            {"kind": "wasted", "vials": "1", "reason": "Dropped"},
        )
        response = client.post(
            reverse("inventory:lot-stock-change", args=[lot.pk]),
            {"kind": "adjusted", "vials": "-9", "reason": "Count"},
            follow=True,
        )
        assert "cannot go below zero" in response.content.decode()
        client.post(
            reverse("inventory:lot-status", args=[lot.pk]),
            {"status": "quarantined", "reason": "Freezer alarm", "confirmed": "yes"},
        )
        lot.refresh_from_db()
        assert (lot.vials_on_hand, lot.status, lot.status_reason) == (
            3,
            "quarantined",
            "Freezer alarm",
        )

    def test_quarantine_asks_first_and_release_does_not(self, signed_in, manager):
        lot = LotFactory(lot_number="Q9", product__name="XoGlo", vials_received=5)
        client = signed_in(manager)
        url = reverse("inventory:lot-status", args=[lot.pk])
        asked = client.post(url, {"status": "quarantined", "reason": "Freezer alarm"})
        page = asked.content.decode()
        assert "Quarantine lot Q9?" in page and "XoGlo" in page and "Freezer alarm" in page
        assert "0 doses to 0 patients" in page
        lot.refresh_from_db()
        assert lot.status == "available"
        client.post(url, {"status": "quarantined", "reason": "Freezer alarm", "confirmed": "yes"})
        lot.refresh_from_db()
        assert lot.status == "quarantined"
        client.post(url, {"status": "available", "reason": "Alarm was false"})
        lot.refresh_from_db()
        assert (lot.status, lot.status_reason) == ("available", "Alarm was false")

    def test_lot_picker_options_are_usable_lots_soonest_first(self, signed_in, nurse):
        today = timezone.localdate()
        product = ProductFactory(name="XoGlo")
        later = LotFactory(
            product=product, lot_number="LATE", expiry_date=today + datetime.timedelta(days=90)
        )
        LotFactory(
            product=product, lot_number="SOON", expiry_date=today + datetime.timedelta(days=5)
        )
        response = signed_in(nurse).get(
            reverse("inventory:lot-options"),
            {
                "on": str(today + datetime.timedelta(days=10)),
                "product": product.pk,
                "lot": later.pk,
            },
        )
        page = response.content.decode()
        assert "SOON" not in page
        assert f'<option value="{later.pk}" selected>XoGlo lot LATE · expires' in page
        assert "20 vials" in page


@pytest.mark.django_db
class TestCataloguePages:
    def test_manager_adds_a_manufacturer_and_a_product(self, signed_in, manager):
        client = signed_in(manager)
        client.post(reverse("inventory:manufacturer-add"), {"name": "Kimera Labs"})
        maker = Manufacturer.objects.get()
        response = client.post(
            reverse("inventory:product-add"),
            {"manufacturer": maker.pk, "name": "XoGlo", "gtin": "123"},
        )
        assert response.context["form"].errors == {
            "gtin": ["A GTIN is the 14 digits after (01) in the barcode."]
        }
        client.post(
            reverse("inventory:product-add"),
            {"manufacturer": maker.pk, "name": "XoGlo", "gtin": GTIN},
        )
        product = Product.objects.get()
        assert (product.gtin, product.created_by) == (GTIN, manager)
        page = client.get(reverse("inventory:product-list")).content.decode()
        assert "XoGlo" in page
        assert "Kimera Labs" in page

    def test_product_list_queries_do_not_grow(self, signed_in, manager, django_assert_num_queries):
        client = signed_in(manager)
        LotFactory()
        client.get(reverse("inventory:product-list"))
        with CaptureQueriesContext(connection) as one:
            client.get(reverse("inventory:product-list"))
        for _ in range(20):
            LotFactory(product=ProductFactory(manufacturer=ManufacturerFactory(name=f"M{_}")))
        with django_assert_num_queries(len(one.captured_queries)):
            client.get(reverse("inventory:product-list"))


@pytest.mark.django_db
def test_lot_page_queries_do_not_grow_with_the_ledger(
    signed_in, manager, django_assert_num_queries
):
    client = signed_in(manager)
    lot = LotFactory(vials_received=60)
    url = reverse("inventory:lot-detail", args=[lot.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(50):
        StockMovement.objects.create(lot=lot, kind="wasted", vials=-1, reason="test", by=manager)
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get(url).content.decode()
    assert "10 of 60 received" in page


@pytest.mark.django_db
class TestEditing:
    def test_manager_records_a_measured_count_on_the_lot(self, signed_in, manager):
        lot = LotFactory()
        client = signed_in(manager)
        url = reverse("inventory:lot-edit", args=[lot.pk])
        refused = client.post(url, {"measured_source": "NTA 7"})
        assert list(refused.context["form"].errors) == ["measured_billions_per_vial"]
        client.post(
            url,
            {
                "measured_billions_per_vial": "3.1",
                "measured_source": "NTA 7",
                "storage_location": "B2",
            },
        )
        lot.refresh_from_db()
        assert (lot.measured_billions_per_vial, lot.storage_location) == (Decimal("3.10"), "B2")
        assert lot.labelled_billions_per_vial == Decimal("5.00")

    def test_manager_edits_a_product_and_its_maker(self, signed_in, manager):
        product = ProductFactory(name="XoGlo")
        client = signed_in(manager)
        client.post(
            reverse("inventory:product-edit", args=[product.pk]),
            {"manufacturer": product.manufacturer_id, "name": "XoGlo Pro", "gtin": GTIN},
        )
        client.post(
            reverse("inventory:manufacturer-edit", args=[product.manufacturer_id]),
            {"name": "Kimera", "contact": "QA desk"},
        )
        product.refresh_from_db()
        assert (product.name, product.gtin, product.manufacturer.name) == (
            "XoGlo Pro",
            GTIN,
            "Kimera",
        )

    def test_nurse_cannot_edit(self, signed_in, nurse):
        lot = LotFactory()
        client = signed_in(nurse)
        for url in (
            reverse("inventory:lot-edit", args=[lot.pk]),
            reverse("inventory:product-edit", args=[lot.product_id]),
            reverse("inventory:manufacturer-edit", args=[lot.product.manufacturer_id]),
        ):
            assert client.get(url).status_code == 403
