"""Check the rows of a PDF statement against the totals the statement prints.

Three kinds of printed totals are checked, each where the layout prints it:

- the period's purchases (the layout's ``sum_label``): the purchase rows,
  without balance and payment rows, at the end of the statement;
- a card's total (``card_sum_label``): the rows since the card's heading,
  credits included, at the line that prints it;
- the card account's balance (see `BalanceLabels`): the opening balance plus
  every row above the line, balance and payment rows included, at every
  carried, closing and opening balance line.

A mismatch raises `InputError` at the line of the printed total with both
numbers and the difference. Nothing is adjusted to make them agree.
"""

from __future__ import annotations

import logging
import re
from decimal import Decimal

from bot.documents.numbers import format_decimal_comma, parse_decimal_comma
from bot.documents.pdf_layouts import AMOUNT_PATTERN, LineKind, PdfLayout
from bot.documents.pdf_rows import SourceLine
from bot.errors import InputError
from bot.i18n import N_
from bot.records import CardCharge

log = logging.getLogger(__name__)

TOTALS_FIX = N_("check that the PDF is complete and unchanged, and send the bank's original statement")
OCR_FIX = N_("the statement was read with OCR, which may have misread a digit or missed a row; "
             "send the bank's original PDF with text, or CSV or XLSX")


class Totals:
    """The running sums of a statement's rows, checked against each total it prints.

    ``ocr`` marks a statement with a page read by OCR, whose mismatch
    errors advise sending a PDF with text.
    """

    def __init__(self, layout: PdfLayout, *, ocr: bool):
        self.layout = layout
        self.fix = OCR_FIX if ocr else TOTALS_FIX
        self.balance = Decimal(0)
        self.purchases = Decimal(0)
        self.card: str | None = None
        self.card_rows = Decimal(0)
        self.stated_total: Decimal | None = None
        self.sum_line: SourceLine | None = None

    def add(self, charge: CardCharge, *, skipped: bool) -> None:
        """Count a row; a skipped balance or payment row counts towards the account balance only."""
        self.balance += charge.amount
        if skipped:
            return
        self.card_rows += charge.amount
        if charge.is_purchase:
            self.purchases += charge.amount

    def start_card(self, card: str) -> None:
        self.card = card
        self.card_rows = Decimal(0)

    def check_balance(self, line: SourceLine, kind: LineKind, label: str, text: str) -> None:
        """Add an opening balance, or check a carried or closing balance against the rows above it."""
        stated = _printed_amount(line, text)
        if kind == LineKind.OPENING:
            self.balance += stated
            log.debug("%s, page %d: opening balance %s", line.source, line.page, stated)
            return
        if stated != self.balance:
            raise self._mismatch(
                line,
                N_("'{label}' states {stated} but the opening balance and the rows above it sum to {total}, "
                   "a difference of {difference}"),
                label, stated, self.balance,
            )
        log.debug("%s, page %d: %s %s agrees with the rows", line.source, line.page, kind, stated)

    def check_card_sum(self, line: SourceLine, label: str, text: str) -> None:
        stated = _printed_amount(line, text)
        if stated == self.card_rows:
            return
        if self.card is None:
            raise self._mismatch(
                line,
                N_("'{label}' states {stated} but the rows above it sum to {total}, a difference of {difference}"),
                label, stated, self.card_rows,
            )
        raise self._mismatch(
            line,
            N_("'{label}' states {stated} but the rows of card {card} sum to {total}, a difference of {difference}"),
            label, stated, self.card_rows, card=self.card,
        )

    def record_sum(self, line: SourceLine, label: str, text: str) -> None:
        """Keep the period's purchase total, which `check_sum` compares once all rows are read."""
        if self.sum_line is not None:
            raise line.error(N_("second '{label}' line; the first is on page {first_page}"),
                             label=label, first_page=self.sum_line.page)
        self.stated_total = _printed_amount(line, text)
        self.sum_line = line

    def check_sum(self) -> None:
        if self.sum_line is None or self.stated_total == self.purchases:
            return
        raise self._mismatch(
            self.sum_line,
            N_("'{label}' states {stated} but the purchase rows sum to {total}, a difference of {difference}"),
            self.layout.sum_label, self.stated_total, self.purchases,
        )

    def _mismatch(self, line: SourceLine, message: str, label: str, stated: Decimal, total: Decimal,
                  **params: object) -> InputError:
        return line.error(
            message,
            fix=self.fix,
            label=label,
            stated=format_decimal_comma(stated),
            total=format_decimal_comma(total),
            difference=format_decimal_comma(stated - total),
            **params,
        )


def _printed_amount(line: SourceLine, text: str) -> Decimal:
    """Parse the amount that ends a total or balance line."""
    if not re.fullmatch(AMOUNT_PATTERN, text):
        raise line.error(N_("cannot read the amount in {row}"),
                         fix=N_("the line must end with an amount like 12 345,67"))
    return parse_decimal_comma(text)
