"""Reviewing a medication-adjustment flag in a real browser: from the dashboard panel to
the review list, resolved inline with the action taken."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from apps.safety.models import MedicationFlag
from exotrack import roles
from tests.factories import MedicationFactory, MedicationFlagFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.e2e


def test_clinician_resolves_an_overdue_flag_inline(page: Page, live_server, login):
    clinician = UserFactory(username="cleo", first_name="Cleo", role=roles.CLINICIAN)
    patient = PatientFactory(first_name="Ada", last_name="Lovelace")
    flag = MedicationFlagFactory(
        medication=MedicationFactory(patient=patient, name="Lisinopril"),
        review_by=timezone.localdate() - datetime.timedelta(days=2),
    )
    login(page, live_server, clinician)

    panel = page.locator("#panel-medication-flags")
    expect(panel).to_contain_text("1 overdue")
    expect(panel).to_contain_text("Ada Lovelace: Lisinopril")
    panel.get_by_role("link", name="All medication flags").click()

    row = page.locator(f"#flag-{flag.pk}")
    expect(row).to_contain_text("Overdue")
    row.locator("summary", has_text="Resolve").click()
    row.get_by_label("Action taken").select_option("dose_reduced")
    row.get_by_label("Note").fill("10 mg to 5 mg; prescriber informed")
    row.get_by_role("button", name="Resolve").click()

    # The row is swapped in place: no page load, the review is recorded.
    row = page.locator(f"#flag-{flag.pk}")
    expect(row).to_contain_text("Resolved")
    expect(row).to_contain_text("Dose reduced: 10 mg to 5 mg; prescriber informed")
    expect(row).to_contain_text("by Cleo")
    flag.refresh_from_db()
    assert (flag.status, flag.action, flag.resolved_by) == (
        MedicationFlag.Status.RESOLVED,
        "dose_reduced",
        clinician,
    )
