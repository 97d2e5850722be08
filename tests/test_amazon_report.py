"""Tests for the Amazon Business order report parser."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from bot.documents.amazon_report import parse_order_report
from bot.errors import InputError
from bot.records import Allocation

# The amazon.com "Orders and shipments" items report with every column, plus
# the Tax Code column of labeled history. One EUR order has two labeled items
# in one card charge. One SEK order is paid by invoice and not labeled, but
# the requester typed a project code.
FULL_REPORT = (
    '"Order Date","Order ID","Account Group","PO Number","Order Quantity","Currency","Order Subtotal","Order Shipping & Handling","Order Promotion","Order Tax","Order Net Total","Order Status","Approver","Account User","Account User Email","Invoice Status","Total Amount","Invoice Due Amount","Invoice Issue Date","Invoice Due Date","Payment Reference ID","Payment Date","Payment Amount","Payment Instrument Type","Payment Identifier","Shipment Date","Shipment Status","Carrier Tracking #","Shipment Quantity","Shipping Address","Shipment Subtotal","Shipment Shipping & Handling","Shipment Promotion","Shipment Tax","Shipment Net Total","Carrier Name","Product Category","ASIN","Title","UNSPSC","Brand Code","Brand","Manufacturer","National Stock Number","Item model number","Part number","Product Condition","Company Compliance","Listed PPU","Purchase PPU","Item Quantity","Item Subtotal","Item Shipping & Handling","Item Promotion","Item Tax","Item Net Total","PO Line Item Id","Tax Exemption Applied","Tax Exemption Type","Tax Exemption Opt Out","Discount Program","Pricing Discount applied ($ off)","Pricing Discount applied (% off)","GL Code","Department","Cost Center","Project Code","Location","Custom Field 1","Seller Name","Seller Credentials","Seller Address","Tax Code"',
    '"11/03/2026","302-1725553-0374723","Nordlys Teknikk AS","","3","EUR","64.97","0.00","-2.00","0.00","62.97","Closed","N/A","Ola Hansen","ola.hansen@example.no","N/A","62.97","N/A","N/A","N/A","1Eqv7RLIZCZl2HZzgKrV","11/04/2026","62.97","Mastercard","=""4821""","11/04/2026","Delivered","=""JJD000390007231""","3","Nordlys Teknikk AS, Industriveien 12, LILLESTRØM, 2004, NO","64.97","0.00","-2.00","0.00","62.97","DHL","Computers","B09HM94VDS","Logitech MX Master 3S kabellose Maus, Graphit","=""43211708""","N/A","Logitech","Logitech","N/A","=""910-006559""","910-006559","New","N/A","59.99","49.99","1","49.99","0.00","-2.00","0.00","47.99","N/A","N/A","N/A","N/A","N/A","N/A","N/A","6551","","400","","","","Amazon EU S.à r.l.","N/A","38 avenue John F. Kennedy, L-1855 Luxembourg, LU","14"',
    '"11/03/2026","302-1725553-0374723","Nordlys Teknikk AS","","3","EUR","64.97","0.00","-2.00","0.00","62.97","Closed","N/A","Ola Hansen","ola.hansen@example.no","N/A","62.97","N/A","N/A","N/A","1Eqv7RLIZCZl2HZzgKrV","11/04/2026","62.97","Mastercard","=""4821""","11/04/2026","Delivered","=""JJD000390007231""","3","Nordlys Teknikk AS, Industriveien 12, LILLESTRØM, 2004, NO","64.97","0.00","-2.00","0.00","62.97","DHL","Computers","B0BQ3L1Q1J","Anker USB-C Kabel 2 m, 2er-Pack","=""26121609""","N/A","Anker","Anker","N/A","=""A8856""","A8856","New","N/A","7.49","7.49","2","14.98","0.00","0.00","0.00","14.98","N/A","N/A","N/A","N/A","N/A","N/A","N/A","6560","","600","P-1042","","","Anker Innovations","N/A","Dublin, IE",""',
    '"11/12/2026","305-0682748-5941962","Nordlys Teknikk AS","P-1042","12","SEK","1234.50","0.00","0.00","0.00","1234.50","Closed","N/A","Kari Nordmann","kari.nordmann@example.no","Paid","1234.50","0.00","11/12/2026","12/12/2026","N/A","N/A","N/A","Pay by Invoice","PBI-NO-2026-11","11/13/2026","Delivered","=""JJD000390008814""","12","Stasjonsveien 4, HAMAR, 2317, NO","1234.50","0.00","0.00","0.00","1234.50","PostNord","Industrial","B07XQ2ZK8D","Würth Arbeitshandschuhe ""Nitril"" Gr. 10, 12 Paar","=""46181504""","N/A","Würth","Würth","N/A","=""0899400""","0899400","New","N/A","102.88","102.88","12","1234.50","0.00","0.00","0.00","1234.50","N/A","N/A","N/A","N/A","N/A","N/A","N/A","","","","P-1042","","","Würth Svenska AB","N/A","Örebro, SE",""',
)

