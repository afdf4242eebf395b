"""Rows of the patients a user may open (of_visible_patients): every row for a role that
opens patients, voided patients' rows only when asked, nothing for a user without the
right; and the patients' table is not joined to find them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.patients.selectors import of_visible_patients
from apps.patients.services import patient_void
from apps.treatments.models import Visit
from tests.factories import VisitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def visits(manager):
    kept, voided = VisitFactory(), VisitFactory()
    patient_void(by=manager, patient=voided.patient, reason="Registered twice by mistake")
    return kept, voided


def test_voided_patients_rows_are_kept_unless_left_out(clinician, visits):
    kept, voided = visits
    assert set(of_visible_patients(Visit.objects.all(), clinician)) == {kept, voided}
    current = of_visible_patients(Visit.objects.all(), clinician, include_voided=False)
    assert list(current) == [kept]


def test_a_user_who_may_not_open_patients_gets_none(outsider, visits):
    assert not of_visible_patients(Visit.objects.all(), outsider).exists()
    assert not of_visible_patients(Visit.objects.all(), outsider, include_voided=False).exists()


def test_the_patients_are_not_joined(clinician, visits):
    with CaptureQueriesContext(connection) as every:
        list(of_visible_patients(Visit.objects.all(), clinician))
    with CaptureQueriesContext(connection) as current:
        list(of_visible_patients(Visit.objects.all(), clinician, include_voided=False))
    assert "patients_patient" not in every.captured_queries[0]["sql"]
    assert "JOIN" not in current.captured_queries[0]["sql"]
    assert "NOT (" in current.captured_queries[0]["sql"]
