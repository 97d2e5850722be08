"""Parse the Amazon Business "Orders and shipments" (items) report, CSV or XLSX.

The report has one row per item per shipment and charge. Order-level columns
repeat on every row of an order, and an order that Amazon charged in several
parts has one Payment Reference ID per charge. Columns are found by name
through the alias table of `bot.documents.amazon_columns`, never by
position, because Amazon adds columns between exports and localizes them.

Before reading rows, the parser detects from the values the file's number
format (`bot.documents.report_numbers`) and the order of day and month in
its slash dates (`bot.documents.report_dates`). Where the values leave it
open, the header decides. A German header means decimal comma and
day-first dates. A header with the VAT wording of EU and UK exports means
day-first dates. Anything else is read as amazon.com writes it.

A report with a header and no rows is an empty period and gives no items.
How a row becomes an item, with its derived totals and refunds, is in
`bot.documents.amazon_items`.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from bot.documents.amazon_columns import (
    header_language,
    known_columns,
    local_name,
    resolve_report_columns,
    uses_vat_wording,
)
from bot.documents.amazon_items import LABEL_COLUMNS, ReportContext, custom_field_columns, make_item
from bot.documents.amazon_totals import ITEM_QUANTITY_COLUMNS, missing_total_columns
from bot.documents.report_dates import DateOrder, detect_date_order
from bot.documents.report_numbers import NumberFormat, detect_number_format
from bot.documents.table import Record, Table, read_table
from bot.errors import InputError
from bot.i18n import N_
from bot.records import ReportItem

__all__ = ["LABEL_COLUMNS", "is_order_report_header", "parse_order_report", "report_columns"]

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("Order Date", "Order ID", "Currency", "Title")
AMOUNT_COLUMNS = (
    "Purchase PPU", "Item Subtotal", "Item Shipping & Handling", "Item Promotion", "Item Tax", "Item Net Total",
    "Payment Amount", "Order Shipping & Handling", "Order Promotion", "Order Tax", "Order Net Total",
    "Refund Payment Amount",
)
DATE_COLUMNS = ("Order Date", "Payment Date", "Shipment Date", "Refund Date")

# Placeholders of empty fields that Amazon's privacy exports write, besides
# the "N/A" that `clean_cell` already reads as empty.
PLACEHOLDERS = frozenset({"Not Applicable", "Not Available"})

EXPORT_FIX = N_("export the Amazon Business 'Orders and shipments' report with all item columns")


def parse_order_report(path: Path) -> list[ReportItem]:
    """Parse an order report (CSV or XLSX) into one `ReportItem` per row; an empty report gives an empty list."""
    table = read_table(path)
    if not table.header:
        raise InputError(table.source, N_("order report has no header row"), fix=EXPORT_FIX)
    columns = resolve_report_columns(table)
    _check_columns(table, columns)

    records = _records(table, columns)
    if not records:
        log.info("order report %s has a header but no item rows, so the period had no orders", table.source)
        return []

    context = _report_context(table, records, columns)
    items = [make_item(record, context) for record in records]
    log.info("parsed order report %s: %d items, amounts like %s, dates %s", table.source, len(items),
             context.number_format.value, context.date_order.value)
    return items


def report_columns(path: Path) -> set[str]:
    """Return the known columns of an order report under their English names, aliases resolved."""
    return set(resolve_report_columns(read_table(path)))


# A header with one of these columns and a few more report columns is taken
# for an order report even when required columns are missing, so that the
# parser, not the detector, names the missing ones. Most German names are
# guessed, so the order id alone would miss a German report that names it
# otherwise.
IDENTIFYING_COLUMNS = frozenset({"Order ID", "Order Date", "Payment Reference ID"})
IDENTIFYING_COLUMN_COUNT = 4


def is_order_report_header(header: tuple[str, ...]) -> bool:
    """Return whether a header row looks like an order report's: an identifying column and other known columns."""
    found = known_columns(header)
    return bool(found & IDENTIFYING_COLUMNS) and len(found) >= IDENTIFYING_COLUMN_COUNT


def _records(table: Table, columns: dict[str, int]) -> list[Record]:
    """Return the table's records with the placeholders of `PLACEHOLDERS` read as empty cells."""
    records = []
    for record in table.records(columns):
        if not PLACEHOLDERS.isdisjoint(record.values.values()):
            values = {name: None if value in PLACEHOLDERS else value for name, value in record.values.items()}
            record = replace(record, values=values)
        records.append(record)
    return records


def _check_columns(table: Table, columns: dict[str, int]) -> None:
    """Raise `InputError` naming, in the header's language, the columns no row could be read without.

    An English report must have Item Net Total, which every amazon.com and
    EU English export has, so its absence means a damaged export. A German
    report may lack it, because its German name is not known for certain,
    when its rows carry what the total can be computed from (see
    `bot.documents.amazon_totals`).
    """
    language = header_language(table.header)

    missing = [local_name(name, language) for name in REQUIRED_COLUMNS if name not in columns]
    if not any(name in columns for name in (*ITEM_QUANTITY_COLUMNS, "Order Quantity")):
        missing.append(" or ".join(local_name(name, language) for name in ITEM_QUANTITY_COLUMNS))
    fix: tuple[str, ...] = (EXPORT_FIX,)
    if language == "en" and "Item Net Total" not in columns:
        missing.append("Item Net Total")
    elif missing_total_columns(columns):
        missing.append(local_name("Item Net Total", language))
        fix += (N_("or give the item subtotal with its tax ({subtotal}, {tax}) or VAT rate ({rate})"),)

    if missing:
        raise InputError(
            table.source,
            N_("order report is missing the column(s) {columns}"),
            location=table.header_location,
            fix=fix,
            row=table.header_number,
            columns=", ".join(repr(name) for name in missing),
            subtotal=local_name("Item Subtotal", language),
            tax=local_name("Item Tax", language),
            rate=local_name("Item Subtotal VAT Rate", language),
        )


def _report_context(table: Table, records: list[Record], columns: dict[str, int]) -> ReportContext:
    """Detect the report's formats from all its values and count its rows per charge and per order."""
    german = header_language(table.header) == "de"
    day_first = german or uses_vat_wording(table.header)

    number_format = detect_number_format(
        _values(records, AMOUNT_COLUMNS), NumberFormat.DECIMAL_COMMA if german else NumberFormat.DECIMAL_POINT
    )
    date_order = detect_date_order(
        _values(records, DATE_COLUMNS), DateOrder.DAY_FIRST if day_first else DateOrder.MONTH_FIRST
    )
    return ReportContext(
        number_format=number_format,
        date_order=date_order,
        rows_per_charge=Counter(record.text("Payment Reference ID") for record in records),
        rows_per_order=Counter(record.text("Order ID") for record in records),
        custom_field_columns=custom_field_columns(columns),
    )


def _values(records: list[Record], columns: tuple[str, ...]) -> Iterable[object]:
    for record in records:
        for column in columns:
            value = record.values.get(column)
            if value is not None:
                yield value
