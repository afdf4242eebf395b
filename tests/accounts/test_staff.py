"""Managers run the team's accounts from the Staff page: invitations, roles,
deactivation, password links, lockouts and sessions, each logged and kept in history."""

import re

import pghistory.models
import pytest
from django.core import mail
from django.urls import reverse

from apps.accounts.models import User
from apps.accounts.services.api_tokens import api_token_create
from apps.audit.models import AccessLog
from exotrack import roles
from tests.factories import PASSWORD, UserFactory

LOGIN = reverse("login")
STAFF = reverse("staff-list")
NEW_PASSWORD = "lantern cedar harbour vial"


def _action(pk: int, action: str) -> str:
    return reverse("staff-action", args=[pk, action])


def _link_in(message) -> str:
    return re.search(r"http://\S+/accounts/password/set/\S+/", message.body).group(0)


def _path(link: str) -> str:
    return link.split("http://127.0.0.1:8000", 1)[1]


def test_only_managers_see_the_staff_page(client, personas):
    for role, user in personas.items():
        client.force_login(user)
        expected = 200 if role == roles.MANAGER else 403
        assert client.get(STAFF).status_code == expected


def test_the_staff_page_shows_each_member_in_constant_queries(
    client, manager, nurse, django_assert_num_queries
):
    client.force_login(manager)
    client.get(STAFF)  # warm the session and content types
    # Session read and save, the manager, their permissions (2) and roles (navigation and
    # header), then the page: members with their enrolment, their roles, the lockouts.
    with django_assert_num_queries(8):
        response = client.get(STAFF)
    UserFactory.create_batch(5, role=roles.CLINICIAN)
    with django_assert_num_queries(8):
        client.get(STAFF)
    html = response.content.decode()
    assert nurse.email in html and "Nurse" in html
    assert "Not enrolled" in html and "Never" in html


def test_an_invited_member_sets_a_password_from_the_link_once(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("staff-invite"),
        {
            "first_name": "Ines",
            "last_name": "Novak",
            "email": "ines@clinic.test",
            "username": "ines",
            "role": roles.NURSE,
        },
    )
    member = User.objects.get(username="ines")
    assert response.status_code == 302
    assert not member.has_usable_password()
    assert member.role_names == [roles.NURSE]
    (message,) = mail.outbox
    assert message.to == ["ines@clinic.test"]
    assert "ines" in message.body
    link = _path(_link_in(message))

    client.logout()
    form_page = client.get(link, follow=True)
    assert "Set your password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done.url == LOGIN

    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    again = client.get(link, follow=True)
    assert "expired or was already used" in again.content.decode()
    entry = AccessLog.objects.get(subject="staff:invite")
    assert entry.user == manager and entry.object_id == member.pk


def test_invitation_refuses_a_username_in_use(client, manager, nurse):
    client.force_login(manager)
    response = client.post(
        reverse("staff-invite"),
        {
            "first_name": "N",
            "last_name": "N",
            "email": "other@clinic.test",
            "username": "NURSE",
            "role": roles.NURSE,
        },
    )
    assert response.status_code == 200
    assert "Someone already signs in with this username." in response.content.decode()
    assert not mail.outbox


def test_roles_change_and_are_logged_with_the_manager(client, manager, nurse):
    client.force_login(manager)
    client.post(reverse("staff-roles", args=[nurse.pk]), {"roles": [roles.CLINICIAN]})

    assert User.objects.get(pk=nurse.pk).role_names == [roles.CLINICIAN]
    entry = AccessLog.objects.get(subject="staff:roles")
    assert entry.user == manager
    assert entry.detail["before"] == [roles.NURSE] and entry.detail["after"] == [roles.CLINICIAN]


def test_a_manager_keeps_their_own_manager_role(client, manager):
    other = UserFactory(role=roles.MANAGER)
    client.force_login(manager)
    response = client.post(
        reverse("staff-roles", args=[manager.pk]), {"roles": [roles.NURSE]}, follow=True
    )
    assert "You cannot remove your own manager role." in response.content.decode()
    assert roles.MANAGER in User.objects.get(pk=manager.pk).role_names
    assert other.is_active


def test_the_last_active_manager_cannot_be_deactivated(client, manager):
    colleague = UserFactory(role=roles.MANAGER)
    client.force_login(colleague)
    client.post(_action(manager.pk, "deactivate"))
    assert not User.objects.get(pk=manager.pk).is_active

    # The colleague is now the only active manager: not even they may go.
    response = client.post(_action(colleague.pk, "deactivate"), follow=True)
    assert "The clinic needs at least one active manager." in response.content.decode()
    assert User.objects.get(pk=colleague.pk).is_active


