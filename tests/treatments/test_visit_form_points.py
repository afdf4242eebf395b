"""Injection points tapped on the visit form itself: stored with the visit, in its
transaction; points that cannot be read or cannot stand refuse the visit, saving nothing."""

import json

import pytest
from django.urls import reverse

from apps.injection_maps.models import InjectionPoint
from apps.treatments.models import Visit
from tests.builders import assert_nothing_changed, visit_form_data

pytestmark = pytest.mark.django_db


def _form(location, clinician, knee, lot, points: str) -> dict:
    dose = {
        "site": knee.pk,
        "laterality": "left",
        "lot": lot.pk,
        "billions": "4",
        "injection_points": points,
    }
    return visit_form_data(location=location, clinician=clinician, dose=dose)


def test_points_tapped_on_the_form_are_stored_with_the_visit(
    client, clinician, patient, location, knee, lot
):
    client.force_login(clinician)
    page = client.get(f"{reverse('treatments:visit-add')}?patient={patient.pk}")
    assert b'id="diagram-knee"' in page.content and b"data-map-slot" in page.content
    points = [{"x": 100, "y": 120.5, "share_percent": 60}, {"x": 90, "y": 100}]
    response = client.post(
        f"{reverse('treatments:visit-add')}?patient={patient.pk}",
        _form(location, clinician, knee, lot, json.dumps(points)),
    )
    assert response.status_code == 302
    dose = Visit.objects.get().doses.get()
    stored = InjectionPoint.objects.filter(dose=dose).order_by("id")
    assert [(p.diagram, float(p.x), float(p.y), p.share_percent) for p in stored] == [
        ("knee", 100.0, 120.5, 60),
        ("knee", 90.0, 100.0, None),
    ]


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ("[" * 5000 + "]" * 5000, "could not be read"),
        ("not json", "could not be read"),
        (json.dumps([{"x": 5000, "y": 10}]), "outside the diagram"),
        (json.dumps([{"x": 10, "y": 10, "share_percent": 70}] * 2), "add up to 140"),
    ],
)
def test_points_that_cannot_stand_refuse_the_visit(
    client, clinician, patient, location, knee, lot, points, message
):
    client.force_login(clinician)
    with assert_nothing_changed():
        response = client.post(
            f"{reverse('treatments:visit-add')}?patient={patient.pk}",
            _form(location, clinician, knee, lot, points),
        )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Visit.objects.exists()
