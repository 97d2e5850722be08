"""Number and date formats of order reports: detection from the values and parsing in the detected format."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.documents.report_dates import DateOrder, detect_date_order, parse_date
from bot.documents.report_numbers import (
    NumberFormat,
    detect_number_format,
    parse_amount,
    parse_percent,
    parse_signed_quantity,
)
from bot.errors import InvalidValueError

POINT, COMMA = NumberFormat.DECIMAL_POINT, NumberFormat.DECIMAL_COMMA
MONTH_FIRST, DAY_FIRST = DateOrder.MONTH_FIRST, DateOrder.DAY_FIRST

AMOUNTS = st.decimals(min_value=Decimal("-9999999.99"), max_value=Decimal("9999999.99"), places=2)
DATES = st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31))


def write_point(amount: Decimal, grouped: bool) -> str:
    return f"{amount:,.2f}" if grouped else f"{amount:.2f}"


def write_comma(amount: Decimal, grouped: bool) -> str:
    return write_point(amount, grouped).replace(",", " ").replace(".", ",").replace(" ", ".")


@pytest.mark.parametrize(
    ("text", "number_format", "expected"),
    [
        ("1,234.50", POINT, "1234.50"),
        ("1234.5", POINT, "1234.5"),
        ("-8.31", POINT, "-8.31"),
        ("1.234,50", COMMA, "1234.50"),
        ("1234,50", COMMA, "1234.50"),
        ("1 234,50", COMMA, "1234.50"),
        ("1\u00a0234,50", COMMA, "1234.50"),
        ("\u22123,00", COMMA, "-3.00"),
        ("$6.29", POINT, "6.29"),
        ("-$6.29", POINT, "-6.29"),
        ("$-6.29", POINT, "-6.29"),
        ("'-0.68'", POINT, "-0.68"),
        ("'12.00", POINT, "12.00"),
        ("12,50 €", COMMA, "12.50"),
        ("€12,50", COMMA, "12.50"),
        ("£1,299.00", POINT, "1299.00"),
        ("EUR 12,50", COMMA, "12.50"),
        ("12.50 GBP", POINT, "12.50"),
        ("149,00 kr", COMMA, "149.00"),
        ("25", POINT, "25"),
        ("25", COMMA, "25"),
    ],
)
def test_amount_text(text, number_format, expected):
    assert parse_amount(text, number_format) == Decimal(expected)


@pytest.mark.parametrize(("cell", "expected"), [(148.13, "148.13"), (3, "3"), (Decimal("-2.5"), "-2.5")])
def test_amount_typed_cell(cell, expected):
    assert parse_amount(cell, COMMA) == Decimal(expected)


@pytest.mark.parametrize(
    ("value", "number_format", "message"),
    [
        ("2,00", POINT, "'2,00' is not a number with a decimal point, such as 1234.50"),
        ("1.234.5", COMMA, "'1.234.5' is not a number with a decimal comma, such as 1 234,50"),
        ("12.50", COMMA, "'12.50' is not a number with a decimal comma, such as 1 234,50"),
        ("twelve", POINT, "'twelve' is not a number with a decimal point, such as 1234.50"),
        (True, POINT, "True is not a number"),
    ],
)
def test_amount_error_quotes_value(value, number_format, message):
    with pytest.raises(InvalidValueError) as raised:
        parse_amount(value, number_format)

    assert str(raised.value) == message


@given(AMOUNTS, st.booleans())
def test_point_amount_round_trip(amount, grouped):
    assert parse_amount(write_point(amount, grouped), POINT) == amount


@given(AMOUNTS, st.booleans())
def test_comma_amount_round_trip(amount, grouped):
    assert parse_amount(write_comma(amount, grouped), COMMA) == amount


@given(st.lists(st.tuples(AMOUNTS, st.booleans()), min_size=1), st.sampled_from([POINT, COMMA]))
def test_detects_format_of_two_decimal_amounts(amounts, default):
    point_values = [write_point(amount, grouped) for amount, grouped in amounts]
    comma_values = [write_comma(amount, grouped) for amount, grouped in amounts]

    assert detect_number_format(point_values, default) is POINT
    assert detect_number_format(comma_values, default) is COMMA


@pytest.mark.parametrize(
    ("values", "default", "expected"),
    [
        (["1,234", "1.234", "12", 12.5], COMMA, COMMA),
        (["1,234", "12"], POINT, POINT),
        (["1,234,567"], COMMA, POINT),
        (["1.234.567"], POINT, COMMA),
        (["1.00", "2.00", "2,00"], COMMA, POINT),
        (["2,00", "2.00"], POINT, POINT),
        (["$6.29", "'-0.68'"], COMMA, POINT),
        (["12,50 €"], POINT, COMMA),
        ([], COMMA, COMMA),
    ],
)
def test_detect_number_format_cases(values, default, expected):
    assert detect_number_format(values, default) is expected


@pytest.mark.parametrize(
    ("value", "number_format", "expected"),
    [("19%", POINT, "19"), ("19 %", COMMA, "19"), ("7,00 %", COMMA, "7.00"), ("25", POINT, "25"),
     (0.19, POINT, "19.00"), ("0", POINT, "0"), (Decimal("25"), COMMA, "25")],
)
def test_percent(value, number_format, expected):
    assert parse_percent(value, number_format) == Decimal(expected)


def test_percent_error_quotes_value():
    with pytest.raises(InvalidValueError) as raised:
        parse_percent("neunzehn %", COMMA)

    assert str(raised.value) == "'neunzehn %' is not a percentage, such as 19%"


@pytest.mark.parametrize(("value", "expected"), [("3", 3), ("-1", -1), (" -12 ", -12), (-2, -2), (4.0, 4)])
def test_signed_quantity(value, expected):
    assert parse_signed_quantity(value) == expected


def test_signed_quantity_error_quotes_whole_value():
    with pytest.raises(InvalidValueError) as raised:
        parse_signed_quantity("-1.5")

    assert str(raised.value) == "'-1.5' is not a whole number"


@pytest.mark.parametrize(
    ("values", "default", "expected"),
    [
        (["11/25/2026", "01/02/2026"], DAY_FIRST, MONTH_FIRST),
        (["25/11/2026", "01/02/2026"], MONTH_FIRST, DAY_FIRST),
        (["01/02/2026", "12/12/2026"], DAY_FIRST, DAY_FIRST),
        (["01/02/2026", "12/12/2026"], MONTH_FIRST, MONTH_FIRST),
        (["11/25/2026", "25/11/2026"], DAY_FIRST, DAY_FIRST),
        (["11/25/2026", "11/26/2026", "25/11/2026"], DAY_FIRST, MONTH_FIRST),
        (["25.11.2026", "2026-11-25", datetime(2026, 11, 25)], MONTH_FIRST, MONTH_FIRST),
    ],
)
def test_detect_date_order_cases(values, default, expected):
    assert detect_date_order(values, default) is expected


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("11/03/2026", MONTH_FIRST, date(2026, 11, 3)),
        ("11/03/2026", DAY_FIRST, date(2026, 3, 11)),
        ("3/11/2026", DAY_FIRST, date(2026, 11, 3)),
        ("03.11.2026", MONTH_FIRST, date(2026, 11, 3)),
        ("2026-11-03", DAY_FIRST, date(2026, 11, 3)),
        ("2026-11-03T13:00:59.799Z", MONTH_FIRST, date(2026, 11, 3)),
        ("11/03/2026 14:05:10", MONTH_FIRST, date(2026, 11, 3)),
        ("03.11.2026 14:05", DAY_FIRST, date(2026, 11, 3)),
    ],
)
def test_date_text(text, order, expected):
    assert parse_date(text, order) == expected


def test_date_typed_cell():
    assert parse_date(datetime(2026, 11, 3, 10, 30), DAY_FIRST) == date(2026, 11, 3)


@pytest.mark.parametrize(
    ("text", "order", "message"),
    [
        ("31/31/2026", MONTH_FIRST, "'31/31/2026' is not a valid date in the form MM/DD/YYYY"),
        ("11/25/2026", DAY_FIRST, "'11/25/2026' is not a valid date in the form DD/MM/YYYY"),
        ("31.02.2026", DAY_FIRST, "'31.02.2026' is not a valid calendar date"),
        ("3 Nov 2026", DAY_FIRST,
         "'3 Nov 2026' is not a date in the form MM/DD/YYYY, DD/MM/YYYY, DD.MM.YYYY or YYYY-MM-DD"),
        ("11/03/26", MONTH_FIRST,
         "'11/03/26' is not a date in the form MM/DD/YYYY, DD/MM/YYYY, DD.MM.YYYY or YYYY-MM-DD"),
    ],
)
def test_date_error_quotes_value(text, order, message):
    with pytest.raises(InvalidValueError) as raised:
        parse_date(text, order)

    assert str(raised.value) == message


@given(DATES)
def test_date_round_trip_every_form(day):
    assert parse_date(day.strftime("%m/%d/%Y"), MONTH_FIRST) == day
    assert parse_date(day.strftime("%d/%m/%Y"), DAY_FIRST) == day
    assert parse_date(day.strftime("%d.%m.%Y"), MONTH_FIRST) == day
    assert parse_date(day.isoformat() + "T08:15:00Z", DAY_FIRST) == day


@given(st.lists(DATES, min_size=1), st.sampled_from([MONTH_FIRST, DAY_FIRST]))
def test_detected_order_reads_dates_back(days, default):
    for pattern, order in (("%m/%d/%Y", MONTH_FIRST), ("%d/%m/%Y", DAY_FIRST)):
        detected = detect_date_order([day.strftime(pattern) for day in days], default)

        if any(day.day > 12 for day in days):
            assert detected is order
            assert [parse_date(day.strftime(pattern), detected) for day in days] == days
        else:
            assert detected is default
