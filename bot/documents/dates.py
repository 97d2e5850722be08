"""Dates in bank and card statements: the written forms, spreadsheet serials and printed periods.

A layout names the forms it accepts, such as ``dd.mm.yyyy`` or
``yyyy/mm/dd``. Typed date cells of a spreadsheet are always accepted, and
so is a spreadsheet serial (days since 30.12.1899, as Excel counts them),
whether the cell is a number or a text of five digits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from bot.errors import InvalidValueError
from bot.i18n import N_

# A time after the date is ignored: "2026-11-05T13:45:00Z", "05.11.2026 13:45".
_TIME = r"(?:[T ]\d{1,2}[:.]\d{2}(?:[:.]\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"

_DAY = r"(?P<day>\d{1,2})"
_MONTH = r"(?P<month>\d{1,2})"
_YEAR = r"(?P<year>\d{4})"

# The written forms a layout may accept, by the name used in layouts and in the configuration.
DATE_FORMATS: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern + _TIME, re.ASCII)
    for name, pattern in {
        "dd.mm.yyyy": rf"{_DAY}\.{_MONTH}\.{_YEAR}",
        "dd.mm.yy": rf"{_DAY}\.{_MONTH}\.(?P<short_year>\d{{2}})",
        "yyyy-mm-dd": rf"{_YEAR}-{_MONTH}-{_DAY}",
        "yyyy/mm/dd": rf"{_YEAR}/{_MONTH}/{_DAY}",
        "dd/mm/yyyy": rf"{_DAY}/{_MONTH}/{_YEAR}",
        "mm/dd/yyyy": rf"{_MONTH}/{_DAY}/{_YEAR}",
    }.items()
}

# The forms tried when a layout names none. No text matches two of them. A
# layout that needs "dd/mm/yyyy" or "mm/dd/yyyy" names it, because the two
# read 05/11/2026 differently.
DEFAULT_DATE_FORMATS = ("dd.mm.yyyy", "dd.mm.yy", "yyyy-mm-dd", "yyyy/mm/dd")

# Day 0 of the spreadsheet serials of Excel's 1900 date system. Counting from
# 30.12.1899 makes up for Excel's phantom 29.02.1900, so serials from 61 on are right.
_SERIAL_EPOCH = date(1899, 12, 30)
# A serial outside 1990-2099 is rejected as an amount in the wrong column rather than read as a date.
_FIRST_SERIAL = (date(1990, 1, 1) - _SERIAL_EPOCH).days
_LAST_SERIAL = (date(2099, 12, 31) - _SERIAL_EPOCH).days
_SERIAL_TEXT = re.compile(r"\d{5}(?:[.,]\d+)?", re.ASCII)

# Two dates joined by a dash or "til": "Periode: 01.11.2026 - 30.11.2026",
# "fra og med 01.11.2026 til og med 30.11.2026", "2026-11-01–2026-11-30".
_WRITTEN_DATE = r"\d{1,2}\.\d{1,2}\.\d{2,4}|\d{4}[-/]\d{1,2}[-/]\d{1,2}"
_PERIOD_JOINER = r"\s*(?:-|\u2013|\u2014|til og med|til|to)\s*"
_PERIOD = re.compile(
    rf"(?<![\d.])(?P<start>{_WRITTEN_DATE}){_PERIOD_JOINER}(?P<end>{_WRITTEN_DATE})(?![\d.])",
    re.ASCII | re.IGNORECASE,
)


def parse_statement_date(value: object, formats: Sequence[str] = DEFAULT_DATE_FORMATS) -> date:
    """Parse a date cell of a statement: a typed date, a spreadsheet serial, or text in one of ``formats``.

    ``formats`` are keys of `DATE_FORMATS`. A two-digit year is in the 2000s.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise InvalidValueError(N_("{value} is not a date"), value=repr(value))
    if isinstance(value, int | float | Decimal):
        return _from_serial(value)
    if not isinstance(value, str):
        raise InvalidValueError(N_("{value} is not a date"), value=repr(value))

    text = value.strip()
    if _SERIAL_TEXT.fullmatch(text):
        return _from_serial(Decimal(text.replace(",", ".")))
    for name in formats:
        match = DATE_FORMATS[name].fullmatch(text)
        if match is not None:
            return _make_date(text, match)
    raise InvalidValueError(N_("{value} is not a date in the form {formats}"), value=repr(text),
                            formats=" | ".join(formats))


def find_period(text: str) -> tuple[date, date] | None:
    """Return the first period written in ``text`` as two dates joined by a dash or "til", if any."""
    for match in _PERIOD.finditer(text):
        try:
            start = parse_statement_date(match["start"])
            end = parse_statement_date(match["end"])
        except InvalidValueError:
            continue
        if start <= end:
            return start, end
    return None


def _from_serial(value: int | float | Decimal) -> date:
    try:
        days = int(value)
    except (ValueError, OverflowError, InvalidOperation):
        days = -1
    if not _FIRST_SERIAL <= days <= _LAST_SERIAL:
        raise InvalidValueError(N_("{value} is a number but not a spreadsheet date from 1990 to 2099"),
                                value=repr(value))
    return _SERIAL_EPOCH + timedelta(days=days)


def _make_date(text: str, match: re.Match[str]) -> date:
    groups = match.groupdict()
    year = 2000 + int(groups["short_year"]) if groups.get("short_year") else int(groups["year"])
    try:
        return date(year, int(groups["month"]), int(groups["day"]))
    except ValueError:
        raise InvalidValueError(N_("{value} is not a valid calendar date"), value=repr(text)) from None
