"""Parse Amazon invoice PDFs (amazon.de, amazon.co.uk) into report items.

Controllers send these instead of the order report. Each item of each
invoice becomes a `ReportItem`, linked to its card charge by the printed
payment reference (``Zahlungsreferenznummer``), with the VAT rate and the
VAT amount, which the report does not always give. The labels of each
language come from `invoice_labels`, so only data differs between
languages.

Rules:

- A PDF may contain several invoices, one per shipment or seller. An invoice
  starts on a page numbered 1 (``Seite 1 von 2``), or, without page
  numbers, on a page with an order number. A page numbered out of
  sequence, or an invoice with fewer pages than it announces, is an error.
- The shipping row is spread over the invoice's items in proportion to
  their subtotals (into `ReportItem.shipping`, `net_total`, `subtotal` and
  `item_tax`), not made an item of its own. Freight is part of the cost of
  the goods it brings, which matters for the capitalization limit, and an
  item "Versandkosten" would ask someone in Slack where shipping belongs.
  Only an invoice with shipping rows and no item turns them into items.
- `net_total` is the row's subtotal incl. VAT plus its share of shipping,
  which is what the card was charged. The items' net totals must equal
  every total the invoice prints (``Zahlbetrag``, ``Gesamtpreis``), to the
  cent.
- Where the invoice prints a VAT summary, each rate's rows must match it
  within a cent per row, and the summary's VAT is divided over the rows so
  that `item_tax` adds up to the printed VAT exactly. Without a summary,
  `item_tax` is the subtotal minus quantity times the unit price excl. VAT.
- A credit note (``Gutschrift``) gives items with negative amounts and a
  positive `refund_amount`, whether it prints its amounts with or without a
  minus sign. Its `refund_date` is the credit note's date.
- `payment_date` and `shipment_date` are the invoice date (``Rechnungsdatum
  /Lieferdatum``), because Amazon issues the invoice and charges the card
  when the shipment leaves. `order_date` falls back to the invoice date
  when the order date is not printed.

Every error names the file, the page and line, the printed label or row,
and the value.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

from bot.documents.invoice_fields import ORDER_ID_PATTERN, InvoiceFields, read_fields
from bot.documents.invoice_labels import (
    AMOUNT_PAYABLE,
    INVOICE_DATE,
    INVOICE_NUMBER,
    LANGUAGES,
    ORDER_DATE,
    ORDER_ID,
    PAYMENT_REFERENCE,
    PO_NUMBER,
    SELLER,
    TOTAL_FIELDS,
    InvoiceLabels,
)
from bot.documents.invoice_table import CENT, NET_TOLERANCE, InvoiceRow, InvoiceTable, read_table
from bot.documents.invoice_values import Money, TextLine
from bot.documents.numbers import format_decimal_comma
from bot.documents.pdf_text import read_pdf_lines
from bot.errors import InputError
from bot.i18n import N_
from bot.records import ReportItem

log = logging.getLogger(__name__)

FIX_COMPLETE = N_("check that the PDF contains every page of each invoice and is unchanged, "
                  "or send the Amazon Business order report instead")

# The document title ("Rechnung", "Gutschrift") is in the first lines of an
# invoice's first page, above the details block.
TITLE_LINES = 5

_AMAZON_MARKER = re.compile(r"amazon|\bASIN\b", re.IGNORECASE)


def is_amazon_invoice(first_page_text: str) -> bool:
    """Return whether a PDF's first page is an Amazon invoice or credit note.

    The page needs a document title such as ``Rechnung`` or ``Invoice`` at
    the start of a line, an order number after its label (``Bestellnummer
    302-1725553-0374723``) and the word Amazon or ASIN. A card statement
    lists Amazon purchases but prints no labelled order number.
    """
    if not _AMAZON_MARKER.search(first_page_text):
        return False
    return any(
        _title_pattern(labels).search(first_page_text) and _order_number_pattern(labels).search(first_page_text)
        for labels in LANGUAGES
    )


def parse_amazon_invoice(path: Path) -> list[ReportItem]:
    """Parse every invoice in an Amazon invoice PDF into items, checked against the printed totals.

    Raises `InputError` naming the page, line, label and value when a field
    or row cannot be read, a required field is missing, or the amounts do
    not add up.
    """
    lines = _text_lines(path)
    labels = _document_language(lines)
    if labels is None:
        raise InputError(
            path.name,
            N_("the PDF is not an Amazon invoice: no page has an order number after a label such as {labels}"),
            fix=N_("send the Amazon invoice PDF (Rechnung, Invoice) or the Amazon Business order report"),
            labels=", ".join(repr(language.fields[ORDER_ID][0]) for language in LANGUAGES),
        )

    items: list[ReportItem] = []
    invoices = _split_invoices(lines, labels)
    for invoice_lines in invoices:
        items.extend(_invoice_items(invoice_lines, labels))

    log.info("parsed Amazon invoice PDF %s (%s): %d invoices, %d items",
             path.name, labels.language, len(invoices), len(items))
    return items


def _text_lines(path: Path) -> list[TextLine]:
    lines = []
    index = 0
    for page_number, page_lines in enumerate(read_pdf_lines(path), start=1):
        for number, text in enumerate(page_lines, start=1):
            index += 1
            lines.append(TextLine(path.name, page_number, number, index, text))
    return lines


@cache
def _title_pattern(labels: InvoiceLabels) -> re.Pattern[str]:
    titles = "|".join(re.escape(title) for title in labels.invoice_titles + labels.credit_note_titles)
    return re.compile(rf"(?:^|\n)[ ]*(?:{titles})(?![^\W\d_])", re.IGNORECASE)


@cache
def _credit_note_pattern(labels: InvoiceLabels) -> re.Pattern[str]:
    titles = "|".join(re.escape(title) for title in labels.credit_note_titles)
    return re.compile(rf"^[ ]*(?:{titles})(?![^\W\d_])", re.IGNORECASE)


@cache
def _order_number_pattern(labels: InvoiceLabels) -> re.Pattern[str]:
    """Match an order-number label followed by an order number, in the same cell, the next cell or the next line."""
    alternatives = "|".join(r"\s*".join(re.escape(word) for word in label.split()) for label in labels.fields[ORDER_ID])
    return re.compile(rf"(?:^|(?<=[\t\n]))[ ]*(?:{alternatives})[\s:]*{ORDER_ID_PATTERN.pattern}", re.IGNORECASE)


def _document_language(lines: Sequence[TextLine]) -> InvoiceLabels | None:
    """Return the language with the most field labels in the document, or None if none has its order-number label.

    The order number's value is not required here, so that an unreadable
    one is reported at its line instead of as "not an Amazon invoice".
    """
    best, best_count = None, 0
    for labels in LANGUAGES:
        if not any(labels.label_patterns[ORDER_ID].search(line.text) for line in lines):
            continue
        count = sum(1 for line in lines for pattern in labels.label_patterns.values() if pattern.search(line.text))
        if count > best_count:
            best, best_count = labels, count
    return best


def _split_invoices(lines: Sequence[TextLine], labels: InvoiceLabels) -> list[list[TextLine]]:
    """Group the lines into invoices by their page numbers (see the module docstring)."""
    pages: dict[int, list[TextLine]] = {}
    for line in lines:
        pages.setdefault(line.page, []).append(line)

    invoices: list[_Invoice] = []
    for page_lines in pages.values():
        marker_line, marker = _page_marker(page_lines, labels)
        current = invoices[-1] if invoices else None
        if marker_line is not None and marker is not None and int(marker["number"]) > 1:
            number, count = int(marker["number"]), int(marker["count"])
            if current is None or current.count != count or number != len(current.pages) + 1:
                raise marker_line.error(N_("page number {number} of {count} does not follow the pages before it; "
                                           "a page is missing or out of order"),
                                        fix=FIX_COMPLETE, number=number, count=count)
            current.pages.append(page_lines)
        elif current is None or marker is not None or _has_order_number(page_lines, labels):
            invoices.append(_Invoice([page_lines], int(marker["count"]) if marker else None))
        else:
            current.pages.append(page_lines)

    for invoice in invoices:
        if invoice.count is not None and len(invoice.pages) != invoice.count:
            raise invoice.pages[0][0].error(N_("the invoice has {found} of its {count} pages; a page is missing"),
                                            fix=FIX_COMPLETE, found=len(invoice.pages), count=invoice.count)
    return [[line for page in invoice.pages for line in page] for invoice in invoices]


@dataclass
class _Invoice:
    pages: list[list[TextLine]]
    count: int | None  # the page count its page numbers announce


def _has_order_number(page_lines: Sequence[TextLine], labels: InvoiceLabels) -> bool:
    return _order_number_pattern(labels).search("\n".join(line.text for line in page_lines)) is not None


def _page_marker(page_lines: Sequence[TextLine], labels: InvoiceLabels) -> tuple[TextLine | None, re.Match[str] | None]:
    for line in page_lines:
        marker = labels.page_marker.search(line.text)
        if marker is not None:
            return line, marker
    return None, None


@dataclass(frozen=True)
class _Header:
    """The invoice-level fields that every item of the invoice repeats."""

    order_id: str
    order_date: date
    payment_reference: str | None
    invoice_date: date | None
    currency: str
    is_credit_note: bool


@dataclass(frozen=True)
class _RowAmounts:
    """A row's amounts incl. quantity, signed for a credit note: subtotal incl. VAT, amount excl. VAT and VAT."""

    row: InvoiceRow
    rate: Decimal | None  # None for a shipping row until its rate is inferred
    gross: Decimal
    net: Decimal
    tax: Decimal


