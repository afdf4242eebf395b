"""The dashboard's stock panel: lots about to expire and products running low."""

import datetime

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.inventory.models import StockMovement
from tests.factories import LotFactory, ProductFactory


@pytest.mark.django_db
@override_settings(INVENTORY_EXPIRY_WARNING_DAYS=30, INVENTORY_LOW_STOCK_VIALS=5)
def test_panel_lists_expiring_lots_and_low_stock(client, manager):
    today = timezone.localdate()
    plenty = ProductFactory(name="Plenty")
    LotFactory(product=plenty, lot_number="SOON", expiry_date=today + datetime.timedelta(days=12))
    LotFactory(product=plenty, lot_number="FAR")
    scarce = ProductFactory(name="Scarce")
    low = LotFactory(product=scarce, lot_number="LOW", vials_received=6)
    StockMovement.objects.create(lot=low, kind="used", vials=-2)
    ProductFactory(name="Never stocked")

    client.force_login(manager)
    page = client.get(reverse("dashboard")).content.decode()

    assert "Plenty lot SOON</a>: expires" in page
    assert "lot FAR" not in page
    assert "Scarce</a>: 4 usable vials" in page
    assert 'Never stocked</a>: <span class="badge badge-error">none usable' in page
    assert "Plenty</a>:" not in page


@pytest.mark.django_db
def test_panel_is_for_managers(client, nurse):
    LotFactory(expiry_date=timezone.localdate() + datetime.timedelta(days=3))
    client.force_login(nurse)
    assert 'id="panel-stock"' not in client.get(reverse("dashboard")).content.decode()


@pytest.mark.django_db
def test_panel_queries_do_not_grow_with_lots(client, manager, django_assert_num_queries):
    client.force_login(manager)
    soon = timezone.localdate() + datetime.timedelta(days=5)
    LotFactory(expiry_date=soon, vials_received=1)
    client.get(reverse("dashboard"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("dashboard"))
    for _ in range(30):
        LotFactory(expiry_date=soon, vials_received=1)
    with django_assert_num_queries(len(one.captured_queries)):
        client.get(reverse("dashboard"))
