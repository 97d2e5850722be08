"""Order reports from amazon.de (German and EU English), amazon.co.uk and amazon.com, as CSV and XLSX.

Each test writes its own small report. The German and EU English layouts use
the column names of the parser's alias table, and bot/documents/amazon_columns.py
says which of them were seen in real files.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from bot.documents.amazon_report import is_order_report_header, parse_order_report, report_columns
from bot.errors import InputError
from bot.i18n import Translator
from bot.records import Allocation

GERMAN_HEADER = [
    "Bestelldatum", "Bestellnummer", "Bestellmenge", "Artikelmenge", "Währung", "Zahlungsreferenznummer",
    "Zwischensumme", "Versandkosten für Artikel", "Zahlungsdatum", "Zahlungsbetrag",
    "Umsatzsteuersatz für die Artikelzwischensumme", "Titel", "Amazon-interne Produktkategorie", "Segment",
    "Kostenstelle", "Hauptbuchkontonummer", "Projektnummer",
]

EU_ENGLISH_HEADER = [
    "Order Date", "Order ID", "Currency", "Title", "Item Quantity", "Item Subtotal", "Item Shipping & Handling",
    "Item Promotion", "Item VAT", "Item Subtotal VAT Rate", "Item Net Total", "Payment reference ID",
    "Payment Amount", "Order VAT",
]


def write_report(tmp_path: Path, header: list[str], rows: list[list[str]], name: str = "orders.csv",
                 delimiter: str = ",") -> Path:
    """Write a report as Amazon does: every field quoted, UTF-8 with BOM, CRLF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path / name
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    return path


def write_xlsx(tmp_path: Path, header: list[str], rows: list[list[object]], name: str = "orders.xlsx") -> Path:
    path = tmp_path / name
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def german_row(**values: str) -> list[str]:
    row = dict.fromkeys(GERMAN_HEADER, "")
    row.update({"Bestelldatum": "05.11.2026", "Währung": "EUR", "Bestellmenge": "1", "Artikelmenge": "1",
                "Versandkosten für Artikel": "0,00", "Umsatzsteuersatz für die Artikelzwischensumme": "19%",
                "Amazon-interne Produktkategorie": "Werkzeug", "Segment": "Tools"})
    row.update({name.replace("_", " "): value for name, value in values.items()})
    return [row[column] for column in GERMAN_HEADER]


def test_german_report_read_by_german_names(tmp_path):
    rows = [
        german_row(Bestellnummer="302-1111111-1111111", Zahlungsreferenznummer="1AaaaaaaaaaaaaaaaaaA",
                   Zwischensumme="1.037,39", Zahlungsdatum="06.11.2026", Zahlungsbetrag="1.234,50",
                   Titel="Bosch Professional GSR 18V-55", Kostenstelle="600", Hauptbuchkontonummer="6500",
                   Projektnummer="P-1042"),
        german_row(Bestellnummer="302-2222222-2222222", Bestellmenge="3", Artikelmenge="2",
                   Zahlungsreferenznummer="2BbbbbbbbbbbbbbbbbbB", Zwischensumme="10,00",
                   Versandkosten_für_Artikel="4,99", Zahlungsdatum="07.11.2026", Zahlungsbetrag="35,69",
                   Titel="Kabelbinder 200 Stück"),
        german_row(Bestellnummer="302-2222222-2222222", Bestellmenge="3", Artikelmenge="1",
                   Zahlungsreferenznummer="2BbbbbbbbbbbbbbbbbbB", Zwischensumme="15,00",
                   Zahlungsdatum="07.11.2026", Zahlungsbetrag="35,69", Titel="Isolierband"),
    ]

    drill, ties, tape = parse_order_report(write_report(tmp_path, GERMAN_HEADER, rows, delimiter=";"))

    assert drill.order_date == date(2026, 11, 5)
    assert drill.payment_date == date(2026, 11, 6)
    assert drill.net_total == Decimal("1234.50")
    assert drill.subtotal == Decimal("1037.39")
    assert drill.vat_rate == Decimal("19")
    assert drill.product_category == "Werkzeug"
    assert drill.labels == Allocation(cost_center="600", project="P-1042", account="6500", tax_code="")
    assert ties.quantity == 2
    assert ties.shipping == Decimal("4.99")
    assert ties.net_total == Decimal("17.84")
    assert ties.unit_price == Decimal("5.00")
    assert tape.net_total == Decimal("17.85")
    assert tape.payment_amount == Decimal("35.69")


