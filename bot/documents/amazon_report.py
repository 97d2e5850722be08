"""Parse the Amazon Business "Orders and shipments" (items) report.

The report has one row per item per shipment; order-level columns repeat on
every row of an order. Columns are found by name through an alias table
(the amazon.com English names and the German names of amazon.de), never by
position, because Amazon adds columns between exports.

Allocation columns: when a row has both ``Cost Center`` and ``GL Code``,
`ReportItem.labels` contains them with ``Project Code`` (empty -> None) and
``Tax Code``. A missing or empty ``Tax Code`` gives ``tax_code=""``, and the
caller fills in the account's default VAT code. A row that has only part of
an allocation, such as a project code the requester typed at checkout,
gets no labels; those values go into `ReportItem.custom_fields` under their
column names, with ``Department``, ``Location`` and ``Custom Field 1``.

Payment columns are copied as they are, whatever the payment instrument:
rows paid by invoice or business credit account are kept, so
reconciliation can tell them apart from card charges.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from bot.documents.numbers import parse_decimal_comma, parse_decimal_point, parse_quantity, parse_report_date
from bot.documents.table import Record, Table, normalize_header, read_table
from bot.errors import InputError
from bot.i18n import N_
from bot.records import Allocation, ReportItem

log = logging.getLogger(__name__)

# English column names of the amazon.com report that the parser reads.
ENGLISH_COLUMNS = (
    "Order Date",
    "Order ID",
    "PO Number",
    "Order Quantity",
    "Currency",
    "Account User",
    "Account User Email",
    "Payment Reference ID",
    "Payment Date",
    "Payment Amount",
    "Payment Instrument Type",
    "Payment Identifier",
    "Shipment Date",
    "Shipment Quantity",
    "Shipping Address",
    "Product Category",
    "Amazon-Internal Product Category",
    "ASIN",
    "Title",
    "UNSPSC",
    "Brand",
    "Purchase PPU",
    "Item Quantity",
    "Item Tax",
    "Item Net Total",
    "GL Code",
    "Department",
    "Cost Center",
    "Project Code",
    "Location",
    "Custom Field 1",
    "Seller Name",
    "Tax Code",
)

# Other English spellings seen in newer or EU exports.
ENGLISH_SYNONYMS = {
    "Charge Identifier": "Payment Reference ID",
    "Account User E-mail": "Account User Email",
    "Item VAT": "Item Tax",
}

# German column names of amazon.de exports. Only Bestelldatum,
# Bestellnummer, Bestellmenge, Titel, Zahlungsreferenznummer, Zahlungsdatum
# and Zahlungsbetrag are confirmed from a real file; the others come from a
# third-party mapping table.
# NOTE: the German names of Purchase PPU and Item Net Total are not known,
# so a German report fails with a missing-column error until they are added.
GERMAN_NAMES = {
    "Bestelldatum": "Order Date",
    "Bestellnummer": "Order ID",
    "PO Nummer": "PO Number",
    # Bestellmenge is taken to be the order's quantity, not the item's, so it
    # is never read as the item count.
    "Bestellmenge": "Order Quantity",
    "Währung": "Currency",
    "Kontobenutzer": "Account User",
    "E-Mail-Adresse des Kontobenutzers": "Account User Email",
    "Zahlungsreferenznummer": "Payment Reference ID",
    "Zahlungsdatum": "Payment Date",
    "Zahlungsbetrag": "Payment Amount",
    "Zahlungskennzeichnung": "Payment Identifier",
    "Amazon-interne Produktkategorie": "Amazon-Internal Product Category",
    "Titel": "Title",
    "Marke": "Brand",
    "Artikelmenge": "Item Quantity",
    "Artikel-USt": "Item Tax",
    "Hauptbuchkontonummer": "GL Code",
    "Abteilung": "Department",
    "Kostenstelle": "Cost Center",
    "Projektnummer": "Project Code",
    "Ort": "Location",
}

ALIASES = (
    {normalize_header(name): name for name in ENGLISH_COLUMNS}
    | {normalize_header(name): canonical for name, canonical in ENGLISH_SYNONYMS.items()}
    | {normalize_header(name): canonical for name, canonical in GERMAN_NAMES.items()}
)
# A German header means German number format: decimal comma.
_GERMAN_HEADERS = frozenset(normalize_header(name) for name in GERMAN_NAMES)

REQUIRED_COLUMNS = ("Order Date", "Order ID", "Currency", "Title", "Purchase PPU", "Item Net Total")
QUANTITY_COLUMNS = ("Item Quantity", "Shipment Quantity")  # the first one present is used

QUANTITY_FIX = N_("write the item count as a whole number")

LABEL_COLUMNS = ("Cost Center", "GL Code", "Project Code", "Tax Code")
ORDER_INFO_COLUMNS = ("Department", "Location", "Custom Field 1")


def parse_order_report(path: Path) -> list[ReportItem]:
    """Parse an order report (CSV or XLSX) into one `ReportItem` per row."""
    table = read_table(path)
    columns = table.resolve_columns(ALIASES)
    _check_columns(table, columns)

    if any(normalize_header(name) in _GERMAN_HEADERS for name in table.header):
        parse_amount, amount_fix = parse_decimal_comma, N_("write amounts like 1234,50")
    else:
        parse_amount, amount_fix = parse_decimal_point, N_("write amounts like 1234.50")
    quantity_column = next(name for name in QUANTITY_COLUMNS if name in columns)

    items = [_make_item(record, parse_amount, amount_fix, quantity_column) for record in table.records(columns)]
    if not items:
        raise InputError(table.source, N_("order report has a header but no item rows"),
                         fix=N_("export a period with orders"))

    log.info("parsed order report %s: %d items", table.source, len(items))
    return items


def report_columns(path: Path) -> set[str]:
    """Return the known columns of an order report under their English names, aliases resolved."""
    return set(read_table(path).resolve_columns(ALIASES))


# A header with the order id and a few more report columns is taken for an
# order report even when required columns are missing, so that the parser,
# not the detector, names the missing ones.
IDENTIFYING_COLUMN_COUNT = 4


def is_order_report_header(header: tuple[str, ...]) -> bool:
    """Return whether a header row looks like an order report's: the order id and other known columns."""
    found = {ALIASES.get(normalize_header(name)) for name in header} - {None}
    return "Order ID" in found and len(found) >= IDENTIFYING_COLUMN_COUNT


