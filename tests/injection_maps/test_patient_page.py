"""The patient page draws back the injection maps of the latest visits that have one, in
a constant number of queries, and leaves voided visits and voided points out."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from apps.injection_maps.sections import patient_maps_section
from apps.injection_maps.selectors import PATIENT_PAGE_VISITS, patient_injection_maps
from apps.injection_maps.services import PointInput, injection_map_save
from apps.treatments.services import visit_void
from tests.factories import DoseFactory, PatientFactory, VisitFactory


@pytest.fixture
def patient(db):
    return PatientFactory()


def _marked(patient, nurse, *, days_ago: int, points: int = 2):
    visit = VisitFactory(
        patient=patient, visited_at=timezone.now() - datetime.timedelta(days=days_ago)
    )
    dose = DoseFactory(visit=visit)
    injection_map_save(
        dose=dose,
        points=[PointInput(Decimal(60 + 10 * i), Decimal(100), None) for i in range(points)],
        by=nurse,
    )
    return dose


def test_the_patient_page_draws_the_points_newest_visit_first(client, clinician, nurse, patient):
    older = _marked(patient, nurse, days_ago=40, points=1)
    newer = _marked(patient, nurse, days_ago=5, points=3)
    DoseFactory(visit=VisitFactory(patient=patient))  # no map: not shown
    assert [row.visit.pk for row in patient_injection_maps(patient=patient)] == [
        newer.visit_id,
        older.visit_id,
    ]
    client.force_login(clinician)
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    assertContains(response, 'id="patient-injection-maps"')
    section = response.content.decode().split('id="patient-injection-maps"')[1]
    assert section.count("<circle") == 4
    assert section.index(f"/treatments/visits/{newer.visit_id}/") < section.index(
        f"/treatments/visits/{older.visit_id}/"
    )
    assertContains(response, reverse("injection_maps:print", args=[newer.visit_id]))


def test_voided_visits_and_redrawn_points_are_left_out(clinician, nurse, patient):
    kept = _marked(patient, nurse, days_ago=3, points=3)
    injection_map_save(dose=kept, points=[PointInput(Decimal(50), Decimal(50))], by=nurse)
    mistaken = _marked(patient, nurse, days_ago=2)
    visit_void(visit=mistaken.visit, by=clinician, reason="Wrong patient")
    shown = patient_injection_maps(patient=patient)
    assert [row.visit.pk for row in shown] == [kept.visit_id]
    assert [(p.x, p.y) for p in shown[0].maps[0].points] == [(Decimal(50), Decimal(50))]


def test_front_desk_sees_no_maps(client, front_desk, nurse, patient):
    _marked(patient, nurse, days_ago=3)
    client.force_login(front_desk)
    assertNotContains(client.get(reverse("patients:detail", args=[patient.pk])), "Injection maps")


@pytest.mark.parametrize("visits", [1, PATIENT_PAGE_VISITS + 3])
def test_the_section_costs_two_queries_and_shows_the_latest_visits(
    clinician, nurse, patient, visits, django_assert_num_queries
):
    for days_ago in range(visits):
        _marked(patient, nurse, days_ago=days_ago + 1)
    # The doses of the latest visits with points (visit filter as a subquery), their points.
    with django_assert_num_queries(2):
        loaded = patient_maps_section(user=clinician, patient=patient)
    assert len(loaded["visits"]) == min(visits, PATIENT_PAGE_VISITS)
