"""Manufacturers, products, lots and the stock ledger over REST."""

import datetime

import pytest
from django.utils import timezone

from apps.inventory.models import Lot, Manufacturer
from tests.builders import assert_nothing_changed, errors, login_api
from tests.factories import LotFactory, ManufacturerFactory, ProductFactory

GTIN = "09506000134352"
GS = "\x1d"


@pytest.mark.django_db
class TestRoles:
    @pytest.mark.parametrize(
        "path", ["/api/v1/lots/", "/api/v1/products/", "/api/v1/manufacturers/"]
    )
    def test_reading_the_catalogue(self, api_client, personas, outsider, path):
        LotFactory()
        for role, user in {**personas, "outsider": outsider}.items():
            status = login_api(api_client, user).get(path).status_code
            assert status == (200 if role in ("clinician", "nurse", "manager") else 403), role

    def test_only_managers_see_the_ledger(self, api_client, personas):
        LotFactory()
        for role, user in personas.items():
            status = login_api(api_client, user).get("/api/v1/stock-movements/").status_code
            assert status == (200 if role == "manager" else 403), role

    def test_only_managers_receive_waste_or_quarantine(self, api_client, nurse):
        lot = LotFactory()
        client = login_api(api_client, nurse)
        with assert_nothing_changed():
            assert client.post("/api/v1/lots/", {}, format="json").status_code == 403
        with assert_nothing_changed():
            assert (
                client.post(
                    f"/api/v1/lots/{lot.pk}/waste/", {"vials": 1, "reason": "x"}
                ).status_code
                == 403
            )
        with assert_nothing_changed():
            assert (
                client.post(
                    f"/api/v1/lots/{lot.pk}/adjust/", {"vials": 1, "reason": "x"}
                ).status_code
                == 403
            )
        with assert_nothing_changed():
            assert (
                client.post(
                    f"/api/v1/lots/{lot.pk}/status/", {"status": "quarantined", "reason": "x"}
                ).status_code
                == 403
            )
        assert lot.movements.count() == 1

    def test_front_desk_cannot_scan(self, api_client, front_desk):
        ProductFactory(gtin=GTIN)
        with assert_nothing_changed():
            response = login_api(api_client, front_desk).post(
                "/api/v1/lots/scan/", {"barcode": f"(01){GTIN}(10)A"}, format="json"
            )
        assert response.status_code == 403

    def test_a_missing_lot_is_404(self, api_client, manager):
        assert login_api(api_client, manager).get("/api/v1/lots/999999/").status_code == 404


