"""No exported cell can start a spreadsheet formula, whatever staff typed: the SQL rule
of the COPY exports and csv_safe_cell agree, and a whole export reads back to what was
recorded, minus the apostrophe."""

import re

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

from apps.patients.models import Patient
from apps.safety.models import AdverseEvent
from apps.treatments.models import TreatmentSite
from exotrack.csv_export import FORMULA_STARTS, csv_safe_cell, sql_csv_safe
from tests.reports.helpers import export, rows_of

pytestmark = pytest.mark.django_db

NUMBER = re.compile(r"-?\d+(\.\d+)?")
# PostgreSQL text cannot hold NUL; anything else a keyboard or a paste can give.
stored_text = st.text(
    alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
    max_size=30,
).filter(
    # The one text the apostrophe rule cannot tell apart on reading back: an apostrophe
    # typed before a formula character reads the same as a prefixed formula.
    lambda text: not (text.startswith("'") and text[1:2] in FORMULA_STARTS)
)
risky_text = st.one_of(
    stored_text, st.tuples(st.sampled_from(FORMULA_STARTS[:-1]), stored_text).map("".join)
)
EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@EXAMPLES
@given(text=risky_text)
def test_the_sql_rule_is_csv_safe_cell(text):
    query = sql.SQL("SELECT {}").format(sql_csv_safe(sql.SQL("%(text)s::text")))
    with connection.cursor() as cursor:
        cursor.execute(query.as_string(connection.connection), {"text": text})
        assert cursor.fetchone()[0] == csv_safe_cell(text)


def unprefixed(cell: str) -> str:
    """What was recorded: the apostrophe comes off only where the rule put it."""
    return cell[1:] if cell.startswith("'") and cell[1:2] in FORMULA_STARTS else cell


@EXAMPLES
@given(
    first=risky_text.filter(str.strip),
    last=risky_text.filter(str.strip),
    site=risky_text.filter(str.strip),
    lot=risky_text.filter(str.strip),
    description=risky_text,
)
def test_no_exported_cell_starts_a_formula(
    client, manager, known_clinic, first, last, site, lot, description
):
    Patient.objects.filter(pk=known_clinic.patient.pk).update(first_name=first, last_name=last)
    TreatmentSite.objects.filter(pk=known_clinic.knee.site_id).update(name=site)
    known_clinic.knee.lot.__class__.objects.filter(pk=known_clinic.knee.lot_id).update(
        lot_number=lot
    )
    AdverseEvent.objects.filter(visit=known_clinic.visit).update(description=description)
    client.force_login(manager)

    for name in ("outcomes", "adverse-events", "doses-by-lot", "follow-up-compliance"):
        rows = rows_of(export(client, name, mode="identified"))
        header = rows[0]
        for row in rows[1:]:
            assert len(row) == len(header)
            for cell in row:
                # Numbers may be negative (a change in pain); text never starts a formula.
                assert NUMBER.fullmatch(cell) or not cell.startswith(FORMULA_STARTS), cell
        by_column = [dict(zip(header, row, strict=True)) for row in rows[1:]]
        ada = [r for r in by_column if r.get("mrn") == known_clinic.patient.mrn]
        assert {unprefixed(r["first_name"]) for r in ada} == {first}
        assert {unprefixed(r["last_name"]) for r in ada} == {last}
        if "site" in header:
            knee = [r for r in ada if unprefixed(r["site"]) == site]
            assert knee and all(unprefixed(r["lot"]) == lot for r in knee)
        if name == "adverse-events":
            assert unprefixed(ada[0]["description"]) == description
