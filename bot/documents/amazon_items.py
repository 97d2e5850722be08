"""Turn one row of an order report into a `ReportItem`.

Allocation columns: when a row has both ``Cost Center`` and ``GL Code``,
`ReportItem.labels` contains them with ``Project Code`` (empty -> None) and
``Tax Code``. A missing or empty ``Tax Code`` gives ``tax_code=""``, and the
caller fills in the account's default VAT code. A row that has only part of
an allocation, such as a project code the requester typed at checkout,
gets no labels. Its allocation values then go into `ReportItem.custom_fields`
under their column names, as do ``Department``, ``Location`` and every
``Custom Field N`` of every row.

Payment columns are copied as they are, whatever the payment instrument:
rows paid by invoice or business credit account are kept, so
reconciliation can tell them apart from card charges.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from bot.documents.amazon_columns import CUSTOM_FIELD
from bot.documents.amazon_refunds import STATUS_COLUMNS, find_refund
from bot.documents.amazon_totals import ItemAmounts, item_net_total, item_quantity, unit_price
from bot.documents.report_dates import DATE_FIX, DateOrder, date_parser
from bot.documents.report_numbers import (
    AMOUNT_FIXES,
    NumberFormat,
    amount_parser,
    parse_signed_quantity,
    percent_parser,
)
from bot.documents.table import Record, normalize_header
from bot.i18n import N_
from bot.records import Allocation, ReportItem

LABEL_COLUMNS = ("Cost Center", "GL Code", "Project Code", "Tax Code")
ORDER_INFO_COLUMNS = ("Department", "Location")

CURRENCY_CODE_LENGTH = 3


@dataclass
class ReportContext:
    """Properties of a whole report, found before its rows are read: formats, row counts and custom columns."""

    number_format: NumberFormat
    date_order: DateOrder
    rows_per_charge: Counter[str | None]  # rows by Payment Reference ID
    rows_per_order: Counter[str | None]  # rows by Order ID
    custom_field_columns: tuple[str, ...]  # "Custom Field N" columns, by their name in the file
    parse_amount: Callable[[object], Decimal] = field(init=False, repr=False)
    parse_percent: Callable[[object], Decimal] = field(init=False, repr=False)
    parse_date: Callable[[object], date] = field(init=False, repr=False)
    amount_fix: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Looked up once, because the rows call them tens of thousands of times.
        self.parse_amount = amount_parser(self.number_format)
        self.parse_percent = percent_parser(self.number_format)
        self.parse_date = date_parser(self.date_order)
        self.amount_fix = AMOUNT_FIXES[self.number_format]


def make_item(record: Record, report: ReportContext) -> ReportItem:
    """Build the item of one row; raise `InputError` naming the row, column and value of an invalid cell."""
    amounts = _amounts(record, report)

    signed_quantity = item_quantity(record, report.rows_per_order, parse_signed_quantity)
    net_total = item_net_total(record, amounts, report.rows_per_charge)

    payment_date = _date(record, "Payment Date", report)
    refund = find_refund(
        refund_payment=_amount(record, "Refund Payment Amount", report),
        refund_date=_date(record, "Refund Date", report),
        net_total=net_total,
        negative_quantity=signed_quantity < 0,
        payment_date=payment_date,
        statuses=tuple(record.text(column) for column in STATUS_COLUMNS),
    )
    labels = _labels(record)

    return ReportItem(
        source=record.source,
        line=record.number,
        order_id=record.text("Order ID", required=True),
        order_date=record.get("Order Date", report.parse_date, required=True, fix=DATE_FIX),
        currency=_currency(record),
        title=record.text("Title", required=True),
        quantity=abs(signed_quantity),
        unit_price=unit_price(amounts, abs(signed_quantity), net_total),
        net_total=net_total,
        account_user=record.text("Account User"),
        account_user_email=record.text("Account User Email"),
        po_number=record.text("PO Number"),
        payment_reference=record.text("Payment Reference ID"),
        payment_date=payment_date,
        payment_amount=amounts.payment_amount,
        payment_instrument=record.text("Payment Instrument Type"),
        payment_last4=record.text("Payment Identifier"),
        shipment_date=_date(record, "Shipment Date", report),
        shipping_address=record.text("Shipping Address"),
        product_category=record.text("Product Category") or record.text("Amazon-Internal Product Category"),
        asin=record.text("ASIN"),
        unspsc=record.text("UNSPSC"),
        brand=record.text("Brand"),
        seller=record.text("Seller Name"),
        item_tax=amounts.tax,
        labels=labels,
        custom_fields=_custom_fields(record, report.custom_field_columns, labeled=labels is not None),
        subtotal=amounts.subtotal,
        shipping=amounts.shipping,
        promotion=amounts.promotion,
        vat_rate=amounts.vat_rate,
        order_shipping=_amount(record, "Order Shipping & Handling", report),
        order_promotion=_amount(record, "Order Promotion", report),
        order_tax=_amount(record, "Order Tax", report),
        order_net_total=_amount(record, "Order Net Total", report),
        order_status=record.text("Order Status"),
        invoice_number=record.text("Invoice Number"),
        refund_amount=refund.amount if refund else None,
        refund_date=refund.date if refund else None,
    )


def custom_field_columns(columns: dict[str, int]) -> tuple[str, ...]:
    """Return the "Custom Field N" columns among a report's resolved columns."""
    return tuple(name for name in columns if CUSTOM_FIELD.fullmatch(normalize_header(name)))


def _amounts(record: Record, report: ReportContext) -> ItemAmounts:
    amounts = ItemAmounts(
        subtotal=_amount(record, "Item Subtotal", report),
        shipping=_amount(record, "Item Shipping & Handling", report),
        promotion=_amount(record, "Item Promotion", report),
        tax=_amount(record, "Item Tax", report),
        vat_rate=record.get("Item Subtotal VAT Rate", report.parse_percent,
                            fix=N_("write the VAT rate as a percentage, such as 19%")),
        net_total=_amount(record, "Item Net Total", report),
        payment_amount=_amount(record, "Payment Amount", report),
        unit_price=_amount(record, "Purchase PPU", report),
    )

    # A purchase's discount is negative, as amazon.com writes it, also where an
    # export drops the sign. On a credit row, a refunded discount is positive.
    base = amounts.net_total if amounts.net_total is not None else amounts.subtotal
    if amounts.promotion is not None and (base is None or base >= 0):
        amounts = replace(amounts, promotion=-abs(amounts.promotion))
    return amounts


def _amount(record: Record, column: str, report: ReportContext) -> Decimal | None:
    return record.get(column, report.parse_amount, fix=report.amount_fix)


def _date(record: Record, column: str, report: ReportContext) -> date | None:
    return record.get(column, report.parse_date, fix=DATE_FIX)


def _currency(record: Record) -> str:
    currency = record.text("Currency", required=True)
    if not (len(currency) == CURRENCY_CODE_LENGTH and currency.isascii() and currency.isalpha()
            and currency.isupper()):
        raise record.error("Currency", N_("{value} is not a currency code"),
                           fix=N_("use an ISO code such as EUR or SEK"), value=repr(currency))
    return currency


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


def _custom_fields(record: Record, custom_columns: tuple[str, ...], *, labeled: bool) -> dict[str, str]:
    """Collect the business order info that is not part of a complete allocation, by column name."""
    names = ORDER_INFO_COLUMNS + custom_columns
    if not labeled:
        names = LABEL_COLUMNS + names

    fields = {}
    for name in names:
        value = record.text(name)
        if value is not None:
            fields[name] = value
    return fields