def test_order_quantity_of_single_row_order(tmp_path):
    header = [name for name in GERMAN_HEADER if name != "Artikelmenge"]
    row = german_row(Bestellnummer="302-1", Bestellmenge="4", Zahlungsreferenznummer="1A", Zwischensumme="8,00",
                     Zahlungsbetrag="9,52", Titel="Leitz Ordner")
    del row[GERMAN_HEADER.index("Artikelmenge")]

    item = parse_order_report(write_report(tmp_path, header, [row], delimiter=";"))[0]

    assert item.quantity == 4
    assert item.unit_price == Decimal("2.00")


def test_order_quantity_of_several_rows_fails(tmp_path):
    header = [name for name in GERMAN_HEADER if name != "Artikelmenge"]
    rows = []
    for title in ("Leitz Ordner", "Tesafilm"):
        row = german_row(Bestellnummer="302-1", Bestellmenge="4", Zahlungsreferenznummer="1A",
                         Zwischensumme="8,00", Zahlungsbetrag="19,04", Titel=title)
        del row[GERMAN_HEADER.index("Artikelmenge")]
        rows.append(row)

    with pytest.raises(InputError) as raised:
        parse_order_report(write_report(tmp_path, header, rows, "bestellungen.csv", delimiter=";"))

    assert str(raised.value).startswith(
        "bestellungen.csv, line 2, column 'Bestellmenge': the order has 2 rows, "
        "so its quantity is not the item count of one row"
    )


def test_german_missing_columns_named_in_german(tmp_path):
    path = write_report(tmp_path, ["Bestelldatum", "Bestellnummer", "Währung", "Artikelmenge", "Kostenstelle"],
                        [["05.11.2026", "302-1", "EUR", "1", "600"]], delimiter=";")

    with pytest.raises(InputError) as raised:
        parse_order_report(path)

    assert raised.value.params["columns"] == "'Titel', 'Nettosumme des Artikels'"
    assert "(Artikelzwischensumme, Artikel-USt) or VAT rate (Umsatzsteuersatz für die Artikelzwischensumme)" in str(
        raised.value)


def test_german_report_without_known_order_id_column_detected(tmp_path):
    """A German report that calls the order id 'Bestell-Nr.' is still a report, so the parser names the column."""
    from bot.documents import detect_kind

    header = ["Bestell-Nr." if name == "Bestellnummer" else name for name in GERMAN_HEADER]
    path = write_report(tmp_path, header, [german_row(Titel="Akkuschrauber", Zwischensumme="99,00")], delimiter=";")

    with pytest.raises(InputError) as raised:
        parse_order_report(path)

    assert detect_kind(path) == "order_report"
    assert "'Bestellnummer'" in raised.value.params["columns"]


def test_swedish_header_is_not_known(tmp_path):
    path = write_report(tmp_path, ["Beställningsdatum", "Beställnings-ID", "Valuta", "Produktnamn", "Antal"],
                        [["2026-11-05", "302-1", "SEK", "Clas Ohlson LED-lampa", "1"]])

    with pytest.raises(InputError) as raised:
        parse_order_report(path)

    assert raised.value.params["columns"] == (
        "'Order Date', 'Order ID', 'Currency', 'Title', 'Item Quantity or Shipment Quantity', 'Item Net Total'"
    )


def test_eu_english_report(tmp_path):
    rows = [
        ["03/11/2026", "302-1", "EUR", "Logitech MX Keys", "2", "168,00", "4,99", "-5,00", "31,77", "19%", "199,76",
         "1Eqv7RLIZCZl2HZzgKrV", "199,76", "31,77"],
        ["04/11/2026", "302-2", "EUR", "Anker USB-C Kabel", "1", "1.000,00", "0,00", "0,00", "190,00", "19 %",
         "1.190,00", "2Eqv7RLIZCZl2HZzgKrW", "1.190,00", "190,00"],
    ]

    keys, cable = parse_order_report(write_report(tmp_path, EU_ENGLISH_HEADER, rows))

    assert keys.order_date == date(2026, 11, 3)
    assert cable.order_date == date(2026, 11, 4)
    assert keys.item_tax == Decimal("31.77")
    assert keys.order_tax == Decimal("31.77")
    assert keys.promotion == Decimal("-5.00")
    assert keys.vat_rate == Decimal("19")
    assert keys.payment_reference == "1Eqv7RLIZCZl2HZzgKrV"
    assert cable.net_total == Decimal("1190.00")


