"""Safe CSV for staff downloads: RFC 4180, UTF-8 (with a byte-order mark for Excel when
asked), streamed, never a spreadsheet formula.

A cell a spreadsheet would read as a formula (starting = + - @, their fullwidth forms
U+FF1D U+FF0B U+FF0D U+FF20 that some spreadsheets read as the ASCII ones, tab, CR, LF
or NUL) is prefixed with an apostrophe (OWASP "CSV injection"). A spreadsheet set to a
semicolon-separated locale splits a cell at each `;`, so a formula start right after a
`;` gets the apostrophe too (`a;=1+1` becomes `a;'=1+1`). The rule has two forms that
must agree: `csv_safe_cell` for rows built in Python, `sql_csv_safe` for exports that
PostgreSQL writes itself with COPY (`copy_csv_chunks`), at the speed of the database.
Both are the same regular expression, which Python and PostgreSQL read alike."""

import codecs
import csv
import datetime
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from django.db import connections
from django.http import StreamingHttpResponse
from django.utils import timezone
from psycopg import sql

# NUL last: PostgreSQL text cannot hold it, so the SQL form leaves it out.
FORMULA_STARTS = (
    "=",
    "+",
    "-",
    "@",
    "\uff1d",
    "\uff0b",
    "\uff0d",
    "\uff20",
    "\t",
    "\r",
    "\n",
    "\0",
)
# Where a spreadsheet starts reading a cell: the cell's start, or after a `;`. The
# hyphen goes last in the class, where it is no range in either dialect.
_CELL_STARTS = "(^|;)"


def _formula_ahead(starts: tuple[str, ...]) -> str:
    ordered = sorted(starts, key=lambda c: c == "-")
    return f"{_CELL_STARTS}(?=[{''.join(ordered)}])"


_FORMULA_AHEAD = re.compile(_formula_ahead(FORMULA_STARTS))
_FORMULA_START_SET = frozenset(FORMULA_STARTS)
# Bytes handed to the web server at a time: one write per row would cost more than COPY.
COPY_CHUNK_BYTES = 256 * 1024


def csv_safe_cell(value) -> str:
    """Text of one cell: ISO dates, '' for None, formula starts neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    if isinstance(value, str):
        # Most cells (names, e-mail addresses, sites) have no `;` and do not start a
        # formula: the expression, which finds no place to change in them, is skipped
        # (it was a third of a 12,000-row recipient list's download).
        if ";" not in text and text[:1] not in _FORMULA_START_SET:
            return text
        return _FORMULA_AHEAD.sub(r"\1'", text)
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow([csv_safe_cell(c) for c in header])
    for row in rows:
        yield writer.writerow([csv_safe_cell(c) for c in row])


def csv_filename(stem: str) -> str:
    """e.g. lot-A123-recipients-2026-11-24.csv (clinic date)."""
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in stem).strip("-")
    return f"{safe}-{timezone.localdate():%Y-%m-%d}.csv"


def csv_response(
    *, stem: str, chunks: Iterable[str | bytes], for_excel: bool = False
) -> StreamingHttpResponse:
    """A streamed download that no cache keeps. `for_excel`: the file starts with a UTF-8
    byte-order mark (and its name says "excel"). Excel opens a CSV without one in the
    computer's legacy code page, garbling accented names; other programs may read the mark
    as part of the first column's name, so the plain file stays the default."""
    if for_excel:
        stem, chunks = f"{stem}-excel", _bom_first(chunks)
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{csv_filename(stem)}"'
    response["Cache-Control"] = "no-store"
    return response


def _bom_first(chunks: Iterable[str | bytes]) -> Iterator[str | bytes]:
    # In front of the first chunk rather than a chunk of its own: one write fewer, and
    # still nothing is read from `chunks` before the server asks for the first.
    rest = iter(chunks)
    first = next(rest, b"")
    yield codecs.BOM_UTF8 + (first.encode() if isinstance(first, str) else first)
    yield from rest


def sql_csv_safe(text: sql.Composable) -> sql.Composed:
    """The SQL form of `csv_safe_cell` for a text expression. NUL is left out of the
    class: PostgreSQL text cannot hold it, so no cell from the database contains it."""
    pattern = _formula_ahead(tuple(c for c in FORMULA_STARTS if c != "\0"))
    return sql.SQL("regexp_replace({text}, {pattern}, {replacement}, 'g')").format(
        text=text, pattern=sql.Literal(pattern), replacement=sql.Literal("\\1'")
    )


# Dates leave as COPY writes them, YYYY-MM-DD (to_char() on every row cost a sixth of a
# million-row export). ISO is PostgreSQL's default and what psycopg reads; set here all
# the same, so that a server configured otherwise cannot change the files.
DATE_STYLE = "SET LOCAL DateStyle = 'ISO, YMD'"


def copy_csv_chunks(
    query: sql.Composable,
    params: Mapping[str, Any],
    *,
    header: Sequence[str],
    using: str = "default",
) -> Iterator[bytes]:
    """The header row, then `COPY (query) TO STDOUT` as CSV in chunks of about
    COPY_CHUNK_BYTES, rows ending in CRLF (RFC 4180; PostgreSQL ends them in LF).

    The header is known before the query runs, so it is the first chunk: the download
    starts at once, while PostgreSQL still prepares the first row (on a large clinic the
    joins take about a second before any row exists).

    Nothing runs until the first chunk is asked for. The COPY runs on a connection of its
    own, closed when the last chunk is read or when the response is closed early (the
    client went away): the request's connection stays free and a long export never
    leaves a half-read COPY on a pooled connection. Inside an open transaction (a caller
    that wants rows it has not committed, e.g. a test), it runs in that transaction."""
    yield next(csv_lines(header, ())).encode()
    statement = sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv)").format(query)
    shared = connections[using]
    if shared.in_atomic_block:
        shared.ensure_connection()
        shared.connection.execute(DATE_STYLE)
        yield from _copy_out(shared.connection, statement, params)
        return
    own = shared.get_new_connection(shared.get_connection_params())
    try:
        own.autocommit = True
        # One transaction, so that behind PgBouncer in transaction mode the setting and
        # the COPY share a server connection and the setting ends with them.
        with own.transaction():
            # Compiling the query (JIT) would hold the first row back by about a second
            # and saves nothing on a query whose time goes to index lookups.
            own.execute("SET LOCAL jit = off")
            # The outcomes export hashes the clinic's 100,000 patients with their
            # references (about 4.5 MB): above the default 4 MB it spills to disk in
            # batches, 5 % of the whole clinic's export.
            own.execute("SET LOCAL work_mem = '16MB'")
            own.execute(DATE_STYLE)
            yield from _copy_out(own, statement, params)
    finally:
        own.close()


def _copy_out(connection, statement: sql.Composed, params: Mapping[str, Any]) -> Iterator[bytes]:
    buffer = bytearray()
    with connection.cursor() as cursor, cursor.copy(statement, params) as copy:
        # PostgreSQL sends one message per row, each ending in the LF that ends the row;
        # a line break inside a quoted cell is part of the message, never its end.
        for row in copy:
            buffer += row[:-1]
            buffer += b"\r\n"
            if len(buffer) >= COPY_CHUNK_BYTES:
                yield bytes(buffer)
                buffer.clear()
    if buffer:
        yield bytes(buffer)
