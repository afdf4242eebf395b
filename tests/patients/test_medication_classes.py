"""Medication classes as a manager keeps them: what is watched, how soon its flags are
reviewed and what they say; the seeds give each class its own words."""

import tomllib
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from apps.patients.models import MedicationClass
from tests.builders import assert_nothing_changed
from tests.factories import MedicationClassFactory

pytestmark = pytest.mark.django_db

SEEDS = Path(settings.BASE_DIR) / "seeds" / "medication_classes.toml"


def test_every_watched_seeded_class_has_words_of_its_own():
    classes = tomllib.loads(SEEDS.read_text(encoding="utf-8"))["classes"]
    watched = {c["code"]: c.get("flag_reason", "") for c in classes if c["watched"]}
    assert {"antihypertensive", "thyroid_hormone", "immunosuppressant"} <= set(watched)
    assert all(watched.values()) and len(set(watched.values())) == len(watched)
    assert "never reduce" in watched["immunosuppressant"]


def test_a_manager_edits_what_the_flag_says(client, manager):
    medication_class = MedicationClassFactory(name="Immunosuppressant")
    client.force_login(manager)
    listing = client.get(reverse("patients:medication-class-list")).content.decode()
    assert "Immunosuppressant" in listing and "Medication classes" in listing
    url = reverse("patients:medication-class-edit", args=[medication_class.pk])
    response = client.post(
        url,
        {
            "name": "Immunosuppressant",
            "watched": "on",
            "review_within_days": "7",
            "guidance": "",
            "flag_reason": "  Review with the prescriber; never reduce it ourselves. ",
        },
    )
    assert response.status_code == 302
    medication_class.refresh_from_db()
    assert medication_class.flag_reason == "Review with the prescriber; never reduce it ourselves."
    assert medication_class.review_within_days == 7
    event = medication_class.events.order_by("pgh_id").last()
    assert event.pgh_context.metadata["user"] == manager.pk


@pytest.mark.parametrize("days", ["0", "366", "-1", "1e3", "99999999999999999999", ""])
def test_a_review_time_out_of_range_is_refused_with_a_message(client, manager, days):
    medication_class = MedicationClassFactory(review_within_days=14)
    client.force_login(manager)
    url = reverse("patients:medication-class-edit", args=[medication_class.pk])
    with assert_nothing_changed():
        response = client.post(
            url,
            {"name": "X", "review_within_days": days, "flag_reason": "Review it."},
        )
    assert response.status_code == 200
    assert "review_within_days" in response.context["form"].errors
    medication_class.refresh_from_db()
    assert medication_class.review_within_days == 14


def test_an_empty_flag_text_is_refused(client, manager):
    medication_class = MedicationClassFactory()
    client.force_login(manager)
    url = reverse("patients:medication-class-edit", args=[medication_class.pk])
    response = client.post(url, {"name": "X", "review_within_days": "14", "flag_reason": " "})
    assert "flag_reason" in response.context["form"].errors
    assert MedicationClass.objects.get(pk=medication_class.pk).name != "X"


@pytest.mark.parametrize("role", ["clinician", "nurse", "front_desk"])
def test_only_the_manager_edits_classes(client, personas, role):
    medication_class = MedicationClassFactory()
    client.force_login(personas[role])
    assert client.get(reverse("patients:medication-class-list")).status_code == 403
    url = reverse("patients:medication-class-edit", args=[medication_class.pk])
    with assert_nothing_changed():
        assert client.post(url, {"name": "X"}).status_code == 403