SHORT_HEADER = '"Order Date","Order ID","Currency","Title","Item Quantity","Purchase PPU","Item Net Total"'


def write_csv(tmp_path: Path, lines: tuple[str, ...] | list[str], name: str = "orders.csv") -> Path:
    """Write lines the way Amazon does: UTF-8 with BOM, CRLF."""
    path = tmp_path / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))
    return path


def test_full_report_fields(tmp_path):
    items = parse_order_report(write_csv(tmp_path, FULL_REPORT))

    assert len(items) == 3
    mouse = items[0]
    assert mouse.source == "orders.csv"
    assert mouse.line == 2
    assert mouse.order_id == "302-1725553-0374723"
    assert mouse.order_date == date(2026, 11, 3)
    assert mouse.currency == "EUR"
    assert mouse.title == "Logitech MX Master 3S kabellose Maus, Graphit"
    assert mouse.quantity == 1
    assert mouse.unit_price == Decimal("49.99")
    assert mouse.net_total == Decimal("47.99")
    assert mouse.account_user == "Ola Hansen"
    assert mouse.account_user_email == "ola.hansen@example.no"
    assert mouse.po_number is None
    assert mouse.payment_reference == "1Eqv7RLIZCZl2HZzgKrV"
    assert mouse.payment_date == date(2026, 11, 4)
    assert mouse.payment_amount == Decimal("62.97")
    assert mouse.payment_instrument == "Mastercard"
    assert mouse.payment_last4 == "4821"
    assert mouse.shipment_date == date(2026, 11, 4)
    assert mouse.shipping_address == "Nordlys Teknikk AS, Industriveien 12, LILLESTRØM, 2004, NO"
    assert mouse.product_category == "Computers"
    assert mouse.asin == "B09HM94VDS"
    assert mouse.unspsc == "43211708"
    assert mouse.brand == "Logitech"
    assert mouse.seller == "Amazon EU S.à r.l."
    assert mouse.item_tax == Decimal("0.00")


def test_full_report_labels(tmp_path):
    mouse, cable, gloves = parse_order_report(write_csv(tmp_path, FULL_REPORT))

    assert mouse.labels == Allocation(cost_center="400", project=None, account="6551", tax_code="14")
    assert cable.labels == Allocation(cost_center="600", project="P-1042", account="6560", tax_code="")
    assert gloves.labels is None
    assert gloves.custom_fields == {"Project Code": "P-1042"}
    assert mouse.custom_fields == {}


def test_full_report_invoice_row_kept(tmp_path):
    gloves = parse_order_report(write_csv(tmp_path, FULL_REPORT))[2]

    assert gloves.line == 4
    assert gloves.payment_instrument == "Pay by Invoice"
    assert gloves.payment_last4 == "PBI-NO-2026-11"
    assert gloves.payment_reference is None
    assert gloves.payment_amount is None
    assert gloves.po_number == "P-1042"
    assert gloves.title == 'Würth Arbeitshandschuhe "Nitril" Gr. 10, 12 Paar'
    assert gloves.quantity == 12
    assert gloves.net_total == Decimal("1234.50")


