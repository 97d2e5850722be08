"""Tests for recognizing documents by content and dispatching to the parsers."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from fpdf import FPDF

from bot.documents import detect_kind, parse_document
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
    path = tmp_path / "konto.csv"
    path.write_bytes('"Dato";"Forklaring";"Rentedato";"Ut fra konto";"Inn på konto"\r\n'.encode("cp1252"))

    with pytest.raises(InputError) as raised:
        detect_kind(path)

    assert raised.value.source == "konto.csv"
    assert "line 1: " in str(raised.value)
    assert "'Forklaring'" in str(raised.value)


def test_unknown_pdf(tmp_path):
    path = write_pdf(tmp_path / "faktura.pdf", ["Rechnung", "Bestellnummer 302-1725553-0374723"])

    with pytest.raises(InputError) as raised:
        detect_kind(path)

    assert raised.value.source == "faktura.pdf"
    assert "not a card statement" in str(raised.value)


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
