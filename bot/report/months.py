"""Calendar months in Norwegian time, the unit of the monthly report.

A month is given as the date of its first day. Its bounds are the UTC
instants of midnight in Europe/Oslo at its start and at the next month's
start, so an event at 23:30 UTC on 31 October (00:30 on 1 November in Oslo)
belongs to November.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")


def add_months(month: date, count: int) -> date:
    """Return the first day of the month ``count`` months after ``month`` (before it when negative)."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def previous_month(now: datetime) -> date:
    """Return the first day of the month before the one ``now`` falls in, in Oslo time."""
    local = now.astimezone(OSLO).date()
    return add_months(local.replace(day=1), -1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """Return the month's start (inclusive) and end (exclusive) as aware UTC datetimes."""
    start = datetime.combine(month, time(), tzinfo=OSLO)
    end = datetime.combine(add_months(month, 1), time(), tzinfo=OSLO)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def months_ending(month: date, count: int) -> list[date]:
    """Return the ``count`` months that end with ``month``, oldest first."""
    return [add_months(month, offset) for offset in range(1 - count, 1)]


def parse_month(text: str) -> date:
    """Read a month written as YYYY-MM; raise ValueError for anything else."""
    year, separator, number = text.partition("-")
    if not (separator and len(year) == 4 and len(number) == 2 and year.isdigit() and number.isdigit()):
        raise ValueError(f"invalid month {text!r}; expected YYYY-MM, such as 2026-11")
    if not 1 <= int(number) <= 12:
        raise ValueError(f"invalid month {text!r}: month number {number} out of range; expected 01 to 12")
    return date(int(year), int(number), 1)
