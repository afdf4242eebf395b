"""/api/v1/adverse-events/: the same rules as the pages, role checks, dose ids in and
out, MedWatch JSON, access log, constant query counts."""

import pytest
from django.urls import reverse

from apps.audit.models import AccessLog
from apps.safety.models import AdverseEvent
from tests.builders import assert_nothing_changed, login_api
from tests.factories import DoseFactory, LotFactory, PatientFactory, VisitFactory
from tests.safety import adverse_event_data
from tests.safety.adverse_event_data import (
    SERIOUS,
    cold_sore_and_serious_infection,
    days_ago,
    record_event,
)

event_types = adverse_event_data.event_types
treated_visit = adverse_event_data.treated_visit

LIST = "/api/v1/adverse-events/"


def _detail(event) -> str:
    return f"{LIST}{event.pk}/"


def _new(visit, **extra) -> dict:
    body = {
        "patient": visit.patient_id,
        "visit": visit.pk,
        "doses": [visit.doses.order_by("id").first().pk],
        "event_type": "cold_sore",
        "onset_date": days_ago(2).isoformat(),
        "grade": 1,
    }
    body.update(extra)
    return body


def test_a_nurse_records_a_cold_sore_with_dose_ids_in_and_out(
    api_client, nurse, treated_visit, event_types
):
    login_api(api_client, nurse)
    dose_ids = list(treated_visit.doses.order_by("id").values_list("pk", flat=True))

    response = api_client.post(
        LIST, _new(treated_visit, doses=dose_ids, action_taken="valacyclovir"), format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["doses"] == dose_ids and body["lot_numbers"] == ["KNEE-1", "FACE-1"]
    assert body["event_type"] == "cold_sore" and body["serious"] is False
    assert body["patient_mrn"] == treated_visit.patient.mrn
    assert AdverseEvent.objects.get().created_by == nurse


@pytest.mark.parametrize(
    ("extra", "attr", "code"),
    [
        ({"onset_date": days_ago(5).isoformat()}, "onset_date", "before_visit"),
        ({"resolution_date": days_ago(3).isoformat()}, "resolution_date", "before_onset"),
        ({"grade": 5}, "grade", "grade_5_not_fatal"),
        ({**SERIOUS, "narrative": ""}, "narrative", "narrative_required"),
        ({"event_type": "other"}, "description", "description_required"),
        ({"doses": [999999]}, "doses", "not_of_visit"),
        ({"onset_date": days_ago(-1).isoformat()}, "onset_date", "in_future"),
        ({"resolution_date": days_ago(-1).isoformat()}, "resolution_date", "in_future"),
        ({"outcome": "fatal"}, "outcome", "fatal_not_grade_5"),
        (
            {"outcome": "fatal", "grade": 5, "narrative": "Died."},
            "seriousness",
            "fatal_not_serious",
        ),
        ({"fda_reference": "MW-1"}, "reported_to_fda_on", "reference_without_date"),
        ({"weight_kg": "0"}, "weight_kg", "invalid_weight"),
    ],
)
def test_each_rule_is_a_field_error_and_nothing_is_saved(
    api_client, clinician, treated_visit, event_types, extra, attr, code
):
    login_api(api_client, clinician)

    with assert_nothing_changed():
        response = api_client.post(LIST, _new(treated_visit, **extra), format="json")

    assert response.status_code == 400
    assert {"attr": attr, "code": code} in [
        {"attr": e["attr"], "code": e["code"]} for e in response.json()["errors"]
    ]
    assert not AdverseEvent.objects.exists()


def test_a_visit_of_another_patient_is_refused(api_client, clinician, treated_visit, event_types):
    login_api(api_client, clinician)
    another = PatientFactory()
    with assert_nothing_changed():
        response = api_client.post(LIST, _new(treated_visit, patient=another.pk), format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "visit"


def test_front_desk_can_neither_list_nor_read_nor_record(
    api_client, front_desk, clinician, treated_visit, event_types
):
    event = record_event(by=clinician, visit=treated_visit, event_type=event_types["cold_sore"])
    login_api(api_client, front_desk)

    assert api_client.get(LIST).status_code == 403
    assert api_client.get(_detail(event)).status_code == 403
    assert api_client.get(f"{_detail(event)}medwatch/").status_code == 403
    with assert_nothing_changed():
        assert api_client.post(LIST, _new(treated_visit), format="json").status_code == 403


def test_a_nurse_may_not_correct_or_void(api_client, nurse, clinician, treated_visit, event_types):
    event = record_event(by=clinician, visit=treated_visit, event_type=event_types["cold_sore"])
    login_api(api_client, nurse)

    with assert_nothing_changed():
        assert api_client.patch(_detail(event), {"grade": 2}, format="json").status_code == 403
    with assert_nothing_changed():
        response = api_client.post(f"{_detail(event)}void/", {"reason": "wrong"}, format="json")
    assert response.status_code == 403


def test_an_unknown_event_is_404(api_client, clinician, db):
    login_api(api_client, clinician)
    assert api_client.get(f"{LIST}999999/").status_code == 404


def test_a_clinician_corrects_then_voids(api_client, clinician, treated_visit, event_types):
    event = record_event(by=clinician, visit=treated_visit, event_type=event_types["cold_sore"])
    login_api(api_client, clinician)
    face = treated_visit.doses.order_by("id").last()

    response = api_client.patch(
        _detail(event),
        {"doses": [face.pk], "resolution_date": days_ago(0).isoformat(), "outcome": "recovered"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["doses"] == [face.pk]
    assert response.json()["outcome"] == "recovered"

    with assert_nothing_changed():
        refused = api_client.patch(_detail(event), {"grade": 5}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["code"] == "grade_5_not_fatal"

    with assert_nothing_changed():
        assert api_client.post(f"{_detail(event)}void/", {}, format="json").status_code == 400
    voided = api_client.post(f"{_detail(event)}void/", {"reason": "Recorded twice"}, format="json")
    assert voided.status_code == 200 and voided.json()["void_reason"] == "Recorded twice"
    with assert_nothing_changed():
        again = api_client.patch(_detail(event), {"grade": 2}, format="json")
    assert again.status_code == 400 and again.json()["errors"][0]["code"] == "voided"


def test_filters_by_lot_serious_grade_type_and_onset(
    api_client, clinician, treated_visit, event_types
):
    cold_sore, infection = cold_sore_and_serious_infection(clinician, treated_visit, event_types)
    knee = treated_visit.doses.order_by("id").first()
    login_api(api_client, clinician)

    def ids(**params) -> list[int]:
        return [row["id"] for row in api_client.get(LIST, params).json()["results"]]

    assert ids(lot=knee.lot_id) == [infection.pk]
    assert ids(serious="true") == [infection.pk]
    assert ids(serious="false") == [cold_sore.pk]
    assert ids(grade=1) == [cold_sore.pk]
    assert ids(event_type="cold_sore") == [cold_sore.pk]
    assert ids(onset_from=days_ago(1).isoformat()) == [infection.pk]
    assert ids(onset_to=days_ago(2).isoformat()) == [cold_sore.pk]
    assert ids(patient=treated_visit.patient_id, visit=treated_visit.pk) == [
        infection.pk,
        cold_sore.pk,
    ]


@pytest.mark.parametrize("count", [1, 30])
def test_list_costs_the_same_queries_at_1_and_30_events(
    api_client, clinician, event_types, count, django_assert_num_queries
):
    for _ in range(count):
        visit = VisitFactory()
        DoseFactory(visit=visit, lot=LotFactory())
        record_event(
            by=clinician, visit=visit, event_type=event_types["cold_sore"], onset_date=days_ago(0)
        )
    login_api(api_client, clinician)
    # user and group permissions (RolePermission), access-log insert, count, the page of
    # events (+ patient, visit, type, users), their doses (+ site, lot, product, maker).
    with django_assert_num_queries(6):
        response = api_client.get(LIST)
    assert response.json()["count"] == count


def test_reads_and_medwatch_are_access_logged(api_client, clinician, treated_visit, event_types):
    event = record_event(by=clinician, visit=treated_visit, event_type=event_types["cold_sore"])
    login_api(api_client, clinician)

    api_client.get(_detail(event))
    medwatch = api_client.get(f"{_detail(event)}medwatch/")

    assert medwatch.status_code == 200
    body = medwatch.json()
    assert body["a_patient"]["identifier"] == treated_visit.patient.mrn
    assert treated_visit.patient.last_name not in medwatch.content.decode()
    assert [p["lot_number"] for p in body["c_products"]["suspect"]] == ["KNEE-1"]
    assert [p["lot_number"] for p in body["c_products"]["concomitant"]] == ["FACE-1"]
    logged = AccessLog.objects.filter(patient_id=treated_visit.patient_id)
    assert set(logged.values_list("action", "subject")) == {
        ("api_read", "adverse-event"),
        ("export", "export:medwatch-api"),
    }


def test_the_schema_documents_the_endpoints(client, clinician):
    client.force_login(clinician)
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    assert {"/api/v1/adverse-events/", "/api/v1/adverse-events/{id}/medwatch/"} <= set(
        schema["paths"]
    )
