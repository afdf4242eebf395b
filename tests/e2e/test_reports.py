"""The reports page in a real browser: filter, see the charts, download a CSV (plain and
for Excel)."""

import csv
import io

import pytest
from playwright.sync_api import Page, expect

from apps.reports.sql import patient_reference

pytestmark = pytest.mark.e2e


def test_manager_filters_the_report_and_downloads_outcomes(
    page: Page,
    live_server,
    login,
    manager,
    known_clinic,
):
    login(page, live_server, manager)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    expect(page.locator("#episode-count")).to_have_text("3")
    page.get_by_label("Site category:", exact=True).select_option("joint")
    page.get_by_role("button", name="Show").click()

    expect(page.locator("#episode-count")).to_have_text("2")
    for chart in ("#pain-chart", "#category-chart", "#product-chart", "#lot-chart"):
        expect(page.locator(f"{chart} svg")).to_be_visible()
    expect(page.locator("#lot-rates")).to_contain_text("XoGlo 5 XG-100")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Outcomes CSV (UTF-8)", exact=True).click()
    download = download_info.value

    assert download.suggested_filename.startswith("outcomes-deidentified-")
    rows = list(csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8"))))
    assert sorted(row["site"] for row in rows) == ["Knee", "Knee"]
    assert {row["patient_ref"] for row in rows} == {
        patient_reference(known_clinic.patient.pk),
        patient_reference(known_clinic.other_patient.pk),
    }
    assert "last_name" not in rows[0]


def test_clinician_downloads_identified_adverse_events(
    page: Page,
    live_server,
    login,
    clinician,
    known_clinic,
):
    login(page, live_server, clinician)
    page.goto("/reports/")

    page.get_by_label("Identified (names, MRN, birth date)").check()
    with page.expect_download() as download_info:
        page.get_by_role(
            "button", name="Adverse events CSV for Excel (UTF-8 with BOM)", exact=True
        ).click()

    data = download_info.value.path().read_bytes()
    assert data.startswith(b"\xef\xbb\xbfpatient_ref,")
    assert "Lovelace" in data.decode("utf-8-sig")
    assert download_info.value.suggested_filename.startswith("adverse-events-identified-excel-")
