"""A manager imports a small patients file, then a past visits file, in a real browser:
sees the bad row's problem, uploads the corrected file, imports it and finds the patients
(and their lot on the patient page)."""

import pytest
from playwright.sync_api import Page, expect

from apps.patients.models import Patient
from apps.treatments.models import Dose
from exotrack import roles
from tests.factories import (
    LocationFactory,
    PatientFactory,
    ProductFactory,
    TreatmentSiteFactory,
    UserFactory,
)

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


VISITS_WITH_A_BAD_ROW = (
    "First name,Last name,DOB,Visit date,Site,Side,Product,Lot,Billions,Clinician\n"
    "Ada,Lovelace,1975-12-10,2024-05-14,Knee,left,ExoFlow 10,H-100,4,dr.grey\n"
    "Ada,Lovelace,1975-12-10,2024-05-14,Kne,right,ExoFlow 10,H-100,4,dr.grey\n"
)


def test_manager_fixes_a_bad_visit_row_and_finds_the_lot_on_the_patient(
    page: Page, live_server, login, maya, tmp_path
):
    ada = PatientFactory(first_name="Ada", last_name="Lovelace", date_of_birth="1975-12-10")
    TreatmentSiteFactory(name="Knee")
    ProductFactory(name="ExoFlow 10")
    LocationFactory(name="Main room")
    UserFactory(username="dr.grey", first_name="Meredith", last_name="Grey", role=roles.CLINICIAN)
    login(page, live_server, maya)
    path = tmp_path / "visits.csv"

    def upload_and_check(text: str) -> None:
        path.write_text(text, encoding="utf-8")
        page.goto("/")
        page.get_by_role("link", name="Import patients").click()
        page.get_by_label("Past visits with doses").check()
        page.get_by_label("Spreadsheet (CSV or XLSX)").set_input_files(path)
        page.get_by_role("button", name="Upload and match columns").click()
        expect(page.get_by_label("Lot number")).to_have_value("Lot")
        expect(page.locator("main")).to_contain_text("the import takes nothing from stock")
        page.get_by_role("button", name="Check the file").click()

    upload_and_check(VISITS_WITH_A_BAD_ROW)
    problems = page.locator("#import-problems")
    expect(problems).to_contain_text("3")
    expect(problems).to_contain_text("Site")
    expect(problems).to_contain_text("“Kne” is not a treatment site we know.")
    expect(page.get_by_role("button", name="Import")).to_have_count(0)
    _fits(page, 390)
    assert not Dose.objects.exists()

    page.set_viewport_size({"width": 1280, "height": 900})
    upload_and_check(VISITS_WITH_A_BAD_ROW.replace(",Kne,", ",Knee,"))
    expect(page.get_by_role("heading", name="Checked: no problems")).to_be_visible()
    page.get_by_role("button", name="Import 2 past doses").click()
    expect(page.locator(".messages")).to_contain_text("2 past doses imported from visits.csv")
    _fits(page, 390)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/patients/{ada.pk}/")
    lots = page.locator("#patient-lots")
    expect(lots).to_contain_text("ExoFlow 10")
    expect(lots).to_contain_text("H-100")
    expect(lots).to_contain_text("2024-05-14")
