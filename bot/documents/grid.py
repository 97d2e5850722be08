"""Read every row of a CSV file or workbook, for statements whose header is not on the first row.

Bank exports put lines above the header (account number, period, a title
such as "Kontoutskrift") and below the transactions (sums, balances). The
lines above may use another separator than the table, or none, so a CSV
file is kept as lines here. Each line is split only once the header is
found, and then with the header's separator. A workbook (XLSX, XLS, ODS)
is read sheet by sheet by `bot.documents.workbook`, with typed cells and the
cached results of formulas.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from bot.documents.table import DELIMITERS, ROW_LOCATIONS, CellValue, Row, decode_text, read_bytes
from bot.documents.workbook import read_sheets, workbook_format
from bot.errors import InputError
from bot.i18n import N_

# Excel's "Unicode text" export is UTF-16 with a byte order mark.
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class HeaderCandidate:
    """A row that may be the header: its cells as text, where it is, and the separator it was split with."""

    number: int  # line (CSV) or row (workbook) number, from 1
    cells: tuple[str, ...]
    delimiter: str | None  # None for a workbook
    sheet: int = 0


@dataclass(frozen=True)
class Grid:
    """The rows of a CSV file (as lines) or of every worksheet of a workbook."""

    source: str
    row_label: str  # "line" for CSV, "row" for a workbook, as in `bot.documents.table.Table`
    kind: str  # "CSV", "XLSX", "XLS" or "ODS", as users know the file
    lines: tuple[str, ...] = ()  # CSV: the physical lines with their line ends
    sheets: tuple[tuple[Row, ...], ...] = ()  # workbook: the non-empty rows of each sheet, trailing empty cells dropped

    def candidates(self, limit: int) -> Iterator[HeaderCandidate]:
        """Yield the first ``limit`` non-empty rows of each sheet, a CSV line once per possible separator."""
        if self.row_label == "row":
            for sheet, rows in enumerate(self.sheets):
                for row in rows[:limit]:
                    yield HeaderCandidate(row.number, tuple(_header_text(cell) for cell in row.cells), None, sheet)
            return

        seen = 0
        for number, line in enumerate(self.lines, start=1):
            if seen == limit:
                return
            if not line.strip():
                continue
            seen += 1
            for delimiter in DELIMITERS:
                cells = _split_line(line, delimiter)
                if cells is not None:
                    yield HeaderCandidate(number, cells, delimiter)

    def first_row(self) -> tuple[str, ...]:
        """Return the first non-empty row, split as `bot.documents.table.read_table` splits it."""
        if self.row_label == "row":
            rows = self.sheets[0] if self.sheets else ()
            return tuple(_header_text(cell) for cell in rows[0].cells) if rows else ()

        line = next((line for line in self.lines if line.strip()), "")
        counts = {delimiter: line.count(delimiter) for delimiter in DELIMITERS}
        cells = _split_line(line, max(counts, key=counts.__getitem__))
        return tuple(cell.strip() for cell in cells or ())

    def preamble(self, header: HeaderCandidate) -> list[tuple[str, ...]]:
        """Return the non-empty rows above ``header`` as text, a CSV line split with the header's separator."""
        if self.row_label == "row":
            return [tuple(_preamble_text(cell) for cell in row.cells)
                    for row in self.sheets[header.sheet] if row.number < header.number]

        rows = []
        for line in self.lines[:header.number - 1]:
            if line.strip():
                rows.append(_split_line(line, header.delimiter or ",") or (line.strip(),))
        return rows

    def rows_after(self, header: HeaderCandidate) -> Iterator[Row]:
        """Yield the non-empty rows below ``header``, numbered as in the file.

        Raises `InputError` naming the line for text that is not valid CSV.
        """
        if self.row_label == "row":
            yield from (row for row in self.sheets[header.sheet] if row.number > header.number)
            return

        text = "".join(self.lines[header.number:])
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=header.delimiter or ",")
        previous_end = 0
        try:
            for cells in reader:
                start = header.number + previous_end + 1
                previous_end = reader.line_num
                if any(cell.strip() for cell in cells):
                    yield Row(start, tuple(cells))
        except csv.Error as error:
            raise InputError(
                self.source,
                N_("invalid CSV: {reason}"),
                location=ROW_LOCATIONS["line"],
                fix=N_("export the file again"),
                row=header.number + reader.line_num,
                reason=str(error),
            ) from None


def read_grid(path: Path, *, max_rows: int | None = None) -> Grid:
    """Read a CSV file or a workbook, recognized by content, into a `Grid`.

    ``max_rows`` limits each worksheet to its first non-empty rows, which is
    all that recognizing a file needs.
    """
    data = read_bytes(path)
    file_format = workbook_format(data)
    if file_format is not None:
        sheets = read_sheets(path.name, data, file_format, max_rows=max_rows)
        rows = tuple(tuple(Row(number, cells) for number, cells in sheet.rows) for sheet in sheets)
        return Grid(path.name, "row", file_format, sheets=rows)

    if data.startswith(_UTF16_BOMS):
        text = data.decode("utf-16")
    else:
        text = decode_text(path.name, data)
    return Grid(path.name, "line", "CSV", lines=tuple(io.StringIO(text, newline="").readlines()))


def _split_line(line: str, delimiter: str) -> tuple[str, ...] | None:
    """Split one line as CSV, or return None when it is not valid CSV with that separator."""
    try:
        cells = next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter), [])
    except csv.Error:
        return None
    return tuple(cells)


def _preamble_text(value: CellValue) -> str:
    # A typed date is written as Norwegian statements print it, so a period split over cells reads as text.
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return _header_text(value)


def _header_text(value: CellValue) -> str:
    return "" if value is None else str(value).strip()
