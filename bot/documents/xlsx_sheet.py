"""Read the first worksheet of a large XLSX file into a `Table`, fast.

openpyxl (3.1.5) builds its cells through defusedxml's pure-Python XML
parser when defusedxml is installed, as it is in this environment. On the
2-core benchmark machine, ``table.read_table`` took 14 to 22 s for a
20 000-row order report of 72 columns written by openpyxl, and this reader
about 2 s. It scans the sheet and the shared strings with regular
expressions, and reads the small parts (workbook, relationships, styles)
with ElementTree.

It returns what ``table.read_table`` returns for the same file: the cell
values openpyxl gives with ``values_only=True`` and ``data_only=False``.
That means shared and inline strings as text, numbers as int or float,
date-formatted numbers as datetime, booleans, error codes such as
``#N/A`` as text, and a formula as its text with a leading ``=``. The
header is the first row that is not empty, and empty rows are skipped.
NOTE: a cell that shares another cell's formula (an ``<f>`` without text)
gives its cached value here, where openpyxl gives the translated formula.

A part that declares a DTD is rejected, so no entity is ever expanded, and
only the XML predefined and numeric character references are decoded.
"""

from __future__ import annotations

import io
import logging
import re
import string
import zipfile
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from posixpath import dirname, join, normpath
from xml.etree import ElementTree

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel

from bot.documents.table import ROW_LOCATIONS, CellValue, Row, Table
from bot.errors import InputError
from bot.i18n import N_

log = logging.getLogger(__name__)

_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIP_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_RELATIONSHIP_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_WORKBOOK = "xl/workbook.xml"
_WORKBOOK_RELATIONSHIPS = "xl/_rels/workbook.xml.rels"

