"""Read one row of a PDF statement into a `CardCharge`, naming the column of any invalid value.

A row of a ruled table whose cells match the layout's columns in number
is read by position, so an empty cell is simply empty. Any other row is
matched against the layout's row pattern, in which optional columns may be
missing. Its cells are separated by tabs, or by spaces where a PDF prints
a whole row as one string.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from bot.documents.numbers import parse_amount_with_currency, parse_decimal_comma, parse_norwegian_date
from bot.documents.pdf_layouts import FIELD_PATTERNS, Column, Field, PdfLayout
from bot.documents.pdf_lines import CELL_SEPARATOR, TextLine
from bot.errors import InputError, InvalidValueError
from bot.i18n import N_
from bot.records import CardCharge

ROW_FIX = N_("each row needs the columns {columns}; send the bank's original PDF")

# Values of the kind each field holds, shown in errors.
_EXAMPLES = {
    Field.DATE: "31.12.2026",
    Field.BOOKED: "31.12.2026",
    Field.TEXT: "AMAZON EU, Luxembourg",
    Field.ORIGINAL: "62,97 EUR",
    Field.FOREIGN_AMOUNT: "62,97",
    Field.CURRENCY: "EUR",
    Field.RATE: "11,8523",
    Field.AMOUNT: "-1 234,50",
}

T = TypeVar("T")


@dataclass(frozen=True)
class SourceLine:
    """A text line of the statement and where it is: the page, the line on the page and the line in the file."""

    source: str
    page: int
    number: int  # on the page, from 1
    index: int  # through the document, from 1
    line: TextLine

    @property
    def text(self) -> str:
        return self.line.text

    def error(self, message: str | tuple[str, ...], fix: str | None = None, **params: object) -> InputError:
        """Build an `InputError` at this line; ``params`` fill the message and fix, ``row`` is the line's text."""
        return InputError(self.source, message, location=N_("page {page}, line {line}"), fix=fix,
                          page=self.page, line=self.number, row=shown(self.text), **params)


def read_row(layout: PdfLayout, row: SourceLine, continuation: list[str], card: str | None) -> CardCharge:
    """Build the charge of one row; ``continuation`` contains the lines its description wraps onto."""
    fields = _fields(layout, row)
    description = " ".join([fields[Field.TEXT], *continuation])
    _check_combination(layout, row, fields, description)

    original_amount = None
    original_currency = None
    if Field.ORIGINAL in fields:
        original_amount, original_currency = _convert(layout, row, Field.ORIGINAL, parse_amount_with_currency, fields)
    if Field.FOREIGN_AMOUNT in fields:
        original_amount = _convert(layout, row, Field.FOREIGN_AMOUNT, parse_decimal_comma, fields)
        original_currency = fields[Field.CURRENCY]
    rate = _convert(layout, row, Field.RATE, parse_decimal_comma, fields) if Field.RATE in fields else None
    if original_currency == "NOK":
        # An amount in NOK in the currency columns is a domestic purchase, not a foreign one.
        original_amount, original_currency, rate = None, None, None

    return CardCharge(
        source=row.source,
        line=row.index,
        date=_convert(layout, row, Field.DATE, parse_norwegian_date, fields),
        booked_on=_convert(layout, row, Field.BOOKED, parse_norwegian_date, fields) if Field.BOOKED in fields else None,
        description=description,
        amount=_convert(layout, row, Field.AMOUNT, parse_decimal_comma, fields),
        original_amount=original_amount,
        original_currency=original_currency,
        rate=rate,
        card=card,
    )


def shown(text: str) -> str:
    """Quote a line's text for a message, its cells separated by `` | ``."""
    return repr(text.replace(CELL_SEPARATOR, " | "))


def _row_error(layout: PdfLayout, row: SourceLine, message: str | tuple[str, ...], **params: object) -> InputError:
    """Build an `InputError` at a row, whose fix lists the layout's columns."""
    return row.error(message, fix=ROW_FIX, columns=layout.header, **params)


def _fields(layout: PdfLayout, row: SourceLine) -> dict[Field, str]:
    """Return the text of each field the row has."""
    cells = row.line.cells
    if row.line.ruled and len(cells) == len(layout.columns):
        fields = {column.field: cell.text for column, cell in zip(layout.columns, cells) if cell.text}
        for column in layout.columns:
            value = fields.get(column.field)
            if value is None and not column.optional:
                raise _row_error(layout, row, N_("column '{column}' of row {row} is empty"), column=column.title)
            if value is not None and not re.fullmatch(FIELD_PATTERNS[column.field], value):
                raise _invalid(layout, row, column, value)
        return fields

    match = layout.row_pattern.fullmatch(row.text)
    if match is None:
        raise _unreadable(layout, row)
    return {Field(name): value for name, value in match.groupdict().items() if value is not None}


def _unreadable(layout: PdfLayout, row: SourceLine) -> InputError:
    """Name the first column whose cell is invalid where the cells show it, else list the columns."""
    cells = row.text.split(CELL_SEPARATOR)
    if len(cells) >= 2:
        leading = []
        for column in layout.columns:
            if column.optional or column.field not in (Field.DATE, Field.BOOKED):
                break
            leading.append(column)
        checks = [*zip(leading, cells), (layout.columns[-1], cells[-1])]
        for column, value in checks:
            if not re.fullmatch(FIELD_PATTERNS[column.field], value):
                return _invalid(layout, row, column, value)
    return _row_error(layout, row, N_("cannot read statement row {row} as the columns {columns}"))


def _invalid(layout: PdfLayout, row: SourceLine, column: Column, value: str) -> InputError:
    return _row_error(layout, row, N_("column '{column}' of row {row} has {value}, expected a value like {example}"),
                     column=column.title, value=repr(value), example=_EXAMPLES[column.field])


def _check_combination(layout: PdfLayout, row: SourceLine, fields: dict[Field, str], description: str) -> None:
    """Reject rows whose cells are each valid but do not fit together, a sign of misread columns."""
    if not any(character.isalpha() for character in description):
        raise _row_error(layout, row, N_("row {row} has no merchant text in '{column}'"),
                        column=layout.title(Field.TEXT))

    has_foreign = Field.ORIGINAL in fields or Field.FOREIGN_AMOUNT in fields
    if Field.RATE in fields and not has_foreign:
        foreign = Field.ORIGINAL if layout.has(Field.ORIGINAL) else Field.FOREIGN_AMOUNT
        raise _row_error(layout, row, N_("row {row} has a rate in '{column}' but no amount in '{amount_column}'"),
                        column=layout.title(Field.RATE), amount_column=layout.title(foreign))
    if (Field.FOREIGN_AMOUNT in fields) != (Field.CURRENCY in fields):
        raise _row_error(layout, row, N_("row {row} needs both '{amount_column}' and '{currency_column}' or neither"),
                        amount_column=layout.title(Field.FOREIGN_AMOUNT),
                        currency_column=layout.title(Field.CURRENCY))


def _convert(layout: PdfLayout, row: SourceLine, field: Field, parse: Callable[[str], T],
             fields: dict[Field, str]) -> T:
    try:
        return parse(fields[field])
    except InvalidValueError as error:
        raise _row_error(layout, row, (N_("column '{column}' of row {row}"), error.message),
                        column=layout.title(field), **error.params) from None
