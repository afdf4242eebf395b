"""Staff accounts in a real browser with a real SMTP server: a manager invites a nurse,
who sets a password from the e-mailed link, enrols an authenticator or a passkey and
signs in with it; lockouts, deactivation and the last manager."""

import re
import time

import pyotp
import pytest
import requests
from playwright.sync_api import Page, expect

from apps.accounts.services.api_tokens import api_token_create
from exotrack import roles
from tests.e2e.browser import sign_in
from tests.factories import PASSWORD, UserFactory
from tests.integration.smtp_server import smtp_server

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "lantern cedar harbour vial"


@pytest.fixture
def mail_server(settings, live_server):
    with smtp_server() as (handler, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.SITE_URL = live_server.url
        yield handler


@pytest.fixture
def manager_account():
    return UserFactory(username="maya", first_name="Maya", last_name="Lind", role=roles.MANAGER)


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_load_state()


def _link_in(arrival) -> str:
    body = arrival.message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"http://\S+/accounts/password/set/\S+/", body).group(0)


def _invite_nurse(page: Page, live_server, login, manager, mail_server) -> str:
    login(page, live_server, manager)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Staff").click()
    page.get_by_role("link", name="Invite a member").click()
    page.get_by_label("First name").fill("Ines")
    page.get_by_label("Last name").fill("Novak")
    page.get_by_label("E-mail").fill("ines@clinic.test")
    page.get_by_label("Username").fill("ines")
    page.get_by_label("Role").select_option(label="Nurse")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".messages")).to_contain_text("Ines Novak is invited")
    _sign_out(page)
    (arrival,) = mail_server.arrivals
    assert arrival.to == "ines@clinic.test"
    return _link_in(arrival)


def _set_password(page: Page, link: str) -> None:
    page.goto(link)
    page.get_by_label(re.compile(r"^New password:?$")).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.locator(".messages")).to_contain_text("Your password is set")


def test_an_invited_nurse_enrols_an_authenticator_and_signs_in_with_codes(
    page: Page, live_server, login, manager_account, mail_server, settings
):
    settings.MFA_REQUIRED_ROLES = ["nurse"]
    link = _invite_nurse(page, live_server, login, manager_account, mail_server)
    _set_password(page, link)

    sign_in(page, "ines", NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/enrol/"))
    page.goto("/patients/")
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/enrol/"))
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    enrolment_code = totp.now()
    page.get_by_label("Code from the app").fill(enrolment_code)
    page.get_by_role("button", name="Add authenticator").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.locator(".recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="I have saved them").click()
    # On to the page asked for before enrolment.
    expect(page).to_have_url(f"{live_server.url}/patients/")
    _sign_out(page)

    sign_in(page, "ines", NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    page.get_by_label("Code").fill(enrolment_code)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".field .error")).to_contain_text("already used")
    page.get_by_label("Code").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{live_server.url}/")
    _sign_out(page)

    for attempt in ("first", "second"):
        sign_in(page, "ines", NEW_PASSWORD)
        page.get_by_label("Code").fill(codes[0])
        page.get_by_role("button", name="Continue").click()
        if attempt == "first":
            expect(page).to_have_url(f"{live_server.url}/")
            _sign_out(page)
        else:
            expect(page.locator(".field .error")).to_contain_text("already used")


def _virtual_authenticator(page: Page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def test_a_nurse_enrols_a_passkey_and_signs_in_with_it(page: Page, live_server, settings):
    settings.MFA_REQUIRED_ROLES = ["nurse"]
    UserFactory(username="nina", first_name="Nina", role=roles.NURSE)
    _virtual_authenticator(page)

    sign_in(page, "nina", PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/enrol/"))
    page.get_by_role("button", name="Add a passkey").click()
    expect(page).to_have_url(re.compile(r"/accounts/security/"))
    expect(page.locator("body")).to_contain_text("Passkeys and security keys")
    expect(page.get_by_role("button", name=re.compile("^Remove"))).to_have_count(1)
    _sign_out(page)

    sign_in(page, "nina", PASSWORD)
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    page.get_by_role("button", name="Use a passkey").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("header.topbar")).to_contain_text("Nina")


def test_a_manager_lifts_a_lockout_and_deactivation_stops_session_and_token(
    page: Page, browser, live_server, login, manager_account
):
    nurse = UserFactory(username="nina", first_name="Nina", last_name="Rossi", role=roles.NURSE)
    _, token = api_token_create(by=nurse, name="Import", days=5, second_factor_passed=False)
    api = f"{live_server.url}/api/v1/"
    assert requests.get(api, headers={"Authorization": f"Token {token}"}, timeout=10).ok

    nurse_context = browser.new_context(base_url=live_server.url)
    nurse_page = nurse_context.new_page()
    for _ in range(5):
        sign_in(nurse_page, "nina", "wrong-wrong-wrong")
    sign_in(nurse_page, "nina", PASSWORD)
    expect(nurse_page.get_by_role("heading", name="Account locked")).to_be_visible()

    login(page, live_server, manager_account)
    page.goto("/accounts/staff/")
    row = page.get_by_role("row", name=re.compile("Nina Rossi"))
    expect(row).to_contain_text("Locked out")
    row.get_by_role("link", name="Nina Rossi").click()
    page.get_by_role("button", name="Lift lockout").click()
    expect(page.locator(".messages")).to_contain_text("lock of Nina Rossi is lifted")

    sign_in(nurse_page, "nina", PASSWORD)
    expect(nurse_page).to_have_url(f"{live_server.url}/")

    page.get_by_text("Deactivate…").click()
    page.get_by_role("button", name="Deactivate Nina Rossi").click()
    expect(page.locator(".messages")).to_contain_text("Nina Rossi is deactivated")

    nurse_page.goto("/")
    expect(nurse_page).to_have_url(re.compile(r"/accounts/login/"))
    refused = requests.get(api, headers={"Authorization": f"Token {token}"}, timeout=10)
    assert refused.status_code in (401, 403)
    nurse_context.close()


def test_the_last_manager_cannot_be_deactivated(page: Page, live_server, login, manager_account):
    login(page, live_server, manager_account)
    page.goto("/accounts/staff/")
    page.get_by_role("link", name="Maya Lind").click()
    page.get_by_text("Deactivate…").click()
    page.get_by_role("button", name="Deactivate Maya Lind").click()
    expect(page.locator(".messages")).to_contain_text("at least one active manager")
    page.goto("/accounts/staff/")
    expect(page.get_by_role("row", name=re.compile("Maya Lind"))).to_contain_text("Active")