@pytest.mark.django_db
class TestLots:
    def test_receive(self, api_client, manager):
        product = ProductFactory()
        today = timezone.localdate()
        response = login_api(api_client, manager).post(
            "/api/v1/lots/",
            {
                "product": product.pk,
                "lot_number": "ABC123",
                "expiry_date": str(today + datetime.timedelta(days=200)),
                "received_on": str(today),
                "vials_received": 12,
                "labelled_billions_per_vial": "5.00",
                "measured_billions_per_vial": "3.40",
                "measured_source": "NTA 2026-117",
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        assert (body["vials_on_hand"], body["status"], body["product_name"]) == (
            12,
            "available",
            product.name,
        )
        assert (body["labelled_billions_per_vial"], body["measured_billions_per_vial"]) == (
            "5.00",
            "3.40",
        )
        lot = Lot.objects.get(pk=body["id"])
        assert lot.created_by == manager
        assert lot.movements.get().by == manager

    def test_receive_refuses_a_known_lot_number_and_a_bad_expiry(self, api_client, manager):
        lot = LotFactory(lot_number="ABC123")
        today = timezone.localdate()
        client = login_api(api_client, manager)
        base = {
            "product": lot.product_id,
            "received_on": str(today),
            "vials_received": 3,
            "labelled_billions_per_vial": "5.00",
        }
        with assert_nothing_changed():
            again = client.post(
                "/api/v1/lots/",
                {
                    **base,
                    "lot_number": "ABC123",
                    "expiry_date": str(today + datetime.timedelta(days=9)),
                },
                format="json",
            )
        assert again.status_code == 400
        assert errors(again) == {
            "lot_number": [
                f"Lot ABC123 of {lot.product.name} was already received on "
                f"{lot.received_on:%Y-%m-%d}."
            ]
        }
        with assert_nothing_changed():
            backwards = client.post(
                "/api/v1/lots/",
                {**base, "lot_number": "NEW", "expiry_date": str(today)},
                format="json",
            )
        assert backwards.status_code == 400
        assert list(errors(backwards)) == ["expiry_date"]
        assert Lot.objects.count() == 1

    def test_usable_on_is_the_lot_picker(self, api_client, nurse):
        today = timezone.localdate()
        product = ProductFactory()
        later = LotFactory(product=product, expiry_date=today + datetime.timedelta(days=300))
        sooner = LotFactory(product=product, expiry_date=today + datetime.timedelta(days=40))
        LotFactory(
            product=product, expiry_date=today + datetime.timedelta(days=20)
        )  # expired by then
        held = LotFactory(product=product)
        Lot.objects.filter(pk=held.pk).update(status="quarantined")
        LotFactory()  # another product
        on = today + datetime.timedelta(days=30)
        response = login_api(api_client, nurse).get(
            "/api/v1/lots/", {"usable_on": str(on), "product": product.pk}
        )
        assert [row["id"] for row in response.json()["results"]] == [sooner.pk, later.pk]

    def test_bad_filter_is_a_400(self, api_client, nurse):
        response = login_api(api_client, nurse).get("/api/v1/lots/", {"usable_on": "next week"})
        assert response.status_code == 400
        assert list(errors(response)) == ["usable_on"]

    def test_list_queries_do_not_grow(self, api_client, manager, django_assert_num_queries):
        client = login_api(api_client, manager)
        LotFactory()
        client.get("/api/v1/lots/")  # the user's permissions are cached from here on
        # count, one page of lots with their product and maker
        with django_assert_num_queries(2):
            assert client.get("/api/v1/lots/").json()["count"] == 1
        for _ in range(49):
            LotFactory()
        with django_assert_num_queries(2):
            assert len(client.get("/api/v1/lots/").json()["results"]) == 50

    def test_ledger_queries_do_not_grow(self, api_client, manager, django_assert_num_queries):
        client = login_api(api_client, manager)
        LotFactory()
        client.get("/api/v1/stock-movements/")  # the user's permissions are cached from here on
        # count, one page of movements with their lot, product and user, the patients
        # whose visits the page's movements name, the access-log row
        with django_assert_num_queries(4):
            client.get("/api/v1/stock-movements/")
        for _ in range(49):
            LotFactory()
        with django_assert_num_queries(4):
            assert len(client.get("/api/v1/stock-movements/").json()["results"]) == 50


@pytest.mark.django_db
class TestStockActions:
    def test_waste_and_adjust(self, api_client, manager):
        lot = LotFactory(vials_received=5)
        client = login_api(api_client, manager)
        wasted = client.post(
            f"/api/v1/lots/{lot.pk}/waste/", {"vials": 2, "reason": "Dropped"}, format="json"
        )
        found = client.post(
            f"/api/v1/lots/{lot.pk}/adjust/", {"vials": 1, "reason": "Count"}, format="json"
        )
        assert (wasted.status_code, found.status_code) == (201, 201)
        assert (wasted.json()["vials"], wasted.json()["kind"], wasted.json()["by"]) == (
            -2,
            "wasted",
            str(manager),
        )
        lot.refresh_from_db()
        assert lot.vials_on_hand == 4

    def test_never_below_zero(self, api_client, manager):
        lot = LotFactory(lot_number="Z9", vials_received=2)
        client = login_api(api_client, manager)
        with assert_nothing_changed():
            response = client.post(
                f"/api/v1/lots/{lot.pk}/adjust/", {"vials": -3, "reason": "Count"}, format="json"
            )
        assert response.status_code == 400
        assert errors(response) == {
            "vials": ["Lot Z9 has 2 vials on hand; it cannot go below zero."]
        }
        response = client.post(
            f"/api/v1/lots/{lot.pk}/waste/", {"vials": 1, "reason": " "}, format="json"
        )
        assert list(errors(response)) == ["reason"]
        lot.refresh_from_db()
        assert lot.vials_on_hand == 2

    def test_quarantine_and_release(self, api_client, manager):
        lot = LotFactory()
        client = login_api(api_client, manager)
        response = client.post(
            f"/api/v1/lots/{lot.pk}/status/",
            {"status": "quarantined", "reason": "Freezer alarm"},
            format="json",
        )
        assert response.json()["status"] == "quarantined"
        with assert_nothing_changed():
            again = client.post(
                f"/api/v1/lots/{lot.pk}/status/",
                {"status": "quarantined", "reason": "x"},
                format="json",
            )
        assert again.status_code == 400
        recall = client.post(
            f"/api/v1/lots/{lot.pk}/status/", {"status": "recalled", "reason": "x"}, format="json"
        )
        assert list(errors(recall)) == ["status"]
        released = client.post(
            f"/api/v1/lots/{lot.pk}/status/",
            {"status": "available", "reason": "Checked"},
            format="json",
        )
        assert released.json()["status"] == "available"


@pytest.mark.django_db
class TestLotChanges:
    def test_manager_records_the_measured_count(self, api_client, manager):
        lot = LotFactory()
        response = login_api(api_client, manager).patch(
            f"/api/v1/lots/{lot.pk}/",
            {"measured_billions_per_vial": "3.40", "measured_source": "NTA 2026-117"},
            format="json",
        )
        assert response.status_code == 200, response.json()
        assert (
            response.json()["measured_billions_per_vial"],
            response.json()["labelled_billions_per_vial"],
        ) == (
            "3.40",
            "5.00",
        )

    def test_delivered_facts_cannot_be_patched(self, api_client, manager, nurse):
        lot = LotFactory(vials_received=20)
        response = login_api(api_client, manager).patch(
            f"/api/v1/lots/{lot.pk}/", {"vials_received": 99, "lot_number": "X"}, format="json"
        )
        lot.refresh_from_db()
        assert (lot.vials_received, lot.vials_on_hand) == (20, 20)
        assert response.json()["lot_number"] == lot.lot_number
        with assert_nothing_changed():
            assert (
                login_api(api_client, nurse)
                .patch(f"/api/v1/lots/{lot.pk}/", {"storage_location": "B"}, format="json")
                .status_code
                == 403
            )
        client = login_api(api_client, manager)
        with assert_nothing_changed():
            assert client.put(f"/api/v1/lots/{lot.pk}/", {}, format="json").status_code == 405


@pytest.mark.django_db
class TestScan:
    def test_scanner_string_returns_product_and_lot(self, api_client, nurse):
        product = ProductFactory(gtin=GTIN)
        lot = LotFactory(
            product=product, lot_number="ABC123", expiry_date=datetime.date(2027, 1, 31)
        )
        response = login_api(api_client, nurse).post(
            "/api/v1/lots/scan/", {"barcode": f"]d201{GTIN}1727013110ABC123{GS}21X1"}, format="json"
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["gtin"], body["lot_number"], body["expiry_date"], body["serial"]) == (
            GTIN,
            "ABC123",
            "2027-01-31",
            "X1",
        )
        assert (body["product"]["id"], body["lot"]["id"]) == (product.pk, lot.pk)

    def test_new_lot_has_no_lot(self, api_client, manager):
        ProductFactory(gtin=GTIN)
        response = login_api(api_client, manager).post(
            "/api/v1/lots/scan/", {"barcode": f"(01){GTIN}(17)270131(10)NEW1"}, format="json"
        )
        assert response.json()["lot"] is None

    @pytest.mark.parametrize(
        ("barcode", "code"),
        [(f"(01){GTIN}(10)A", "unknown_gtin"), ("not a barcode", "malformed")],
    )
    def test_refusals_name_the_barcode_field(self, api_client, manager, barcode, code):
        with assert_nothing_changed():
            response = login_api(api_client, manager).post(
                "/api/v1/lots/scan/", {"barcode": barcode}, format="json"
            )
        assert response.status_code == 400
        (error,) = response.json()["errors"]
        assert (error["attr"], error["code"]) == ("barcode", code)


@pytest.mark.django_db
class TestCatalogue:
    def test_manager_adds_a_product(self, api_client, manager):
        maker = ManufacturerFactory()
        client = login_api(api_client, manager)
        response = client.post(
            "/api/v1/products/",
            {
                "manufacturer": maker.pk,
                "name": "XoGlo Pro",
                "gtin": GTIN,
                "regulatory_status": "IND 012345",
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        assert response.json()["manufacturer_name"] == maker.name
        with assert_nothing_changed():
            bad = client.post(
                "/api/v1/products/",
                {
                    "manufacturer": maker.pk,
                    "name": "Other",
                    "gtin": "123",
                    "storage_min_celsius": "-20",
                    "storage_max_celsius": "-80",
                },
                format="json",
            )
        assert bad.status_code == 400
        assert set(errors(bad)) == {"gtin", "storage_max_celsius"}

    def test_manager_adds_and_renames_a_manufacturer(self, api_client, manager):
        client = login_api(api_client, manager)
        created = client.post("/api/v1/manufacturers/", {"name": "Kimera Labs"}, format="json")
        assert created.status_code == 201
        renamed = client.patch(
            f"/api/v1/manufacturers/{created.json()['id']}/", {"name": "Kimera"}, format="json"
        )
        assert renamed.json()["name"] == "Kimera"
        # Catalogue records are kept: nobody may delete them.
        with assert_nothing_changed():
            assert (
                client.delete(f"/api/v1/manufacturers/{created.json()['id']}/").status_code == 403
            )
        assert Manufacturer.objects.filter(name="Kimera").exists()

    def test_nurse_cannot_add_a_product(self, api_client, nurse):
        maker = ManufacturerFactory()
        with assert_nothing_changed():
            response = login_api(api_client, nurse).post(
                "/api/v1/products/", {"manufacturer": maker.pk, "name": "X"}, format="json"
            )
        assert response.status_code == 403
