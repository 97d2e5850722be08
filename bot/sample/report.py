"""Write Amazon Business "Orders and shipments" item reports and the truth file.

The layout is the report Amazon Business Analytics exports: UTF-8 with a
byte order mark, every field quoted, CRLF, one row per item per shipment
with the order's and shipment's totals repeated on every row, US dates,
dot decimals, ``="…"`` around the card's last four digits, the UNSPSC and
the model number, and ``N/A`` where a field does not apply. A labeled
report fills the allocation columns and adds a ``Tax Code`` column.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

from bot.records import Allocation
from bot.sample.catalog import SELLERS, Seller
from bot.sample.orders import ZERO, ItemRow, Order, Shipment
from bot.sample.sites import COMPANY_NAME

COLUMNS = (
    "Order Date", "Order ID", "Account Group", "PO Number", "Order Quantity", "Currency", "Order Subtotal",
    "Order Shipping & Handling", "Order Promotion", "Order Tax", "Order Net Total", "Order Status", "Approver",
    "Account User", "Account User Email", "Invoice Status", "Total Amount", "Invoice Due Amount",
    "Invoice Issue Date", "Invoice Due Date", "Payment Reference ID", "Payment Date", "Payment Amount",
    "Payment Instrument Type", "Payment Identifier", "Shipment Date", "Shipment Status", "Carrier Tracking #",
    "Shipment Quantity", "Shipping Address", "Shipment Subtotal", "Shipment Shipping & Handling",
    "Shipment Promotion", "Shipment Tax", "Shipment Net Total", "Carrier Name", "Product Category", "ASIN", "Title",
    "UNSPSC", "Brand Code", "Brand", "Manufacturer", "National Stock Number", "Item model number", "Part number",
    "Product Condition", "Company Compliance", "Listed PPU", "Purchase PPU", "Item Quantity", "Item Subtotal",
    "Item Shipping & Handling", "Item Promotion", "Item Tax", "Item Net Total", "PO Line Item Id",
    "Tax Exemption Applied", "Tax Exemption Type", "Tax Exemption Opt Out", "Discount Program",
    "Pricing Discount applied ($ off)", "Pricing Discount applied (% off)", "GL Code", "Department", "Cost Center",
    "Project Code", "Location", "Custom Field 1", "Seller Name", "Seller Credentials", "Seller Address",
)
TAX_CODE_COLUMN = "Tax Code"

TRUTH_COLUMNS = ("Order ID", "Payment Reference ID", "ASIN", "Cost Center", "Project Code", "GL Code", "Tax Code")

CARD_LAST_DIGITS = "4821"
NOT_APPLICABLE = "N/A"

# Labels per row, keyed by order id, payment reference and ASIN.
RowKey = tuple[str, str, str]


def row_key(order: Order, shipment: Shipment, row: ItemRow) -> RowKey:
    return order.order_id, shipment.payment_reference, row.line.product.asin


def write_order_report(path: Path, orders: Iterable[Order], labels: dict[RowKey, Allocation] | None = None, *,
                       account_group: str = COMPANY_NAME, sellers: Mapping[str, Seller] = SELLERS) -> None:
    """Write the orders' item rows; with ``labels`` the allocation columns are filled.

    ``account_group`` is the buying company's name and ``sellers`` resolves
    each product's seller key; both default to Nordlys Teknikk's.
    """
    header = COLUMNS + ((TAX_CODE_COLUMN,) if labels is not None else ())
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(header)
        for order in orders:
            for shipment in order.shipments:
                for row in shipment.rows:
                    values = _row_values(order, shipment, row, account_group, sellers)
                    if labels is not None:
                        allocation = labels[row_key(order, shipment, row)]
                        values.update({
                            "GL Code": allocation.account,
                            "Cost Center": allocation.cost_center,
                            "Project Code": allocation.project or "",
                            TAX_CODE_COLUMN: allocation.tax_code,
                        })
                    writer.writerow([values[column] for column in header])


def write_truth(path: Path, orders: Iterable[Order], labels: dict[RowKey, Allocation]) -> None:
    """Write one row per item of the orders with its correct allocation (UTF-8, comma, no BOM)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(TRUTH_COLUMNS)
        for order in orders:
            for shipment in order.shipments:
                for row in shipment.rows:
                    key = row_key(order, shipment, row)
                    allocation = labels[key]
                    writer.writerow([*key, allocation.cost_center, allocation.project or "", allocation.account,
                                     allocation.tax_code])


