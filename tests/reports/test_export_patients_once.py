"""An export with more rows than the clinic has patients works each patient's reference
out once; a smaller one on each row. Both write the same file."""

import pytest
from django.db import connection

from apps.reports.exports import EXPORTS, ExportOptions, export_query
from apps.reports.filters import ReportFilters
from exotrack.csv_export import copy_csv_chunks

pytestmark = pytest.mark.django_db


def _file(query, params, name: str, options: ExportOptions) -> bytes:
    return b"".join(copy_csv_chunks(query, params, header=EXPORTS[name].header(options)))


def _patients_counted_as(count: int) -> None:
    # What ANALYZE would record for a clinic of that size.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE pg_class SET reltuples = %s WHERE oid = 'patients_patient'::regclass", [count]
        )


@pytest.mark.parametrize("name", sorted(EXPORTS))
@pytest.mark.parametrize(
    "options",
    [ExportOptions(), ExportOptions(identified=True), ExportOptions(shift_days=30)],
    ids=["de-identified", "identified", "shifted"],
)
def test_both_ways_write_the_same_file(known_clinic, name, options):
    export, filters = EXPORTS[name], ReportFilters()
    each_row = export.query(filters, options, patients_once=False)
    once = export.query(filters, options, patients_once=True)
    assert "OFFSET 0) p" in once[0].as_string(connection.connection)
    written = _file(*each_row, name, options)
    assert written.count(b"\r\n") > 1
    assert sorted(written.split(b"\r\n")) == sorted(_file(*once, name, options).split(b"\r\n"))


def test_the_way_follows_the_rows_expected_against_the_patients(known_clinic):
    export, filters, options = EXPORTS["outcomes"], ReportFilters(), ExportOptions()
    connection.ensure_connection()

    _patients_counted_as(0)
    query, _ = export_query(export, filters, options)
    assert "OFFSET 0) p" in query.as_string(connection.connection)

    _patients_counted_as(1_000_000)
    query, _ = export_query(export, filters, options)
    assert "OFFSET 0) p" not in query.as_string(connection.connection)
