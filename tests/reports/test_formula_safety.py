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
STARTS_CLASS = re.escape("".join(FORMULA_STARTS))
# A formula a spreadsheet would read: at the cell's start, or after a `;` where a
# semicolon-separated locale splits the cell.
FORMULA_AT_A_CELL_START = re.compile(f"(^|;)[{STARTS_CLASS}]")
# Where the rule put an apostrophe, and so where one comes off on reading back.
PREFIXED = re.compile(f"(^|;)'(?=[{STARTS_CLASS}])")
# PostgreSQL text cannot hold NUL; anything else a keyboard or a paste can give.
stored_text = st.text(
    alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
    max_size=30,
).filter(
    # The one text the apostrophe rule cannot tell apart on reading back: an apostrophe
    # typed before a formula character (at the start or after a `;`) reads the same as
    # a prefixed formula.
    lambda text: not PREFIXED.search(text)
)
formula = st.tuples(st.sampled_from(FORMULA_STARTS[:-1]), stored_text).map("".join)
risky_text = st.one_of(
    stored_text,
    formula,
    st.tuples(stored_text, formula)
    .map(";".join)
    # Within the shortest column it is written to (a lot number holds 40 characters).
    .filter(lambda text: len(text) <= 40 and not PREFIXED.search(text)),
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
    return PREFIXED.sub(r"\1", cell)


@pytest.mark.parametrize(
    ("recorded", "exported"),
    [
        ("=1+1", "'=1+1"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("\uff0bcmd", "'\uff0bcmd"),
        ("\uff0d1", "'\uff0d1"),
        ("\uff20SUM(A1)", "'\uff20SUM(A1)"),
        (";=1+1", ";'=1+1"),
        ("Knee; =1", "Knee; =1"),
        ("Knee;=1;@x", "Knee;'=1;'@x"),
        ("Knee;\uff1d1", "Knee;'\uff1d1"),
        ("Knee; left", "Knee; left"),
    ],
)
def test_fullwidth_and_semicolon_formulas_are_neutralised(recorded, exported):
    query = sql.SQL("SELECT {}").format(sql_csv_safe(sql.SQL("%(text)s::text")))
    with connection.cursor() as cursor:
        cursor.execute(query.as_string(connection.connection), {"text": recorded})
        assert cursor.fetchone()[0] == exported
    assert csv_safe_cell(recorded) == exported
    assert unprefixed(exported) == recorded


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
                assert NUMBER.fullmatch(cell) or not FORMULA_AT_A_CELL_START.search(cell), cell
        by_column = [dict(zip(header, row, strict=True)) for row in rows[1:]]
        ada = [r for r in by_column if r.get("mrn") == known_clinic.patient.mrn]
        assert {unprefixed(r["first_name"]) for r in ada} == {first}
        assert {unprefixed(r["last_name"]) for r in ada} == {last}
        if "site" in header:
            knee = [r for r in ada if unprefixed(r["site"]) == site]
            assert knee and all(unprefixed(r["lot"]) == lot for r in knee)
        if name == "adverse-events":
            assert unprefixed(ada[0]["description"]) == description