def _invoice_items(lines: list[TextLine], labels: InvoiceLabels) -> list[ReportItem]:
    """Build the items of one invoice and check them against its VAT summary and totals."""
    fields = read_fields(lines, labels)
    table = read_table(lines, labels)
    header = _read_header(lines, fields, table, labels)
    sign = -1 if header.is_credit_note else 1

    rows = _row_amounts(table, sign, labels, lines[0])
    items = [row for row in rows if not row.row.is_shipping]
    shipping = [row for row in rows if row.row.is_shipping]
    if not items:
        items, shipping = shipping, []
    _check_totals(fields, rows, sign, header.currency)

    return _report_items(items, shipping, header, fields)


def _read_header(lines: list[TextLine], fields: InvoiceFields, table: InvoiceTable,
                 labels: InvoiceLabels) -> _Header:
    """Read the invoice-level fields; raise when one that matching or booking needs is missing."""
    first = lines[0]
    is_credit_note = any(_credit_note_pattern(labels).search(line.text) for line in lines[:TITLE_LINES])

    order_id = fields.text(ORDER_ID)
    if order_id is None:
        raise first.error(N_("the invoice has no order number ('{label}')"), label=labels.fields[ORDER_ID][0])

    reference = fields.text(PAYMENT_REFERENCE)
    if reference is None and not is_credit_note:
        raise first.error(N_("the invoice has no payment reference ('{label}'), so it cannot be linked to its card "
                             "charge"), label=labels.fields[PAYMENT_REFERENCE][0])
    if reference is None:
        # NOTE: no real credit note has been seen; if they print no reference,
        # the refund can be matched by amount and date only.
        log.warning("credit note at %s, page %d has no payment reference", first.source, first.page)

    invoice_date = fields.date(INVOICE_DATE)
    order_date = fields.date(ORDER_DATE) or invoice_date
    if order_date is None:
        raise first.error(N_("the invoice has no order date ('{label}') and no invoice date ('{date_label}')"),
                          label=labels.fields[ORDER_DATE][0], date_label=labels.fields[INVOICE_DATE][0])
    if not any(fields.all(name) for name in TOTAL_FIELDS):
        raise first.error(N_("the invoice prints no total ('{label}')"), label=labels.fields[AMOUNT_PAYABLE][0])

    return _Header(
        order_id=order_id,
        order_date=order_date,
        payment_reference=reference,
        invoice_date=invoice_date,
        currency=_currency(table, fields, first),
        is_credit_note=is_credit_note,
    )