def _row_values(order: Order, shipment: Shipment, row: ItemRow, account_group: str,
                sellers: Mapping[str, Seller]) -> dict[str, str]:
    purchase = order.purchase
    product = row.line.product
    seller = sellers[product.seller]
    rows = order.rows
    discount = row.discount
    percent_off = (discount / (row.listed_ppu * row.quantity) * 100) if discount else ZERO

    return {
        "Order Date": _us_date(purchase.order_date),
        "Order ID": order.order_id,
        "Account Group": account_group,
        "PO Number": purchase.po_number,
        "Order Quantity": str(sum(item.quantity for item in rows)),
        "Currency": order.currency,
        "Order Subtotal": _money(sum((item.subtotal for item in rows), ZERO)),
        "Order Shipping & Handling": _money(sum((item.shipping for item in rows), ZERO)),
        "Order Promotion": _money(sum((item.promotion for item in rows), ZERO)),
        "Order Tax": _money(sum((item.tax for item in rows), ZERO)),
        "Order Net Total": _money(sum((item.net_total for item in rows), ZERO)),
        "Order Status": "Closed",
        "Approver": order.approver or NOT_APPLICABLE,
        "Account User": purchase.requester.name,
        "Account User Email": purchase.requester.email,
        "Invoice Status": NOT_APPLICABLE,
        "Total Amount": _money(sum((item.net_total for item in rows), ZERO)),
        "Invoice Due Amount": NOT_APPLICABLE,
        "Invoice Issue Date": NOT_APPLICABLE,
        "Invoice Due Date": NOT_APPLICABLE,
        "Payment Reference ID": shipment.payment_reference,
        "Payment Date": _us_date(shipment.payment_date),
        "Payment Amount": _money(shipment.amount),
        "Payment Instrument Type": "Mastercard",
        "Payment Identifier": _excel_text(CARD_LAST_DIGITS),
        "Shipment Date": _us_date(shipment.shipment_date),
        "Shipment Status": "Delivered",
        "Carrier Tracking #": shipment.tracking_number,
        "Shipment Quantity": str(shipment.quantity),
        "Shipping Address": purchase.ship_to.for_amazon(),
        "Shipment Subtotal": _money(sum((item.subtotal for item in shipment.rows), ZERO)),
        "Shipment Shipping & Handling": _money(sum((item.shipping for item in shipment.rows), ZERO)),
        "Shipment Promotion": _money(sum((item.promotion for item in shipment.rows), ZERO)),
        "Shipment Tax": _money(sum((item.tax for item in shipment.rows), ZERO)),
        "Shipment Net Total": _money(shipment.amount),
        "Carrier Name": shipment.carrier,
        "Product Category": product.category,
        "ASIN": product.asin,
        "Title": product.title,
        "UNSPSC": _excel_text(product.unspsc),
        "Brand Code": "",
        "Brand": product.brand,
        "Manufacturer": product.brand,
        "National Stock Number": "",
        "Item model number": _excel_text(product.model),
        "Part number": product.model,
        "Product Condition": "New",
        "Company Compliance": "",
        "Listed PPU": _money(row.listed_ppu),
        "Purchase PPU": _money(row.purchase_ppu),
        "Item Quantity": str(row.quantity),
        "Item Subtotal": _money(row.subtotal),
        "Item Shipping & Handling": _money(row.shipping),
        "Item Promotion": _money(row.promotion),
        "Item Tax": _money(row.tax),
        "Item Net Total": _money(row.net_total),
        "PO Line Item Id": "",
        "Tax Exemption Applied": "N",
        "Tax Exemption Type": NOT_APPLICABLE,
        "Tax Exemption Opt Out": NOT_APPLICABLE,
        "Discount Program": "Quantity Discount" if discount else NOT_APPLICABLE,
        "Pricing Discount applied ($ off)": _money(discount),
        "Pricing Discount applied (% off)": _money(percent_off),
        "GL Code": "",
        "Department": "",
        "Cost Center": "",
        "Project Code": "",
        "Location": "",
        "Custom Field 1": "",
        "Seller Name": seller.name,
        "Seller Credentials": NOT_APPLICABLE,
        "Seller Address": seller.address,
    }


def _us_date(day: date) -> str:
    return day.strftime("%m/%d/%Y")


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01')):f}"


def _excel_text(value: str) -> str:
    """Wrap a value the way Amazon does to keep Excel from reading it as a number: ``="4821"``."""
    return f'="{value}"'
