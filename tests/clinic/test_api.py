"""What an integration reads before it records a visit: locations, clinicians, who it is
and the clinic's public profile."""

import datetime

import pytest

from tests.factories import ClinicProfileFactory, LocationFactory, UserFactory


@pytest.fixture
def locations(db):
    return [
        LocationFactory(name="Harbour Street"),
        LocationFactory(name="Old Town", active=False),
    ]


def test_locations_are_listed_open_ones_first(api_client, front_desk, locations):
    api_client.force_authenticate(front_desk)

    rows = api_client.get("/api/v1/locations/").json()["results"]

    assert [(row["name"], row["active"]) for row in rows] == [
        ("Harbour Street", True),
        ("Old Town", False),
    ]
    assert api_client.get(f"/api/v1/locations/{locations[1].pk}/").json()["name"] == "Old Town"


def test_locations_list_in_constant_queries(api_client, clinician, django_assert_num_queries):
    api_client.force_authenticate(clinician)
    for number in range(20):
        LocationFactory(name=f"Site {number}")
    # Permissions of the caller, then count and page of locations.
    with django_assert_num_queries(4):
        assert api_client.get("/api/v1/locations/").status_code == 200


def test_clinicians_are_the_active_clinician_accounts(api_client, nurse, clinician):
    UserFactory(username="retired", role="clinician", is_active=False)
    api_client.force_authenticate(nurse)

    rows = api_client.get("/api/v1/clinicians/").json()["results"]

    assert [row["username"] for row in rows] == ["clinician"]
    assert rows[0]["id"] == clinician.pk


def test_a_role_without_visits_does_not_list_clinicians(api_client, front_desk):
    api_client.force_authenticate(front_desk)

    assert api_client.get("/api/v1/clinicians/").status_code == 403


def test_me_names_the_caller_and_their_roles(api_client, nurse):
    api_client.force_authenticate(nurse)

    me = api_client.get("/api/v1/me/").json()

    assert me["id"] == nurse.pk
    assert me["username"] == "nurse"
    assert me["roles"] == ["nurse"]
    assert "treatments.add_visit" in me["permissions"]


def test_me_needs_credentials(api_client, db):
    assert api_client.get("/api/v1/me/").status_code == 401


def test_the_clinic_profile_shows_its_public_parts_only(api_client, front_desk):
    ClinicProfileFactory(
        name="Harbour Regenerative Clinic",
        booking_instructions="Call us on weekdays.",
        reminder_send_time=datetime.time(8, 30),
        safety_contact_email="safety@clinic.example.org",
    )
    api_client.force_authenticate(front_desk)

    profile = api_client.get("/api/v1/clinic/").json()

    assert profile["name"] == "Harbour Regenerative Clinic"
    assert profile["booking_instructions"] == "Call us on weekdays."
    assert profile["reminder_send_time"] == "08:30"
    assert "safety_contact_email" not in profile
