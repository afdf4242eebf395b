"""Registering patients in a real browser: the duplicate warning, and what the front
desk does (and does not) see."""

import re

import pytest
from playwright.sync_api import Page, expect

from apps.patients.models import Patient
from exotrack import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def desk():
    return UserFactory(username="finn", first_name="Finn", role=roles.FRONT_DESK)


@pytest.fixture
def doctor():
    return UserFactory(username="cleo", first_name="Cleo", role=roles.CLINICIAN)


def _fill_new_patient(page: Page) -> None:
    page.goto("/patients/new/")
    page.get_by_label("First name").fill("Margaret")
    page.get_by_label("Last name").fill("Hamilton")
    page.get_by_label("Date of birth").fill("1936-08-17")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Email").fill("margaret@example.com")
    page.get_by_label("Consents to reminder e-mails").check()


def test_register_warn_of_duplicate_and_front_desk_sees_no_clinical_field(
    page: Page, live_server, login, desk, doctor
):
    login(page, live_server, desk)

    _fill_new_patient(page)
    expect(page.get_by_label("Allergies")).to_have_count(0)
    page.get_by_role("button", name="Register patient").click()
    expect(page.locator(".messages")).to_contain_text("Margaret Hamilton registered as EX")
    first = Patient.objects.get()
    expect(page).to_have_url(f"{live_server.url}/patients/{first.pk}/")
    expect(page.get_by_role("heading", name="Identity and contact")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Risk profile")
    expect(page.locator("main")).not_to_contain_text("medications")

    # The same person again: warned, nothing saved until confirmed.
    _fill_new_patient(page)
    page.get_by_role("button", name="Register patient").click()
    warning = page.locator("#duplicate-warning")
    expect(warning).to_contain_text("Possible duplicate")
    expect(warning).to_contain_text(first.mrn)
    assert Patient.objects.count() == 1
    page.get_by_role("button", name="Register anyway").click()
    expect(page.locator(".messages")).to_contain_text("registered as EX")
    assert Patient.objects.count() == 2

    # The edit form offers identity and contact only.
    page.goto(f"/patients/{first.pk}/edit/")
    expect(page.get_by_label("Phone")).to_be_visible()
    expect(page.get_by_label("Allergies")).to_have_count(0)
    expect(page.get_by_label("Immunocompromised")).to_have_count(0)

    # A clinician opening the same patient sees the risk profile the desk could not.
    page.get_by_role("button", name="Sign out").click()
    login(page, live_server, doctor)
    page.goto(f"/patients/{first.pk}/")
    expect(page.get_by_role("heading", name="Risk profile")).to_be_visible()
    expect(page.get_by_role("heading", name="Current medications")).to_be_visible()
    expect(page).to_have_title(re.compile("Margaret Hamilton"))


def test_a_form_with_errors_opens_on_its_summary_which_links_to_each_field(
    page: Page, live_server, login, desk
):
    login(page, live_server, desk)
    page.set_viewport_size({"width": 390, "height": 700})
    _fill_new_patient(page)
    page.get_by_label("First name").fill("")
    page.get_by_label("Email").fill("not-an-address")
    page.get_by_role("button", name="Register patient").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("There is a problem")
    summary.get_by_role("link", name=re.compile("^Email")).click()
    expect(page.get_by_label("Email")).to_be_focused()
    assert not Patient.objects.exists()
