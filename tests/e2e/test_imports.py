"""A manager imports a small patients file in a real browser: sees the bad row's problem,
uploads the corrected file, imports it and finds the patients."""

import pytest
from playwright.sync_api import Page, expect

from apps.patients.models import Patient
from exotrack import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e

WITH_A_BAD_ROW = (
    "Patient ID,First name,Last name,DOB,Gender\n"
    "A-1,Ada,Lovelace,1975-12-10,F\n"
    "A-2,Alan,Turing,1962-13-23,M\n"
)
CORRECTED = WITH_A_BAD_ROW.replace("1962-13-23", "1962-06-23")


@pytest.fixture
def maya():
    return UserFactory(username="maya", first_name="Maya", role=roles.MANAGER)


def _upload_and_check(page: Page, tmp_path, text: str) -> None:
    path = tmp_path / "patients.csv"
    path.write_text(text, encoding="utf-8")
    page.goto("/")
    page.get_by_role("link", name="Import patients").click()
    page.get_by_label("Spreadsheet (CSV or XLSX)").set_input_files(path)
    page.get_by_role("button", name="Upload and match columns").click()
    expect(page.get_by_label("Date of birth")).to_have_value("DOB")
    page.get_by_role("button", name="Check the file").click()


def _fits(page: Page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_manager_fixes_a_bad_row_and_imports(page: Page, live_server, login, maya, tmp_path):
    login(page, live_server, maya)

    _upload_and_check(page, tmp_path, WITH_A_BAD_ROW)
    problems = page.locator("#import-problems")
    expect(problems).to_contain_text("3")
    expect(problems).to_contain_text("DOB")
    expect(problems).to_contain_text("“1962-13-23” is not a date written like 2026-03-14.")
    expect(page.get_by_role("button", name="Import")).to_have_count(0)
    _fits(page, 390)
    assert not Patient.objects.exists()

    page.set_viewport_size({"width": 1280, "height": 900})
    _upload_and_check(page, tmp_path, CORRECTED)
    expect(page.get_by_role("heading", name="Checked: no problems")).to_be_visible()
    page.get_by_role("button", name="Import 2 patients").click()
    expect(page.locator(".messages")).to_contain_text("2 patients imported from patients.csv")
    _fits(page, 390)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="Go to the patients").click()
    expect(page.locator("main")).to_contain_text("Lovelace")
    expect(page.locator("main")).to_contain_text("Turing")
    assert Patient.objects.count() == 2
