"""Read a CSV file or a workbook (XLSX, XLS, ODS) into a header and numbered records.

Order reports and card statements arrive as CSV or as workbooks, and this
module hides the difference. The format parsers ask a `Record` for a column
by its canonical name and get the cleaned cell. Every error it raises names
the file, the line (CSV) or row (workbook) and the column as written in the
file. `bot.documents.workbook` reads the workbooks.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from bot.documents.workbook import Sheet, read_sheets, workbook_format
from bot.errors import InputError, InvalidValueError
from bot.i18n import N_

log = logging.getLogger(__name__)

CellValue = str | int | float | Decimal | date | datetime | time | timedelta | None
T = TypeVar("T")

DELIMITERS = ",;\t"
TEXT_ENCODINGS = ("utf-8-sig", "cp1252")

# Amazon wraps ids in Excel formula notation, ="4821", so Excel keeps leading zeros.
_EXCEL_TEXT_FORMULA = re.compile(r'="(.*)"', re.DOTALL)
NULL_TEXTS = frozenset({"", "N/A"})

# Error locations by row label: a CSV file counts lines, a worksheet counts rows.
ROW_LOCATIONS = {"line": N_("line {row}"), "row": N_("row {row}")}
CELL_LOCATIONS = {"line": N_("line {row}, column '{column}'"), "row": N_("row {row}, column '{column}'")}


@dataclass(frozen=True)
class Row:
    """One data row of a table.

    ``number`` is the physical line where a CSV record starts, counting the
    file's first line as 1, or the sheet row number of a workbook row.
    """

    number: int
    cells: tuple[CellValue, ...]


@dataclass(frozen=True)
class Table:
    """The header and data rows of the first sheet of a file.

    The header is the first row that is not empty; empty rows are skipped.
    """

    source: str
    header: tuple[str, ...]
    rows: tuple[Row, ...]
    row_label: str  # "line" for CSV, "row" for a workbook, used in error locations
    header_number: int = 1

    @property
    def header_location(self) -> str:
        """The message id of the header row's location; its placeholder is ``row``."""
        return ROW_LOCATIONS[self.row_label]

    def resolve_columns(self, aliases: Mapping[str, str]) -> dict[str, int]:
        """Map canonical column names to their index in this table.

        ``aliases`` maps normalized header texts (see `normalize_header`) to
        canonical names. Header cells that match no alias are ignored. A
        canonical column found twice is an error, because the parser could
        not tell which one to trust.
        """
        columns: dict[str, int] = {}
        for index, name in enumerate(self.header):
            canonical = aliases.get(normalize_header(name))
            if canonical is None:
                continue
            if canonical in columns:
                first = self.header[columns[canonical]]
                raise InputError(
                    self.source,
                    N_("columns '{first}' and '{second}' both contain '{column}'"),
                    location=self.header_location,
                    fix=N_("remove one of the two columns"),
                    row=self.header_number,
                    first=first,
                    second=name,
                    column=canonical,
                )
            columns[canonical] = index
        return columns

    def records(self, columns: Mapping[str, int]) -> Iterator[Record]:
        """Yield one `Record` per data row with the given columns."""
        for row in self.rows:
            values = {name: clean_cell(row.cells[index]) for name, index in columns.items()}
            headers = {name: self.header[index] for name, index in columns.items()}
            yield Record(self.source, self.row_label, row.number, values, headers)


@dataclass(frozen=True)
class Record:
    """The cleaned cells of one row, by canonical column name.

    A column the file does not have reads as None, like an empty cell.
    """

    source: str
    row_label: str  # "line" or "row", as in `Table`
    number: int
    values: Mapping[str, CellValue]
    headers: Mapping[str, str]  # canonical name -> header text in the file

    def text(self, column: str, *, required: bool = False) -> str | None:
        """Return a cell as text, or None when it is empty."""
        return self.get(column, _as_text, required=required)

    def get(
        self,
        column: str,
        convert: Callable[[CellValue], T],
        *,
        required: bool = False,
        fix: str | None = None,
    ) -> T | None:
        """Convert a cell, or return None when it is empty and not required.

        ``convert`` raises `ValueError` for a value it cannot read; that
        becomes an `InputError` naming this row and column, with ``fix``.
        An `InvalidValueError` keeps its translatable message; any other
        `ValueError` is shown in English.
        """
        value = self.values.get(column)
        if value is None:
            if required:
                raise self.error(column, N_("value is missing"), fix=N_("fill in '{column}' on every row"))
            return None

        try:
            return convert(value)
        except InvalidValueError as error:
            raise self.error(column, error.message, fix=fix, **error.params) from None
        except ValueError as error:
            raise self.error(column, N_("invalid value: {reason}"), fix=fix, reason=str(error)) from None

    def error(self, column: str | None, message: str, *, fix: str | None = None, **params: object) -> InputError:
        """Build an `InputError` located at this row and, when given, a column.

        ``params`` fill the message and fix; ``row`` and ``column`` are set here.
        """
        if column is None:
            return InputError(self.source, message, location=ROW_LOCATIONS[self.row_label], fix=fix,
                              row=self.number, **params)
        return InputError(self.source, message, location=CELL_LOCATIONS[self.row_label], fix=fix,
                          row=self.number, column=self.header(column), **params)

    def header(self, column: str) -> str:
        return self.headers.get(column, column)


