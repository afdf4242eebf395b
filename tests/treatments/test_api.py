"""/api/v1/visits/ and /api/v1/treatment-sites/: the same rules as the pages, in the
API's error shape."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.audit.models import AccessLog
from apps.inventory.models import Lot
from apps.treatments.models import TreatmentSite, Visit
from tests.builders import assert_nothing_changed, knee_dose, login_api, record, visit_api_body
from tests.factories import DoseFactory, LotFactory, VisitFactory

pytestmark = pytest.mark.django_db
VISITS = "/api/v1/visits/"
SITES = "/api/v1/treatment-sites/"


_body = visit_api_body


def _attrs(response) -> dict:
    assert response.status_code == 400, response.content
    assert response.json()["type"] == "validation_error"
    return {e["attr"]: (e["code"], e["detail"]) for e in response.json()["errors"]}


def test_nurse_records_a_two_site_visit(api_client, nurse, clinician, patient, location, knee, lot):
    login_api(api_client, nurse)
    response = api_client.post(
        VISITS,
        _body(
            patient=patient,
            location=location,
            clinician=clinician,
            doses=[
                {
                    "site": knee.pk,
                    "laterality": "left",
                    "lot": lot.pk,
                    "billions": "4",
                    "baseline_pain": 7,
                },
                {"site": knee.pk, "laterality": "right", "lot": lot.pk, "billions": "3"},
            ],
        ),
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert [(d["laterality"], d["billions"], d["route"]) for d in body["doses"]] == [
        ("left", "4.00", "intra_articular"),
        ("right", "3.00", "intra_articular"),
    ]
    assert body["doses"][0]["lot_number"] == lot.lot_number
    assert body["vials_opened"][0]["vials"] == 2
    lot.refresh_from_db()
    assert lot.vials_on_hand == 8


def test_bad_input_is_named_field_by_field(api_client, nurse, clinician, patient, location, knee):
    expired = LotFactory(
        expiry_date=datetime.date(2021, 5, 1), received_on=datetime.date(2020, 1, 1)
    )
    login_api(api_client, nurse)
    with assert_nothing_changed():
        unusable = api_client.post(
            VISITS,
            _body(
                patient=patient,
                location=location,
                clinician=clinician,
                doses=[{"site": knee.pk, "laterality": "left", "lot": expired.pk, "billions": "4"}],
            ),
            format="json",
        )
    assert _attrs(unusable) == {
        "doses.0.lot": ("lot_unusable", f"Lot {expired.lot_number} expired on 2021-05-01.")
    }
    with assert_nothing_changed():
        unknown = api_client.post(
            VISITS,
            _body(
                patient=patient,
                location=location,
                clinician=clinician,
                doses=[{"site": 999999, "laterality": "left", "lot": 999999, "billions": "-2"}],
                visited_at=(timezone.now() + datetime.timedelta(days=1)).isoformat(),
            ),
            format="json",
        )
    assert set(_attrs(unknown)) == {"doses.0.site", "doses.0.lot"}
    with assert_nothing_changed():
        future = api_client.post(
            VISITS,
            _body(
                patient=patient,
                location=location,
                clinician=clinician,
                doses=[{"site": knee.pk, "laterality": "left", "lot": expired.pk, "billions": "0"}],
                visited_at=(timezone.now() + datetime.timedelta(days=1)).isoformat(),
            ),
            format="json",
        )
    assert _attrs(future) == {
        "visited_at": ("in_future", "A visit cannot be in the future."),
        "doses.0.billions": ("invalid", "A dose is more than zero billion particles."),
    }
    assert not Visit.objects.exists()


def test_unacknowledged_warnings_are_named_and_a_clinician_acknowledges(
    api_client, nurse, clinician, patient, location, knee, lot
):
    patient.cold_sore_history = True
    patient.save()
    doses = [{"site": knee.pk, "laterality": "left", "lot": lot.pk, "billions": "8"}]
    login_api(api_client, nurse)
    with assert_nothing_changed():
        as_nurse = api_client.post(
            VISITS,
            _body(
                patient=patient,
                location=location,
                clinician=clinician,
                doses=doses,
                acknowledgements=[{"code": "dose_out_of_range", "reason": "fine"}],
            ),
            format="json",
        )
    errors = as_nurse.json()["errors"]
    assert as_nurse.status_code == 400
    assert [(e["attr"], e["code"]) for e in errors] == [
        ("acknowledgements", "dose_out_of_range"),
        ("acknowledgements", "cold_sore_no_prophylaxis"),
    ]
    assert all(
        e["detail"].endswith("or save the visit for sign-off (save_for_sign_off).") for e in errors
    )

    login_api(api_client, clinician)
    partly = api_client.post(
        VISITS,
        _body(
            patient=patient,
            location=location,
            clinician=clinician,
            doses=doses,
            acknowledgements=[{"code": "dose_out_of_range", "reason": "Severe damage"}],
        ),
        format="json",
    )
    assert [e["code"] for e in partly.json()["errors"]] == ["cold_sore_no_prophylaxis"]
    assert not Visit.objects.exists()
    done = api_client.post(
        VISITS,
        _body(
            patient=patient,
            location=location,
            clinician=clinician,
            doses=doses,
            acknowledgements=[
                {"code": "dose_out_of_range", "reason": "Severe damage"},
                {"code": "cold_sore_no_prophylaxis", "reason": "Declined valacyclovir"},
            ],
        ),
        format="json",
    )
    assert done.status_code == 201
    assert {(w["code"], w["reason"]) for w in done.json()["warnings"]} == {
        ("dose_out_of_range", "Severe damage"),
        ("cold_sore_no_prophylaxis", "Declined valacyclovir"),
    }


def test_void_action(api_client, nurse, clinician, manager, patient, location, knee, lot):
    visit = record(
        by=nurse,
        patient=patient,
        location=location,
        clinician=clinician,
        doses=[knee_dose(knee, lot)],
    )
    url = f"{VISITS}{visit.pk}/void/"
    login_api(api_client, nurse)
    with assert_nothing_changed():
        assert api_client.post(url, {"reason": "mistake"}, format="json").status_code == 403
    login_api(api_client, manager)
    with assert_nothing_changed():
        assert _attrs(api_client.post(url, {"reason": ""}, format="json")) == {
            "reason": ("blank", "This field may not be blank.")
        }
    voided = api_client.post(url, {"reason": "Wrong patient"}, format="json")
    assert voided.status_code == 200
    assert voided.json()["void_reason"] == "Wrong patient"
    assert voided.json()["vials_opened"][0]["returned_to_stock"] is True
    with assert_nothing_changed():
        again = api_client.post(url, {"reason": "Twice"}, format="json")
    assert _attrs(again) == {"reason": ("already_voided", "This visit is already voided.")}
    assert Visit.objects.filter(pk=visit.pk).exists()


def test_front_desk_and_outsider_are_refused(api_client, front_desk, outsider, patient):
    visit = VisitFactory(patient=patient)
    for user in (front_desk, outsider):
        login_api(api_client, user)
        assert api_client.get(VISITS).status_code == 403
        assert api_client.get(f"{VISITS}{visit.pk}/").status_code == 403
        with assert_nothing_changed():
            assert api_client.post(VISITS, {}, format="json").status_code == 403
        with assert_nothing_changed():
            assert api_client.post(f"{VISITS}{visit.pk}/void/", {"reason": "x"}).status_code == 403


def test_a_visit_of_a_patient_one_may_not_see_is_404(api_client, clinician, patient):
    visit = VisitFactory(patient=patient)
    login_api(api_client, clinician)
    assert api_client.get(f"{VISITS}{visit.pk + 1000}/").status_code == 404
    assert api_client.get(f"{VISITS}{visit.pk}/").status_code == 200


def test_reading_a_visit_is_logged(api_client, clinician, patient):
    visit = VisitFactory(patient=patient)
    login_api(api_client, clinician)
    api_client.get(f"{VISITS}{visit.pk}/")
    entry = AccessLog.objects.get(subject="visit")
    assert (entry.action, entry.patient_id, entry.object_id) == ("api_read", patient.pk, visit.pk)


def test_list_filters(api_client, clinician, patient):
    lot = LotFactory()
    mine = DoseFactory(visit=VisitFactory(patient=patient), lot=lot).visit
    other = DoseFactory().visit
    login_api(api_client, clinician)

    def ids(**params):
        return [v["id"] for v in api_client.get(VISITS, params).json()["results"]]

    assert ids(patient=patient.pk) == [mine.pk]
    assert ids(lot=lot.pk) == [mine.pk]
    assert ids(clinician=other.clinician_id) == [other.pk]
    assert ids(location=mine.location_id) == [mine.pk]
    today = timezone.localdate().isoformat()
    assert set(ids(date_from=today)) == set()  # the factory's visits were yesterday
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    assert set(ids(date_from=yesterday, date_to=yesterday)) <= {mine.pk, other.pk}


@pytest.mark.parametrize("count", [1, 50])
def test_list_costs_the_same_queries_at_1_and_50_visits(
    api_client, clinician, count, django_assert_num_queries
):
    for _ in range(count):
        DoseFactory(visit=VisitFactory(), lot=LotFactory(vials_received=5))
    login_api(api_client, clinician)
    # user and group permissions (RolePermission), access-log insert, count, visits
    # (+ patient, location, clinician), doses (+ site, lot, product, maker), warnings,
    # vials opened, the doses' injection points.
    with django_assert_num_queries(9):
        response = api_client.get(VISITS)
    assert response.json()["count"] == count


# --- Site catalogue ---------------------------------------------------------------


def test_manager_writes_the_catalogue_and_nurses_read_it(api_client, manager, nurse, knee):
    login_api(api_client, nurse)
    assert [s["name"] for s in api_client.get(SITES).json()["results"]] == ["Knee"]
    with assert_nothing_changed():
        assert api_client.patch(f"{SITES}{knee.pk}/", {"active": False}).status_code == 403
    login_api(api_client, manager)
    created = api_client.post(
        SITES,
        {
            "name": "Gums",
            "category": "dental",
            "dose_min_billions": "0.5",
            "dose_max_billions": "1.5",
            "default_route": "submucosal",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    with assert_nothing_changed():
        bad = api_client.patch(f"{SITES}{knee.pk}/", {"dose_min_billions": "9"}, format="json")
    assert _attrs(bad) == {
        "dose_max_billions": ("invalid", "The highest usual dose is below the lowest.")
    }
    retired = api_client.patch(f"{SITES}{knee.pk}/", {"active": False}, format="json")
    assert retired.json()["active"] is False
    knee.refresh_from_db()
    assert knee.dose_min_billions == Decimal("3") and not knee.active
    # Sites are retired, never deleted: no role holds the delete permission.
    with assert_nothing_changed():
        assert api_client.delete(f"{SITES}{knee.pk}/").status_code == 403
    assert TreatmentSite.objects.count() == 2


def test_error_bodies_match_the_published_schema(
    api_client, clinician, patient, location, knee, lot
):
    """The rule errors (warning codes, lot problems named by dose row) are documented."""
    import jsonschema

    login_api(api_client, clinician)
    schema = api_client.get("/api/schema/", {"format": "json"}).json()

    def as_json_schema(node):
        # OpenAPI 3.0 says `nullable: true` where JSON Schema lists "null" among the types.
        if isinstance(node, list):
            return [as_json_schema(item) for item in node]
        if not isinstance(node, dict):
            return node
        node = {key: as_json_schema(value) for key, value in node.items()}
        if node.pop("nullable", False) and "type" in node:
            node["type"] = [node["type"], "null"]
        return node

    def check(response, path: str, method: str) -> None:
        documented = schema["paths"][path][method]["responses"][str(response.status_code)]
        body_schema = documented["content"]["application/json"]["schema"]
        jsonschema.validate(
            response.json(), as_json_schema({**body_schema, "components": schema["components"]})
        )

    Lot.objects.filter(pk=lot.pk).update(status="recalled")
    with assert_nothing_changed():
        recalled = api_client.post(
            VISITS,
            _body(
                patient=patient,
                location=location,
                clinician=clinician,
                doses=[
                    {"site": knee.pk, "laterality": "left", "lot": lot.pk, "billions": "4"},
                    {"site": knee.pk, "lot": 999999, "billions": "4"},
                ],
            ),
            format="json",
        )
    assert set(_attrs(recalled)) == {"doses.1.lot"}
    check(recalled, "/api/v1/visits/", "post")
    with assert_nothing_changed():
        recalled_again = api_client.post(
            VISITS,
            _body(
                patient=patient,
                location=location,
                clinician=clinician,
                doses=[{"site": knee.pk, "laterality": "left", "lot": lot.pk, "billions": "4"}],
            ),
            format="json",
        )
    assert _attrs(recalled_again)["doses.0.lot"][0] == "lot_unusable"
    check(recalled_again, "/api/v1/visits/", "post")

    Lot.objects.filter(pk=lot.pk).update(status="available")
    over = api_client.post(
        VISITS,
        _body(
            patient=patient,
            location=location,
            clinician=clinician,
            doses=[{"site": knee.pk, "laterality": "left", "lot": lot.pk, "billions": "9"}],
        ),
        format="json",
    )
    check(over, "/api/v1/visits/", "post")
    visit = record(
        by=clinician,
        patient=patient,
        location=location,
        clinician=clinician,
        doses=[knee_dose(knee, lot)],
    )
    api_client.post(f"{VISITS}{visit.pk}/void/", {"reason": "Wrong patient"}, format="json")
    twice = api_client.post(f"{VISITS}{visit.pk}/void/", {"reason": "Again"}, format="json")
    check(twice, "/api/v1/visits/{id}/void/", "post")
    check(api_client.get(f"{VISITS}{visit.pk}/"), "/api/v1/visits/{id}/", "get")


def test_visits_are_sent_as_json(api_client, nurse):
    login_api(api_client, nurse)
    with assert_nothing_changed():
        response = api_client.post(
            VISITS, "indication=Knee&doses=x", content_type="application/x-www-form-urlencoded"
        )
    assert response.status_code == 415
    assert response.json()["type"] == "client_error"


def test_a_visit_without_a_recorded_consent_needs_a_clinicians_reason(
    api_client, clinician, patient, location, knee, lot
):
    doses = [{"site": knee.pk, "laterality": "left", "lot": lot.pk, "billions": "4"}]
    body = _body(patient=patient, location=location, clinician=clinician, doses=doses)
    body["consent_recorded"] = False
    del body["consent_form_version"]
    login_api(api_client, clinician)
    with assert_nothing_changed():
        refused = api_client.post(VISITS, body, format="json")
    assert _attrs(refused) == {
        "acknowledgements": (
            "no_consent_recorded",
            refused.json()["errors"][0]["detail"],
        )
    }
    assert "No consent is recorded" in refused.json()["errors"][0]["detail"]
    body["acknowledgements"] = [{"code": "no_consent_recorded", "reason": "Verbal, witnessed"}]
    assert api_client.post(VISITS, body, format="json").status_code == 201
