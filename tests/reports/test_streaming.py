"""Exports stream: nothing is held in memory, the first rows leave before the query has
finished, and the COPY's own connection goes away with the response."""

import codecs
import time

import pytest
from django.db import connection
from django.http import StreamingHttpResponse

from apps.patients.models import Patient
from apps.reports.exports import EXPORTS
from exotrack import csv_export
from tests.reports.helpers import body_of, rows_of

pytestmark = pytest.mark.django_db


def test_rows_leave_in_chunks_before_the_last_is_read(client, manager, known_clinic, monkeypatch):
    monkeypatch.setattr(csv_export, "COPY_CHUNK_BYTES", 1)
    client.force_login(manager)

    response = client.get("/reports/exports/outcomes.csv")
    chunks = iter(response.streaming_content)
    first = next(chunks)

    assert isinstance(response, StreamingHttpResponse)
    assert first.startswith(b"patient_ref,age_band,")
    assert first.endswith(b"\r\n")
    rest = list(chunks)
    # Header and three episodes, one chunk each once a chunk is full.
    assert len(rest) == 3


@pytest.mark.parametrize("name", list(EXPORTS))
def test_the_file_for_excel_streams_behind_a_byte_order_mark(
    client, manager, known_clinic, monkeypatch, name
):
    monkeypatch.setattr(csv_export, "COPY_CHUNK_BYTES", 1)
    client.force_login(manager)
    plain = body_of(client.get(f"/reports/exports/{name}.csv")).encode()

    response = client.get(f"/reports/exports/{name}.csv", {"encoding": "utf-8-bom"})
    chunks = list(response.streaming_content)

    assert isinstance(response, StreamingHttpResponse)
    # The mark rides in front of the header: the download still starts before the COPY.
    assert chunks[0] == codecs.BOM_UTF8 + plain.split(b"\r\n")[0] + b"\r\n"
    assert len(chunks) == plain.count(b"\r\n")
    assert b"".join(chunks) == codecs.BOM_UTF8 + plain


def test_rows_end_in_crlf_and_line_breaks_inside_cells_survive(client, manager, known_clinic):
    Patient.objects.filter(pk=known_clinic.patient.pk).update(last_name="Love\nlace")
    client.force_login(manager)

    text = body_of(client.get("/reports/exports/outcomes.csv", {"mode": "identified"}))

    assert text.count("\r\n") == 4
    assert '"Love\nlace"' in text
    assert sorted(row[2] for row in rows_of(text)[1:]) == ["Hopper", "Love\nlace", "Love\nlace"]


def _backends(*, settle_to: int | None = None) -> int:
    """Connections to the test database; a closed one leaves pg_stat_activity a moment
    later, so wait up to two seconds for the count to settle to `settle_to`."""
    for _ in range(40):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            )
            count = cursor.fetchone()[0]
        if settle_to is None or count == settle_to:
            break
        time.sleep(0.05)
    return count


@pytest.mark.django_db(transaction=True)
def test_an_abandoned_download_closes_its_connection(client, manager, known_clinic, monkeypatch):
    """Outside a transaction the COPY runs on a connection of its own; a client that goes
    away (the server closes the response) ends it, mid-COPY."""
    monkeypatch.setattr(csv_export, "COPY_CHUNK_BYTES", 1)
    client.force_login(manager)
    before = _backends()

    response = client.get("/reports/exports/outcomes.csv")
    chunks = iter(response.streaming_content)
    # The header leaves before any connection is opened; the first row needs the COPY.
    assert next(chunks).startswith(b"patient_ref,")
    assert _backends() == before
    next(chunks)
    assert _backends() == before + 1
    response.close()

    assert _backends(settle_to=before) == before


@pytest.mark.django_db(transaction=True)
def test_a_finished_download_closes_its_connection(client, manager, known_clinic):
    client.force_login(manager)
    before = _backends()

    rows = rows_of(body_of(client.get("/reports/exports/outcomes.csv")))

    assert len(rows) == 4
    assert _backends(settle_to=before) == before
