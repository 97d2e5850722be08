"""Cell values that are safe in files people open in spreadsheet programs (CSV injection).

Excel, LibreOffice and Google Sheets run a cell that starts with ``=``,
``+``, ``-`` or ``@`` as a formula, and a leading tab or carriage return
can hide such a start. As OWASP's "CSV Injection" page recommends, a text
cell with such a start gets an apostrophe in front, which the programs
show as plain text. Amounts are not text: they are written as exact
decimal numbers, so a negative amount keeps its minus sign.
"""

from __future__ import annotations

from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

CENT = Decimal("0.01")


def neutralise(text: str) -> str:
    """Return ``text`` with an apostrophe in front if a spreadsheet would read it as a formula."""
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def amount_text(amount: Decimal, decimal_separator: str = ".") -> str:
    """Format an amount of whole øre with two decimals and no thousands separator, such as ``-1234.50``.

    The caller checks that the amount is a whole number of øre, so nothing
    is rounded. Zero is written without a sign.
    """
    text = f"{amount.quantize(CENT):f}"
    if amount == 0:
        text = text.removeprefix("-")
    return text.replace(".", decimal_separator)


def decimal_text(value: Decimal) -> str:
    """Format a decimal without exponent and without trailing zeros, such as ``25`` or ``11.11``."""
    return f"{value.normalize():f}"
