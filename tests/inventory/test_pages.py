"""The inventory pages as each role meets them."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.inventory.models import Lot
from tests.factories import LotFactory, ProductFactory

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
        # the user's roles (header), one page of lots with product and maker, and the
        # session renewal (savepoint, update, release).
        with django_assert_num_queries(11) as one:
            client.get(reverse("inventory:lot-list"))
        for _ in range(49):
            LotFactory()
        with django_assert_num_queries(len(one.captured_queries)):
            client.get(reverse("inventory:lot-list"))
