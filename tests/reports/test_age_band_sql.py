"""The exports' age band counts whole years as age() does (reports_age_years, which the
episodes keep too): birthdays on 29 February, the day before and of a birthday, band
edges, the first and last days of the calendar."""

import datetime

import pytest
from django.db import connection
from psycopg import sql

from apps.reports.sql import patient_columns

D = datetime.date
CASES = [
    (D(1980, 2, 29), D(2025, 2, 28)),  # 44: the birthday falls on 1 March this year
    (D(1980, 2, 29), D(2025, 3, 1)),
    (D(1980, 2, 29), D(2024, 2, 29)),
    (D(1981, 6, 15), D(2026, 6, 14)),  # a day short of 45
    (D(1981, 6, 15), D(2026, 6, 15)),
    (D(2026, 1, 1), D(2026, 12, 31)),
    (D(1, 1, 1), D(120, 12, 31)),
    (D(1900, 12, 31), D(9999, 12, 31)),  # past the last band: no band
]


def _python_band(born: datetime.date, on: datetime.date) -> str | None:
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    start = years // 5 * 5
    return f"{start}-{start + 4}" if years < 200 else None


@pytest.mark.parametrize(("born", "on"), CASES)
def test_the_band_is_the_one_age_gives(db, born, on):
    (band,) = (
        c
        for c in patient_columns(identified=False, age_years="reports_age_years(%(born)s, %(on)s)")
        if c.name == "age_band"
    )
    query = sql.SQL(
        "SELECT {band}, (floor(extract(year FROM age(%(on)s, %(born)s)) / 5) * 5)::int"
    ).format(band=band.expression)
    with connection.cursor() as cursor:
        cursor.execute(query.as_string(cursor.connection), {"born": born, "on": on})
        shown, by_age = cursor.fetchone()
    assert shown == _python_band(born, on)
    if shown is not None:
        assert shown.startswith(f"{by_age}-")
