"""Personal API tokens: made in the UI and shown once, stored hashed, expiring, revoked
by their owner or a manager, rate-limited, and attributed to their owner in history."""

import datetime
import re

import pghistory.models
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import ApiToken
from apps.accounts.services.api_tokens import api_token_create
from apps.audit.models import AccessLog
from apps.inventory.models import Manufacturer

SECURITY = reverse("account-security")


def _make_in_ui(client, name: str = "Lab import", days: int = 90) -> str:
    response = client.post(reverse("api-token-create"), {"name": name, "days": days})
    assert response.status_code == 200
    return re.search(r'<code id="new-token"[^>]*>([^<]+)</code>', response.content.decode()).group(
        1
    )


def test_a_token_is_shown_once_and_only_its_hash_is_stored(client, nurse):
    client.force_login(nurse)
    token = _make_in_ui(client)

    assert token not in client.get(SECURITY).content.decode()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        (row,) = cursor.fetchall()
    assert not any(token in str(value) for value in row)
    stored = ApiToken.objects.get()
    assert stored.name == "Lab import" and stored.user == nurse
    assert abs(stored.expiry - timezone.now() - datetime.timedelta(days=90)).total_seconds() < 60
    assert AccessLog.objects.filter(subject="token:create", user=nurse).exists()


def test_a_token_opens_the_api_and_records_its_last_use(api_client, nurse):
    stored, token = api_token_create(by=nurse, name="Import", days=1, second_factor_passed=False)
    assert stored.last_used_at is None
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/").status_code == 200
    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_expired_and_revoked_tokens_are_refused(client, api_client, nurse):
    expired, old = api_token_create(by=nurse, name="Old", days=1, second_factor_passed=False)
    ApiToken.objects.filter(pk=expired.pk).update(expiry=timezone.now() - datetime.timedelta(1))
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    assert api_client.get("/api/v1/").status_code in (401, 403)

    revoked, text = api_token_create(by=nurse, name="Gone", days=5, second_factor_passed=False)
    client.force_login(nurse)
    client.post(reverse("api-token-revoke"), {"token": revoked.digest})
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {text}")
    assert api_client.get("/api/v1/").status_code in (401, 403)
    assert not ApiToken.objects.exists()


def test_a_token_lasts_at_most_the_setting(client, nurse, settings):
    settings.API_TOKEN_MAX_DAYS = 30
    client.force_login(nurse)
    response = client.post(reverse("api-token-create"), {"name": "Long", "days": 31})
    assert "A token lasts from 1 to 30 days." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_managers_see_and_revoke_anyones_tokens_others_cannot(client, nurse, clinician, manager):
    stored, _ = api_token_create(by=nurse, name="Nurse's", days=5, second_factor_passed=False)

    client.force_login(clinician)
    client.post(reverse("api-token-revoke"), {"token": stored.digest})
    assert ApiToken.objects.exists()

    client.force_login(manager)
    page = client.get(reverse("staff-member", args=[nurse.pk]))
    assert "Nurse&#x27;s" in page.content.decode()
    client.post(reverse("api-token-revoke"), {"token": stored.digest})
    assert not ApiToken.objects.exists()
    entry = AccessLog.objects.get(subject="token:revoke")
    assert entry.user == manager and entry.detail["owner"] == nurse.username


def test_token_creation_is_rate_limited(client, nurse, settings):
    settings.API_TOKEN_CREATIONS_PER_HOUR = 2
    client.force_login(nurse)
    _make_in_ui(client, "one")
    _make_in_ui(client, "two")
    third = client.post(reverse("api-token-create"), {"name": "three", "days": 5})
    assert "Try again later" in third.content.decode()
    assert ApiToken.objects.count() == 2


def test_failed_token_use_is_rate_limited_per_address(api_client, nurse, settings):
    settings.API_TOKEN_FAILURES_PER_HOUR = 3
    _, good = api_token_create(by=nurse, name="Good", days=5, second_factor_passed=False)
    for _ in range(3):
        api_client.credentials(HTTP_AUTHORIZATION="Token exo_" + "0" * 64)
        assert api_client.get("/api/v1/").status_code in (401, 403)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {good}")
    assert api_client.get("/api/v1/").status_code == 429


def test_a_tokens_requests_are_attributed_to_its_owner_in_history(api_client, manager):
    _, token = api_token_create(by=manager, name="Stock", days=5, second_factor_passed=False)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    response = api_client.post("/api/v1/manufacturers/", {"name": "Kimera Labs"}, format="json")

    assert response.status_code == 201
    made = Manufacturer.objects.get(name="Kimera Labs")
    (event,) = pghistory.models.Events.objects.tracks(made)
    assert event.pgh_context["user"] == manager.pk