def test_the_last_manager_is_refused_by_the_rule_itself(manager):
    from django.core.exceptions import ValidationError

    from apps.accounts.services.staff import staff_deactivate

    # Only a developer's superuser could try it: every manager acting is one more manager.
    developer = UserFactory(is_superuser=True)
    with pytest.raises(ValidationError, match="at least one active manager"):
        staff_deactivate(by=developer, member=manager)


def test_deactivation_stops_an_open_session_and_a_token_at_once(client, manager, nurse, api_client):
    nurse_client = type(client)()
    nurse_client.post(LOGIN, {"username": nurse.username, "password": PASSWORD})
    assert nurse_client.get(reverse("dashboard")).status_code == 200
    _, token = api_token_create(by=nurse, name="Import", days=30, second_factor_passed=False)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/").status_code == 200

    client.force_login(manager)
    client.post(_action(nurse.pk, "deactivate"))

    assert nurse_client.get(reverse("dashboard")).status_code == 302
    assert api_client.get("/api/v1/").status_code in (401, 403)
    assert not User.objects.get(pk=nurse.pk).is_active
    # Reactivation does not bring the token back.
    client.post(_action(nurse.pk, "reactivate"))
    assert api_client.get("/api/v1/").status_code in (401, 403)


def test_sign_out_everywhere_ends_every_session(client, manager, nurse):
    sessions = [type(client)(), type(client)()]
    for browser in sessions:
        browser.post(LOGIN, {"username": nurse.username, "password": PASSWORD})
        assert browser.get(reverse("dashboard")).status_code == 200

    client.force_login(manager)
    client.post(_action(nurse.pk, "sign-out"))

    for browser in sessions:
        assert browser.get(reverse("dashboard")).status_code == 302
    fresh = type(client)()
    fresh.post(LOGIN, {"username": nurse.username, "password": PASSWORD})
    assert fresh.get(reverse("dashboard")).status_code == 200


def test_a_manager_lifts_a_lockout(client, manager, nurse):
    member = type(client)()
    for _ in range(5):
        member.post(LOGIN, {"username": nurse.username, "password": "wrong-wrong-wrong"})
    assert member.post(LOGIN, {"username": nurse.username, "password": PASSWORD}).status_code == 429

    client.force_login(manager)
    assert "Locked out" in client.get(STAFF).content.decode()
    client.post(_action(nurse.pk, "lockout-lift"))

    assert member.post(LOGIN, {"username": nurse.username, "password": PASSWORD}).status_code == 302
    assert AccessLog.objects.filter(subject="staff:lockout-lift", user=manager).exists()


def test_a_manager_sends_a_password_link_but_never_sees_the_password(client, manager, nurse):
    client.force_login(manager)
    client.post(_action(nurse.pk, "password-link"))
    (message,) = mail.outbox
    assert message.to == [nurse.email]
    assert _link_in(message)


def test_account_changes_are_in_history_with_the_manager(client, manager, nurse):
    client.force_login(manager)
    client.post(_action(nurse.pk, "deactivate"))

    event = (
        pghistory.models.Events.objects.tracks(nurse)
        .filter(pgh_label="update")
        .order_by("-pgh_created_at", "-pgh_id")
        .first()
    )
    assert event.pgh_context["user"] == manager.pk
    assert event.pgh_diff["is_active"] == [True, False]
    assert "password" not in event.pgh_data
    history = client.get(reverse("audit:history", args=["accounts", "user", nurse.pk]))
    assert history.status_code == 200


def test_forgotten_password_answers_the_same_either_way(client, nurse):
    known = client.post(reverse("password-forgot"), {"email": nurse.email.upper()})
    unknown = client.post(reverse("password-forgot"), {"email": "nobody@clinic.test"})

    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    (message,) = mail.outbox
    assert message.to == [nurse.email]


def test_forgotten_password_requests_are_rate_limited(client, nurse, settings):
    settings.STAFF_PASSWORD_RESET_REQUESTS_PER_HOUR = 2
    for _ in range(2):
        assert client.post(reverse("password-forgot"), {"email": nurse.email}).status_code == 302
    refused = client.post(reverse("password-forgot"), {"email": nurse.email})
    assert refused.status_code == 429
    assert len(mail.outbox) == 2
