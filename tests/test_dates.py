"""Tests for statement dates: written forms, spreadsheet serials and printed periods."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.documents.dates import find_period, parse_statement_date
from bot.errors import InvalidValueError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("05.11.2026", date(2026, 11, 5)),
        ("5.1.2026", date(2026, 1, 5)),
        ("05.11.26", date(2026, 11, 5)),
        ("2026-11-05", date(2026, 11, 5)),
        ("2026/11/05", date(2026, 11, 5)),
        ("2026-11-05T13:45:00Z", date(2026, 11, 5)),
        ("05.11.2026 13:45", date(2026, 11, 5)),
        (46000, date(2025, 12, 9)),
        (46000.75, date(2025, 12, 9)),
        ("46000", date(2025, 12, 9)),
        (datetime(2026, 11, 5, 8, 30), date(2026, 11, 5)),
        (date(2026, 11, 5), date(2026, 11, 5)),
    ],
)
def test_statement_date_values(value, expected):
    assert parse_statement_date(value) == expected


def test_slash_forms_need_naming():
    assert parse_statement_date("05/11/2026", ["dd/mm/yyyy"]) == date(2026, 11, 5)
    assert parse_statement_date("11/05/2026", ["mm/dd/yyyy"]) == date(2026, 11, 5)
    with pytest.raises(InvalidValueError):
        parse_statement_date("05/11/2026")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("31.02.2026", "calendar date"),
        ("Reservert", "dd.mm.yyyy | dd.mm.yy | yyyy-mm-dd | yyyy/mm/dd"),
        ("123456", "in the form"),
        (150.5, "spreadsheet date from 1990 to 2099"),
        ("99999", "spreadsheet date"),
        (float("nan"), "spreadsheet date"),
        (True, "not a date"),
    ],
)
def test_statement_date_rejects(value, reason):
    with pytest.raises(InvalidValueError) as raised:
        parse_statement_date(value)

    assert reason in str(raised.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Periode: 01.11.2026 - 30.11.2026", (date(2026, 11, 1), date(2026, 11, 30))),
        ("Transaksjoner fra og med 01.11.2026 til og med 30.11.2026", (date(2026, 11, 1), date(2026, 11, 30))),
        ("2026-11-01\u20132026-11-30", (date(2026, 11, 1), date(2026, 11, 30))),
        ("Utskrevet 05.12.2026", None),
        ("30.11.2026 - 01.11.2026", None),
        ("Konto 1234.56.78901 - 2026", None),
    ],
)
def test_find_period(text, expected):
    assert find_period(text) == expected