def read_table(path: Path) -> Table:
    """Read the header and data rows of a CSV file, or of the first worksheet of a workbook.

    The format is recognized by content (see `workbook_format`): a file
    that is no workbook is read as delimited text.
    """
    data = read_bytes(path)
    file_format = workbook_format(data)
    if file_format is not None:
        return _read_first_sheet(path.name, data, file_format)
    return _read_csv(path.name, decode_text(path.name, data))


def decode_text(source: str, data: bytes) -> str:
    """Decode a text export as UTF-8 (with or without BOM), else as Windows-1252.

    Norwegian banks export cp1252 and Amazon exports UTF-8 with a BOM.
    Windows-1252 text with Norwegian letters is almost never valid UTF-8
    (``ø`` alone is the byte 0xF8, which UTF-8 does not allow), so trying
    UTF-8 first does not misread it.
    """
    for encoding in TEXT_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(
        source,
        N_("file is neither UTF-8 nor Windows-1252 text"),
        fix=N_("export the file again as CSV (UTF-8) or XLSX"),
    )


def normalize_header(name: str) -> str:
    """Fold a header cell for matching: case, surrounding space and repeated spaces."""
    return " ".join(name.split()).casefold()


def clean_cell(value: CellValue) -> CellValue:
    """Strip text, unwrap ``="…"`` and turn empty or ``N/A`` cells into None."""
    if not isinstance(value, str):
        return value

    text = value.strip()
    match = _EXCEL_TEXT_FORMULA.fullmatch(text)
    if match is not None:
        text = match[1].strip()
    if text in NULL_TEXTS:
        return None
    return text


def _as_text(value: CellValue) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_bytes(path: Path) -> bytes:
    """Read a file, raising `InputError` with the operating system's reason when that fails."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(path.name, N_("file cannot be read: {reason}"), reason=error.strerror) from None


def _read_csv(source: str, text: str) -> Table:
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = _sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    header: list[str] | None = None
    header_number = 1
    rows = []
    try:
        previous_end = 0
        for cells in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header, header_number = cells, start
                continue
            if len(cells) != len(header):
                raise InputError(
                    source,
                    N_("row has {count} fields but the header has {expected}"),
                    location=ROW_LOCATIONS["line"],
                    fix=N_("separate fields with '{delimiter}' and quote fields that contain it"),
                    row=start,
                    count=len(cells),
                    expected=len(header),
                    delimiter=_printable(delimiter),
                )
            rows.append(Row(start, tuple(cells)))
    except csv.Error as error:
        raise InputError(
            source,
            N_("invalid CSV: {reason}"),
            location=ROW_LOCATIONS["line"],
            fix=N_("export the file again"),
            row=reader.line_num,
            reason=str(error),
        ) from None

    log.debug("read %s: %d rows, delimiter %r", source, len(rows), delimiter)
    names = tuple(name.strip() for name in header or ())
    return Table(source, names, tuple(rows), "line", header_number)


def _sniff_delimiter(header_line: str) -> str:
    """Pick the delimiter that occurs most often in the header line.

    Header names contain none of the candidates, so a count is reliable
    where `csv.Sniffer` guesses from too little text.
    """
    counts = {delimiter: header_line.count(delimiter) for delimiter in DELIMITERS}
    return max(counts, key=counts.__getitem__)


def _printable(delimiter: str) -> str:
    return "TAB" if delimiter == "\t" else delimiter


def _read_first_sheet(source: str, data: bytes, file_format: str) -> Table:
    # A workbook without a worksheet reads as an empty sheet.
    sheets = read_sheets(source, data, file_format, first_only=True)
    sheet = sheets[0] if sheets else Sheet("", ())

    header: tuple[CellValue, ...] | None = None
    header_number = 1
    rows = []
    for number, cells in sheet.rows:
        if header is None:
            header, header_number = cells, number
            continue
        if len(cells) > len(header):
            raise InputError(
                source,
                N_("row has a value in column {count}, after the last header column"),
                location=ROW_LOCATIONS["row"],
                fix=N_("give every column a header or remove the extra values"),
                row=number,
                count=len(cells),
            )
        rows.append(Row(number, cells + (None,) * (len(header) - len(cells))))

    log.debug("read %s: %d rows from sheet %r", source, len(rows), sheet.name)
    names = tuple("" if name is None else str(name).strip() for name in header or ())
    return Table(source, names, tuple(rows), "row", header_number)