def _currency(table: InvoiceTable, fields: InvoiceFields, first: TextLine) -> str:
    """Return the one currency of the invoice's amounts; raise when they name none or two."""
    amounts = list(table.amounts)
    for name in TOTAL_FIELDS:
        amounts.extend((found.value, found.line) for found in fields.all(name) if isinstance(found.value, Money))

    currency = None
    for money, line in amounts:
        if money.currency is None or money.currency == currency:
            continue
        if currency is not None:
            raise line.error(N_("the invoice mixes currencies: {first} and {second}"),
                             first=currency, second=money.currency)
        currency = money.currency

    if currency is None:
        raise first.error(N_("no amount of the invoice shows its currency (€, £, $ or a code such as SEK)"))
    return currency


def _row_amounts(table: InvoiceTable, sign: int, labels: InvoiceLabels, first: TextLine) -> list[_RowAmounts]:
    """Give each row its VAT rate, amount excl. VAT and VAT, from the VAT summary where the invoice prints one."""
    if not table.rows:
        if table.header is None:
            raise first.error(N_("the invoice has no line table with the header '{label}'"),
                              label=labels.description_header)
        raise table.header.error(N_("the line table under {row} has no items"))

    rows = []
    for row in table.rows:
        gross = sign * abs(row.gross)
        net = sign * abs((row.unit_net * row.quantity).quantize(CENT, ROUND_HALF_UP))
        rows.append(_RowAmounts(row, row.rate, gross, net, gross - net))

    known_rates = {row.rate for row in rows if row.rate is not None} | {summary.rate for summary in table.summary}
    rows = [_with_shipping_rate(row, known_rates) if row.rate is None else row for row in rows]
    if table.summary:
        rows = _apply_summary(rows, table, sign)
    return rows


