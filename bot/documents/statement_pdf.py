"""Parse a PDF card statement (``Kontoutskrift bedriftskort``).

Layout: a title, the card number and the period, then a table with the
columns ``Dato | Beløpet gjelder | Valuta | Kurs | Beløp`` that continues
over pages with the header repeated, and a final line
``Sum kjøp i perioden 12 345,67``. ``Beløp`` is the NOK amount, positive
for a purchase and negative (leading ``-``) for a credit. Amounts use a
decimal comma and a space between thousands.

A text line that starts with a date is a row and must parse; other lines
(title, card number, period, header, page footers) are ignored. The stated
sum must equal the sum of the positive rows, so a missing page or a
misread row is caught.

`CardCharge.amount` keeps the statement's sign: purchases positive, refunds
negative. Balance and payment lines are skipped (see `statement_lines`).
`CardCharge.line` counts text lines through the whole document, so it
orders rows across pages; errors name the page and the line on that page.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from bot.documents.numbers import (
    format_decimal_comma,
    parse_amount_with_currency,
    parse_decimal_comma,
    parse_norwegian_date,
)
from bot.documents.pdf_text import read_pdf_lines
from bot.documents.statement_lines import is_balance_or_payment
from bot.errors import InputError, InvalidValueError
from bot.i18n import N_
from bot.records import CardCharge, Statement

log = logging.getLogger(__name__)

SUM_LABEL = "Sum kjøp i perioden"

# Cells are separated by a tab (see pdf_text); a space is accepted too, for
# PDFs that print a whole row as one string. The description cannot contain
# a tab, so a number at its end never merges into the amount cell.
_SEPARATOR = r"[\t ]+"
_AMOUNT = r"-?\d{1,3}(?:[ \u00a0]\d{3})*,\d{2}"
_ORIGINAL = r"\d{1,3}(?:[ \u00a0]\d{3})*(?:,\d+)? [A-Z]{3}"
_RATE = r"\d+,\d+"
_DATE = r"\d{2}\.\d{2}\.\d{4}"

_STARTS_WITH_DATE = re.compile(rf"{_DATE}\b")
_ROW = re.compile(
    rf"(?P<date>{_DATE}){_SEPARATOR}(?P<description>[^\t]+?)"
    rf"(?:{_SEPARATOR}(?P<original>{_ORIGINAL}))?"
    rf"(?:{_SEPARATOR}(?P<rate>{_RATE}))?"
    rf"{_SEPARATOR}(?P<amount>{_AMOUNT})"
)
_SUM = re.compile(rf"{re.escape(SUM_LABEL)}{_SEPARATOR}(?P<amount>{_AMOUNT})")

ROW_FIX = N_("a row needs Dato (dd.mm.yyyy), Beløpet gjelder and Beløp like 1 234,50; send the bank's original PDF")


@dataclass(frozen=True)
class _Line:
    source: str
    page: int
    number: int  # on the page, from 1
    index: int  # through the document, from 1
    text: str

    def error(self, message: str | tuple[str, ...], fix: str = ROW_FIX, **params: object) -> InputError:
        """Build an `InputError` at this line; ``params`` fill the message and fix, ``row`` is the line's text."""
        return InputError(self.source, message, location=N_("page {page}, line {line}"), fix=fix,
                          page=self.page, line=self.number, row=_shown(self.text), **params)


def parse_statement_pdf(path: Path) -> Statement:
    """Parse a PDF statement and check its stated sum against its purchase rows."""
    charges: list[CardCharge] = []
    skipped = 0
    stated_total: Decimal | None = None
    sum_line: _Line | None = None

    for line in _lines(path):
        if line.text.startswith(SUM_LABEL):
            if sum_line is not None:
                raise line.error(N_("second '{label}' line; the first is on page {first_page}"),
                                 label=SUM_LABEL, first_page=sum_line.page)
            stated_total = _parse_sum(line)
            sum_line = line
        elif _STARTS_WITH_DATE.match(line.text):
            charge = _parse_row(line)
            if charge is None:
                skipped += 1
            else:
                charges.append(charge)

    if not charges and sum_line is None and not skipped:
        raise InputError(
            path.name,
            N_("no statement rows found in the PDF"),
            fix=N_("send the card statement PDF with the table 'Dato | Beløpet gjelder | Valuta | Kurs | Beløp'"),
        )
    if sum_line is None:
        log.warning("statement %s has no '%s' line; the rows cannot be checked against a total", path.name, SUM_LABEL)
    else:
        _check_sum(sum_line, stated_total, charges)

    log.info("parsed statement %s: %d charges, %d balance or payment lines skipped", path.name, len(charges), skipped)
    return Statement(source=path.name, charges=tuple(charges), stated_total=stated_total)


def _lines(path: Path) -> list[_Line]:
    lines = []
    index = 0
    for page_number, page_lines in enumerate(read_pdf_lines(path), start=1):
        for number, text in enumerate(page_lines, start=1):
            index += 1
            lines.append(_Line(path.name, page_number, number, index, text))
    return lines


def _parse_row(line: _Line) -> CardCharge | None:
    """Build the charge of one table row, or return None for a balance or payment line."""
    match = _ROW.fullmatch(line.text)
    if match is None:
        raise line.error(N_("cannot read statement row {row}"))

    description = match["description"].strip()
    if is_balance_or_payment(description):
        log.debug("%s, page %d, line %d: skipped %r", line.source, line.page, line.number, description)
        return None

    # A description without letters, or a rate without an original amount,
    # means the columns were misread (for example a wrapped description).
    if not any(character.isalpha() for character in description):
        raise line.error(N_("row {row} has no merchant text in 'Beløpet gjelder'"))
    if match["rate"] and not match["original"]:
        raise line.error(N_("row {row} has a rate in 'Kurs' but no amount in 'Valuta'"))

    try:
        day = parse_norwegian_date(match["date"])
        original_amount, original_currency = (
            parse_amount_with_currency(match["original"]) if match["original"] else (None, None)
        )
        rate = parse_decimal_comma(match["rate"]) if match["rate"] else None
        amount = parse_decimal_comma(match["amount"])
    except InvalidValueError as error:
        raise line.error((N_("row {row}"), error.message), **error.params) from None

    return CardCharge(
        source=line.source,
        line=line.index,
        date=day,
        description=description,
        amount=amount,
        original_amount=original_amount,
        original_currency=original_currency,
        rate=rate,
    )


def _parse_sum(line: _Line) -> Decimal:
    match = _SUM.fullmatch(line.text)
    if match is None:
        raise line.error(
            N_("cannot read the amount in {row}"),
            fix=N_("the line must end with an amount like 12 345,67"),
        )
    return parse_decimal_comma(match["amount"])


def _check_sum(line: _Line, stated_total: Decimal, charges: list[CardCharge]) -> None:
    rows_total = sum((charge.amount for charge in charges if charge.is_purchase), Decimal(0))
    if rows_total == stated_total:
        return
    raise line.error(
        N_("'{label}' states {stated} but the purchase rows sum to {total}, a difference of {difference}"),
        fix=N_("check that the PDF is complete and unchanged, and send the bank's original statement"),
        label=SUM_LABEL,
        stated=format_decimal_comma(stated_total),
        total=format_decimal_comma(rows_total),
        difference=format_decimal_comma(stated_total - rows_total),
    )


def _shown(text: str) -> str:
    return repr(text.replace("\t", " | "))
