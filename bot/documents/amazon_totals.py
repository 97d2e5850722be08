"""An order report row's item count, total and unit price, derived where the report lacks the column.

amazon.com reports carry Item Quantity, Purchase PPU and Item Net Total on
every row. A German amazon.de report has other names for them, of which
only some are known, so a row may have to be read from what it does carry.

The item total (``net_total``, what the card was charged for the item) is
taken from the first of these that the row has:

1. Item Net Total.
2. Item Subtotal + Item Shipping & Handling + Item Promotion + Item Tax.
   This is Amazon's own sum, as the amazon.com reports show. A missing
   shipping or promotion cell counts as zero.
3. Payment Amount, when the row's Payment Reference ID occurs on no other
   row: then the charge paid for this one item alone.
4. (Item Subtotal + Item Shipping & Handling + Item Promotion) × (1 + Item
   Subtotal VAT Rate / 100), rounded to cents. Shipping is taxed at the
   item's rate because EU VAT taxes delivery at the rate of the goods.
   NOTE: this assumes that the German "Zwischensumme" excludes VAT. A
   third-party importer treats the EU English export's subtotal so (it adds
   19 % to get the price paid), but no German file confirmed it. That is
   why this rule comes after the exact payment amount.

The item count is Item Quantity, else Shipment Quantity, else Order
Quantity when the order has only this one row in the report. All rows of
an order share its order date, so a report of a period of order dates
contains all of them. NOTE: a report of a period of payment dates would not,
and the seen German file name ("bestellungen_von_der_20241101_zu_…")
suggests order dates. The unit price is Purchase PPU, else the item
subtotal (or, without one, the total) divided by the count, to cents.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from bot.documents.table import Record
from bot.i18n import N_

CENT = Decimal("0.01")
_HUNDRED = Decimal(100)

NET_TOTAL_SOURCES = ("Item Net Total", "Item Subtotal", "Payment Amount")
ITEM_QUANTITY_COLUMNS = ("Item Quantity", "Shipment Quantity")  # the first one present is used
QUANTITY_FIX = N_("write the item count as a whole number")


@dataclass(frozen=True)
class ItemAmounts:
    """The amounts a row gives for its item, parsed; None where the cell is empty or the column absent."""

    subtotal: Decimal | None
    shipping: Decimal | None
    promotion: Decimal | None
    tax: Decimal | None
    vat_rate: Decimal | None
    net_total: Decimal | None
    payment_amount: Decimal | None
    unit_price: Decimal | None


def item_net_total(record: Record, amounts: ItemAmounts, rows_per_charge: Counter[str | None]) -> Decimal:
    """Return the row's item total by the rules in this module's docstring; raise `InputError` when none applies."""
    if amounts.net_total is not None:
        return amounts.net_total

    parts = None
    if amounts.subtotal is not None:
        parts = amounts.subtotal + (amounts.shipping or 0) + (amounts.promotion or 0)
    if parts is not None and amounts.tax is not None:
        return parts + amounts.tax

    reference = record.text("Payment Reference ID")
    if amounts.payment_amount is not None and reference is not None and rows_per_charge[reference] == 1:
        return amounts.payment_amount

    if parts is not None and amounts.vat_rate is not None:
        return (parts * (_HUNDRED + amounts.vat_rate) / _HUNDRED).quantize(CENT, ROUND_HALF_UP)

    column = next((name for name in NET_TOTAL_SOURCES if name in record.headers), NET_TOTAL_SOURCES[0])
    raise record.error(
        column,
        N_("the item total is missing and cannot be computed from the row's subtotal, tax, VAT rate "
           "or a payment for this item alone"),
        fix=N_("fill in the item total, or the subtotal with its tax"),
    )


def item_quantity(record: Record, rows_per_order: Counter[str | None], parse: Callable[[object], int]) -> int:
    """Return the row's item count, negative on a returned item's row, by the rules in this module's docstring."""
    item_column = next((name for name in ITEM_QUANTITY_COLUMNS if name in record.headers), None)
    if item_column is not None:
        return record.get(item_column, parse, required=True, fix=QUANTITY_FIX)

    rows = rows_per_order[record.text("Order ID")]
    if rows > 1:
        raise record.error(
            "Order Quantity",
            N_("the order has {count} rows, so its quantity is not the item count of one row"),
            fix=N_("export the report with the item quantity column"),
            count=rows,
        )
    return record.get("Order Quantity", parse, required=True, fix=QUANTITY_FIX)


def unit_price(amounts: ItemAmounts, quantity: int, net_total: Decimal) -> Decimal:
    """Return Purchase PPU, or the subtotal or total divided by the item count, to cents."""
    if amounts.unit_price is not None:
        return amounts.unit_price

    amount = amounts.subtotal if amounts.subtotal is not None else net_total
    if quantity == 0:
        return amount
    return (amount / quantity).quantize(CENT, ROUND_HALF_UP)


def missing_total_columns(columns: set[str] | dict[str, int]) -> bool:
    """Return whether no row of a report with these columns could have an item total."""
    return not (
        "Item Net Total" in columns
        or ("Item Subtotal" in columns and ("Item Tax" in columns or "Item Subtotal VAT Rate" in columns))
        or ("Payment Amount" in columns and "Payment Reference ID" in columns)
    )