def _with_shipping_rate(row: _RowAmounts, known_rates: set[Decimal]) -> _RowAmounts:
    """Return the shipping row with the VAT rate that its amounts excl. and incl. VAT imply."""
    unit_net, unit_gross = abs(row.row.unit_net), abs(row.row.unit_gross)
    if unit_net == unit_gross:
        return replace(row, rate=Decimal(0))
    fitting = {rate for rate in known_rates if abs(unit_net * (100 + rate) / 100 - unit_gross) <= NET_TOLERANCE}
    if len(fitting) != 1:
        raise row.row.line.error(N_("cannot tell the VAT rate of shipping row {row}"))
    return replace(row, rate=fitting.pop())


def _apply_summary(rows: list[_RowAmounts], table: InvoiceTable, sign: int) -> list[_RowAmounts]:
    """Check the rows against the VAT summary and divide each rate's printed VAT over its rows."""
    summary_rates = {summary.rate for summary in table.summary}
    for row in rows:
        # A free shipping row needs no summary row for its rate.
        if row.rate not in summary_rates and row.gross != 0:
            raise row.row.line.error(N_("the VAT rate {rate} % of row {row} is missing from the VAT summary"),
                                     rate=_percent(row.rate))  # type: ignore[arg-type]

    taxes: dict[int, Decimal] = {}
    for summary in table.summary:
        at_rate = [index for index, row in enumerate(rows) if row.rate == summary.rate]
        stated_net, stated_tax = sign * abs(summary.net), sign * abs(summary.tax)
        gross = sum((rows[index].gross for index in at_rate), Decimal(0))
        net = sum((rows[index].net for index in at_rate), Decimal(0))
        tolerance = CENT * len(at_rate)
        if abs(gross - stated_net - stated_tax) > tolerance or abs(net - stated_net) > tolerance:
            raise summary.line.error(
                N_("VAT summary row {row} states {stated_net} excl. VAT and {stated_tax} VAT, but the rows at "
                   "{rate} % add up to {net} excl. VAT and {tax} VAT"),
                fix=FIX_COMPLETE, rate=_percent(summary.rate), stated_net=format_decimal_comma(stated_net),
                stated_tax=format_decimal_comma(stated_tax), net=format_decimal_comma(net),
                tax=format_decimal_comma(gross - net))
        taxes.update(zip(at_rate, _spread(stated_tax, [rows[index].gross for index in at_rate])))

    _check_summary_total(table)
    return [replace(row, tax=taxes.get(index, row.tax), net=row.gross - taxes.get(index, row.tax))
            for index, row in enumerate(rows)]


