"""Text lines, amounts, VAT rates and dates as Amazon invoice PDFs print them.

Amounts always have two decimals on Amazon invoices, with a decimal comma
and dot thousands (``1.234,56 €``) on amazon.de and a decimal point and
comma thousands (``£1,234.56``) on amazon.co.uk. Requiring the two decimals
is what lets `MONEY` split amounts that the PDF text glues together, such as
``176,46 €176,46 €``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bot.errors import InputError
from bot.i18n import N_

FIX_ORIGINAL = N_("send the invoice PDF as downloaded from Amazon, unchanged, or send the Amazon Business "
                  "order report instead")

CURRENCY_SYMBOLS = {"€": "EUR", "£": "GBP", "$": "USD"}
_CODES = r"(?:EUR|GBP|USD|SEK|NOK|DKK|CHF|PLN)"
_SIGN = r"[-\u2212]"
# Dot thousands with a decimal comma, comma thousands with a decimal point, or no thousands separator.
_NUMBER = r"(?:\d{1,3}(?:\.\d{3})+,\d{2}|\d{1,3}(?:,\d{3})+\.\d{2}|\d+[.,]\d{2})"

# One amount: an optional sign, a currency symbol or code before or after,
# and exactly two decimals.
MONEY = (
    rf"(?:{_SIGN}[ ]?)?(?:[€£$][ \u00a0]?|{_CODES}[ \u00a0])?{_SIGN}?{_NUMBER}"
    rf"(?:[ \u00a0]?(?:€|kr\b|{_CODES}\b))?"
)
# A VAT rate in percent: "19%", "0 %", "5,5%".
RATE = r"\d{1,2}(?:[.,]\d{1,2})?[ \u00a0]?%"

_MONEY = re.compile(MONEY)
_AMOUNT_WITH_CURRENCY = re.compile(
    rf"[€£$][ \u00a0]?{_NUMBER}|{_NUMBER}[ \u00a0]?(?:€|kr\b|{_CODES}\b)|{_CODES}[ \u00a0]{_NUMBER}"
)
_RATE = re.compile(RATE)
_CURRENCY = re.compile(rf"[€£$]|\bkr\b|{_CODES}")

_DAY_MONTH_YEAR = re.compile(r"(?P<day>\d{1,2})\.?\s+(?P<month>[^\W\d_]+)\.?\s+(?P<year>\d{4})")
_MONTH_DAY_YEAR = re.compile(r"(?P<month>[^\W\d_]+)\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})")
_NUMERIC_DATE = re.compile(r"(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})")
_ISO_DATE = re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})")


@dataclass(frozen=True)
class TextLine:
    """One text line of the PDF, with table cells separated by tabs."""

    source: str
    page: int
    number: int  # on the page, from 1
    index: int  # through the document, from 1
    text: str

    @property
    def cells(self) -> list[str]:
        return [cell.strip() for cell in self.text.split("\t")]

    def error(self, message: str, fix: str = FIX_ORIGINAL, **params: object) -> InputError:
        """Build an `InputError` at this line; ``row`` in the message shows the line's text."""
        return InputError(self.source, message, location=N_("page {page}, line {line}"), fix=fix,
                          page=self.page, line=self.number, row=shown(self.text), **params)


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str | None  # None where the amount carries no symbol or code


def parse_money(text: str, krona_currency: str | None = None) -> Money | None:
    """Parse one amount such as ``1.234,56 €``, ``£124.99`` or ``-9,36 €``; None if the text is not one.

    ``kr`` means ``krona_currency``, since the symbol alone does not tell
    Swedish from Danish or Norwegian kroner.
    """
    text = text.strip()
    if not _MONEY.fullmatch(text):
        return None

    digits = re.search(_NUMBER, text).group()  # type: ignore[union-attr]  # MONEY contains _NUMBER
    # The separator before the last two digits is the decimal one; any other is a thousands separator.
    whole = re.sub(r"[.,]", "", digits[:-3])
    amount = Decimal(f"{whole}.{digits[-2:]}")
    if re.search(_SIGN, text):
        amount = -amount

    return Money(amount, _currency(text, krona_currency))


def parse_rate(text: str) -> Decimal | None:
    """Parse a VAT rate such as ``19%`` or ``5,5 %`` into percent; None if the text is not one."""
    text = text.strip()
    if not _RATE.fullmatch(text):
        return None
    return Decimal(text.rstrip("%").strip().replace(",", "."))


def parse_invoice_date(text: str, months: dict[str, int]) -> date | None:
    """Parse ``08 Oktober 2025``, ``29. November 2025``, ``April 3, 2025``, ``02.05.2026`` or ``2025-10-08``.

    ``months`` maps the invoice language's lower-case month names to numbers.
    Returns None when the text has another form or is no calendar date.
    """
    text = " ".join(text.split())
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR, _NUMERIC_DATE, _ISO_DATE):
        match = pattern.fullmatch(text)
        if match is None:
            continue
        month = match["month"]
        number = int(month) if month.isdigit() else months.get(month.lower())
        if number is None:
            return None
        try:
            return date(int(match["year"]), number, int(match["day"]))
        except ValueError:
            return None
    return None


def contains_amount(text: str) -> bool:
    """Return whether the text contains an amount with its currency, such as ``9,36 €``."""
    return _AMOUNT_WITH_CURRENCY.search(text) is not None


def shown(text: str) -> str:
    """Quote a line for a message, with its cells separated by " | "."""
    return repr(text.replace("\t", " | "))


def _currency(text: str, krona_currency: str | None) -> str | None:
    match = _CURRENCY.search(text)
    if match is None:
        return None
    symbol = match.group()
    if symbol == "kr":
        return krona_currency
    return CURRENCY_SYMBOLS.get(symbol, symbol)