def test_uk_report_point_and_day_first(tmp_path):
    rows = [["03/11/2026", "203-1", "GBP", "Brother P-touch labels", "1", "1,082.50", "0.00", "0.00", "216.50",
             "20%", "1,299.00", "3Eqv7RLIZCZl2HZzgKrX", "1,299.00", "216.50"]]

    item = parse_order_report(write_report(tmp_path, EU_ENGLISH_HEADER, rows))[0]

    assert item.order_date == date(2026, 11, 3)
    assert item.currency == "GBP"
    assert item.net_total == Decimal("1299.00")
    assert item.vat_rate == Decimal("20")


def test_amazon_com_ambiguous_dates_month_first(tmp_path):
    header = ["Order Date", "Order ID", "Currency", "Title", "Item Quantity", "Item Tax", "Item Net Total"]
    rows = [["03/11/2026", "112-1", "USD", "Post-it Notes", "1", "0.52", "$6.29"]]

    item = parse_order_report(write_report(tmp_path, header, rows))[0]

    assert item.order_date == date(2026, 3, 11)
    assert item.net_total == Decimal("6.29")


def test_unambiguous_date_overrides_vat_wording(tmp_path):
    rows = [
        ["03/11/2026", "302-1", "EUR", "Kabel", "1", "1.00", "0.00", "0.00", "0.19", "19%", "1.19", "1A", "1.19", ""],
        ["11/25/2026", "302-2", "EUR", "Band", "1", "1.00", "0.00", "0.00", "0.19", "19%", "1.19", "2B", "1.19", ""],
    ]

    first, second = parse_order_report(write_report(tmp_path, EU_ENGLISH_HEADER, rows))

    assert first.order_date == date(2026, 3, 11)
    assert second.order_date == date(2026, 11, 25)


def test_number_format_from_values(tmp_path):
    german = write_report(tmp_path, ["Bestelldatum", "Bestellnummer", "Währung", "Titel", "Artikelmenge",
                                     "Nettosumme des Artikels"],
                          [["05.11.2026", "302-1", "EUR", "Maus", "1", "1234.50"]], "de.csv", delimiter=";")
    english = write_report(tmp_path, ["Order Date", "Order ID", "Currency", "Title", "Item Quantity",
                                      "Item Net Total"],
                           [["11/05/2026", "302-2", "EUR", "Mouse", "1", "1.234,50"]], "en.csv")

    assert parse_order_report(german)[0].net_total == Decimal("1234.50")
    assert parse_order_report(english)[0].net_total == Decimal("1234.50")


def test_mixed_currencies_per_row(tmp_path):
    rows = [
        ["03/11/2026", "302-1", "EUR", "Kabel", "1", "10.00", "0.00", "0.00", "1.90", "19%", "11.90", "1A", "11.90",
         ""],
        ["03/11/2026", "203-2", "GBP", "Cable", "1", "10.00", "0.00", "0.00", "2.00", "20%", "12.00", "2B", "12.00",
         ""],
    ]

    euro, pound = parse_order_report(write_report(tmp_path, EU_ENGLISH_HEADER, rows))

    assert (euro.currency, euro.net_total) == ("EUR", Decimal("11.90"))
    assert (pound.currency, pound.net_total) == ("GBP", Decimal("12.00"))


def test_placeholders_and_excel_text(tmp_path):
    header = ["Order Date", "Order ID", "Currency", "Title", "Item Quantity", "Item Promotion", "Item Net Total",
              "Payment Reference ID", "Payment Identifier", "UNSPSC", "Shipment Date", "Account User Email"]
    rows = [["11/05/2026", "112-1", "USD", "Post-it", "1", "'-0.68'", "$6.29", "Not Available", '="0094"',
             '="44122011"', "Not Applicable", "N/A"]]

    item = parse_order_report(write_report(tmp_path, header, rows))[0]

    assert item.promotion == Decimal("-0.68")
    assert item.net_total == Decimal("6.29")
    assert item.payment_reference is None
    assert item.payment_last4 == "0094"
    assert item.unspsc == "44122011"
    assert item.shipment_date is None
    assert item.account_user_email is None


