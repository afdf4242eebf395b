"""An export with more rows than the clinic has patients works each patient's reference
out once; a smaller one on each row. The outcomes export reads visit days and ages from
the episodes while they are in the settings' time zone, else from each visit's time.
Every way writes the same file."""

import itertools

import pytest
from django.db import connection

from apps.reports.episodes import rebuild_episodes
from apps.reports.exports import EXPORTS, ExportOptions, Plan, export_query
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
def test_every_way_writes_the_same_file(known_clinic, name, options):
    export, filters = EXPORTS[name], ReportFilters()
    plans = [Plan(patients_once=o, stored_days=s) for o, s in itertools.product([0, 1], [0, 1])]
    files = [_file(*export.query(filters, options, plan), name, options) for plan in plans]
    assert "OFFSET 0) p" in export.query(filters, options, plans[-1])[0].as_string(
        connection.connection
    )
    assert files[0].count(b"\r\n") > 1
    for written in files[1:]:
        assert sorted(written.split(b"\r\n")) == sorted(files[0].split(b"\r\n"))


def test_the_way_follows_the_rows_expected_against_the_patients(known_clinic):
    export, filters, options = EXPORTS["outcomes"], ReportFilters(), ExportOptions()
    connection.ensure_connection()

    _patients_counted_as(0)
    query, _ = export_query(export, filters, options)
    assert "OFFSET 0) p" in query.as_string(connection.connection)

    _patients_counted_as(1_000_000)
    query, _ = export_query(export, filters, options)
    assert "OFFSET 0) p" not in query.as_string(connection.connection)


def test_visit_days_come_from_the_episodes_only_in_the_zone_they_were_built_in(
    known_clinic, settings
):
    export, filters, options = EXPORTS["outcomes"], ReportFilters(), ExportOptions()
    connection.ensure_connection()

    def reads_stored_days() -> bool:
        query, _ = export_query(export, filters, options)
        return "SELECT e.visit_on, e.age_years" in query.as_string(connection.connection)

    assert reads_stored_days()
    settings.TIME_ZONE = "Asia/Tokyo"
    assert not reads_stored_days()
    rebuild_episodes()
    assert reads_stored_days()