def _check_summary_total(table: InvoiceTable) -> None:
    total = table.summary_total
    if total is None:
        return
    net = sum((abs(summary.net) for summary in table.summary), Decimal(0))
    tax = sum((abs(summary.tax) for summary in table.summary), Decimal(0))
    if (net, tax) == (abs(total.net), abs(total.tax)):
        return
    raise total.line.error(
        N_("'{label}' states {stated_net} excl. VAT and {stated_tax} VAT, but the VAT summary rows add up "
           "to {net} and {tax}"),
        fix=FIX_COMPLETE, label=total.label, stated_net=format_decimal_comma(abs(total.net)),
        stated_tax=format_decimal_comma(abs(total.tax)), net=format_decimal_comma(net), tax=format_decimal_comma(tax))


def _check_totals(fields: InvoiceFields, rows: list[_RowAmounts], sign: int, currency: str) -> None:
    """Check that the rows add up to every total the invoice prints."""
    rows_total = sum((row.gross for row in rows), Decimal(0))
    for name in TOTAL_FIELDS:
        for found in fields.all(name):
            assert isinstance(found.value, Money)  # total fields parse as money
            stated = sign * abs(found.value.amount)
            if stated == rows_total:
                continue
            raise found.line.error(
                N_("'{label}' is {stated} but the items and shipping add up to {total}, a difference of {difference}"),
                fix=FIX_COMPLETE, label=found.label, stated=_money(stated, currency),
                total=_money(rows_total, currency), difference=_money(stated - rows_total, currency))


def _report_items(items: list[_RowAmounts], shipping: list[_RowAmounts], header: _Header,
                  fields: InvoiceFields) -> list[ReportItem]:
    """Turn the item rows into report items, with the shipping rows spread over them."""
    weights = [item.gross for item in items]
    shipping_gross = _spread(sum((row.gross for row in shipping), Decimal(0)), weights)
    shipping_tax = _spread(sum((row.tax for row in shipping), Decimal(0)), weights)

    records = []
    for item, share, share_tax in zip(items, shipping_gross, shipping_tax):
        net_total = item.gross + share
        tax = item.tax + share_tax
        records.append(ReportItem(
            source=item.row.line.source,
            line=item.row.line.index,
            order_id=header.order_id,
            order_date=header.order_date,
            currency=header.currency,
            title=item.row.title,
            quantity=item.row.quantity,
            unit_price=(-1 if header.is_credit_note else 1) * abs(item.row.unit_gross),
            net_total=net_total,
            po_number=fields.text(PO_NUMBER),
            payment_reference=header.payment_reference,
            payment_date=header.invoice_date,
            shipment_date=header.invoice_date,
            asin=item.row.asin,
            seller=fields.text(SELLER),
            item_tax=tax,
            subtotal=net_total - tax,
            shipping=share if shipping else None,
            vat_rate=item.rate,
            invoice_number=fields.text(INVOICE_NUMBER),
            refund_amount=-net_total if header.is_credit_note else None,
            refund_date=header.invoice_date if header.is_credit_note else None,
        ))
    return records


def _spread(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Divide ``amount`` in proportion to ``weights``, exact to the cent; the rounding goes to the largest weight."""
    if not weights:
        return []
    total = sum((abs(weight) for weight in weights), Decimal(0))
    if total == 0:
        weights, total = [Decimal(1)] * len(weights), Decimal(len(weights))

    shares = [(amount * abs(weight) / total).quantize(CENT, ROUND_HALF_UP) for weight in weights]
    largest = max(range(len(weights)), key=lambda index: abs(weights[index]))
    shares[largest] += amount - sum(shares, Decimal(0))
    return shares


def _percent(rate: Decimal) -> str:
    return format(rate.normalize(), "f")


def _money(amount: Decimal, currency: str) -> str:
    return f"{format_decimal_comma(amount)} {currency}"

