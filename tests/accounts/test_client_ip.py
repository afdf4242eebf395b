"""Which address the lockout rule counts a sign-in from, with and without a proxy."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from apps.accounts.client_ip import client_ip
from tests.factories import PASSWORD


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/accounts/login/", **extra)


def test_without_a_trusted_proxy_a_forwarded_address_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request("10.0.0.9", "203.0.113.5")) == "10.0.0.9"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (1, "203.0.113.5", "203.0.113.5"),
        # A client-written entry comes first; the proxy's own entry is the last one.
        (1, "198.51.100.1, 203.0.113.5", "203.0.113.5"),
        (2, "198.51.100.1, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
        # Missing or too short a header: fall back to the connecting address.
        (1, "", "10.0.0.9"),
        (2, "203.0.113.5", "10.0.0.9"),
    ],
)
def test_behind_trusted_proxies_the_client_is_the_address_they_saw(
    settings, proxies, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_ip(_request("10.0.0.9", forwarded)) == expected


def test_behind_the_proxy_a_lock_holds_for_one_computer_not_the_whole_clinic(
    client, settings, nurse
):
    settings.TRUSTED_PROXY_COUNT = 1
    login = reverse("login")
    for _ in range(5):
        client.post(
            login,
            {"username": nurse.username, "password": "wrong-password-here"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.5",
        )
    from_the_locked_computer = client.post(
        login,
        {"username": nurse.username, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.5",
    )
    from_elsewhere = client.post(
        login,
        {"username": nurse.username, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.77",
    )
    assert from_the_locked_computer.status_code == 429
    assert from_elsewhere.status_code == 302
