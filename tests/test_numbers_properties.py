"""Property tests: every supported way of writing an amount or a date reads back exactly, and junk fails cleanly."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from bot.documents.dates import DATE_FORMATS, find_period, parse_statement_date
from bot.documents.numbers import parse_amount, parse_original_amount, parse_rate
from bot.errors import InvalidValueError

GROUPS = {",": ("", " ", "\u00a0", "\u202f", "\u2009", "."), ".": ("", " ", "\u00a0", ",")}
NEGATIVE_STYLES = ("-{}", "\u2212{}", "({})", "{}-")
CURRENCY_STYLES = ("{}", "kr {}", "{} kr", "NOK {}", "{} NOK", "{}\u00a0kr")

amounts = st.decimals(min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"), places=2)


def write_amount(value: Decimal, decimal: str, group: str, negative: str, currency: str) -> str:
    """Write ``value`` as a bank export might: grouped thousands, a sign style and a currency word."""
    integer, _, fraction = f"{abs(value):f}".partition(".")
    groups = []
    while len(integer) > 3:
        groups.insert(0, integer[-3:])
        integer = integer[:-3]
    number = group.join([integer, *groups])
    if fraction:
        number += decimal + fraction
    if value < 0:
        number = negative.format(number)
    return currency.format(number)


def write_date(day: date, form: str) -> str:
    return {
        "dd.mm.yyyy": f"{day.day:02}.{day.month:02}.{day.year}",
        "dd.mm.yy": f"{day.day}.{day.month}.{day.year % 100:02}",
        "yyyy-mm-dd": day.isoformat(),
        "yyyy/mm/dd": f"{day.year}/{day.month:02}/{day.day:02}",
        "dd/mm/yyyy": f"{day.day:02}/{day.month:02}/{day.year}",
        "mm/dd/yyyy": f"{day.month}/{day.day}/{day.year}",
    }[form]


@given(
    value=amounts,
    group=st.sampled_from(GROUPS[","]),
    negative=st.sampled_from(NEGATIVE_STYLES),
    currency=st.sampled_from(CURRENCY_STYLES),
)
def test_decimal_comma_amount_reads_back(value, group, negative, currency):
    text = write_amount(value, ",", group, negative, currency)

    assert parse_amount(text, ",") == value


@given(
    value=amounts,
    group=st.sampled_from(GROUPS["."]),
    negative=st.sampled_from(NEGATIVE_STYLES),
    currency=st.sampled_from(CURRENCY_STYLES),
)
def test_decimal_point_amount_reads_back(value, group, negative, currency):
    text = write_amount(value, ".", group, negative, currency)

    assert parse_amount(text, ".") == value


@given(value=st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False, places=4))
def test_typed_amount_cell_reads_back(value):
    assert parse_amount(value) == value
    assert parse_amount(float(value)) == Decimal(repr(float(value)))


@given(
    value=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("9999.9999"), places=4),
    decimal=st.sampled_from((",", ".")),
)
def test_rate_reads_back(value, decimal):
    assert parse_rate(f"{value:f}".replace(".", decimal)) == value


@given(
    value=amounts,
    currency=st.sampled_from(("EUR", "SEK", "USD", "GBP")),
    first=st.booleans(),
    group=st.sampled_from(GROUPS[","]),
)
def test_original_amount_reads_back(value, currency, first, group):
    number = write_amount(value, ",", group, "-{}", "{}")
    text = f"{currency} {number}" if first else f"{number} {currency}"

    assert parse_original_amount(text, ",") == (value, currency)


@given(
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    form=st.sampled_from(sorted(DATE_FORMATS)),
)
def test_written_date_reads_back(day, form):
    assert parse_statement_date(write_date(day, form), [form]) == day


@given(day=st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31)), as_text=st.booleans())
def test_spreadsheet_serial_reads_back(day, as_text):
    serial = (day - date(1899, 12, 30)).days

    assert parse_statement_date(str(serial) if as_text else serial) == day
    assert parse_statement_date(datetime(day.year, day.month, day.day, 13, 45)) == day


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    days=st.integers(min_value=0, max_value=400),
    joiner=st.sampled_from((" - ", "-", " \u2013 ", " til ", " til og med ")),
    form=st.sampled_from(("dd.mm.yyyy", "yyyy-mm-dd")),
)
def test_period_reads_back(start, days, joiner, form):
    end = date.fromordinal(min(start.toordinal() + days, date(2099, 12, 31).toordinal()))
    text = f"Periode: {write_date(start, form)}{joiner}{write_date(end, form)}"

    assert find_period(text) == (start, end)


cells = st.one_of(
    st.text(),
    st.text(alphabet="0123456789 .,-+()\u2212\u00a0krNOEUR/"),
    st.integers(),
    st.floats(),
    st.decimals(),
    st.booleans(),
    st.none(),
)


@given(value=cells, decimal=st.sampled_from((",", ".")))
def test_junk_amount_raises_only_invalid_value(value, decimal):
    try:
        amount = parse_amount(value, decimal)
    except InvalidValueError:
        return
    assert isinstance(amount, Decimal) and amount.is_finite()


@given(value=cells)
def test_junk_rate_raises_only_invalid_value(value):
    try:
        rate = parse_rate(value)
    except InvalidValueError:
        return
    assert rate > 0


@given(value=cells, decimal=st.sampled_from((",", ".")))
def test_junk_original_amount_raises_only_invalid_value(value, decimal):
    try:
        amount, currency = parse_original_amount(value, decimal)
    except InvalidValueError:
        return
    assert amount.is_finite()
    assert len(currency) == 3
    assert currency.isupper()


@given(value=cells, forms=st.lists(st.sampled_from(sorted(DATE_FORMATS.keys() - {"mm/dd/yyyy"})), min_size=1))
def test_junk_date_raises_only_invalid_value(value, forms):
    try:
        day = parse_statement_date(value, forms)
    except InvalidValueError:
        return
    assert isinstance(day, date)


@given(text=st.text())
def test_junk_period_is_none_or_ordered(text):
    period = find_period(text)

    assert period is None or period[0] <= period[1]
