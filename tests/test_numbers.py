"""Tests for Norwegian and Amazon number and date parsing."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from bot.documents.numbers import (
    format_decimal_comma,
    parse_amount,
    parse_amount_with_currency,
    parse_decimal_comma,
    parse_decimal_point,
    parse_norwegian_date,
    parse_original_amount,
    parse_quantity,
    parse_rate,
    parse_report_date,
)
from bot.errors import InvalidValueError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("148,13", "148.13"),
        ("1 234,50", "1234.50"),
        ("1\u00a0234,50", "1234.50"),
        ("12\u202f345\u00a0678,90", "12345678.90"),
        ("1.234,50", "1234.50"),
        ("25 000", "25000"),
        ("-1 234,50", "-1234.50"),
        ("\u22125,00", "-5.00"),
        ("35.8", "35.8"),
        ("12.50", "12.50"),
        ("  0,00 ", "0.00"),
        (148.13, "148.13"),
        (5000, "5000"),
        (Decimal("1.5"), "1.5"),
    ],
)
def test_decimal_comma_values(text, expected):
    assert parse_decimal_comma(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "abc", "1 23,50", "1,234,50", "12,50 EUR", "1.2.3", "١٢,٥٠", "--5,00"])
def test_decimal_comma_rejects(text):
    with pytest.raises(ValueError) as raised:
        parse_decimal_comma(text)

    assert repr(text.strip()) in str(raised.value)


def test_decimal_comma_float_keeps_shown_digits():
    # 238.06 has no exact binary form; the cell shows 238.06 and so must we.
    assert str(parse_decimal_comma(238.06)) == "238.06"


def test_decimal_comma_rejects_bool():
    with pytest.raises(ValueError):
        parse_decimal_comma(True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1234.50", "1234.50"), ("-8.31", "-8.31"), ("1,234.50", "1234.50"), ("0", "0"), (199.9, "199.9")],
)
def test_decimal_point_values(text, expected):
    assert parse_decimal_point(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["2,00", "1 234.50", "$6.29", "12.3.4"])
def test_decimal_point_rejects(text):
    with pytest.raises(ValueError) as raised:
        parse_decimal_point(text)

    assert "decimal point" in str(raised.value)


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("12,50 EUR", "12.50", "EUR"),
        ("12.50 EUR", "12.50", "EUR"),
        ("1 234,50 SEK", "1234.50", "SEK"),
        ("1\u00a0234,50\u00a0SEK", "1234.50", "SEK"),
    ],
)
def test_amount_with_currency(text, amount, currency):
    assert parse_amount_with_currency(text) == (Decimal(amount), currency)


@pytest.mark.parametrize("text", ["EUR 12,50", "12,50", "12,50 eur", "12,50 EURO"])
def test_amount_with_currency_rejects(text):
    with pytest.raises(ValueError) as raised:
        parse_amount_with_currency(text)

    assert "currency code" in str(raised.value)


@pytest.mark.parametrize(("value", "expected"), [("3", 3), (2, 2), (2.0, 2), ("0", 0)])
def test_quantity_values(value, expected):
    assert parse_quantity(value) == expected


@pytest.mark.parametrize("value", ["1.5", "-1", "²", "x", 1.5, -2, True])
def test_quantity_rejects(value):
    with pytest.raises(ValueError):
        parse_quantity(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("05.11.2026", date(2026, 11, 5)),
        ("5.1.2026", date(2026, 1, 5)),
        (datetime(2025, 10, 30), date(2025, 10, 30)),
        (date(2025, 10, 30), date(2025, 10, 30)),
    ],
)
def test_norwegian_date_values(value, expected):
    assert parse_norwegian_date(value) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [("2026-11-05", "dd.mm.yyyy"), ("31.02.2026", "calendar"), ("11/05/2026", "dd.mm.yyyy")],
)
def test_norwegian_date_rejects(text, reason):
    with pytest.raises(ValueError) as raised:
        parse_norwegian_date(text)

    assert reason in str(raised.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11/21/2019", date(2019, 11, 21)),
        ("21.11.2019", date(2019, 11, 21)),
        ("2019-11-21", date(2019, 11, 21)),
        ("2023-05-31T13:00:59.799Z", date(2023, 5, 31)),
    ],
)
def test_report_date_values(text, expected):
    assert parse_report_date(text) == expected


@pytest.mark.parametrize("text", ["21/11/2019", "Nov 21, 2019", "11/21/19"])
def test_report_date_rejects(text):
    with pytest.raises(ValueError) as raised:
        parse_report_date(text)

    assert repr(text) in str(raised.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Decimal("12345.67"), "12 345,67"), (Decimal("-0.5"), "-0,50"), (Decimal("1234567"), "1 234 567,00")],
)
def test_format_decimal_comma(value, expected):
    assert format_decimal_comma(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 234,50", "1234.50"),
        ("1\u00a0234\u00a0567,00", "1234567.00"),
        ("1\u202f234,50", "1234.50"),
        ("1.234,50", "1234.50"),
        ("-163,80", "-163.80"),
        ("\u2212163,80", "-163.80"),
        ("163,80-", "-163.80"),
        ("(1 234,50)", "-1234.50"),
        ("+17 250,00", "17250.00"),
        ("kr 1 234,50", "1234.50"),
        ("1 234,50 kr", "1234.50"),
        ("-kr 150,00", "-150.00"),
        ("(150,00 kr)", "-150.00"),
        ("NOK 99,90", "99.90"),
        ("150,-", "150"),
        ("35.8", "35.8"),
        ("0.125", "0.125"),
        ("-0,00", "0.00"),
        (148.13, "148.13"),
        (-119, "-119"),
    ],
)
def test_amount_decimal_comma(text, expected):
    assert parse_amount(text, ",") == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1,234.50", "1234.50"), ("1 234.50", "1234.50"), ("-8.31", "-8.31"), ("(3.00)", "-3.00"), ("1,234", "1234")],
)
def test_amount_decimal_point(text, expected):
    assert parse_amount(text, ".") == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "decimal"),
    [
        ("--5,00", ","),
        ("(-5,00)", ","),
        ("-5,00-", ","),
        ("+(5,00)", ","),
        ("1 234.567,00", ","),
        ("1,234,50", ","),
        ("12,50 EUR", ","),
        ("kr", ","),
        ("()", ","),
        ("12,50", "."),
        ("150,-", "."),
        ("١٢,٥٠", ","),
    ],
)
def test_amount_rejects(text, decimal):
    with pytest.raises(InvalidValueError) as raised:
        parse_amount(text, decimal)

    assert repr(text) in str(raised.value)


def test_amount_rejects_infinite_cell():
    with pytest.raises(InvalidValueError):
        parse_amount(float("inf"))


@pytest.mark.parametrize(("value", "expected"), [("11,8523", "11.8523"), ("11.85", "11.85"), (0.0712, "0.0712")])
def test_rate_values(value, expected):
    assert parse_rate(value) == Decimal(expected)


@pytest.mark.parametrize("value", ["1 234,5", "11.85.2", "-11,85", "0", 0, "kurs"])
def test_rate_rejects(value):
    with pytest.raises(InvalidValueError) as raised:
        parse_rate(value)

    assert "exchange rate" in str(raised.value)


@pytest.mark.parametrize(
    ("text", "decimal", "amount", "currency"),
    [
        ("12,50 EUR", ",", "12.50", "EUR"),
        ("EUR 12,50", ",", "12.50", "EUR"),
        ("12.50 EUR", ",", "12.50", "EUR"),
        ("-1 234,50\u00a0SEK", ",", "-1234.50", "SEK"),
        ("USD1,234.00", ".", "1234.00", "USD"),
    ],
)
def test_original_amount_values(text, decimal, amount, currency):
    assert parse_original_amount(text, decimal) == (Decimal(amount), currency)


@pytest.mark.parametrize("value", ["12,50", "12,50 EURO", "EUR", "12,50 eur", 12.5])
def test_original_amount_rejects(value):
    with pytest.raises(InvalidValueError) as raised:
        parse_original_amount(value)

    assert "currency code" in str(raised.value)