def test_labels_without_tax_code_column(tmp_path):
    lines = [
        SHORT_HEADER + ',"GL Code","Cost Center","Project Code"',
        '"11/05/2026","302-1111111-2222222","EUR","Brother TZe-231 Schriftband","3","12.90","38.70","6800","200",""',
    ]

    item = parse_order_report(write_csv(tmp_path, lines))[0]

    assert item.labels == Allocation(cost_center="200", project=None, account="6800", tax_code="")


def test_partial_allocation_goes_to_custom_fields(tmp_path):
    lines = [
        SHORT_HEADER + ',"GL Code","Cost Center","Project Code","Department"',
        '"11/05/2026","302-1111111-2222222","EUR","Brother TZe-231 Schriftband","3","12.90","38.70","","300","","Salg"',
    ]

    item = parse_order_report(write_csv(tmp_path, lines))[0]

    assert item.labels is None
    assert item.custom_fields == {"Cost Center": "300", "Department": "Salg"}


def test_shipment_quantity_fallback(tmp_path):
    lines = [
        '"Order Date","Order ID","Currency","Title","Shipment Quantity","Purchase PPU","Item Net Total"',
        '"11/05/2026","302-1111111-2222222","SEK","Clas Ohlson LED-lampa E27","4","49.90","199.60"',
    ]

    item = parse_order_report(write_csv(tmp_path, lines))[0]

    assert item.quantity == 4
    assert item.currency == "SEK"


def test_semicolon_german_report(tmp_path):
    lines = [
        '"Bestelldatum";"Bestellnummer";"Währung";"Titel";"Artikelmenge";"Purchase PPU";"Item Net Total";'
        '"Kostenstelle";"Hauptbuchkontonummer";"Projektnummer";"Zahlungsreferenznummer";"Zahlungsbetrag"',
        '"05.11.2026";"302-3333333-4444444";"EUR";"Bosch Professional Akku-Bohrschrauber";"1";"1.234,50";"1.234,50";'
        '"600";"6500";"P-1042";"2Fqv7RLIZCZl2HZzgKrW";"1.234,50"',
    ]

    item = parse_order_report(write_csv(tmp_path, lines))[0]

    assert item.order_date == date(2026, 11, 5)
    assert item.unit_price == Decimal("1234.50")
    assert item.payment_amount == Decimal("1234.50")
    assert item.payment_reference == "2Fqv7RLIZCZl2HZzgKrW"
    assert item.labels == Allocation(cost_center="600", project="P-1042", account="6500", tax_code="")


def test_tab_separated_iso_dates(tmp_path):
    lines = [
        "Order Date\tOrder ID\tCurrency\tTitle\tItem Quantity\tPurchase PPU\tItem Net Total",
        "2026-11-07\t302-5555555-6666666\tEUR\tLeitz Ordner A4\t10\t3.10\t31.00",
    ]

    item = parse_order_report(write_csv(tmp_path, lines))[0]

    assert item.order_date == date(2026, 11, 7)
    assert item.net_total == Decimal("31.00")


def test_line_numbers_count_physical_lines(tmp_path):
    lines = [
        SHORT_HEADER,
        '"11/05/2026","302-1111111-2222222","EUR","Kabel\nmit Zeilenumbruch","1","5.00","5.00"',
        "",
        '"11/06/2026","302-1111111-2222223","EUR","Kabelbinder","1","2.00","2.00"',
    ]

    items = parse_order_report(write_csv(tmp_path, lines))

    assert [item.line for item in items] == [2, 5]
    assert items[0].title == "Kabel\nmit Zeilenumbruch"


def test_xlsx_report(tmp_path):
    path = tmp_path / "orders.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Order Date", "Order ID", "Currency", "Title", "Item Quantity", "Purchase PPU", "Item Net Total",
                  "Payment Identifier", "Cost Center", "GL Code"])
    sheet.append(["11/03/2026", "302-1725553-0374723", "EUR", "Logitech MX Keys", 2, 99.95, 199.9, '="4821"', 400, 6551])
    # openpyxl stores text that starts with "=" as a formula without a cached
    # result, which reads as an empty cell. Excel would store the result
    # "4821", which openpyxl cannot, so the cell is written as text, the way
    # a script that converts the CSV report to XLSX keeps it.
    sheet["H2"].data_type = "s"
    workbook.save(path)

    item = parse_order_report(path)[0]

    assert item.line == 2
    assert item.quantity == 2
    assert item.unit_price == Decimal("99.95")
    assert item.net_total == Decimal("199.9")
    assert item.payment_last4 == "4821"
    assert item.labels == Allocation(cost_center="400", project=None, account="6551", tax_code="")


