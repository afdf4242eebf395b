"""Every date filter and date field keeps to dates a clinic can mean: a date beyond them
is a field error, never a 500 (OverflowError at 9999-12-31) and never saved."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.inventory.models import Lot
from apps.patients.models import Medication, Patient
from exotrack.dates import BIRTH_DATE, START_DATE
from tests.builders import assert_nothing_changed, login_api
from tests.factories import MedicationClassFactory, PatientFactory, ProductFactory

pytestmark = pytest.mark.django_db

CALENDAR_ENDS = ["9999-12-31", "0001-01-01"]
EXPORTS = ["outcomes", "adverse-events", "doses-by-lot", "follow-up-compliance"]


def attrs(response) -> set[str]:
    assert response.status_code == 400, response.content[:500]
    return {error["attr"] for error in response.json()["errors"]}


class TestTheRange:
    def test_a_birth_date_lies_in_the_last_120_years_and_not_ahead(self):
        today = timezone.localdate()
        earliest, latest = BIRTH_DATE.bounds()
        assert latest == today
        assert earliest == today.replace(year=today.year - 120)

    def test_a_medication_starts_at_most_a_year_ahead(self):
        today = timezone.localdate()
        assert START_DATE.bounds()[1] == today.replace(year=today.year + 1)


@pytest.mark.parametrize("day", CALENDAR_ENDS)
@pytest.mark.parametrize("name", ["date_from", "date_to"])
class TestFilters:
    def test_the_reports_page(self, client, manager, day, name):
        client.force_login(manager)
        response = client.get(reverse("reports:page"), {name: day})
        assert response.status_code in (200, 400)
        assert response.context["form"].errors[name]

    @pytest.mark.parametrize("export", EXPORTS)
    def test_the_exports(self, client, api_client, manager, day, name, export):
        client.force_login(manager)
        response = client.get(f"/reports/exports/{export}.csv", {name: day})
        assert response.status_code == 400
        api = login_api(api_client, manager).get(
            f"/api/v1/reports/exports/{export}.csv", {name: day}
        )
        assert name in attrs(api)

    def test_the_access_log(self, client, manager, day, name):
        client.force_login(manager)
        response = client.get(reverse("audit:access-log"), {name: day})
        assert response.status_code == 200
        assert response.context["form"].errors[name]

    def test_the_visits_api(self, api_client, manager, day, name):
        response = login_api(api_client, manager).get("/api/v1/visits/", {name: day})
        assert name in attrs(response)


def _years_ago(years: int) -> str:
    today = timezone.localdate()
    return today.replace(year=today.year - years, day=min(today.day, 28)).isoformat()


@pytest.mark.parametrize("birth", [*CALENDAR_ENDS, "2199-01-01", lambda: _years_ago(121)])
def test_a_birth_date_out_of_range_is_refused(api_client, client, front_desk, birth):
    birth = birth() if callable(birth) else birth
    body = {"first_name": "John", "last_name": "Smith", "date_of_birth": birth, "sex": "male"}
    with assert_nothing_changed():
        response = login_api(api_client, front_desk).post("/api/v1/patients/", body)
    assert attrs(response) == {"date_of_birth"}
    client.force_login(front_desk)
    page = client.post(reverse("patients:add"), body)
    assert page.status_code == 200
    assert list(page.context["form"].errors) == ["date_of_birth"]
    assert not Patient.objects.exists()


def test_a_birth_date_120_years_ago_is_kept(api_client, front_desk):
    body = {
        "first_name": "John",
        "last_name": "Smith",
        "date_of_birth": _years_ago(119),
        "sex": "male",
    }
    response = login_api(api_client, front_desk).post("/api/v1/patients/", body)
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("started", ["9999-01-01", "0001-01-01"])
def test_a_medication_start_out_of_range_is_refused(api_client, nurse, started):
    MedicationClassFactory(code="thyroid_hormone")
    patient = PatientFactory()
    body = {"name": "Levothyroxine", "medication_class": "thyroid_hormone", "started_on": started}
    response = login_api(api_client, nurse).post(
        f"/api/v1/patients/{patient.pk}/medications/", body, format="json"
    )
    assert attrs(response) == {"started_on"}
    assert not Medication.objects.exists()


@pytest.mark.parametrize("received", CALENDAR_ENDS)
def test_a_lot_received_out_of_range_is_refused(client, manager, received):
    product = ProductFactory()
    today = timezone.localdate()
    client.force_login(manager)
    response = client.post(
        reverse("inventory:lot-receive"),
        {
            "product": product.pk,
            "lot_number": "ABC123",
            "expiry_date": str(today + datetime.timedelta(days=100)),
            "received_on": received,
            "vials_received": "8",
            "labelled_billions_per_vial": "5",
        },
    )
    assert response.status_code == 200
    assert "received_on" in response.context["form"].errors
    assert not Lot.objects.exists()
