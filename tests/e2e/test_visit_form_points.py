"""Tapping injection points on the visit form itself, at phone width, and seeing them
on the visit page."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from apps.injection_maps.models import InjectionPoint
from exotrack import roles
from tests.factories import (
    LocationFactory,
    LotFactory,
    PatientFactory,
    TreatmentSiteFactory,
    UserFactory,
)

pytestmark = pytest.mark.e2e


def test_a_clinician_taps_two_points_while_recording_the_visit(page: Page, live_server, login):
    clinician = UserFactory(username="cleo", first_name="Cleo", role=roles.CLINICIAN)
    LocationFactory(name="Main clinic")
    TreatmentSiteFactory()  # Knee
    patient = PatientFactory(first_name="Ada", last_name="Lovelace")
    lot = LotFactory(labelled_billions_per_vial=Decimal("5"))

    page.set_viewport_size({"width": 390, "height": 900})
    login(page, live_server, clinician)
    page.goto(f"/treatments/visits/new/?patient={patient.pk}")
    page.get_by_label("Indication").fill("Osteoarthritis, left knee")
    page.get_by_label("Consent recorded").check()
    page.get_by_label("Consent-form version").fill("v3")
    page.locator('select[name="doses-0-site"]').select_option(label="Knee")
    page.locator('select[name="doses-0-laterality"]').select_option("left")
    page.locator('select[name="doses-0-lot"]').select_option(str(lot.pk))
    page.locator('input[name="doses-0-billions"]').fill("4")

    page.locator("#doses-0-row summary").click()
    diagram = page.locator("#doses-0-row svg.diagram")
    expect(diagram).to_be_visible()
    box = diagram.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    diagram.click(position={"x": box["width"] * 0.5, "y": box["height"] * 0.45})
    diagram.click(position={"x": box["width"] * 0.4, "y": box["height"] * 0.6})
    expect(page.locator("#doses-0-row [data-point-list] li")).to_have_count(2)
    page.get_by_label("Share of the dose at point 1 (%)").fill("60")
    page.get_by_label("Share of the dose at point 1 (%)").press("Tab")

    page.get_by_role("button", name="Record visit").click()
    expect(page.locator(".messages")).to_contain_text("Visit recorded for Ada Lovelace")
    points = list(InjectionPoint.objects.order_by("id"))
    assert [(p.diagram, p.share_percent) for p in points] == [("knee", 60), ("knee", None)]
    assert all(0 < p.x < 200 and 0 < p.y < 240 for p in points)
    expect(page.locator("svg.diagram circle")).to_have_count(2)
