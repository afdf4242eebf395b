"""/api/v1/visits/ reads each dose's injection points and takes them when a visit is
recorded: stored on the site's diagram with its version, refused (naming the dose, and
with nothing saved, stock included) when they cannot stand on it, and documented in the
OpenAPI schema."""

from decimal import Decimal

import pytest

from apps.injection_maps.models import InjectionPoint
from apps.injection_maps.services import PointInput, injection_map_save
from tests.builders import assert_nothing_changed, login_api, visit_api_body
from tests.factories import DoseFactory

pytestmark = pytest.mark.django_db
VISITS = "/api/v1/visits/"


def _body(*, patient, location, clinician, knee, lot, points) -> dict:
    return visit_api_body(
        patient=patient,
        location=location,
        clinician=clinician,
        doses=[
            {
                "site": knee.pk,
                "laterality": "left",
                "lot": lot.pk,
                "billions": "4",
                "injection_points": points,
            },
            {"site": knee.pk, "laterality": "right", "lot": lot.pk, "billions": "4"},
        ],
    )


def test_points_given_with_a_dose_are_stored_on_its_diagram(
    api_client, nurse, clinician, patient, location, knee, lot
):
    login_api(api_client, nurse)
    points = [{"x": "88", "y": "104.5", "share_percent": 60}, {"x": 116, "y": 98}]
    response = api_client.post(
        VISITS,
        _body(
            patient=patient,
            location=location,
            clinician=clinician,
            knee=knee,
            lot=lot,
            points=points,
        ),
        format="json",
    )
    assert response.status_code == 201, response.content
    left, right = response.json()["doses"]
    assert left["injection_points"] == [
        {"x": "88.0", "y": "104.5", "share_percent": 60},
        {"x": "116.0", "y": "98.0", "share_percent": None},
    ]
    assert right["injection_points"] == []
    stored = InjectionPoint.objects.order_by("id")
    assert [(p.dose_id, p.diagram, p.diagram_version, p.created_by) for p in stored] == [
        (left["id"], "knee", 1, nurse),
        (left["id"], "knee", 1, nurse),
    ]


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ([{"x": 500, "y": 10}], "A point lies outside the diagram; tap inside it."),
        (
            [{"x": 10, "y": 10, "share_percent": 70}, {"x": 20, "y": 20, "share_percent": 40}],
            "The shares add up to 110 %; at most 100 % of the dose.",
        ),
    ],
)
def test_points_that_cannot_stand_refuse_the_whole_visit(
    api_client, nurse, clinician, patient, location, knee, lot, points, message
):
    login_api(api_client, nurse)
    with assert_nothing_changed():
        response = api_client.post(
            VISITS,
            _body(
                patient=patient,
                location=location,
                clinician=clinician,
                knee=knee,
                lot=lot,
                points=points,
            ),
            format="json",
        )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"code": "injection_points_refused", "detail": message, "attr": "doses.0.injection_points"}
    ]
    lot.refresh_from_db()
    assert lot.vials_on_hand == 10


def test_a_shape_error_is_named_by_point(
    api_client, nurse, clinician, patient, location, knee, lot
):
    login_api(api_client, nurse)
    response = api_client.post(
        VISITS,
        _body(
            patient=patient,
            location=location,
            clinician=clinician,
            knee=knee,
            lot=lot,
            points=[{"x": -1, "y": 10}],
        ),
        format="json",
    )
    assert response.status_code == 400
    assert [e["attr"] for e in response.json()["errors"]] == ["doses.0.injection_points.0.x"]


def test_reads_show_only_the_standing_points(api_client, nurse):
    dose = DoseFactory()
    injection_map_save(dose=dose, points=[PointInput(Decimal(10), Decimal(10))], by=nurse)
    injection_map_save(dose=dose, points=[PointInput(Decimal(20), Decimal(30), 100)], by=nurse)
    login_api(api_client, nurse)
    shown = api_client.get(f"{VISITS}{dose.visit_id}/").json()["doses"][0]["injection_points"]
    assert shown == [{"x": "20.0", "y": "30.0", "share_percent": 100}]
    listed = api_client.get(VISITS).json()["results"][0]["doses"][0]["injection_points"]
    assert listed == shown


def test_the_schema_documents_points_read_and_written_with_the_dose(api_client, nurse):
    login_api(api_client, nurse)
    schemas = api_client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    read = schemas["Dose"]["properties"]["injection_points"]
    assert read["readOnly"] is True and read["items"]["$ref"].endswith("/InjectionPoint")
    written = schemas["DoseInput"]["properties"]["injection_points"]
    assert "at most 40 points" in written["description"]
    assert "injection_points" not in schemas["DoseInput"].get("required", [])
    assert set(schemas["InjectionPoint"]["properties"]) == {"x", "y", "share_percent"}
    refusal = schemas["VisitsCreateDosesINDEXInjectionPointsErrorComponent"]["properties"]
    assert "injection_points_refused" in refusal["code"]["enum"]
