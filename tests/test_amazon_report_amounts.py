"""Order report rows: orders over several charges, derived totals, refunds and custom order fields."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bot.documents.amazon_report import parse_order_report
from bot.errors import InputError
from bot.records import Allocation


def write_rows(tmp_path: Path, rows: list[dict[str, str]], name: str = "orders.csv") -> Path:
    """Write dict rows under the union of their keys, in first-seen order, every field quoted."""
    header: list[str] = []
    for row in rows:
        header += [column for column in row if column not in header]
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([[row.get(column, "") for column in header] for row in rows])
    path = tmp_path / name
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    return path


def row(**values: str) -> dict[str, str]:
    """Return an amazon.com row of one item. Keyword names use underscores for spaces and '_and_' for ' & '.

    Item Net Total is empty unless given, so that the parser computes it from the other columns.
    """
    base = {"Order Date": "11/03/2026", "Order ID": "302-1725553-0374723", "Currency": "EUR", "Title": "Item",
            "Item Quantity": "1", "Item Net Total": ""}
    base.update({name.replace("_and_", " & ").replace("_", " "): value for name, value in values.items()})
    return base


def test_order_over_several_charges(tmp_path):
    order = {"Order_Shipping_and_Handling": "4.99", "Order_Promotion": "-2.00", "Order_Tax": "0.00",
             "Order_Net_Total": "102.97", "Order_Status": "Closed", "Invoice_Number": "DE60GTQMP053RU"}
    rows = [
        row(Title="Logitech MX Master 3S", Item_Net_Total="47.99", Payment_Reference_ID="1Eqv7RLIZCZl2HZzgKrV",
            Payment_Amount="62.97", Payment_Date="11/04/2026", **order),
        row(Title="Anker USB-C Kabel", Item_Quantity="2", Item_Net_Total="14.98",
            Payment_Reference_ID="1Eqv7RLIZCZl2HZzgKrV", Payment_Amount="62.97", Payment_Date="11/04/2026", **order),
        row(Title="Logitech MX Keys", Item_Net_Total="40.00", Payment_Reference_ID="2Fqv7RLIZCZl2HZzgKrW",
            Payment_Amount="40.00", Payment_Date="11/09/2026", **order),
    ]

    mouse, cable, keys = parse_order_report(write_rows(tmp_path, rows))

    assert [item.payment_reference for item in (mouse, cable, keys)] == [
        "1Eqv7RLIZCZl2HZzgKrV", "1Eqv7RLIZCZl2HZzgKrV", "2Fqv7RLIZCZl2HZzgKrW"]
    assert mouse.net_total + cable.net_total == mouse.payment_amount
    assert keys.payment_amount == Decimal("40.00")
    assert keys.payment_date == date(2026, 11, 9)
    for item in (mouse, cable, keys):
        assert item.order_id == "302-1725553-0374723"
        assert item.order_shipping == Decimal("4.99")
        assert item.order_promotion == Decimal("-2.00")
        assert item.order_tax == Decimal("0.00")
        assert item.order_net_total == Decimal("102.97")
        assert item.order_status == "Closed"
        assert item.invoice_number == "DE60GTQMP053RU"
        assert item.refund_amount is None


def test_total_from_subtotal_and_tax(tmp_path):
    rows = [row(Item_Subtotal="49.99", Item_Shipping_and_Handling="4.99", Item_Promotion="-2.00", Item_Tax="10.43")]

    item = parse_order_report(write_rows(tmp_path, rows))[0]

    assert item.net_total == Decimal("63.41")
    assert (item.subtotal, item.shipping, item.promotion, item.item_tax) == (
        Decimal("49.99"), Decimal("4.99"), Decimal("-2.00"), Decimal("10.43"))


def test_single_item_charge_uses_payment(tmp_path):
    rows = [row(Item_Subtotal="21.00", Item_Subtotal_VAT_Rate="19%", Payment_Reference_ID="1A",
                Payment_Amount="24.99")]

    item = parse_order_report(write_rows(tmp_path, rows))[0]

    assert item.net_total == Decimal("24.99")


def test_shared_charge_uses_vat_rate(tmp_path):
    rows = [
        row(Title="Maus", Item_Subtotal="21.00", Item_Subtotal_VAT_Rate="19%", Payment_Reference_ID="1A",
            Payment_Amount="36.89"),
        row(Title="Kabel", Item_Subtotal="10.00", Item_Subtotal_VAT_Rate="19%", Payment_Reference_ID="1A",
            Payment_Amount="36.89"),
    ]

    mouse, cable = parse_order_report(write_rows(tmp_path, rows))

    assert mouse.net_total == Decimal("24.99")
    assert cable.net_total == Decimal("11.90")


def test_uncomputable_total_names_row(tmp_path):
    rows = [
        row(Title="Maus", Payment_Reference_ID="1A", Payment_Amount="36.89"),
        row(Title="Kabel", Payment_Reference_ID="1A", Payment_Amount="36.89"),
    ]

    with pytest.raises(InputError) as raised:
        parse_order_report(write_rows(tmp_path, rows))

    assert str(raised.value).startswith(
        "orders.csv, line 2, column 'Item Net Total': the item total is missing and cannot be computed"
    )


def test_english_report_needs_net_total(tmp_path):
    rows = [{"Order Date": "11/03/2026", "Order ID": "302-1", "Currency": "EUR", "Title": "Maus",
             "Item Quantity": "1", "Item Subtotal": "49.99", "Item Tax": "0.00"}]

    with pytest.raises(InputError) as raised:
        parse_order_report(write_rows(tmp_path, rows))

    assert raised.value.params["columns"] == "'Item Net Total'"


def test_unit_price_from_subtotal(tmp_path):
    rows = [row(Item_Quantity="3", Item_Subtotal="10.00", Item_Tax="0.00")]

    item = parse_order_report(write_rows(tmp_path, rows))[0]

    assert item.unit_price == Decimal("3.33")
    assert item.net_total == Decimal("10.00")


def test_refund_payment_amount(tmp_path):
    rows = [
        row(Title="Maus", Item_Net_Total="47.99", Refund_Payment_Amount="47.99", Refund_Date="11/20/2026"),
        row(Title="Kabel", Item_Net_Total="14.98", Refund_Payment_Amount="0.00"),
    ]

    mouse, cable = parse_order_report(write_rows(tmp_path, rows))

    assert mouse.refund_amount == Decimal("47.99")
    assert mouse.refund_date == date(2026, 11, 20)
    assert mouse.net_total == Decimal("47.99")
    assert cable.refund_amount is None
    assert cable.refund_date is None


def test_credit_row_with_negative_amounts(tmp_path):
    rows = [row(Item_Quantity="-1", Item_Subtotal="-49.99", Item_Promotion="2.00", Item_Tax="0.00",
                Payment_Date="11/21/2026", Payment_Amount="-47.99")]

    item = parse_order_report(write_rows(tmp_path, rows))[0]

    assert item.quantity == 1
    assert item.net_total == Decimal("-47.99")
    assert item.promotion == Decimal("2.00")
    assert item.refund_amount == Decimal("47.99")
    assert item.refund_date == date(2026, 11, 21)


def test_negative_quantity_alone_is_refund(tmp_path):
    rows = [row(Item_Quantity="-2", Item_Net_Total="14.98", Payment_Date="11/21/2026")]

    item = parse_order_report(write_rows(tmp_path, rows))[0]

    assert item.quantity == 2
    assert item.refund_amount == Decimal("14.98")
    assert item.refund_date == date(2026, 11, 21)


@pytest.mark.parametrize(
    ("column", "status", "refunded"),
    [("Order Status", "Returned", True), ("Shipment Status", "Refund issued", True),
     ("Order Status", "Rückerstattet", True), ("Order Status", "Canceled", False),
     ("Order Status", "Closed", False)],
)
def test_refund_by_status(tmp_path, column, status, refunded):
    rows = [row(Item_Net_Total="47.99", **{column.replace(" ", "_"): status})]

    item = parse_order_report(write_rows(tmp_path, rows))[0]

    assert item.refund_amount == (Decimal("47.99") if refunded else None)
    assert item.refund_date is None


def test_discount_without_sign_becomes_negative(tmp_path):
    rows = [row(Item_Subtotal="50.00", Item_Promotion="2.00", Item_Tax="0.00")]

    item = parse_order_report(write_rows(tmp_path, rows))[0]

    assert item.promotion == Decimal("-2.00")
    assert item.net_total == Decimal("48.00")


def test_custom_order_fields_kept_with_labels(tmp_path):
    rows = [row(Item_Net_Total="47.99", PO_Number="PO-2026-118", GL_Code="6551", Cost_Center="400",
                Project_Code="P-1042", Department="Service", Location="Hamar", Custom_Field_1="Bil 3",
                Custom_Field_2="Lager Nord")]

    item = parse_order_report(write_rows(tmp_path, rows))[0]

    assert item.po_number == "PO-2026-118"
    assert item.labels == Allocation(cost_center="400", project="P-1042", account="6551", tax_code="")
    assert item.custom_fields == {"Department": "Service", "Location": "Hamar", "Custom Field 1": "Bil 3",
                                  "Custom Field 2": "Lager Nord"}


def test_custom_order_fields_kept_without_labels(tmp_path):
    rows = [row(Item_Net_Total="47.99", PO_Number="PO-2026-118", Cost_Center="400", Project_Code="P-1042",
                Custom_Field_3="Kunde 77")]

    item = parse_order_report(write_rows(tmp_path, rows))[0]

    assert item.labels is None
    assert item.custom_fields == {"Cost Center": "400", "Project Code": "P-1042", "Custom Field 3": "Kunde 77"}
