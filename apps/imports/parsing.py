"""Reading a clinic's spreadsheet: CSV in UTF-8 (with or without BOM) or Windows-1252 /
Latin-1, comma, semicolon or tab separated, or the first sheet of an XLSX workbook.
Every cell comes back as stripped text; empty rows are dropped; row numbers are the
file's (the header is row 1). Problems with the file as a whole raise ValidationError."""

import csv
import datetime
import io
import zipfile
from dataclasses import dataclass

from django.core.exceptions import ValidationError

_XLSX_MAGIC = b"PK\x03\x04"
_SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}


@dataclass
class Table:
    read_as: str
    headers: list[str]
    rows: list[tuple[int, list[str]]]


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _decode(content: bytes) -> tuple[str, str]:
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", errors="strict"), "UTF-8 with BOM"
    try:
        return content.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        # Older Excel on Windows saves CSV as Windows-1252, a superset of Latin-1's letters.
        return content.decode("cp1252", errors="replace"), "Windows-1252 / Latin-1"


def _read_csv(content: bytes) -> Table:
    if b"\x00" in content[:4096]:
        raise ValidationError(
            "This file is neither a CSV nor an XLSX workbook (it holds binary data); "
            "save it from the spreadsheet as CSV or XLSX."
        )
    text, encoding = _decode(content)
    first_line = text.split("\n", 1)[0]
    separator = max(_SEPARATORS, key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        lines = [[cell.strip() for cell in line] for line in reader]
    except csv.Error as error:
        raise ValidationError(f"The CSV file cannot be read: {error}.") from error
    return _table(f"CSV, {encoding}, separated by {_SEPARATORS[separator]}", lines)


def _read_xlsx(content: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ValidationError("The XLSX workbook cannot be opened; is it damaged?") from error
    sheet = workbook.worksheets[0]
    lines = []
    for row in sheet.iter_rows():
        cells = []
        for cell in row:
            value = cell.value
            if cell.data_type == "f":
                # A formula's result is not stored by every program: keep the formula, and
                # the row check refuses it by name.
                value = str(value)
            cells.append(_cell_text(value))
        lines.append(cells)
    workbook.close()
    return _table(f"XLSX, sheet “{sheet.title}”", lines)


def _table(read_as: str, lines: list[list[str]]) -> Table:
    numbered = [(number, cells) for number, cells in enumerate(lines, start=1) if any(cells)]
    if not numbered:
        raise ValidationError("The file is empty.")
    header_number, headers = numbered[0]
    if header_number != 1:
        read_as += f", header on row {header_number}"
    headers = [header.strip() for header in headers]
    while headers and not headers[-1]:
        headers.pop()
    if not any(headers):
        raise ValidationError("The first row should name the columns.")
    seen: set[str] = set()
    for header in headers:
        if header and header.lower() in seen:
            raise ValidationError(f"Two columns are both called “{header}”; rename one.")
        seen.add(header.lower())
    rows = [
        (number, (cells + [""] * len(headers))[: len(headers)]) for number, cells in numbered[1:]
    ]
    if not rows:
        raise ValidationError("The file has a header row but no patients under it.")
    return Table(read_as=read_as, headers=headers, rows=rows)


def read_table(content: bytes) -> Table:
    if content.startswith(_XLSX_MAGIC):
        return _read_xlsx(content)
    return _read_csv(content)
