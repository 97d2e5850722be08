"""Amounts, VAT rates and item counts in Amazon Business order reports.

The number format is a property of the file and does not follow the
header's language. amazon.com writes ``1,234.50``, and amazon.de writes
``1.234,50`` in German and, according to a third-party importer of its
reports, in English too. So the format is read from the values (see
`detect_number_format`), and every amount of the file is then parsed in
that one format.

Besides plain numbers, a cell may carry a currency symbol or code before or
after the number (``$6.29``, ``12,50 €``, ``EUR 12,50``) and an apostrophe
that keeps a spreadsheet from reading it as a formula (``'-0.68'``). Typed
XLSX cells are taken as they are, a float through its shortest repr.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from enum import Enum
from functools import lru_cache

from bot.documents.numbers import number_cell, parse_quantity
from bot.errors import InvalidValueError
from bot.i18n import N_


class NumberFormat(Enum):
    """The decimal separator of a file's amounts, with the thousands separators that go with it."""

    DECIMAL_POINT = "1,234.50"
    DECIMAL_COMMA = "1.234,50"


_NOT_A_NUMBER = {
    NumberFormat.DECIMAL_POINT: N_("{value} is not a number with a decimal point, such as 1234.50"),
    NumberFormat.DECIMAL_COMMA: N_("{value} is not a number with a decimal comma, such as 1 234,50"),
}

AMOUNT_FIXES = {
    NumberFormat.DECIMAL_POINT: N_("write amounts like 1234.50"),
    NumberFormat.DECIMAL_COMMA: N_("write amounts like 1234,50"),
}

# An optional minus, thousands groups of three digits, then an optional fraction.
_NUMBER_PATTERNS = {
    NumberFormat.DECIMAL_POINT: re.compile(
        r"(?P<sign>-?)(?P<integer>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<fraction>\d+))?", re.ASCII
    ),
    NumberFormat.DECIMAL_COMMA: re.compile(
        r"(?P<sign>-?)(?P<integer>\d{1,3}(?:[.\u0020\u00a0\u202f\u2009]\d{3})+|\d+)(?:,(?P<fraction>\d+))?", re.ASCII
    ),
}
_GROUP_SEPARATORS = str.maketrans("", "", ",.\u0020\u00a0\u202f\u2009")

_MINUS_SIGNS = ("-", "\u2212")
_CURRENCY_PREFIX = re.compile(r"^(?:[$€£]|[A-Z]{3}(?=[\s\d\-\u2212]))\s*")
_CURRENCY_SUFFIX = re.compile(r"\s*(?:[$€£]|[A-Z]{3}|kr)$")

# A fraction below one is taken for a share, such as 0.19 in a percent-formatted
# XLSX cell, because no VAT rate of the marketplaces lies between 0 % and 1 %.
_ONE = Decimal(1)
_HUNDRED = Decimal(100)


def detect_number_format(values: Iterable[object], default: NumberFormat) -> NumberFormat:
    """Return the number format that most of the text values are written in.

    A value counts for the decimal point when its last separator is a point
    followed by other than three digits (``12.50``), when a comma comes
    before a point (``1,234.50``), or when it has several commas
    (``1,234,567``). The same rules with the separators swapped count for
    the decimal comma. A single separator before exactly three digits
    (``1,234``) and a whole number fit both formats and do not count. When
    the counts are equal, ``default`` wins. The caller passes the format of
    the marketplace that the header's language suggests.
    """
    point = comma = 0
    for value in values:
        if isinstance(value, str):
            bare = value if value[-1:].isdigit() and value[:1].isdigit() else _strip_decorations(value)[1]
            vote = _format_of(bare)
            if vote is NumberFormat.DECIMAL_POINT:
                point += 1
            elif vote is NumberFormat.DECIMAL_COMMA:
                comma += 1

    if point == comma:
        return default
    return NumberFormat.DECIMAL_POINT if point > comma else NumberFormat.DECIMAL_COMMA


def parse_amount(value: object, number_format: NumberFormat) -> Decimal:
    """Parse an amount in the file's number format; raise `InvalidValueError` naming the value."""
    return amount_parser(number_format)(value)


