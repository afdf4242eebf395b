"""Receiving a delivery by scanning a vial, in a real browser."""

import pytest
from playwright.sync_api import Page, expect

from apps.inventory.models import Lot
from exotrack import roles
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.e2e

GTIN = "09506000134352"
# What a DataMatrix scanner sends: symbology prefix, fixed-length fields, GS after the lot.
SCANNED = f"]d201{GTIN}1727013110ABC123\x1d21X1"


def test_manager_receives_a_lot_by_scanning_and_sees_its_stock(page: Page, live_server, login):
    manager = UserFactory(username="maya", first_name="Maya", role=roles.MANAGER)
    ProductFactory(name="XoGlo Pro", gtin=GTIN)
    login(page, live_server, manager)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Lots").click()
    page.get_by_role("link", name="Receive a lot").click()
    scan = page.get_by_label("Scan the vial barcode")
    scan.fill(SCANNED)
    scan.press("Enter")

    # The scan fills product, lot number and expiry in place, without leaving the page.
    expect(page.locator("#scan-result")).to_contain_text("Read XoGlo Pro, lot ABC123")
    expect(page.get_by_label("Lot number")).to_have_value("ABC123")
    expect(page.get_by_label("Expiry date")).to_have_value("2027-01-31")
    expect(page.get_by_label("Product")).to_have_value(
        str(ProductFactory._meta.model.objects.get().pk)
    )
    page.get_by_label("Vials received").fill("12")
    page.get_by_label("Labelled billions of particles per vial").fill("5")
    page.get_by_role("button", name="Receive lot").click()

    expect(page.locator(".messages")).to_contain_text("Lot ABC123 received: 12 vials in stock.")
    page.get_by_role("link", name="All lots").click()
    row = page.locator("#lots tbody tr", has_text="ABC123")
    expect(row).to_contain_text("XoGlo Pro")
    expect(row).to_contain_text("12 of 12")
    expect(row).to_contain_text("2027-01-31")
    assert Lot.objects.get().created_by == manager


def test_an_unknown_barcode_is_explained_and_nothing_is_filled(page: Page, live_server, login):
    manager = UserFactory(username="maya", first_name="Maya", role=roles.MANAGER)
    login(page, live_server, manager)
    page.goto("/inventory/lots/receive/")
    scan = page.get_by_label("Scan the vial barcode")
    scan.fill(SCANNED)
    scan.press("Enter")
    expect(page.locator("#scan-result")).to_contain_text(f"No product has GTIN {GTIN}")
    expect(page.get_by_label("Lot number")).to_have_value("")
    assert not Lot.objects.exists()
