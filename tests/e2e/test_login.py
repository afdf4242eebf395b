"""Signing in and out in a real browser: the way every staff member starts the day."""

import pytest
from playwright.sync_api import Page, expect

from exotrack import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def nurse_account():
    return UserFactory(username="nina", first_name="Nina", last_name="Rossi", role=roles.NURSE)


def test_sign_in_lands_on_the_dashboard_with_name_and_role(
    page: Page, live_server, login, nurse_account
):
    login(page, live_server, nurse_account)
    header = page.locator("header.topbar")
    expect(header).to_contain_text("Nina Rossi")
    expect(header).to_contain_text("Nurse")
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Dashboard")
