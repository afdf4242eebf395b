import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.audit.models import AccessLog
from apps.injection_maps.diagrams import diagram_for_site
from apps.injection_maps.models import InjectionPoint
from apps.injection_maps.services import PointInput, injection_map_save
from tests.factories import DoseFactory, TreatmentSiteFactory


@pytest.fixture
def dose(db):
    return DoseFactory()  # a left knee


def test_each_site_gets_its_diagram(db):
    assert diagram_for_site(TreatmentSiteFactory(name="Knee")).key == "knee"
    assert diagram_for_site(TreatmentSiteFactory(name="Hand tendon (single)")).key == "hands"
    assert diagram_for_site(TreatmentSiteFactory(name="Scalp", category="scalp")).key == "face"
    assert diagram_for_site(TreatmentSiteFactory(name="Hip")).key == "body_front"


def test_points_are_stored_with_the_diagram_and_its_version(dose, nurse):
    points = injection_map_save(
        dose=dose,
        points=[
            PointInput(Decimal("80.5"), Decimal("100"), 60),
            PointInput(Decimal("120"), Decimal("110")),
        ],
        by=nurse,
    )
    assert [(p.diagram, p.diagram_version, p.share_percent) for p in points] == [
        ("knee", 1, 60),
        ("knee", 1, None),
    ]


def test_redrawing_voids_the_earlier_points(dose, nurse):
    injection_map_save(dose=dose, points=[PointInput(Decimal(10), Decimal(10))], by=nurse)
    injection_map_save(dose=dose, points=[PointInput(Decimal(20), Decimal(20))], by=nurse)
    standing = InjectionPoint.objects.filter(voided_at__isnull=True)
    assert [(p.x, p.y) for p in standing] == [(Decimal(20), Decimal(20))]
    assert InjectionPoint.objects.count() == 2


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ([PointInput(Decimal(500), Decimal(10))], "outside the diagram"),
        ([PointInput(Decimal(10), Decimal(10), 0)], "from 1 to 100"),
        (
            [PointInput(Decimal(10), Decimal(10), 70), PointInput(Decimal(20), Decimal(20), 40)],
            "110 %",
        ),
    ],
)
def test_bad_points_are_refused_and_nothing_changes(dose, nurse, points, message):
    with pytest.raises(ValidationError, match=message):
        injection_map_save(dose=dose, points=points, by=nurse)
    assert not InjectionPoint.objects.exists()


def test_tapped_points_are_drawn_back_on_the_visit_page_in_constant_queries(
    client, nurse, dose, django_assert_num_queries
):
    client.force_login(nurse)
    url = reverse("injection_maps:edit", args=[dose.visit_id])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            f"points-{dose.pk}": json.dumps(
                [{"x": 50, "y": 60, "share_percent": 30}, {"x": 70.25, "y": 80}]
            )
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("treatments:visit-detail", args=[dose.visit_id])).content.decode()
    assert '<circle cx="50.0" cy="60.0"' in page and '<circle cx="70.3" cy="80.0"' in page
    printed = client.get(reverse("injection_maps:print", args=[dose.visit_id]))
    assert "30 %" in printed.content.decode()
    assert AccessLog.objects.filter(subject="injection-map").count() == 1
    # The print view: session, user, permissions (2), the visit with its doses and
    # warnings (3), history context with the access-log insert (1), the map's doses and
    # their points (2), roles for the header (1): the same for one point
    # or forty.
    client.get(reverse("injection_maps:print", args=[dose.visit_id]))
    with django_assert_num_queries(11) as captured:
        client.get(reverse("injection_maps:print", args=[dose.visit_id]))
    injection_map_save(
        dose=dose, points=[PointInput(Decimal(i), Decimal(i)) for i in range(1, 41)], by=nurse
    )
    with django_assert_num_queries(len(captured)):
        client.get(reverse("injection_maps:print", args=[dose.visit_id]))


@pytest.mark.parametrize("points", ["{not json", "[" * 5000 + "]" * 5000, "[]" * 20_000])
def test_unreadable_points_are_refused_on_the_page(client, nurse, dose, points):
    client.force_login(nurse)
    response = client.post(
        reverse("injection_maps:edit", args=[dose.visit_id]), {f"points-{dose.pk}": points}
    )
    assert response.status_code == 400
    assert "The points could not be read" in response.content.decode()
    assert not InjectionPoint.objects.exists()


def test_front_desk_sees_no_map(client, front_desk, dose):
    client.force_login(front_desk)
    assert client.get(reverse("injection_maps:print", args=[dose.visit_id])).status_code == 403


def test_the_api_reads_and_replaces_a_doses_points(api_client, nurse, front_desk, dose):
    from tests.builders import login_api

    url = f"/api/v1/injection-maps/{dose.pk}/"
    login_api(api_client, nurse)
    written = api_client.put(
        url,
        {"points": [{"x": "88", "y": "104.5", "share_percent": 60}, {"x": 116, "y": 98}]},
        format="json",
    )
    assert written.status_code == 200, written.json()
    body = api_client.get(url).json()
    assert body["diagram"] == "knee" and body["diagram_version"] == 1
    assert body["points"] == [
        {"x": "88.0", "y": "104.5", "share_percent": 60},
        {"x": "116.0", "y": "98.0", "share_percent": None},
    ]
    refused = api_client.put(url, {"points": [{"x": 999, "y": 10}]}, format="json")
    assert refused.status_code == 400
    assert "outside the diagram" in str(refused.json())
    assert AccessLog.objects.filter(subject="injection-map", action="api_read").count() == 1
    login_api(api_client, front_desk)
    assert api_client.get(url).status_code == 403


def test_the_api_lists_a_visits_maps(api_client, nurse, dose):
    from tests.builders import login_api

    other = DoseFactory(visit=dose.visit, lot=dose.lot, laterality="right")
    injection_map_save(dose=other, points=[PointInput(Decimal(5), Decimal(6))], by=nurse)
    login_api(api_client, nurse)
    body = api_client.get("/api/v1/injection-maps/", {"visit": dose.visit_id}).json()
    assert [(m["dose"], len(m["points"])) for m in body["results"]] == [(dose.pk, 0), (other.pk, 1)]
    assert api_client.get("/api/v1/injection-maps/", {"visit": "x"}).status_code == 400
