"""Recalling a lot in a real browser: the manager recalls it with the reason, sees who
received it and puts them on the follow-up worklist for a call."""

import pytest
from playwright.sync_api import Page, expect

from apps.followups.models import FollowUp, Kind
from apps.inventory.models import Lot
from exotrack import roles
from tests.factories import DoseFactory, LotFactory, PatientFactory, UserFactory, VisitFactory

pytestmark = pytest.mark.e2e


def test_manager_recalls_a_lot_and_calls_its_recipients(page: Page, live_server, login):
    manager = UserFactory(username="maya", first_name="Maya", role=roles.MANAGER)
    lot = LotFactory(lot_number="KL2611A")
    ada = PatientFactory(first_name="Ada", last_name="Lovelace", email="ada@example.com")
    grace = PatientFactory(first_name="Grace", last_name="Hopper", phone="+1 555 0142")
    for patient in (ada, grace):
        DoseFactory(visit=VisitFactory(patient=patient), lot=lot)
    login(page, live_server, manager)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Lots").click()
    page.get_by_role("link", name="KL2611A").click()
    recipients = page.locator("#recipient-list")
    expect(recipients).to_contain_text("Ada Lovelace")
    expect(recipients).to_contain_text("ada@example.com")
    expect(recipients).to_contain_text("+1 555 0142")
    expect(page.locator("#recipients")).to_contain_text("2 doses to 2 patients")

    page.get_by_label("Reason for the recall").fill("Manufacturer's notice: sterility failure")
    page.get_by_role("button", name="Recall lot").click()
    # The confirm step names what the recall touches before anything changes.
    expect(page.locator("h1")).to_have_text("Recall lot KL2611A?")
    expect(page.locator(".confirm")).to_contain_text("2 doses to 2 patients")
    expect(page.locator(".confirm")).to_contain_text("sterility failure")
    assert Lot.objects.get(pk=lot.pk).status == Lot.Status.AVAILABLE
    page.get_by_role("button", name="Recall lot KL2611A").click()
    expect(page.locator(".messages")).to_contain_text("Lot KL2611A is recalled")
    expect(page.locator("h1")).to_contain_text("Recalled")
    expect(page.get_by_role("button", name="Recall lot")).to_have_count(0)

    page.get_by_role("button", name="Contact all recipients").click()
    expect(page.locator(".confirm")).to_contain_text("Adds 2 recall calls")
    page.get_by_role("button", name="Add 2 calls").click()
    expect(page.locator(".messages")).to_contain_text(
        "2 recall calls added to the follow-up worklist, due today."
    )
    page.get_by_role("button", name="Contact all recipients").click()
    expect(page.locator(".messages")).to_contain_text("on the worklist already")
    # The calls are on the lot page, and the manager can watch them on the worklist.
    expect(page.locator("#recall-call-counts")).to_contain_text("2 to call · 0 reached")
    expect(page.locator("#recall-call-list")).to_contain_text("+1 555 0142")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Follow-ups").click()
    expect(page.locator("#call-list")).to_contain_text("Why: Lot KL2611A")
    expect(page.locator("#call-list")).to_contain_text("Grace Hopper")

    lot.refresh_from_db()
    assert lot.status == Lot.Status.RECALLED
    calls = FollowUp.objects.filter(kind=Kind.RECALL_CONTACT, lot=lot)
    assert {c.patient_id for c in calls} == {ada.pk, grace.pk}
