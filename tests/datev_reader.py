"""A strict reader of DATEV EXTF Buchungsstapel files, written apart from the exporter to check its files.

It rejects what DATEV's import could misread. That is bytes that are not
Windows-1252, line ends other than CRLF, a quote inside an unquoted field
and text after a closing quote. It is also a header of other than 31
fields and a booking row with another field count than the heading line. Each field keeps
whether it was quoted, so the tests can check text against number fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HEADER_FIELDS = 31


class ExtfFormatError(ValueError):
    """The file breaks the EXTF syntax; the message names the line."""


@dataclass(frozen=True)
class Field:
    value: str
    quoted: bool


@dataclass(frozen=True)
class ExtfFile:
    header: list[Field]
    columns: list[str]
    rows: list[dict[str, Field]]

    def header_values(self) -> list[str]:
        return [field.value for field in self.header]


def read_extf(path: Path) -> ExtfFile:
    """Parse the file strictly; raise ExtfFormatError naming the line of the first fault."""
    text = path.read_bytes().decode("cp1252", errors="strict")
    if not text.endswith("\r\n"):
        raise ExtfFormatError("the last line does not end with CRLF")

    lines = text[:-2].split("\r\n")
    for number, line in enumerate(lines, start=1):
        if "\r" in line or "\n" in line:
            raise ExtfFormatError(f"line {number} has a line break other than CRLF")
    if len(lines) < 2:
        raise ExtfFormatError("the file has no column heading line")

    header = parse_line(lines[0], 1)
    if len(header) != HEADER_FIELDS:
        raise ExtfFormatError(f"the header has {len(header)} fields instead of {HEADER_FIELDS}")

    heading_fields = parse_line(lines[1], 2)
    if any(field.quoted for field in heading_fields):
        raise ExtfFormatError("line 2 has quoted column headings")
    columns = [field.value for field in heading_fields]

    rows = []
    for number, line in enumerate(lines[2:], start=3):
        fields = parse_line(line, number)
        if len(fields) != len(columns):
            raise ExtfFormatError(f"line {number} has {len(fields)} fields instead of {len(columns)}")
        rows.append(dict(zip(columns, fields)))
    return ExtfFile(header, columns, rows)


def parse_line(line: str, number: int) -> list[Field]:
    """Split one line at the semicolons outside quotes; a doubled quote inside quotes is one quote."""
    fields: list[Field] = []
    position = 0
    while True:
        if line.startswith('"', position):
            value, position = _quoted_field(line, position, number)
            fields.append(Field(value, True))
        else:
            end = line.find(";", position)
            end = len(line) if end < 0 else end
            value = line[position:end]
            if '"' in value:
                raise ExtfFormatError(f"line {number}: a quote inside the unquoted field {value!r}")
            fields.append(Field(value, False))
            position = end

        if position == len(line):
            return fields
        if line[position] != ";":
            raise ExtfFormatError(f"line {number}: text after a closing quote at position {position}")
        position += 1


def _quoted_field(line: str, start: int, number: int) -> tuple[str, int]:
    parts = []
    position = start + 1
    while True:
        quote = line.find('"', position)
        if quote < 0:
            raise ExtfFormatError(f"line {number}: a quoted field from position {start} never closes")
        parts.append(line[position:quote])
        if line.startswith('""', quote):
            parts.append('"')
            position = quote + 2
        else:
            return "".join(parts), quote + 1