def parse_percent(value: object, number_format: NumberFormat) -> Decimal:
    """Parse a VAT rate such as ``19%``, ``19,00 %``, ``25`` or a percent-formatted cell's ``0.19`` into percent."""
    return percent_parser(number_format)(value)


@lru_cache(maxsize=None)
def amount_parser(number_format: NumberFormat) -> Callable[[object], Decimal]:
    """Return the function that `parse_amount` calls, for parsing the many cells of one file."""
    pattern = _NUMBER_PATTERNS[number_format]
    message = _NOT_A_NUMBER[number_format]

    def parse(value: object) -> Decimal:
        if not isinstance(value, str):
            return _number_cell(value)

        negative = False
        match = pattern.fullmatch(value)
        if match is None:
            negative, text = _strip_decorations(value)
            match = pattern.fullmatch(text)
            if match is None:
                raise InvalidValueError(message, value=repr(value.strip()))

        integer, fraction = match["integer"], match["fraction"]
        if not integer.isdigit():
            integer = integer.translate(_GROUP_SEPARATORS)
        amount = Decimal(f"{integer}.{fraction}" if fraction else integer)
        return -amount if negative or match["sign"] else amount

    return parse


@lru_cache(maxsize=None)
def percent_parser(number_format: NumberFormat) -> Callable[[object], Decimal]:
    """Return the function that `parse_percent` calls."""
    parse_number = amount_parser(number_format)

    def parse(value: object) -> Decimal:
        text = value.strip() if isinstance(value, str) else value
        is_percent = isinstance(text, str) and text.endswith("%")
        try:
            rate = parse_number(text[:-1] if is_percent else text)
        except InvalidValueError:
            raise InvalidValueError(N_("{value} is not a percentage, such as 19%"), value=repr(text)) from None

        if not is_percent and 0 < rate < _ONE:
            return rate * _HUNDRED
        return rate

    return parse


def parse_signed_quantity(value: object) -> int:
    """Parse an item count that is negative on a returned item's row, such as ``-1``."""
    if isinstance(value, str) and value.strip().startswith(_MINUS_SIGNS):
        text = value.strip()
        try:
            return -parse_quantity(text[1:].strip())
        except InvalidValueError:
            raise InvalidValueError(N_("{value} is not a whole number"), value=repr(text)) from None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool) and value < 0:
        return -parse_quantity(-value)
    return parse_quantity(value)


def _strip_decorations(value: str) -> tuple[bool, str]:
    """Split a cell into its sign and bare number, without apostrophes, currency and spaces."""
    text = value.strip()
    if text.startswith("'"):
        text = text[1:-1] if len(text) > 1 and text.endswith("'") else text[1:]
        text = text.strip()

    negative = text.startswith(_MINUS_SIGNS)
    if negative:
        text = text[1:].lstrip()
    text = _CURRENCY_PREFIX.sub("", text, count=1)
    if not negative and text.startswith(_MINUS_SIGNS):
        negative, text = True, text[1:].lstrip()
    text = _CURRENCY_SUFFIX.sub("", text, count=1)
    return negative, text


def _format_of(text: str) -> NumberFormat | None:
    """Return the number format a bare number can only be written in, or None when it fits both."""
    point, comma = text.rfind("."), text.rfind(",")
    if point >= 0 and comma >= 0:
        return NumberFormat.DECIMAL_POINT if point > comma else NumberFormat.DECIMAL_COMMA
    if point < 0 and comma < 0:
        return None

    separator, position = (".", point) if point >= 0 else (",", comma)
    after = len(text) - position - 1
    if text.count(separator) > 1:
        # Several of the same separator can only group thousands.
        return NumberFormat.DECIMAL_COMMA if separator == "." else NumberFormat.DECIMAL_POINT
    if after == 3:
        return None
    return NumberFormat.DECIMAL_POINT if separator == "." else NumberFormat.DECIMAL_COMMA


def _number_cell(value: object) -> Decimal:
    """Return a typed numeric cell as a Decimal; a cell of any other type is an error."""
    number = number_cell(value)
    if number is None:
        raise InvalidValueError(N_("{value} is not a number"), value=repr(value))
    return number
