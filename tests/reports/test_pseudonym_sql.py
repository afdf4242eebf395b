"""The SQL pseudonym (built-in sha256, RFC 2104 padding) matches Python's hmac for keys
shorter and longer than SHA-256's block."""

import pytest
from django.db import connection
from psycopg import sql

from apps.reports.sql import date_shift, exported_patients, hmac_pads, patient_reference
from tests.factories import PatientFactory


@pytest.mark.parametrize("once", [False, True], ids=["on each row", "once per patient"])
@pytest.mark.parametrize("key", ["short key", "k" * 64, "a longer key than one block " * 4])
def test_sql_reference_and_shift_match_python(settings, db, key, once):
    settings.REPORTS_PSEUDONYM_KEY = key
    ids = [PatientFactory().pk for _ in range(3)]
    query = sql.SQL(
        "SELECT p.id, p.reference, p.days FROM {} WHERE p.id = ANY(%(ids)s) ORDER BY p.id"
    ).format(exported_patients(once=once))
    with connection.cursor() as cursor:
        cursor.execute(
            query.as_string(cursor.connection), {**hmac_pads(), "shift_days": 30, "ids": ids}
        )
        rows = cursor.fetchall()
    assert rows == [(i, patient_reference(i), date_shift(i, 30)) for i in ids]