def _check_columns(table: Table, columns: dict[str, int]) -> None:
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if not any(name in columns for name in QUANTITY_COLUMNS):
        missing.append(" or ".join(QUANTITY_COLUMNS))
    if missing:
        raise InputError(
            table.source,
            N_("order report is missing the column(s) {columns}"),
            location=table.header_location,
            fix=N_("export the Amazon Business 'Orders and shipments' report with all item columns"),
            row=table.header_number,
            columns=", ".join(repr(name) for name in missing),
        )


def _make_item(
    record: Record,
    parse_amount: Callable[[object], Decimal],
    amount_fix: str,
    quantity_column: str,
) -> ReportItem:
    date_fix = N_("write dates as MM/DD/YYYY, DD.MM.YYYY or YYYY-MM-DD")
    labels = _labels(record)
    currency = record.text("Currency", required=True)
    if not (len(currency) == 3 and currency.isascii() and currency.isupper()):
        raise record.error("Currency", N_("{value} is not a currency code"),
                           fix=N_("use an ISO code such as EUR or SEK"), value=repr(currency))

    return ReportItem(
        source=record.source,
        line=record.number,
        order_id=record.text("Order ID", required=True),
        order_date=record.get("Order Date", parse_report_date, required=True, fix=date_fix),
        currency=currency,
        title=record.text("Title", required=True),
        quantity=record.get(quantity_column, parse_quantity, required=True, fix=QUANTITY_FIX),
        unit_price=record.get("Purchase PPU", parse_amount, required=True, fix=amount_fix),
        net_total=record.get("Item Net Total", parse_amount, required=True, fix=amount_fix),
        account_user=record.text("Account User"),
        account_user_email=record.text("Account User Email"),
        po_number=record.text("PO Number"),
        payment_reference=record.text("Payment Reference ID"),
        payment_date=record.get("Payment Date", parse_report_date, fix=date_fix),
        payment_amount=record.get("Payment Amount", parse_amount, fix=amount_fix),
        payment_instrument=record.text("Payment Instrument Type"),
        payment_last4=record.text("Payment Identifier"),
        shipment_date=record.get("Shipment Date", parse_report_date, fix=date_fix),
        shipping_address=record.text("Shipping Address"),
        product_category=record.text("Product Category") or record.text("Amazon-Internal Product Category"),
        asin=record.text("ASIN"),
        unspsc=record.text("UNSPSC"),
        brand=record.text("Brand"),
        seller=record.text("Seller Name"),
        item_tax=record.get("Item Tax", parse_amount, fix=amount_fix),
        labels=labels,
        custom_fields=_custom_fields(record, labeled=labels is not None),
    )


def _labels(record: Record) -> Allocation | None:
    cost_center = record.text("Cost Center")
    account = record.text("GL Code")
    if cost_center is None or account is None:
        return None
    return Allocation(
        cost_center=cost_center,
        project=record.text("Project Code"),
        account=account,
        tax_code=record.text("Tax Code") or "",
    )


def _custom_fields(record: Record, *, labeled: bool) -> dict[str, str]:
    """Collect the order-info values that are not part of a complete allocation."""
    names = ORDER_INFO_COLUMNS if labeled else LABEL_COLUMNS + ORDER_INFO_COLUMNS

    fields = {}
    for name in names:
        value = record.text(name)
        if value is not None:
            fields[name] = value
    return fields