def test_german_xlsx_typed_cells(tmp_path):
    header = ["Bestelldatum", "Bestellnummer", "Währung", "Titel", "Artikelmenge", "Zwischensumme",
              "Versandkosten für Artikel", "Umsatzsteuersatz für die Artikelzwischensumme", "Zahlungsreferenznummer",
              "Zahlungsbetrag", "Zahlungsdatum"]
    rows = [
        [datetime(2026, 11, 5), "302-1", "EUR", "Maus", 1, 21.0, 0, 0.19, "1A", 24.99, "06.11.2026"],
        [datetime(2026, 11, 5), "302-2", "EUR", "Tastatur", 2, 84.0, 4.99, 0.19, "2B", 117.8, "06.11.2026"],
        [datetime(2026, 11, 5), "302-2", "EUR", "Kabel", 1, 10.0, 0, "19%", "2B", 117.8, "06.11.2026"],
    ]

    mouse, keyboard, cable = parse_order_report(write_xlsx(tmp_path, header, rows))

    assert mouse.line == 2
    assert mouse.order_date == date(2026, 11, 5)
    assert mouse.net_total == Decimal("24.99")
    assert mouse.vat_rate == Decimal("19.00")
    assert keyboard.net_total == Decimal("105.90")
    assert cable.vat_rate == Decimal("19")
    assert cable.net_total == Decimal("11.90")
    assert cable.payment_date == date(2026, 11, 6)


def test_xlsx_error_names_row_and_column(tmp_path):
    header = ["Bestelldatum", "Bestellnummer", "Währung", "Titel", "Artikelmenge", "Nettosumme des Artikels"]
    rows = [["05.11.2026", "302-1", "EUR", "Maus", 1, 24.99], ["31.02.2026", "302-2", "EUR", "Kabel", 1, 5.0]]

    with pytest.raises(InputError) as raised:
        parse_order_report(write_xlsx(tmp_path, header, rows, "bestellungen.xlsx"))

    assert str(raised.value) == (
        "bestellungen.xlsx, row 3, column 'Bestelldatum': '31.02.2026' is not a valid calendar date "
        "(write every date of the file in one form: MM/DD/YYYY, DD/MM/YYYY, DD.MM.YYYY or YYYY-MM-DD)"
    )


def test_date_fitting_no_order_fails(tmp_path):
    header = ["Order Date", "Order ID", "Currency", "Title", "Item Quantity", "Item Net Total"]
    rows = [["11/25/2026", "112-1", "USD", "Tape", "1", "2.00"], ["13/05/2026", "112-2", "USD", "Glue", "1", "3.00"]]

    with pytest.raises(InputError) as raised:
        parse_order_report(write_report(tmp_path, header, rows, "november.csv"))

    assert str(raised.value).startswith(
        "november.csv, line 3, column 'Order Date': '13/05/2026' is not a valid date in the form MM/DD/YYYY ("
    )
    assert raised.value.describe(Translator("nb")) == (
        "november.csv, linje 3, kolonne «Order Date»: '13/05/2026' er ikke en gyldig dato på formen MM/DD/YYYY "
        "(skriv alle datoene i filen på samme form: MM/DD/ÅÅÅÅ, DD/MM/ÅÅÅÅ, DD.MM.ÅÅÅÅ eller ÅÅÅÅ-MM-DD)"
    )


def test_amount_fitting_no_format_fails(tmp_path):
    path = write_report(tmp_path, GERMAN_HEADER, [
        german_row(Bestellnummer="302-1", Zahlungsreferenznummer="1A", Zwischensumme="10,00", Zahlungsbetrag="11,90",
                   Titel="Maus"),
        german_row(Bestellnummer="302-2", Zahlungsreferenznummer="2B", Zwischensumme="10.00", Zahlungsbetrag="11,90",
                   Titel="Kabel"),
    ], delimiter=";")

    with pytest.raises(InputError) as raised:
        parse_order_report(path)

    assert str(raised.value) == (
        "orders.csv, line 3, column 'Zwischensumme': '10.00' is not a number with a decimal comma, such as 1 234,50 "
        "(write amounts like 1234,50)"
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (GERMAN_HEADER, True),
        (EU_ENGLISH_HEADER, True),
        (["Bestellnummer", "Titel", "Zwischensumme", "Käufer"], True),
        (["Dato", "Beløpet gjelder", "Inn", "Ut"], False),
        (["Order ID", "Title", "Foo", "Bar"], False),
    ],
)
def test_order_report_header_detection(header, expected):
    assert is_order_report_header(tuple(header)) is expected


def test_report_columns_german_and_fallback(tmp_path):
    path = write_report(tmp_path, ["Bestellnummer", "Zwischensumme", "Käufer", "Kostenstelle", "Custom Field 2"],
                        [["302-1", "1,00", "Kari", "600", "Lager"]])

    assert report_columns(path) == {"Order ID", "Item Subtotal", "Account User", "Cost Center", "Custom Field 2"}
