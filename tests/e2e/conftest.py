"""Browser tests: a real Chromium, driven by Playwright, against pytest-django's live server.

Each test gets a fresh browser context (no cookies carried over) and a `login` helper that
signs in through the real sign-in form, so lockout, session clock and CSRF are all exercised.
"""

import os

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from exotrack.roles import ensure_roles
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, sign_in
from tests.factories import PASSWORD

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse
# database access from the test body and the live server's request handlers.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture(scope="session")
def browser() -> Browser:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _role_groups(transactional_db):
    """Live-server tests run in real transactions and the tables are flushed after each
    one; the role groups must exist whatever ran before."""
    ensure_roles()


@pytest.fixture
def page(browser: Browser, live_server) -> Page:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def login(live_server):
    """`login(page, live_server, user)`: sign in through the form; lands on the dashboard."""

    def _login(page: Page, server, user, password: str = PASSWORD) -> Page:
        sign_in(page, user.username, password)
        expect(page).to_have_url(f"{server.url}/")
        return page

    return _login
