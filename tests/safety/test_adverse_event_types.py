"""The clinic manager keeps the expected rate of each adverse-event type."""

import pghistory.models
from django.urls import reverse

from apps.safety.models import AdverseEventType
from tests.safety import adverse_event_data

event_types = adverse_event_data.event_types

LIST = reverse("safety:adverse-event-type-list")


def _edit(event_type) -> str:
    return reverse("safety:adverse-event-type-edit", args=[event_type.pk])


def test_a_manager_changes_a_rate_and_history_names_them(client, manager, event_types):
    cold_sore = event_types["cold_sore"]
    client.force_login(manager)
    assert "1 in 20" in client.get(LIST).content.decode()

    response = client.post(_edit(cold_sore), {"expected_one_in": "25", "exposure": "visit"})

    assert response.status_code == 302
    cold_sore.refresh_from_db()
    assert (cold_sore.expected_one_in, cold_sore.active) == (25, False)
    update = pghistory.models.Events.objects.tracks(cold_sore).get(pgh_label="update")
    assert update.pgh_context["user"] == manager.pk


def test_a_blank_rate_means_no_signal_and_zero_is_refused(client, manager, event_types):
    fever = event_types["fever_flu_like"]
    client.force_login(manager)

    refused = client.post(_edit(fever), {"expected_one_in": "0", "exposure": "visit"})
    assert refused.status_code == 200 and "expected_one_in" in refused.context["form"].errors

    client.post(_edit(fever), {"expected_one_in": "", "exposure": "dose", "active": "on"})
    fever.refresh_from_db()
    assert (fever.expected_one_in, fever.exposure, fever.active) == (None, "dose", True)


def test_only_the_manager_keeps_the_types(client, personas, event_types):
    for role, user in personas.items():
        client.force_login(user)
        allowed = role == "manager"
        assert client.get(LIST).status_code == (200 if allowed else 403), role
        assert client.get(_edit(event_types["other"])).status_code == (200 if allowed else 403)
    assert AdverseEventType.objects.get(code="other").expected_one_in is None
