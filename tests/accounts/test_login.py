"""Sign-in lockout rules, the refusal page and changing one's own password."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD

LOGIN = reverse("login")
PASSWORD_CHANGE = reverse("password-change")
WRONG = "not-the-password-at-all"


def _sign_in(client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _fail(client, username: str, times: int, ip: str = "10.0.0.1") -> None:
    for _ in range(times):
        response = _sign_in(client, username, WRONG, ip)
        assert response.status_code == 200
        assert "Wrong username or password" in response.content.decode()


def test_the_fifth_failure_locks_the_account(client, nurse):
    _fail(client, "nurse", 4)

    fifth = _sign_in(client, "nurse", WRONG)
    sixth = _sign_in(client, "nurse", PASSWORD)

    for response in (fifth, sixth):
        assert response.status_code == 429
        assert "Account locked" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_lock_holds_for_that_account_from_that_computer_only(client, nurse, clinician):
    _fail(client, "nurse", 4)
    assert _sign_in(client, "nurse", WRONG).status_code == 429

    assert _sign_in(client, "clinician", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    assert _sign_in(client, "nurse", PASSWORD, ip="10.0.0.2").status_code == 302


def test_a_successful_sign_in_clears_earlier_failures(client, nurse):
    _fail(client, "nurse", 4)
    assert _sign_in(client, "nurse", PASSWORD).status_code == 302
    client.post(reverse("logout"))

    _fail(client, "nurse", 4)
    assert _sign_in(client, "nurse", PASSWORD).status_code == 302


def test_signing_out_needs_a_post(client, nurse):
    _sign_in(client, "nurse", PASSWORD)
    assert client.get(reverse("logout")).status_code == 405
    assert "_auth_user_id" in client.session


def test_a_refused_page_explains_itself_within_the_site(client, front_desk):
    client.force_login(front_desk)

    response = client.get(reverse("clinic:profile"))

    assert response.status_code == 403
    html = response.content.decode()
    assert "Not available to your role" in html
    assert "Front desk" in html
    assert 'aria-label="Main"' in html


def test_staff_change_their_own_password(client, nurse):
    client.force_login(nurse)
    new = "cedar harbor vial lantern"

    response = client.post(
        PASSWORD_CHANGE,
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )

    assert response.status_code == 302
    assert response.url == reverse("dashboard")
    # Still signed in on this computer, and the new password is the one that works.
    assert client.get(reverse("dashboard")).status_code == 200
    nurse.refresh_from_db()
    assert nurse.check_password(new)


@pytest.mark.parametrize(
    ("new", "field", "message"),
    [
        ("short1!", "new_password2", "This password is too short."),
        ("password123", "new_password2", "This password is too common."),
    ],
)
def test_a_weak_new_password_is_refused_on_its_field(client, nurse, new, field, message):
    client.force_login(nurse)

    response = client.post(
        PASSWORD_CHANGE,
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )

    assert response.status_code == 200
    assert any(message in e for e in response.context["form"].errors[field])
    nurse.refresh_from_db()
    assert nurse.check_password(PASSWORD)


def test_the_old_password_must_be_right(client, nurse):
    client.force_login(nurse)
    new = "cedar harbor vial lantern"

    response = client.post(
        PASSWORD_CHANGE, {"old_password": WRONG, "new_password1": new, "new_password2": new}
    )

    assert response.context["form"].errors == {
        "old_password": ["Your old password was entered incorrectly. Please enter it again."]
    }