# Elements may carry a namespace prefix, such as <x:c>, in files that other
# libraries than Excel write. The sheet's patterns are built for its prefix.
_ROW_TAG = re.compile(r"<(\w+:)?row\b")
_ATTRIBUTE = re.compile(r"""\b(r|s|t)\s*=\s*["']([^"']*)["']""")
_VALUE = re.compile(r"<(?:\w+:)?v>(.*?)</(?:\w+:)?v>", re.DOTALL)
_FORMULA = re.compile(r"<(?:\w+:)?f\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?f>)", re.DOTALL)
_TEXT = re.compile(r"<(?:\w+:)?t\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?t>)", re.DOTALL)
_PHONETIC = re.compile(r"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.DOTALL)
_SHARED_STRING = re.compile(r"<(?:\w+:)?si\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?si>)", re.DOTALL)


@lru_cache(maxsize=8)
def _cell_pattern(prefix: str) -> re.Pattern[str]:
    """Return the pattern of a cell: its attributes in the order Excel and openpyxl write them
    (column letters of r, s, t), any other attributes, then a plain <v> value, a plain inline
    string or other content."""
    p = re.escape(prefix)
    return re.compile(
        rf'<{p}c(?=[\s/>])(?:\s+r="([A-Z]+)\d+")?(?:\s+s="(\d+)")?(?:\s+t="(\w+)")?([^>]*?)'
        rf"(?:/>"
        rf"|><{p}v>([^<]*)</{p}v></{p}c>"
        rf'|><{p}is><{p}t(?:\s+xml:space="preserve")?>([^<]*)</{p}t></{p}is></{p}c>'
        rf"|>(.*?)</{p}c>)",
        re.DOTALL,
    )


_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);")
_PREDEFINED_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def read_xlsx_table(source: str, data: bytes) -> Table:
    """Read the header and data rows of the workbook's first worksheet.

    Raises `InputError` naming ``source`` when the file is not a readable
    workbook, or when a row has a value to the right of the last header
    column.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = _Parts(archive)
            cells = _CellReader(parts.shared_strings(), *parts.date_styles(), parts.epoch())
            return _build_table(source, cells.rows(parts.first_sheet()))
    except (zipfile.BadZipFile, KeyError, IndexError, ValueError, ElementTree.ParseError) as error:
        raise InputError(source, N_("cannot be read as XLSX: {reason}"), fix=N_("export the file again"),
                         reason=str(error)) from None


def _build_table(source: str, rows: Iterator[tuple[int, tuple[CellValue, ...]]]) -> Table:
    header: tuple[CellValue, ...] | None = None
    header_number = 1
    data_rows = []
    for number, cells in rows:
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
        data_rows.append(Row(number, cells + (None,) * (len(header) - len(cells))))

    log.debug("read %s: %d rows from the first sheet", source, len(data_rows))
    names = tuple("" if name is None else str(name).strip() for name in header or ())
    return Table(source, names, tuple(data_rows), "row", header_number)


class _Parts:
    """The parts of the workbook package that the first sheet's values depend on."""

    def __init__(self, archive: zipfile.ZipFile):
        self._archive = archive
        self._workbook = self._xml(_WORKBOOK)
        relationships = self._xml(_WORKBOOK_RELATIONSHIPS)
        self._targets = {
            element.get("Id"): (element.get("Type", "").rsplit("/", 1)[-1], _part_path(element.get("Target", "")))
            for element in relationships.iter(f"{_PACKAGE_RELATIONSHIP_NS}Relationship")
        }

    def first_sheet(self) -> str:
        """Return the XML text of the workbook's first worksheet."""
        for sheet in self._workbook.iter(f"{_MAIN_NS}sheet"):
            kind, path = self._targets.get(sheet.get(f"{_RELATIONSHIP_NS}id"), ("", ""))
            if kind == "worksheet":
                return self._text(path)
        raise ValueError("the workbook has no worksheet")

    def shared_strings(self) -> list[str]:
        path = self._path_of("sharedStrings")
        if path is None:
            return []
        return [_string_item(match[1] or "") for match in _SHARED_STRING.finditer(self._text(path))]

    def date_styles(self) -> tuple[frozenset[int], frozenset[int]]:
        """Return the indexes of the cell styles whose number format is a date, and of those that are a duration."""
        path = self._path_of("styles")
        if path is None:
            return frozenset(), frozenset()

        styles = self._xml(path)
        custom = {int(element.get("numFmtId", "-1")): element.get("formatCode")
                  for element in styles.iter(f"{_MAIN_NS}numFmt")}
        dates, durations = set(), set()
        cell_formats = styles.find(f"{_MAIN_NS}cellXfs")
        for index, element in enumerate(() if cell_formats is None else cell_formats.iter(f"{_MAIN_NS}xf")):
            number_format_id = int(element.get("numFmtId", "0"))
            number_format = custom.get(number_format_id) or BUILTIN_FORMATS.get(number_format_id)
            if is_date_format(number_format):
                dates.add(index)
            if is_timedelta_format(number_format):
                durations.add(index)
        return frozenset(dates), frozenset(durations)

    def epoch(self) -> datetime:
        properties = self._workbook.find(f"{_MAIN_NS}workbookPr")
        date1904 = properties is not None and properties.get("date1904", "").lower() in ("1", "true")
        return MAC_EPOCH if date1904 else WINDOWS_EPOCH

    def _path_of(self, kind: str) -> str | None:
        return next((path for relationship_kind, path in self._targets.values() if relationship_kind == kind), None)

    def _xml(self, path: str) -> ElementTree.Element:
        return ElementTree.fromstring(self._text(path))

    def _text(self, path: str) -> str:
        text = self._archive.read(path).decode("utf-8")
        if "<!DOCTYPE" in text:
            raise ValueError(f"{path} declares a DTD, which a workbook never needs")
        return text


