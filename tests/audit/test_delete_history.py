import pytest
from django.db import connection

from apps.patients.models import Medication
from tests.factories import MedicationFactory


@pytest.mark.django_db
def test_a_row_deleted_in_raw_sql_leaves_its_last_state_in_history():
    medication = MedicationFactory(name="Levothyroxine")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM patients_medication WHERE id = %s", [medication.pk])
    events = Medication.pgh_event_model.objects.filter(pgh_obj_id=medication.pk)
    assert list(events.order_by("pgh_id").values_list("pgh_label", flat=True)) == [
        "insert",
        "delete",
    ]
    assert events.get(pgh_label="delete").name == "Levothyroxine"
