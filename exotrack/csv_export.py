"""Safe CSV for staff downloads: RFC 4180, UTF-8, streamed, never a spreadsheet formula.

A cell a spreadsheet would read as a formula (starting = + - @, tab, CR, LF or NUL) is
prefixed with an apostrophe (OWASP "CSV injection")."""

import csv
import datetime
from collections.abc import Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse
from django.utils import timezone

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")


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
    if isinstance(value, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
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


def csv_response(*, stem: str, chunks: Iterable[str | bytes]) -> StreamingHttpResponse:
    """A streamed download that no cache keeps."""
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{csv_filename(stem)}"'
    response["Cache-Control"] = "no-store"
    return response