class _CellReader:
    """Turn the rows of a sheet's XML into cell values."""

    def __init__(self, shared_strings: list[str], dates: frozenset[int], durations: frozenset[int],
                 epoch: datetime):
        self._shared_strings = shared_strings
        self._dates = dates
        self._durations = durations
        self._epoch = epoch

    def rows(self, sheet: str) -> Iterator[tuple[int, tuple[CellValue, ...]]]:
        """Yield the sheet row number and the values of every row that has one, trailing empty cells trimmed."""
        start, end = sheet.find("<sheetData"), sheet.rfind("sheetData>")
        if start >= 0 and end > start:
            sheet = sheet[start:end]
        tag = _ROW_TAG.search(sheet)
        if tag is None:
            return
        prefix = tag[1] or ""
        cell_pattern = _cell_pattern(prefix)
        opening = f"<{prefix}row"

        # Splitting at the closing tags is several times faster than a row pattern.
        number = 0
        for chunk in sheet.split(f"</{prefix}row>"):
            start = chunk.rfind(opening)
            if start < 0:
                continue
            end = chunk.find(">", start)
            attributes = dict(_ATTRIBUTE.findall(chunk, start, end))
            # A row without a number follows the previous one. Empty rows may come before it in the chunk.
            number = int(attributes["r"]) if "r" in attributes else number + chunk.count(opening)
            if chunk[end - 1] == "/":
                continue

            cells = self._cells(chunk[end + 1:], cell_pattern)
            while cells and (cells[-1] is None or cells[-1] == ""):
                cells.pop()
            if cells:
                yield number, tuple(cells)

    def _cells(self, row: str, cell_pattern: re.Pattern[str]) -> list[CellValue]:
        # The common cases (inline text, shared string, plain number) are
        # written out here, because this loop runs once per cell of the sheet.
        cells: list[CellValue] = []
        append = cells.append
        shared_strings = self._shared_strings
        for letters, style, kind, rest, value, text, content in cell_pattern.findall(row):
            if rest and _ATTRIBUTE.search(rest):
                # Attributes in another order or quoting than the pattern expects.
                attributes = dict(_ATTRIBUTE.findall(rest))
                letters = letters or attributes.get("r", "").rstrip("0123456789")
                style = style or attributes.get("s", "")
                kind = kind or attributes.get("t", "")

            if letters:
                column = _COLUMN_INDEXES.get(letters)
                if column is None:
                    column = _column_index(letters)
                if column != len(cells):
                    if column < len(cells):
                        raise ValueError(f"column {letters} comes after a cell to its right")
                    cells.extend([None] * (column - len(cells)))

            if text:
                append(text if "&" not in text else _unescape(text))
            elif not value:
                append(self._complex_value(kind, style, content) if content else None)
            elif kind == "s":
                append(shared_strings[int(value)])
            elif not style and (not kind or kind == "n"):
                append(_number(value))
            else:
                append(self._value(kind, style, value))
        return cells

    def _complex_value(self, kind: str, style: str, content: str) -> CellValue:
        """Return the value of a cell with a formula, a rich inline string or unusual markup."""
        formula = _FORMULA.search(content)
        if formula is not None and formula[1]:
            return "=" + _unescape(formula[1])
        if kind == "inlineStr":
            return _string_item(content)
        match = _VALUE.search(content)
        if match is None or not match[1]:
            return None
        return self._value(kind, style, match[1])

    def _value(self, kind: str, style: str, value: str) -> CellValue:
        if kind == "s":
            return self._shared_strings[int(value)]
        if kind in ("str", "e", "inlineStr"):
            return _unescape(value)
        if kind == "b":
            return value.strip() == "1"
        if kind == "d":
            return datetime.fromisoformat(value)

        number = _number(value)
        if not style or int(style) not in self._dates:
            return number
        try:
            return from_excel(number, self._epoch, timedelta=int(style) in self._durations)
        except (OverflowError, ValueError):
            # The error value openpyxl gives such a cell, which the parser reports with its row and column.
            return "#VALUE!"


def _string_item(content: str) -> str:
    """Return the text of a shared or inline string: its runs joined, phonetic hints left out."""
    if "<rPh" in content:
        content = _PHONETIC.sub("", content)
    return "".join(_unescape(match[1] or "") for match in _TEXT.finditer(content))


def _number(text: str) -> int | float:
    if text.lstrip("-").isdigit():
        return int(text)
    return float(text)


def _column_index(letters: str) -> int:
    """Return the zero-based index of a column such as ``BT``."""
    if not (letters.isascii() and letters.isalpha() and letters.isupper() and len(letters) <= 3):
        raise ValueError(f"{letters!r} is not a column of a cell reference")
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


# The first 702 columns (A to ZZ) looked up, the others computed.
_COLUMN_INDEXES = {
    name: _column_index(name)
    for name in [*string.ascii_uppercase,
                 *(first + second for first in string.ascii_uppercase for second in string.ascii_uppercase)]
}


def _unescape(text: str) -> str:
    if "&" not in text:
        return text
    return _ENTITY.sub(_entity, text)


def _entity(match: re.Match[str]) -> str:
    name = match[1]
    if name.startswith("#x"):
        return chr(int(name[2:], 16))
    if name.startswith("#"):
        return chr(int(name[1:]))
    return _PREDEFINED_ENTITIES[name]


def _part_path(target: str) -> str:
    """Resolve a relationship target of the workbook part to a path inside the package."""
    if target.startswith("/"):
        return target.lstrip("/")
    return normpath(join(dirname(_WORKBOOK), target))

