"""Signing in and out in a real browser: the way every staff member starts the day."""

import time

import pytest
import time_machine
from playwright.sync_api import Page, expect

from exotrack import roles
from tests.e2e.browser import sign_in
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.e2e

WRONG = "not-the-password-at-all"


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


def test_a_page_asked_for_before_signing_in_opens_after_sign_in(
    page: Page, live_server, nurse_account
):
    page.goto("/api/docs/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/api/docs/")
    page.get_by_label("Username").fill("nina")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/api/docs/")


def test_wrong_password_says_so_and_warns_of_the_lock(page: Page, live_server, nurse_account):
    sign_in(page, "nina", WRONG)
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("alert")).to_contain_text("Wrong username or password")
    expect(page.get_by_role("alert")).to_contain_text("5 failed attempts")
    # The username stays filled in; the password never comes back.
    expect(page.get_by_label("Username")).to_have_value("nina")
    expect(page.get_by_label("Password")).to_have_value("")


def test_five_failures_lock_the_account_even_against_the_right_password(
    page: Page, live_server, nurse_account
):
    for _ in range(4):
        sign_in(page, "nina", WRONG)
        expect(page.get_by_role("alert")).to_contain_text("Wrong username or password")
    sign_in(page, "nina", WRONG)
    expect(page.get_by_role("heading", name="Account locked")).to_be_visible()

    sign_in(page, "nina", PASSWORD)
    expect(page.get_by_role("heading", name="Account locked")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("locked on this computer for an hour")
    expect(page.locator("header.topbar")).to_have_count(0)

    # Still locked on the next visit: nothing of the clinic opens.
    page.goto("/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")


def test_idle_session_is_signed_out_with_the_reason(
    page: Page, live_server, login, nurse_account, settings
):
    settings.SESSION_IDLE_TIMEOUT = 2
    login(page, live_server, nurse_account)
    # The server (a thread of this process) reads the clock time-machine moves, so the
    # test skips the idle time instead of waiting it out.
    with time_machine.travel(time.time() + 2.5, tick=True):
        page.goto("/api/docs/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/api/docs/")
    expect(page.get_by_role("status")).to_contain_text(
        "You were signed out after 2 seconds without activity."
    )
    # The old session is gone for good, not just hidden.
    page.goto("/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")


def test_activity_keeps_the_session_open(page: Page, live_server, login, nurse_account, settings):
    settings.SESSION_IDLE_TIMEOUT = 3
    login(page, live_server, nurse_account)
    with time_machine.travel(time.time(), tick=True) as clock:
        for _ in range(3):
            clock.shift(1.5)
            page.goto("/")
            expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("header.topbar")).to_contain_text("Nina Rossi")


def test_sign_out_ends_the_session(page: Page, live_server, login, nurse_account):
    login(page, live_server, nurse_account)
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    page.go_back()
    page.reload()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")


def test_api_docs_render_from_local_files_under_the_content_security_policy(
    page: Page, live_server, login, nurse_account
):
    blocked = []
    outside = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    page.on(
        "request",
        lambda r: None if r.url.startswith(live_server.url) else outside.append(r.url),
    )
    login(page, live_server, nurse_account)
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("ExoTrack API")
    expect(page.locator(".opblock").first).to_be_visible()
    assert blocked == []
    assert outside == []
