"""Read the line table and the VAT summary of one Amazon invoice, as printed.

The line table (German layout; the other languages have the same columns)::

    Beschreibung | Menge | Stückpreis (ohne USt.) | USt. % | Stückpreis (inkl. USt.) | Zwischensumme (inkl. USt.)

An item is its description lines up to and including its ``ASIN: B0…``
line. Its amounts may be on any of those lines, depending on how the PDF
aligns the row, or alone on the line after the ASIN. A description wrapped
over several lines is joined with spaces. The shipping row (``Versandkosten
9,36 € 9,36 € 9,36 €``) has no quantity and may have no VAT rate.

PDF text often glues the quantity to the unit price (``1176,46 €`` is
quantity 1 and 176,46 €). The split is found by arithmetic: the quantity
times the unit price incl. VAT must give the row's subtotal, and the unit
price excl. VAT plus the VAT rate must give the unit price incl. VAT.

The VAT summary (``USt. % | Zwischensumme (ohne USt.) | USt.``) has one row
per rate and a total row (``USt. Gesamt``). Its rows are recognised wherever
they are, because the text of a real amazon.de invoice shows its totals
above the details block, while other layouts put them below the line table.

A line in the table that shows an amount with a currency but fits no row
form is an error, so no row is dropped silently. Text lines that belong to
no item, such as notes below the table, are skipped and logged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby

from bot.documents.invoice_labels import AMOUNT_PAYABLE, INVOICE_TOTAL, InvoiceLabels
from bot.documents.invoice_values import MONEY, RATE, Money, TextLine, contains_amount, parse_money, parse_rate
from bot.documents.numbers import format_decimal_comma
from bot.i18n import N_

log = logging.getLogger(__name__)

CENT = Decimal("0.01")

# The unit price incl. VAT is rounded to the cent, so the unit price excl.
# VAT times (1 + rate) may miss it by a cent, and Amazon's own rounding may
# add one more.
NET_TOLERANCE = 2 * CENT

_SEP = r"[\t ]*"
_ASIN = re.compile(r"\bASIN:?\s*(?P<asin>[A-Z0-9]{10})")
# The amounts at the end of an item row. ``head`` is the quantity and the unit
# price excl. VAT, as separate cells or glued into one.
_ITEM_AMOUNTS = re.compile(
    rf"(?P<head>(?:(?:^|(?<=[\t ]))\d+[\t ]+)?\d*{MONEY}){_SEP}(?P<rate>{RATE}){_SEP}"
    rf"(?P<unit_gross>{MONEY}){_SEP}(?P<gross>{MONEY})[\t ]*$"
)
_SUMMARY_ROW = re.compile(rf"[\t ]*(?P<rate>{RATE}){_SEP}(?P<net>{MONEY}){_SEP}(?P<tax>{MONEY})[\t ]*")

ROW_FIX = N_("an item row needs quantity, unit price excl. VAT, VAT rate, unit price incl. VAT and subtotal; "
             "send the invoice PDF as downloaded from Amazon, or the order report instead")


@dataclass(frozen=True)
class InvoiceRow:
    """One row of the line table as printed: an item, or a shipping charge.

    Amounts are in the invoice's currency and signed as printed. ``gross``
    is the row's subtotal incl. VAT. ``rate`` is None for a shipping row
    that prints no VAT rate.
    """

    line: TextLine  # the row's first line
    title: str
    asin: str | None
    quantity: int
    unit_net: Decimal
    rate: Decimal | None
    unit_gross: Decimal
    gross: Decimal
    is_shipping: bool = False


@dataclass(frozen=True)
class SummaryRow:
    """One row of the VAT summary: the amounts excl. VAT and the VAT at one rate."""

    line: TextLine
    rate: Decimal
    net: Decimal
    tax: Decimal


@dataclass(frozen=True)
class SummaryTotal:
    """The total row of the VAT summary, such as ``USt. Gesamt 14,78 € 2,80 €``."""

    line: TextLine
    label: str
    net: Decimal
    tax: Decimal


@dataclass
class InvoiceTable:
    header: TextLine | None = None
    rows: list[InvoiceRow] = field(default_factory=list)
    summary: list[SummaryRow] = field(default_factory=list)
    summary_total: SummaryTotal | None = None
    # Every amount read, with its line, for the check that one invoice has one currency.
    amounts: list[tuple[Money, TextLine]] = field(default_factory=list)


def read_table(lines: Sequence[TextLine], labels: InvoiceLabels) -> InvoiceTable:
    """Read the line table and the VAT summary from one invoice's lines.

    On a page after the first, the table resumes after the repeated table
    header or, without one, after the page number line, so the page's top
    lines are not read as an item's description.
    """
    reader = _TableReader(labels)
    for _page, page_lines in groupby(lines, key=lambda line: line.page):
        page = list(page_lines)
        reader.end_page()
        start = _continuation_start(page, labels) if reader.in_table else 0
        for line in page[start:]:
            reader.feed(line)
    reader.end_page()
    return reader.table


@dataclass
class _Block:
    """The lines of one item being read: description words, ASIN and amounts."""

    first_line: TextLine | None = None
    words: list[str] = field(default_factory=list)
    asin: str | None = None
    amounts: _ItemAmounts | None = None


@dataclass(frozen=True)
class _ItemAmounts:
    quantity: int
    unit_net: Decimal
    rate: Decimal
    unit_gross: Decimal
    gross: Decimal


class _TableReader:
    def __init__(self, labels: InvoiceLabels):
        self.labels = labels
        self.table = InvoiceTable()
        self.in_table = False
        self._after_header = False
        self._block = _Block()
        # The shipping row: amount excl. VAT, an optional VAT rate, and twice the amount incl. VAT.
        self._shipping = _labelled_row(
            labels.shipping,
            rf"(?:\d+[\t ]+)?(?P<net>{MONEY})(?:{_SEP}(?P<rate>{RATE}))?"
            rf"{_SEP}(?P<unit_gross>{MONEY}){_SEP}(?P<gross>{MONEY})",
        )
        self._summary_total = _labelled_row(labels.summary_total, rf"(?P<net>{MONEY}){_SEP}(?P<tax>{MONEY})")
        self._totals = [labels.label_patterns[AMOUNT_PAYABLE], labels.label_patterns[INVOICE_TOTAL]]

    def feed(self, line: TextLine) -> None:
        """Read one line, in document order."""
        if self._read_summary_line(line):
            self._end_table()
            return

        if self._is_table_header(line):
            self._flush()
            self.in_table = True
            self._after_header = True
            self.table.header = self.table.header or line
            return
        if self._after_header and self._is_header_fragment(line):
            return
        self._after_header = False

        if not self.in_table or self.labels.page_marker.search(line.text):
            return
        if any(pattern.search(line.text) for pattern in self._totals):
            self._end_table()
            return

        shipping = self._shipping.fullmatch(line.text)
        if shipping is not None:
            self._flush()
            self.table.rows.append(self._shipping_row(line, shipping))
            return
        self._feed_item_line(line)

    def end_page(self) -> None:
        """Finish the item being read: an item never continues on the next page."""
        self._flush()
        self._after_header = False

    def _read_summary_line(self, line: TextLine) -> bool:
        """Store a VAT summary row or total row, and return whether the line belongs to the summary."""
        text = line.text
        is_summary_header = all(label.lower() in text.lower() for label in self.labels.summary_header)
        if is_summary_header and not self._is_table_header(line):
            return True

        row = _SUMMARY_ROW.fullmatch(text)
        if row is not None:
            net, tax = self._money(row["net"], line), self._money(row["tax"], line)
            self.table.summary.append(SummaryRow(line, _rate(row["rate"]), net, tax))
            return True

        total = self._summary_total.fullmatch(text)
        if total is not None:
            net, tax = self._money(total["net"], line), self._money(total["tax"], line)
            self.table.summary_total = SummaryTotal(line, " ".join(total["label"].split()), net, tax)
            return True
        return False

    def _is_table_header(self, line: TextLine) -> bool:
        text = line.text.lower()
        return (text.lstrip().startswith(self.labels.description_header.lower())
                and any(header.lower() in text for header in self.labels.quantity_headers))

    def _is_header_fragment(self, line: TextLine) -> bool:
        text = line.text.lower()
        for fragment in self.labels.header_fragments:
            text = text.replace(fragment.lower(), "")
        return not text.strip()

    def _end_table(self) -> None:
        self._flush()
        self.in_table = False
        self._after_header = False

    def _feed_item_line(self, line: TextLine) -> None:
        text = line.text
        asin = None
        asin_match = _ASIN.search(text)
        if asin_match is not None:
            asin = asin_match["asin"]
            text = f"{text[:asin_match.start()]}\t{text[asin_match.end():]}"

        amounts_match = _ITEM_AMOUNTS.search(text)
        if amounts_match is None and contains_amount(text):
            raise line.error(N_("cannot read item row {row}"), fix=ROW_FIX)

        words = text[:amounts_match.start()] if amounts_match else text
        amounts = None
        if amounts_match is not None:
            amounts, title_tail = self._item_amounts(line, amounts_match)
            words = f"{words} {title_tail}"
        words = " ".join(words.split())

        # After its ASIN line, an item takes only amounts that are alone on
        # the next line. Anything else starts the next item, and so do
        # amounts for an item that has its amounts already.
        block = self._block
        takes_late_amounts = amounts is not None and not words and asin is None and block.amounts is None
        if (block.asin is not None and not takes_late_amounts) or (amounts and block.amounts):
            self._flush()
            block = self._block

        block.first_line = block.first_line or line
        if words:
            block.words.append(words)
        block.asin = block.asin or asin
        block.amounts = block.amounts or amounts

    def _item_amounts(self, line: TextLine, match: re.Match[str]) -> tuple[_ItemAmounts, str]:
        rate = _rate(match["rate"])
        unit_gross = self._money(match["unit_gross"], line)
        gross = self._money(match["gross"], line)
        quantity, unit_net, title_tail = _split_quantity(match["head"], rate, unit_gross, gross, line, self.labels)
        self.table.amounts.append((unit_net, line))
        return _ItemAmounts(quantity, unit_net.amount, rate, unit_gross, gross), title_tail

    def _flush(self) -> None:
        block, self._block = self._block, _Block()
        if block.first_line is None:
            return

        title = " ".join(block.words)
        if block.amounts is None:
            if block.asin is not None:
                raise block.first_line.error(N_("item {title} (ASIN {asin}) has no amounts"),
                                             fix=ROW_FIX, title=repr(title), asin=block.asin)
            log.debug("%s, page %d, line %d: skipped text that belongs to no item: %r",
                      block.first_line.source, block.first_line.page, block.first_line.number, title)
            return

        amounts = block.amounts
        self.table.rows.append(InvoiceRow(block.first_line, title, block.asin, amounts.quantity, amounts.unit_net,
                                          amounts.rate, amounts.unit_gross, amounts.gross))

    def _shipping_row(self, line: TextLine, match: re.Match[str]) -> InvoiceRow:
        net = self._money(match["net"], line)
        rate = _rate(match["rate"]) if match["rate"] else None
        unit_gross = self._money(match["unit_gross"], line)
        gross = self._money(match["gross"], line)
        title = " ".join(match["label"].split())
        return InvoiceRow(line, title, None, 1, net, rate, unit_gross, gross, is_shipping=True)

    def _money(self, text: str, line: TextLine) -> Decimal:
        money = parse_money(text, self.labels.krona_currency)
        assert money is not None  # the callers' patterns matched MONEY
        self.table.amounts.append((money, line))
        return money.amount


def _labelled_row(labels: tuple[str, ...], amounts: str) -> re.Pattern[str]:
    """Compile the pattern of a row that starts with one of ``labels`` followed by ``amounts``."""
    alternatives = "|".join(r"\s*".join(re.escape(word) for word in label.split()) for label in labels)
    return re.compile(rf"[\t ]*(?P<label>{alternatives})[\t :]*{amounts}[\t ]*", re.IGNORECASE)


def _continuation_start(page: list[TextLine], labels: InvoiceLabels) -> int:
    """Return where the line table resumes on a continuation page: its repeated header, else after the page number."""
    description = labels.description_header.lower()
    for position, line in enumerate(page):
        if line.text.lower().lstrip().startswith(description):
            return position
    for position, line in enumerate(page):
        if labels.page_marker.search(line.text):
            return position + 1
    return 0


def _split_quantity(head: str, rate: Decimal, unit_gross: Decimal, gross: Decimal, line: TextLine,
                    labels: InvoiceLabels) -> tuple[int, Money, str]:
    """Split the cells before the VAT rate into the quantity and the unit price excl. VAT.

    ``head`` is ``1<TAB>176,46 €`` or, glued, ``1176,46 €``. Returns the
    quantity, the unit price and the leading number of ``head`` where it
    turns out to end the description instead (``Pack 2<TAB>1176,46 €``).
    """
    separate = re.fullmatch(r"(?P<number>\d+)[\t ]+(?P<rest>.+)", head, re.DOTALL)
    glued, title_tail = head, ""
    if separate is not None:
        quantity = int(separate["number"])
        unit_net = parse_money(separate["rest"], labels.krona_currency)
        if unit_net is not None and quantity > 0 and _quantity_fits(quantity, unit_gross, gross):
            return quantity, unit_net, ""
        glued, title_tail = separate["rest"], separate["number"]

    candidates = []
    for split in range(1, len(glued)):
        digits = glued[:split]
        if not digits.isdigit() or digits.startswith("0"):
            break
        unit_net = parse_money(glued[split:], labels.krona_currency)
        quantity = int(digits)
        if (unit_net is not None and _quantity_fits(quantity, unit_gross, gross)
                and abs(unit_net.amount * (100 + rate) / 100 - unit_gross) <= NET_TOLERANCE):
            candidates.append((quantity, unit_net))

    if len(candidates) == 1:
        return candidates[0][0], candidates[0][1], title_tail
    if separate is not None and not candidates:
        raise line.error(N_("in item row {row}, quantity {quantity} times the unit price {unit_price} "
                            "is not the subtotal {subtotal}"),
                         fix=ROW_FIX, quantity=separate["number"], unit_price=format_decimal_comma(unit_gross),
                         subtotal=format_decimal_comma(gross))
    raise line.error(N_("in item row {row}, {value} cannot be split into a quantity and a unit price"),
                     fix=ROW_FIX, value=repr(head.replace("\t", " ")))


def _rate(text: str) -> Decimal:
    rate = parse_rate(text)
    assert rate is not None  # the callers' patterns matched RATE
    return rate


def _quantity_fits(quantity: int, unit_gross: Decimal, gross: Decimal) -> bool:
    """Return whether quantity times the unit price gives the subtotal, allowing a cent of rounding per unit."""
    return abs(quantity * unit_gross - gross) <= quantity * CENT
