"""The clinic profile and its locations: a manager's page, nobody else's."""

import datetime

import pytest
from django.urls import reverse
from pghistory.models import Events

from apps.clinic.models import ClinicProfile, Location
from apps.clinic.services import clinic_seed
from tests.builders import assert_nothing_changed
from tests.factories import LocationFactory

PROFILE = reverse("clinic:profile")
NEW_LOCATION = reverse("clinic:location-add")

GOOD_PROFILE = {
    "name": "Harbor Regenerative Clinic",
    "contact_phone": "+1 555 0142",
    "booking_url": "https://harbor.example/book",
    "booking_instructions": "",
    "safety_contact_email": "safety@harbor.example",
    "reminder_send_time": "08:30",
    "chart_review_percent": "10",
}


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def test_manager_edits_the_profile_and_the_change_names_them(manager_client, manager):
    clinic_seed(name="Old name")

    response = manager_client.post(PROFILE, GOOD_PROFILE)

    assert response.status_code == 302
    assert response.url == PROFILE
    profile = ClinicProfile.objects.get(pk=1)
    assert profile.name == "Harbor Regenerative Clinic"
    assert profile.safety_contact_email == "safety@harbor.example"
    assert profile.reminder_send_time == datetime.time(8, 30)
    change = Events.objects.filter(pgh_obj_model="clinic.ClinicProfile").order_by("pgh_id").last()
    assert change.pgh_label == "update"
    assert change.pgh_context["user"] == manager.pk
    page = manager_client.get(PROFILE)
    assert "Clinic profile saved." in page.content.decode()


def test_first_save_creates_the_profile(manager_client):
    assert not ClinicProfile.objects.exists()
    page = manager_client.get(PROFILE)
    assert page.status_code == 200

    manager_client.post(PROFILE, GOOD_PROFILE)

    assert ClinicProfile.objects.get().name == "Harbor Regenerative Clinic"


def test_a_booking_address_without_scheme_is_taken_as_https(manager_client):
    manager_client.post(PROFILE, {**GOOD_PROFILE, "booking_url": "harbor.example/book"})

    assert ClinicProfile.objects.get().booking_url == "https://harbor.example/book"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("safety_contact_email", "safety@", "Enter a valid email address."),
        ("booking_url", "not a web address", "Enter a valid URL."),
        ("name", "", "This field is required."),
        ("reminder_send_time", "25:99", "Enter a valid time."),
    ],
)
def test_bad_input_is_named_on_its_field_and_nothing_is_saved(
    manager_client, field, value, message
):
    clinic_seed(name="Harbor", safety_contact_email="old@harbor.example")

    response = manager_client.post(PROFILE, {**GOOD_PROFILE, field: value})

    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert f'id="id_{field}-error"' in response.content.decode()
    profile = ClinicProfile.objects.get()
    assert (profile.name, profile.safety_contact_email) == ("Harbor", "old@harbor.example")


def test_manager_adds_and_closes_a_location(manager_client, manager):
    response = manager_client.post(
        NEW_LOCATION, {"name": "Suite 2", "address": "2 Harbor St", "active": "on"}
    )
    assert response.status_code == 302
    location = Location.objects.get(name="Suite 2")
    assert location.active

    edit = reverse("clinic:location-edit", args=[location.pk])
    manager_client.post(edit, {"name": "Suite 2", "address": "2 Harbor St"})

    location.refresh_from_db()
    assert not location.active
    events = Events.objects.filter(pgh_obj_model="clinic.Location", pgh_obj_id=str(location.pk))
    assert [e.pgh_label for e in events.order_by("pgh_id")] == ["insert", "update"]
    assert all(e.pgh_context["user"] == manager.pk for e in events)
    page = manager_client.get(PROFILE).content.decode()
    assert "Suite 2" in page and "Closed" in page


def test_a_location_name_is_used_once(manager_client):
    LocationFactory(name="Suite 1")

    response = manager_client.post(NEW_LOCATION, {"name": "Suite 1", "active": "on"})

    assert response.status_code == 200
    assert response.context["form"].errors == {"name": ["Location with this Name already exists."]}
    assert Location.objects.filter(name="Suite 1").count() == 1


def test_editing_a_missing_location_is_not_found(manager_client):
    response = manager_client.get(reverse("clinic:location-edit", args=[999_999]))
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["clinician", "nurse", "front_desk", "outsider"])
def test_other_roles_may_not_open_or_change_the_clinic(client, request, role):
    client.force_login(request.getfixturevalue(role))
    location = LocationFactory(name="Suite 1")
    pages = [PROFILE, NEW_LOCATION, reverse("clinic:location-edit", args=[location.pk])]

    with assert_nothing_changed():
        for url in pages:
            assert client.get(url).status_code == 403
            assert client.post(url, {**GOOD_PROFILE, "name": "Taken over"}).status_code == 403

    assert not ClinicProfile.objects.exists()
    assert Location.objects.get().name == "Suite 1"


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    response = client.get(PROFILE)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={PROFILE}"


@pytest.mark.parametrize("locations", [1, 50])
def test_profile_page_queries_do_not_grow_with_locations(
    manager_client, django_assert_num_queries, locations
):
    clinic_seed(name="Harbor")
    LocationFactory.create_batch(locations)
    # session, user, the user's own and group permissions, profile, the user's roles for
    # the header, locations.
    with django_assert_num_queries(7):
        response = manager_client.get(PROFILE)
    assert response.status_code == 200
    assert response.content.decode().count("/clinic/locations/") == locations + 1
