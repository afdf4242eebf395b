"""Who may reach what: signed-out visitors, staff without a role, and the API."""

import json
import re

import pytest
from django.urls import reverse

from apps.accounts.services.api_tokens import api_token_create
from config.api_urls import router

PAGES_FOR_STAFF = [reverse("dashboard"), reverse("clinic:profile"), reverse("api-docs")]


def _list_endpoints() -> list[str]:
    """Every list address registered with the API router, including ones added later."""
    return [reverse(f"{basename}-list") for _, _, basename in router.registry]


@pytest.mark.parametrize("url", PAGES_FOR_STAFF)
def test_signed_out_visitors_are_sent_to_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("url", ["/api/v1/", "/api/schema/?format=json", *_list_endpoints()])
def test_the_api_refuses_signed_out_callers_in_its_error_shape(api_client, db, url):
    response = api_client.get(url)
    assert response.status_code in (401, 403)
    body = json.loads(response.content)
    assert body["type"] == "client_error"
    assert body["errors"][0]["code"] == "not_authenticated"


def test_a_forged_token_is_refused(api_client, db):
    response = api_client.get("/api/v1/", HTTP_AUTHORIZATION="Token " + "0" * 40)
    # 403 rather than 401: session sign-in comes first and sends no WWW-Authenticate.
    assert response.status_code in (401, 403)
    assert response.json()["errors"][0]["code"] == "authentication_failed"


def test_a_staff_token_opens_the_api_root_and_schema(api_client, nurse):
    _, token = api_token_create(by=nurse, name="Lab import", days=90, second_factor_passed=False)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/").status_code == 200
    schema = api_client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "ExoTrack API"


@pytest.mark.parametrize("url", _list_endpoints())
def test_staff_without_a_role_read_no_records_through_the_api(api_client, outsider, url):
    api_client.force_authenticate(outsider)
    response = api_client.get(url)
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "permission_denied"


def test_a_role_never_learns_whether_a_hidden_record_exists(api_client, front_desk, db):
    api_client.force_authenticate(front_desk)
    response = api_client.get("/api/v1/no-such-records/1/")
    assert response.status_code == 404


def test_api_docs_are_served_from_this_server_only(client, nurse):
    client.force_login(nurse)

    html = client.get(reverse("api-docs")).content.decode()

    addresses = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert addresses, "the docs page loads no script or style"
    for address in addresses:
        assert address.startswith(("/static/", "/api/docs/?")), address
    assert "<script>" not in html  # no inline script: the CSP allows none
    start_up = client.get("/api/docs/?script=")
    assert start_up.status_code == 200
    assert start_up["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in start_up.content.decode()
    for address in addresses:
        if address.startswith("/static/"):
            assert client.get(address).status_code == 200, address


@pytest.mark.parametrize("signed_in", [False, True])
def test_pages_carry_the_security_headers(client, nurse, signed_in):
    if signed_in:
        client.force_login(nurse)
    response = client.get(reverse("dashboard") if signed_in else reverse("login"))

    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_session_and_csrf_cookies_are_locked_down_in_production():
    from config.settings import base

    assert base.SESSION_COOKIE_HTTPONLY is True
    assert base.SESSION_COOKIE_SAMESITE == "Lax"
    if not base.DEBUG:
        assert base.SESSION_COOKIE_SECURE and base.CSRF_COOKIE_SECURE
        assert base.SECURE_HSTS_SECONDS >= 31536000
