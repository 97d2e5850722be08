"""Tests for recognizing documents by content and dispatching to the parsers."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from fpdf import FPDF

from bot.documents import detect_kind, parse_document, read_document
from bot.documents.statement_layout import StatementLayout
from bot.errors import InputError
from bot.records import Statement

DATA = Path(__file__).parent / "data"

ORDER_REPORT = (
    '"Order Date","Order ID","Currency","Title","Item Quantity","Purchase PPU","Item Net Total"\r\n'
    '"11/03/2026","302-1725553-0374723","EUR","Logitech MX Master 3S","1","49.99","47.99"\r\n'
)
STATEMENT = (
    '"Dato";"Beløpet gjelder";"Valuta";"Kurs";"Inn";"Ut"\r\n'
    '"05.11.2026";"AMAZON EU, Luxembourg";"62,97 EUR";"11,8523";"";"746,34"\r\n'
)


def write_pdf(path: Path, lines: list[str]) -> Path:
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    for line in lines:
        pdf.cell(w=0, h=6, text=line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def test_order_report_csv(tmp_path):
    path = tmp_path / "vedlegg1.pdf"  # a wrong extension must not matter
    path.write_bytes(ORDER_REPORT.encode("utf-8-sig"))

    assert detect_kind(path) == "order_report"
    items = parse_document(path)
    assert isinstance(items, list)
    assert items[0].order_id == "302-1725553-0374723"


def test_statement_csv(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(STATEMENT.encode("cp1252"))

    assert detect_kind(path) == "statement"
    statement = parse_document(path)
    assert isinstance(statement, Statement)
    assert statement.charges[0].amount == Decimal("746.34")


def test_dnb_sample_xlsx(tmp_path):
    path = tmp_path / "vedlegg"
    shutil.copy(DATA / "dnb-mastercard-sample.xlsx", path)

    assert detect_kind(path) == "statement"
    assert len(parse_document(path).charges) == 7


def test_statement_pdf(tmp_path):
    lines = [
        "Kontoutskrift bedriftskort",
        "Kortnummer **** **** **** 4821",
        "Dato  Beløpet gjelder  Valuta  Kurs  Beløp",
        "05.11.2026  AMAZON EU, Luxembourg  62,97 EUR  11,8523  746,34",
        "Sum kjøp i perioden 746,34",
    ]
    path = write_pdf(tmp_path / "utskrift.csv", lines)

    assert detect_kind(path) == "statement"
    statement = parse_document(path)
    assert statement.stated_total == Decimal("746.34")
    assert statement.charges[0].original_currency == "EUR"


def test_unknown_table(tmp_path):
    path = tmp_path / "kunder.csv"
    path.write_bytes('"Kundenr";"Navn";"Adresse";"Telefon"\r\n"1001";"Kvam Transport AS";"Hamar";"62000000"\r\n'
                     .encode("cp1252"))

    with pytest.raises(InputError) as raised:
        detect_kind(path)

    assert raised.value.source == "kunder.csv"
    assert "line 1: " in str(raised.value)
    assert "'Adresse'" in str(raised.value)
    assert "DNB Mastercard" in str(raised.value)
    assert "[[statement_layouts]]" in str(raised.value)


def test_account_statement_csv(tmp_path):
    path = tmp_path / "konto.csv"
    path.write_bytes('"Dato";"Forklaring";"Rentedato";"Ut fra konto";"Inn på konto"\r\n'
                     '"05.11.2026";"Varekjøp AMAZON EU SARL Dato 04.11";"05.11.2026";"249,00";""\r\n'.encode("cp1252"))

    assert detect_kind(path) == "statement"


def test_statement_below_preamble_xlsx(tmp_path):
    path = tmp_path / "aktivitet"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for text in ("American Express", "Kortmedlem OLA NORDMANN", "Kontonummer xxxx-xxxxxx-41007", "", "Periode", ""):
        sheet.append([text or None])
    sheet.append(["Dato", "Beskrivelse", "Beløp"])
    sheet.append(["05.11.2026", "AMAZON EU SARL", 249])
    workbook.save(path)

    assert detect_kind(path) == "statement"


def test_statement_missing_column_named(tmp_path):
    path = tmp_path / "kort.csv"
    path.write_bytes('"Dato";"Beløpet gjelder";"Valuta";"Kurs";"Inn"\r\n'.encode("cp1252"))

    with pytest.raises(InputError) as raised:
        detect_kind(path)

    assert "line 1: " in str(raised.value)
    assert "DNB Mastercard" in str(raised.value)
    assert "'Ut'" in str(raised.value)


def test_configured_layout_detected(tmp_path):
    layout = StatementLayout(
        name="Landkreditt konto",
        columns={"date": ("Bokført",), "description": ("Melding",), "amount": ("Sum NOK",)},
        required=frozenset({"date", "description", "amount"}),
    )
    path = tmp_path / "landkreditt.csv"
    path.write_bytes("Bokført;Melding;Sum NOK\n05.11.2026;AMAZON EU SARL;-249,00\n".encode())

    assert detect_kind(path, layouts=[layout]) == "statement"
    with pytest.raises(InputError):
        detect_kind(path)


def test_unknown_pdf(tmp_path):
    path = write_pdf(tmp_path / "faktura.pdf", ["Rechnung", "Bestellnummer 302-1725553-0374723"])

    with pytest.raises(InputError) as raised:
        detect_kind(path)

    assert raised.value.source == "faktura.pdf"
    assert "neither an Amazon invoice nor a card statement" in str(raised.value)


def test_broken_pdf(tmp_path):
    path = tmp_path / "kort.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catal")

    with pytest.raises(InputError) as raised:
        detect_kind(path)

    assert raised.value.source == "kort.pdf"
    assert "cannot be read as PDF" in str(raised.value)


def test_empty_file(tmp_path):
    path = tmp_path / "tom.csv"
    path.write_bytes(b"")

    with pytest.raises(InputError) as raised:
        detect_kind(path)

    assert raised.value.source == "tom.csv"
    assert "header row is empty" in str(raised.value)


def test_amazon_invoice_pdf_parsed_as_items(tmp_path):
    from invoice_pdfs import GERMAN, Invoice, Item, write_invoices

    item = Item(("USB-C Kabel 2 m, 3er Pack",), "B08L5NP6NG", "1", "8,39 €", "19%", "9,98 €", "9,98 €")
    invoice = Invoice(GERMAN, "Rechnung",
                      details=[("Bestelldatum", "08 Oktober 2025"), ("Bestellnummer", "302-1725553-0374723"),
                               ("Zahlungsreferenznummer", "1Eqv7RLIZCZl2HZzgKrV"),
                               ("Rechnungsnummer", "DE60GTQMP053RU"), ("Zahlbetrag", "9,98 €")],
                      items=[item], totals=[("Gesamtpreis", "9,98 €")])
    path = write_invoices(tmp_path / "scan0001.pdf", [invoice])

    items = parse_document(path)

    assert detect_kind(path) == "amazon_invoice"
    assert [(i.order_id, i.payment_reference, i.net_total, i.vat_rate) for i in items] == [
        ("302-1725553-0374723", "1Eqv7RLIZCZl2HZzgKrV", Decimal("9.98"), Decimal("19"))]


def test_card_invoice_pdf_parsed_with_progress(tmp_path):
    from statement_pdfs import CardSection, write_card_invoice

    rows = [("03.11.2026", "04.11.2026", "AMZN Mktp DE*U38ZM1195", "12,50", "EUR", "11,8523", "148,15"),
            ("05.11.2026", "06.11.2026", "CLAS OHLSON OSLO", "", "", "", "249,00")]
    path = write_card_invoice(tmp_path / "faktura.pdf", [CardSection("Kari Nordmann", rows, "397,15")], "397,15")
    pages = []

    read = read_document(path, progress=lambda done, total: pages.append((done, total)))
    statement = read.content

    assert read.kind == "statement"
    assert isinstance(statement, Statement)
    assert [charge.amount for charge in statement.charges] == [Decimal("148.15"), Decimal("249.00")]
    assert pages[-1] == (1, 1)
