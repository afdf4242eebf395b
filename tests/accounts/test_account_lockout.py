"""The account itself locks after AXES_ACCOUNT_FAILURE_LIMIT failures from any addresses,
so a guesser gains nothing by moving from one address to the next."""

from django.urls import reverse

from tests.factories import PASSWORD

LOGIN = reverse("login")


def _sign_in(client, password: str, ip: str):
    return client.post(LOGIN, {"username": "nurse", "password": password}, REMOTE_ADDR=ip)


def test_failures_from_many_addresses_lock_the_account_everywhere(client, nurse, settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_ACCOUNT_FAILURE_LIMIT = 8
    # No address reaches its own limit of five.
    for ip, times in (("10.0.0.1", 4), ("10.0.0.2", 3)):
        for _ in range(times):
            assert _sign_in(client, "wrong-password-here", ip).status_code == 200

    eighth = _sign_in(client, "wrong-password-here", "10.0.0.3")
    right_password = _sign_in(client, PASSWORD, "10.0.0.4")

    for response in (eighth, right_password):
        assert response.status_code == 429
        assert "Account locked" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_below_the_account_limit_another_address_still_signs_in(client, nurse, settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_ACCOUNT_FAILURE_LIMIT = 8
    for _ in range(4):
        _sign_in(client, "wrong-password-here", "10.0.0.1")
    for _ in range(3):
        _sign_in(client, "wrong-password-here", "10.0.0.2")

    assert _sign_in(client, PASSWORD, "10.0.0.3").status_code == 302
