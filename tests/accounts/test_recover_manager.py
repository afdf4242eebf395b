"""The operator's way back in when the last manager loses their second factor."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from apps.accounts.services.second_factor import recovery_codes_new
from apps.audit.models import AccessLog
from tests.factories import PASSWORD


def test_the_command_removes_the_managers_second_factor_and_logs_it(
    client, manager, settings, mailoutbox
):
    settings.MFA_REQUIRED_ROLES = ["manager"]
    recovery_codes_new(user=manager)

    call_command("recover_manager", "manager", "--operator", "it-desk", "--password-link")

    entry = AccessLog.objects.get(subject="staff:manager-recovery")
    assert entry.detail == {"member": "manager", "operator": "it-desk", "devices_removed": 1}
    assert mailoutbox[0].to == [manager.email]
    client.post(reverse("login"), {"username": "manager", "password": PASSWORD})
    assert client.get(reverse("dashboard")).url == reverse("second-factor-enrol")


def test_the_command_is_only_for_managers(nurse):
    with pytest.raises(CommandError, match="not an active clinic manager"):
        call_command("recover_manager", "nurse")
    with pytest.raises(CommandError, match="No staff account"):
        call_command("recover_manager", "nobody")