def test_missing_column_names_it(tmp_path):
    lines = [
        '"Order Date","Order ID","Currency","Title","Item Quantity","Purchase PPU"',
        '"11/05/2026","302-1111111-2222222","EUR","Kabelbinder","1","2.00"',
    ]

    with pytest.raises(InputError) as raised:
        parse_order_report(write_csv(tmp_path, lines, "november.csv"))

    assert raised.value.source == "november.csv"
    assert "'Item Net Total'" in str(raised.value)
    assert "line 1: " in str(raised.value)


def test_missing_quantity_columns(tmp_path):
    lines = [
        '"Order Date","Order ID","Currency","Title","Purchase PPU","Item Net Total"',
        '"11/05/2026","302-1111111-2222222","EUR","Kabelbinder","2.00","2.00"',
    ]

    with pytest.raises(InputError) as raised:
        parse_order_report(write_csv(tmp_path, lines))

    assert "'Item Quantity or Shipment Quantity'" in str(raised.value)


@pytest.mark.parametrize(
    ("row", "location", "expected"),
    [
        ('"31/31/2026","302-1","EUR","Kabelbinder","1","2.00","2.00"', "line 3, column 'Order Date'", "'31/31/2026'"),
        ('"11/05/26","302-1","EUR","Kabelbinder","1","2.00","2.00"', "line 3, column 'Order Date'", "'11/05/26'"),
        ('"11/05/2026","","EUR","Kabelbinder","1","2.00","2.00"', "line 3, column 'Order ID'", "missing"),
        ('"11/05/2026","302-1","Euro","Kabelbinder","1","2.00","2.00"', "line 3, column 'Currency'", "'Euro'"),
        ('"11/05/2026","302-1","EUR","Kabelbinder","1.5","2.00","3.00"', "line 3, column 'Item Quantity'", "'1.5'"),
        ('"11/05/2026","302-1","EUR","Kabelbinder","1","2,00","2.00"', "line 3, column 'Purchase PPU'", "'2,00'"),
        ('"11/05/2026","302-1","EUR","Kabelbinder","1","2.00","N/A"', "line 3, column 'Item Net Total'", "missing"),
        ('"11/05/2026","302-1","EUR","Kabelbinder","1","2.00"', "line 3", "6 fields"),
    ],
)
def test_bad_row_names_line_and_column(tmp_path, row, location, expected):
    lines = [SHORT_HEADER, '"11/04/2026","302-0","EUR","Klebeband","1","1.00","1.00"', row]

    with pytest.raises(InputError) as raised:
        parse_order_report(write_csv(tmp_path, lines, "november.csv"))

    assert raised.value.source == "november.csv"
    assert f"{location}: " in str(raised.value)
    assert expected in str(raised.value)
    assert raised.value.fix


def test_header_only_is_empty_report(tmp_path, caplog):
    caplog.set_level("INFO", logger="bot.documents.amazon_report")

    items = parse_order_report(write_csv(tmp_path, [SHORT_HEADER], "november.csv"))

    assert items == []
    assert "november.csv has a header but no item rows" in caplog.text


def test_empty_file_is_error(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(b"")

    with pytest.raises(InputError) as raised:
        parse_order_report(path)

    assert str(raised.value).startswith("orders.csv: order report has no header row")


def test_duplicate_column_is_error(tmp_path):
    lines = [
        SHORT_HEADER + ',"Titel"',
        '"11/05/2026","302-1","EUR","Kabelbinder","1","2.00","2.00","Kabelbinder"',
    ]

    with pytest.raises(InputError) as raised:
        parse_order_report(write_csv(tmp_path, lines))

    assert "'Title' and 'Titel'" in str(raised.value)
