"""A visit treats at most TREATMENT_MAX_SITES_PER_VISIT sites: more rows are refused by
the form, the API and the service before any of them is looked at."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.treatments.forms import DoseFormSet
from tests.builders import assert_nothing_changed, knee_dose, login_api, record

pytestmark = pytest.mark.django_db

LIMIT = 3
REFUSAL = "A visit treats at most 3 sites; record the others as another visit."


@pytest.fixture(autouse=True)
def limit(settings):
    settings.TREATMENT_MAX_SITES_PER_VISIT = LIMIT


def _rows(knee, lot, count: int) -> list[dict]:
    return [{"site": knee.pk, "laterality": "left", "lot": lot.pk, "billions": "4"}] * count


class TestTheForm:
    def _post(self, client, *, patient, location, clinician, knee, lot, rows, total=None):
        when = timezone.localtime() - datetime.timedelta(hours=1)
        data = {
            "visited_at": when.strftime("%Y-%m-%dT%H:%M"),
            "location": location.pk,
            "clinician": clinician.pk,
            "indication": "Osteoarthritis",
            "consent_recorded": "on",
            "consent_form_version": "v3",
            "doses-TOTAL_FORMS": total if total is not None else rows,
            "doses-INITIAL_FORMS": 0,
        }
        for index, row in enumerate(_rows(knee, lot, rows)):
            data.update({f"doses-{index}-{key}": value for key, value in row.items()})
        url = reverse("treatments:visit-add") + f"?patient={patient.pk}"
        return client.post(url, data)

    def test_one_row_too_many_is_refused(
        self, client, nurse, clinician, patient, location, knee, lot
    ):
        client.force_login(nurse)
        with assert_nothing_changed():
            response = self._post(
                client,
                patient=patient,
                location=location,
                clinician=clinician,
                knee=knee,
                lot=lot,
                rows=LIMIT + 1,
            )
        assert response.status_code == 200
        assert REFUSAL in response.content.decode()

    def test_a_huge_row_count_builds_no_more_rows_than_the_limit(self):
        formset = DoseFormSet(
            {"doses-TOTAL_FORMS": "100000", "doses-INITIAL_FORMS": "0"},
            prefix="doses",
            form_kwargs={"sites": {}, "lot_choices": []},
        )

        assert len(formset.forms) == LIMIT
        assert not formset.is_valid()
        assert formset.non_form_errors() == [REFUSAL]

    def test_the_limit_itself_is_recorded(
        self, client, nurse, clinician, patient, location, knee, lot
    ):
        client.force_login(nurse)
        response = self._post(
            client,
            patient=patient,
            location=location,
            clinician=clinician,
            knee=knee,
            lot=lot,
            rows=LIMIT,
        )
        assert response.status_code == 302, response.content.decode()[:2000]


def test_the_api_refuses_before_reading_a_row(
    api_client, nurse, clinician, patient, location, knee, lot, django_assert_max_num_queries
):
    login_api(api_client, nurse)
    body = {
        "patient": patient.pk,
        "visited_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
        "location": location.pk,
        "clinician": clinician.pk,
        "indication": "Osteoarthritis",
        "doses": _rows(knee, lot, 5000),
    }
    # The caller's permissions only: none of the 5,000 rows is looked up.
    with assert_nothing_changed(), django_assert_max_num_queries(10):
        response = api_client.post("/api/v1/visits/", body, format="json")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["attr"], error["code"], error["detail"]) == ("doses", "too_many_sites", REFUSAL)


def test_the_service_refuses_before_any_query(
    nurse, clinician, patient, location, knee, lot, django_assert_num_queries
):
    doses = [knee_dose(knee, lot)] * (LIMIT + 1)
    with django_assert_num_queries(0), pytest.raises(ValidationError) as refused:
        record(by=nurse, patient=patient, location=location, clinician=clinician, doses=doses)
    assert refused.value.message_dict == {"doses": [REFUSAL]}
