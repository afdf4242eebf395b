"""A nurse's visit that only a clinician may let through: saved awaiting sign-off, then
signed off by a clinician from the dashboard, in a real browser."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from apps.inventory.models import Lot
from apps.treatments.models import Visit
from exotrack import roles
from tests.factories import (
    LocationFactory,
    LotFactory,
    PatientFactory,
    TreatmentSiteFactory,
    UserFactory,
)

pytestmark = pytest.mark.e2e


def test_nurse_saves_for_sign_off_and_a_clinician_signs_it_off(page: Page, live_server, login):
    clinician = UserFactory(
        username="cleo", first_name="Cleo", last_name="Park", role=roles.CLINICIAN
    )
    nurse = UserFactory(username="nina", first_name="Nina", last_name="Rossi", role=roles.NURSE)
    LocationFactory(name="Main clinic")
    TreatmentSiteFactory()  # Knee, 3-5 bn
    patient = PatientFactory(first_name="Ada", last_name="Lovelace")
    lot = LotFactory(vials_received=10, labelled_billions_per_vial=Decimal("5"))

    login(page, live_server, nurse)
    page.goto(f"/treatments/visits/new/?patient={patient.pk}")
    page.get_by_label("Clinician").select_option(label="Cleo Park")
    page.get_by_label("Indication").fill("Osteoarthritis, left knee")
    page.get_by_label("Consent recorded").check()
    page.get_by_label("Consent-form version").fill("v3")
    page.locator('select[name="doses-0-site"]').select_option(label="Knee")
    page.locator('select[name="doses-0-laterality"]').select_option("left")
    page.locator('select[name="doses-0-lot"]').select_option(str(lot.pk))
    page.locator('input[name="doses-0-billions"]').fill("8")
    page.get_by_role("button", name="Record visit").click()

    warnings = page.locator("#visit-warnings")
    expect(warnings).to_contain_text("Only a clinician may acknowledge")
    expect(warnings).to_contain_text("8 bn is outside its usual 3-5 bn")
    # Everything typed is still there: the nurse saves it as it stands.
    expect(page.locator('input[name="doses-0-billions"]')).to_have_value("8")
    page.get_by_role("button", name="Save for clinician sign-off").click()
    expect(page.locator(".messages")).to_contain_text("awaiting a clinician's sign-off")
    expect(page.locator("#sign-off-status")).to_contain_text("Awaiting clinician sign-off")
    expect(page.locator("#sign-off")).to_have_count(0)
    assert Lot.objects.get(pk=lot.pk).vials_on_hand == 8

    page.get_by_role("button", name="Sign out").click()
    login(page, live_server, clinician)
    panel = page.locator("#panel-sign-off")
    expect(panel).to_contain_text("1 visit awaiting a clinician's sign-off")
    panel.get_by_role("link", name="1 visit awaiting").click()
    expect(page.locator("#sign-off-visits")).to_contain_text("Ada Lovelace")
    expect(page.locator("#sign-off-visits")).to_contain_text("Dose outside the site's range")
    page.locator("#sign-off-visits").get_by_role("link").first.click()

    page.get_by_role("button", name="Sign off").click()
    expect(page.locator("#sign-off")).to_contain_text("Give the reason for going ahead")
    page.get_by_label("Reason for going ahead").fill("Bone-on-bone on imaging; discussed.")
    page.get_by_role("button", name="Sign off").click()
    expect(page.locator(".messages")).to_contain_text("Visit signed off for Ada Lovelace")
    expect(page.locator("#sign-off-status")).to_contain_text("Signed off by Cleo Park")
    expect(page.locator("#sign-off")).to_have_count(0)
    visit = Visit.objects.get()
    assert (visit.sign_off, visit.signed_off_by) == (Visit.SignOff.SIGNED_OFF, clinician)

    page.goto("/")
    expect(page.locator("#panel-sign-off")).to_contain_text("No visit is waiting for sign-off")
