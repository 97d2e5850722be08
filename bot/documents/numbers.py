"""Numbers and dates as Norwegian banks and Amazon Business reports write them.

Every function takes either text or a typed spreadsheet cell (openpyxl
returns numbers and datetimes for typed cells) and raises `InvalidValueError`,
a `ValueError` whose translatable message quotes the value. Parsers turn that into an `InputError` that
names the file, line and column.

Money is returned as `Decimal`. A float cell is converted through its
shortest repr, so a cell that shows ``148.13`` becomes ``Decimal("148.13")``
and not the binary expansion of the float.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from bot.errors import InvalidValueError
from bot.i18n import N_

# Space, no-break space, narrow no-break space and thin space: Norwegian
# banks and Excel use all of them as thousands separators.
_GROUP_SPACES = " \u00a0\u202f\u2009"

# Decimal comma, with an optional thousands separator (a space or a dot)
# between groups of three digits: "148,13", "1 234,50", "1.234,50", "25 000".
_DECIMAL_COMMA = re.compile(
    rf"(?P<sign>[-\u2212]?)(?P<integer>\d{{1,3}}(?:[{_GROUP_SPACES}.]\d{{3}})+|\d+)(?:,(?P<fraction>\d+))?",
    re.ASCII,
)

# A lone decimal point: older DNB account exports write "35.8", and the DNB
# Mastercard XLSX writes the original amount as "12.50 EUR".
_LONE_DECIMAL_POINT = re.compile(r"(?P<sign>[-\u2212]?)(?P<integer>\d+)\.(?P<fraction>\d+)", re.ASCII)

# Decimal point, with an optional comma thousands separator: "1234.50", "1,234.50".
_DECIMAL_POINT = re.compile(r"(?P<sign>-?)(?P<integer>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<fraction>\d+))?", re.ASCII)

# Amount followed by an ISO 4217 code, as in the statement's Valuta column.
_AMOUNT_WITH_CURRENCY = re.compile(r"(?P<amount>.+?)\s+(?P<currency>[A-Z]{3})")

# A NOK amount in a statement, after its sign and currency are removed. The
# thousands separator must be the same throughout, and a leading group never
# starts with 0, so "0.125" is never read as 125.
_STATEMENT_AMOUNT = {
    ",": re.compile(
        r"(?P<integer>[1-9]\d{0,2}(?P<group>[ .])\d{3}(?:(?P=group)\d{3})*|\d+)(?:,(?P<fraction>\d+))?", re.ASCII
    ),
    ".": re.compile(
        r"(?P<integer>[1-9]\d{0,2}(?P<group>[ ,])\d{3}(?:(?P=group)\d{3})*|\d+)(?:\.(?P<fraction>\d+))?", re.ASCII
    ),
}
_AMOUNT_EXAMPLES = {
    ",": N_("{value} is not a number with a decimal comma, such as 1 234,50"),
    ".": N_("{value} is not a number with a decimal point, such as 1234.50"),
}
# "kr", "kr." or "NOK" before or after a NOK amount.
_NOK_AMOUNT = re.compile(r"(?:(?:nok|kr\.?)\s*)?(?P<body>.*?)(?:\s*(?:nok|kr\.?))?", re.IGNORECASE | re.DOTALL)
_MINUS_SIGNS = "-\u2212"
_RATE = re.compile(r"(?P<integer>\d+)(?:[.,](?P<fraction>\d+))?", re.ASCII)
_CURRENCY_FIRST = re.compile(r"(?P<currency>[A-Z]{3})\s*(?P<amount>[^A-Z].*)", re.DOTALL)
_CURRENCY_LAST = re.compile(r"(?P<amount>.*[^A-Z])\s*(?P<currency>[A-Z]{3})", re.DOTALL)

_NORWEGIAN_DATE = re.compile(r"(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})", re.ASCII)
_US_DATE = re.compile(r"(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})", re.ASCII)
# ISO 8601 date, optionally followed by a time such as "T13:00:59.799Z".
_ISO_DATE = re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?:[T ].*)?", re.ASCII)


def parse_decimal_comma(value: object) -> Decimal:
    """Parse an amount written the Norwegian (and German) way, such as ``1 234,50``.

    A value with a single dot and no comma (``35.8``, ``12.50``) is read as a
    decimal point, because Norwegian bank exports write both forms. That makes
    ``1.234`` one thousand two hundred and thirty-four, since a thousands
    group needs exactly three digits after the dot.
    """
    number = number_cell(value)
    if number is not None:
        return number

    text = _text(value, N_("{value} is not a number"))
    match = _DECIMAL_COMMA.fullmatch(text)
    if match is None:
        match = _LONE_DECIMAL_POINT.fullmatch(text)
    if match is None:
        raise InvalidValueError(N_("{value} is not a number with a decimal comma, such as 1 234,50"), value=repr(text))

    return _join(match["sign"], match["integer"], match["fraction"])


def parse_decimal_point(value: object) -> Decimal:
    """Parse an amount written with a decimal point, such as ``1234.50`` or ``-8.31``."""
    number = number_cell(value)
    if number is not None:
        return number

    text = _text(value, N_("{value} is not a number"))
    match = _DECIMAL_POINT.fullmatch(text)
    if match is None:
        raise InvalidValueError(N_("{value} is not a number with a decimal point, such as 1234.50"), value=repr(text))

    return _join(match["sign"], match["integer"], match["fraction"])


def format_decimal_comma(value: Decimal) -> str:
    """Format an amount the Norwegian way with two decimals, such as ``-1 234,50``.

    The thousands separator is a plain space, as on printed statements.
    """
    return f"{value:,.2f}".replace(",", " ").replace(".", ",")


def parse_amount_with_currency(value: object) -> tuple[Decimal, str]:
    """Parse an original amount and its currency code, such as ``12,50 EUR`` or ``12.50 EUR``."""
    text = _text(value, N_("{value} is not an amount with a currency code"))
    match = _AMOUNT_WITH_CURRENCY.fullmatch(text)
    if match is None:
        raise InvalidValueError(
            N_("{value} is not an amount followed by a currency code, such as 12,50 EUR"), value=repr(text)
        )

    return parse_decimal_comma(match["amount"]), match["currency"]


def parse_amount(value: object, decimal: str = ",") -> Decimal:
    """Parse a NOK amount of a bank or card statement, with the layout's decimal separator.

    ``decimal`` is ``","`` or ``"."``. The other of the two, or a space of any
    width, may group thousands: ``1 234,50``, ``1.234,50``, ``1,234.50``. One
    amount uses one grouping character throughout. A negative amount has a leading or trailing minus
    (``-`` or U+2212) or parentheses: ``-150,00``, ``150,00-``, ``(150,00)``.
    ``kr``, ``kr.`` or ``NOK`` may stand before or after the number, and
    ``150,-`` means 150 kroner.

    With a decimal comma, a single dot followed by other than three digits
    is a decimal point (``35.8``), because older DNB exports write that.
    """
    number = number_cell(value)
    if number is not None:
        return _finite(number, value)

    text = _text(value, N_("{value} is not a number"))
    message = _AMOUNT_EXAMPLES[decimal]
    parts = _split_sign(text, decimal)
    if parts is None:
        raise InvalidValueError(message, value=repr(text))

    negative, body, whole_kroner = parts
    match = _STATEMENT_AMOUNT[decimal].fullmatch(body)
    if match is None and decimal == "," and not whole_kroner:
        match = _LONE_DECIMAL_POINT.fullmatch(body)
    if match is None:
        raise InvalidValueError(message, value=repr(text))

    number = _join("-" if negative else "", match["integer"], match["fraction"])
    return number.copy_abs() if number.is_zero() else number


def parse_rate(value: object) -> Decimal:
    """Parse an exchange rate such as ``11,8523`` or ``11.8523``: positive, with no thousands separator."""
    number = number_cell(value)
    if number is None:
        text = _text(value, N_("{value} is not an exchange rate, such as 11,8523"))
        match = _RATE.fullmatch(text)
        if match is None:
            raise InvalidValueError(N_("{value} is not an exchange rate, such as 11,8523"), value=repr(text))
        number = _join("", match["integer"], match["fraction"])

    if not number.is_finite() or number <= 0:
        raise InvalidValueError(N_("{value} is not an exchange rate, such as 11,8523"), value=repr(value))
    return number


def parse_original_amount(value: object, decimal: str = ",") -> tuple[Decimal, str]:
    """Parse a foreign amount with its ISO 4217 code before or after it: ``12,50 EUR`` or ``EUR -12,50``.

    The number is read as `parse_amount` reads it, with the layout's decimal separator.
    """
    message = N_("{value} is not an amount with a currency code, such as 12,50 EUR or EUR 12,50")
    text = _text(value, message)
    match = _CURRENCY_LAST.fullmatch(text) or _CURRENCY_FIRST.fullmatch(text)
    if match is None:
        raise InvalidValueError(message, value=repr(text))

    try:
        amount = parse_amount(match["amount"].strip(), decimal)
    except InvalidValueError:
        raise InvalidValueError(message, value=repr(text)) from None
    return amount, match["currency"]


def parse_quantity(value: object) -> int:
    """Parse a whole, non-negative item count."""
    if isinstance(value, bool):
        raise InvalidValueError(N_("{value} is not a quantity"), value=repr(value))

    if isinstance(value, int | float | Decimal):
        if value != int(value):
            raise InvalidValueError(N_("{value} is not a whole number"), value=repr(value))
        quantity = int(value)
    else:
        text = _text(value, N_("{value} is not a quantity"))
        if not (text.isascii() and text.isdigit()):
            raise InvalidValueError(N_("{value} is not a whole number"), value=repr(text))
        quantity = int(text)

    if quantity < 0:
        raise InvalidValueError(N_("{value} is negative"), value=quantity)
    return quantity


def parse_norwegian_date(value: object) -> date:
    """Parse a ``dd.mm.yyyy`` date or a spreadsheet date cell."""
    cell = _date_cell(value)
    if cell is not None:
        return cell

    text = _text(value, N_("{value} is not a date"))
    match = _NORWEGIAN_DATE.fullmatch(text)
    if match is None:
        raise InvalidValueError(N_("{value} is not a date in the form dd.mm.yyyy"), value=repr(text))
    return _make_date(text, match)


def parse_report_date(value: object) -> date:
    """Parse a date of an Amazon Business report: ``MM/DD/YYYY``, ``DD.MM.YYYY`` or ISO 8601.

    amazon.com exports write US dates; the German marketplace writes
    ``DD.MM.YYYY``; the API and privacy exports write ISO timestamps, of which
    only the date is kept.
    """
    cell = _date_cell(value)
    if cell is not None:
        return cell

    text = _text(value, N_("{value} is not a date"))
    for pattern in (_US_DATE, _NORWEGIAN_DATE, _ISO_DATE):
        match = pattern.fullmatch(text)
        if match is not None:
            return _make_date(text, match)
    raise InvalidValueError(
        N_("{value} is not a date in the form MM/DD/YYYY, DD.MM.YYYY or YYYY-MM-DD"), value=repr(text)
    )


def _text(value: object, message: str) -> str:
    """Return text stripped; raise ``message``, whose placeholder is ``value``, for a typed cell."""
    if not isinstance(value, str):
        raise InvalidValueError(message, value=repr(value))
    return value.strip()


def number_cell(value: object) -> Decimal | None:
    """Return a typed numeric cell as a Decimal, or None for text."""
    if isinstance(value, bool):
        raise InvalidValueError(N_("{value} is not a number"), value=repr(value))
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    return None


def _finite(number: Decimal, value: object) -> Decimal:
    if not number.is_finite():
        raise InvalidValueError(N_("{value} is not a number"), value=repr(value))
    return number


def _split_sign(text: str, decimal: str) -> tuple[bool, str, bool] | None:
    """Split an amount's text into (negative, digits with separators, written as whole kroner ``,-``).

    Return None when the text has more than one sign or no number.
    """
    body = "".join(" " if character in _GROUP_SPACES else character for character in text)
    signs: list[str] = []
    if body.startswith("(") and body.endswith(")"):
        signs.append("(")
        body = body[1:-1].strip()

    body = _NOK_AMOUNT.fullmatch(body)["body"]
    if body.startswith("(") and body.endswith(")"):
        signs.append("(")
        body = body[1:-1].strip()

    if body[:1] in (*_MINUS_SIGNS, "+"):
        signs.append(body[0])
        # A sign may also stand before the currency, as in "-kr 150,00".
        body = _NOK_AMOUNT.fullmatch(body[1:].lstrip())["body"]
    whole_kroner = decimal == "," and body.endswith(",-")
    if whole_kroner:
        body = body[:-2]
    elif body[-1:] in tuple(_MINUS_SIGNS):
        signs.append(body[-1])
        body = body[:-1].rstrip()

    if len(signs) > 1 or not body:
        return None
    return signs not in ([], ["+"]), body, whole_kroner


def _date_cell(value: object) -> date | None:
    """Return a typed date cell as a date, or None for text."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


def _join(sign: str, integer: str, fraction: str | None) -> Decimal:
    digits = "".join(character for character in integer if character.isdigit())
    text = f"{digits}.{fraction}" if fraction else digits
    number = Decimal(text)
    return -number if sign else number


def _make_date(text: str, match: re.Match[str]) -> date:
    try:
        return date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        raise InvalidValueError(N_("{value} is not a valid calendar date"), value=repr(text)) from None
