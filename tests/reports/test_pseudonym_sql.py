"""The SQL pseudonym (built-in sha256, RFC 2104 padding) matches Python's hmac for keys
shorter and longer than SHA-256's block."""

import pytest
from django.db import connection
from psycopg import sql

from apps.reports.sql import PSEUDONYM_JOIN, date_shift, hmac_pads, patient_reference


@pytest.mark.parametrize("key", ["short key", "k" * 64, "a longer key than one block " * 4])
def test_sql_reference_and_shift_match_python(settings, db, key):
    settings.REPORTS_PSEUDONYM_KEY = key
    query = sql.SQL(
        "SELECT p.id, pseudonym.reference, pseudonym.days "
        "FROM (SELECT unnest(ARRAY[1, 42, 987654]) AS id) p {}"
    ).format(PSEUDONYM_JOIN)
    with connection.cursor() as cursor:
        cursor.execute(query.as_string(cursor.connection), {**hmac_pads(), "shift_days": 30})
        rows = cursor.fetchall()
    assert rows == [(i, patient_reference(i), date_shift(i, 30)) for i in (1, 42, 987654)]
