"""Dates in Amazon Business order reports, whose day and month order is detected per file.

amazon.com writes dates as ``MM/DD/YYYY``. amazon.de writes ``DD.MM.YYYY``
in German and, according to a third-party importer, ``DD/MM/YYYY`` in
English. amazon.co.uk is assumed to write ``DD/MM/YYYY`` too. API and
privacy exports write ISO 8601 timestamps, of which only the date is kept.
Only the slash form is ambiguous: ``04/11/2026`` is April 11 or November 4,
so `detect_date_order` decides once for the whole file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from enum import Enum
from functools import lru_cache

from bot.errors import InvalidValueError
from bot.i18n import N_


class DateOrder(Enum):
    """The order of day and month in a file's slash dates, named by its pattern."""

    MONTH_FIRST = "MM/DD/YYYY"
    DAY_FIRST = "DD/MM/YYYY"


DATE_FIX = N_("write every date of the file in one form: MM/DD/YYYY, DD/MM/YYYY, DD.MM.YYYY or YYYY-MM-DD")

# An optional time of day follows the date in some exports.
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_SLASH_DATE = re.compile(rf"(?P<first>\d{{1,2}})/(?P<second>\d{{1,2}})/(?P<year>\d{{4}}){_TIME}", re.ASCII)
_DOTTED_DATE = re.compile(rf"(?P<day>\d{{1,2}})\.(?P<month>\d{{1,2}})\.(?P<year>\d{{4}}){_TIME}", re.ASCII)
_ISO_DATE = re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?:[T ].*)?", re.ASCII)

_MONTHS_IN_YEAR = 12


def detect_date_order(values: Iterable[object], default: DateOrder) -> DateOrder:
    """Return the order of day and month that most slash dates among the values can only be read in.

    A date whose first number is above 12 can only be day-first, one whose
    second number is above 12 only month-first. Dates with both numbers at
    most 12 fit either order and do not count. When the counts are equal,
    ``default`` wins. The caller passes month-first for amazon.com, and
    day-first for a German header or one with the VAT wording of EU and UK
    exports.
    """
    month_first = day_first = 0
    for value in values:
        if not isinstance(value, str):
            continue
        match = _SLASH_DATE.fullmatch(value)
        if match is None:
            continue
        if int(match["first"]) > _MONTHS_IN_YEAR:
            day_first += 1
        elif int(match["second"]) > _MONTHS_IN_YEAR:
            month_first += 1

    if month_first == day_first:
        return default
    return DateOrder.MONTH_FIRST if month_first > day_first else DateOrder.DAY_FIRST


def parse_date(value: object, order: DateOrder) -> date:
    """Parse a report date, reading a slash date in ``order``; raise `InvalidValueError` naming the value."""
    return date_parser(order)(value)


@lru_cache(maxsize=None)
def date_parser(order: DateOrder) -> Callable[[object], date]:
    """Return the function that `parse_date` calls, for parsing the many cells of one file."""
    month_first = order is DateOrder.MONTH_FIRST
    form = order.value

    def parse(value: object) -> date:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if not isinstance(value, str):
            raise InvalidValueError(N_("{value} is not a date"), value=repr(value))

        match = _SLASH_DATE.fullmatch(value)
        if match is not None:
            first, second = int(match["first"]), int(match["second"])
            month, day = (first, second) if month_first else (second, first)
            try:
                return date(int(match["year"]), month, day)
            except ValueError:
                raise InvalidValueError(N_("{value} is not a valid date in the form {form}"),
                                        value=repr(value), form=form) from None

        match = _DOTTED_DATE.fullmatch(value) or _ISO_DATE.fullmatch(value)
        if match is None:
            raise InvalidValueError(
                N_("{value} is not a date in the form MM/DD/YYYY, DD/MM/YYYY, DD.MM.YYYY or YYYY-MM-DD"),
                value=repr(value),
            )
        try:
            return date(int(match["year"]), int(match["month"]), int(match["day"]))
        except ValueError:
            raise InvalidValueError(N_("{value} is not a valid calendar date"), value=repr(value)) from None

    return parse
