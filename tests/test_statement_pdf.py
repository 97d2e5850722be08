"""Tests for the PDF card statement parser, on PDFs written with fpdf2."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from fpdf import FPDF

from bot.documents.statement_pdf import parse_statement_pdf
from bot.errors import InputError

HEADER = ("Dato", "Beløpet gjelder", "Valuta", "Kurs", "Beløp")
WIDTHS = (25, 75, 30, 25, 30)
ALIGNS = ("L", "L", "R", "R", "R")

NOVEMBER = [
    ("03.11.2026", "REMA 1000 OSLO, Oslo", "", "", "150,50"),
    ("05.11.2026", "AMAZON EU, Luxembourg", "62,97 EUR", "11,8523", "746,34"),
    ("13.11.2026", "AMZNBusiness*F090Q5RN5", "1 234,50 SEK", "1,0123", "1 249,68"),
    ("14.11.2026", "KIOSK 100", "", "", "234,50"),
    ("20.11.2026", "AMAZON EU, Luxembourg", "14,98 EUR", "11,8523", "-177,55"),
]
NOVEMBER_SUM = "2 381,02"  # 150,50 + 746,34 + 1 249,68 + 234,50


def write_statement(path: Path, rows, total: str | None, *, rows_per_page: int = 40, whole_lines: bool = False) -> Path:
    """Write a statement like the bank's: title, card, period, a table over pages, the sum.

    ``whole_lines`` prints each row as one string instead of one cell per column.
    """
    pdf = FPDF(format="A4")
    pdf.set_font("Helvetica", size=9)
    pdf.add_page()
    for text in ("Kontoutskrift bedriftskort", "Kortnummer **** **** **** 4821", "Periode 01.11.2026 - 30.11.2026"):
        pdf.cell(w=0, h=6, text=text, new_x="LMARGIN", new_y="NEXT")

    def table_line(cells):
        if whole_lines:
            pdf.cell(w=0, h=6, text="  ".join(cell for cell in cells if cell), new_x="LMARGIN", new_y="NEXT")
            return
        for text, width, align in zip(cells, WIDTHS, ALIGNS):
            pdf.cell(w=width, h=6, text=text, align=align)
        pdf.ln()

    table_line(HEADER)
    for number, row in enumerate(rows):
        if number and number % rows_per_page == 0:
            pdf.add_page()
            table_line(HEADER)
        table_line(row)
    if total is not None:
        pdf.cell(w=0, h=8, text=f"Sum kjøp i perioden {total}", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def test_rows_and_sum(tmp_path):
    statement = parse_statement_pdf(write_statement(tmp_path / "kort.pdf", NOVEMBER, NOVEMBER_SUM))

    assert statement.source == "kort.pdf"
    assert statement.stated_total == Decimal("2381.02")
    assert len(statement.charges) == 5
    rema, amazon, business, kiosk, refund = statement.charges
    assert (rema.date, rema.description, rema.amount) == (date(2026, 11, 3), "REMA 1000 OSLO, Oslo", Decimal("150.50"))
    assert rema.original_amount is None
    assert amazon.original_amount == Decimal("62.97")
    assert amazon.original_currency == "EUR"
    assert amazon.rate == Decimal("11.8523")
    assert business.amount == Decimal("1249.68")
    assert business.original_amount == Decimal("1234.50")
    assert (kiosk.description, kiosk.amount) == ("KIOSK 100", Decimal("234.50"))
    assert refund.amount == Decimal("-177.55")


def test_row_printed_as_one_string(tmp_path):
    rows = NOVEMBER[:3]
    path = write_statement(tmp_path / "kort.pdf", rows, "2 146,52", whole_lines=True)

    statement = parse_statement_pdf(path)

    assert [charge.amount for charge in statement.charges] == [Decimal("150.50"), Decimal("746.34"), Decimal("1249.68")]
    assert statement.charges[1].description == "AMAZON EU, Luxembourg"
    assert statement.charges[2].original_amount == Decimal("1234.50")


def test_pages_with_repeated_header(tmp_path):
    rows = [
        (f"{day:02d}.11.2026", f"AMAZON EU, Luxembourg {day}", "10,00 EUR", "11,8500", "118,50")
        for day in range(1, 26)
    ]
    path = write_statement(tmp_path / "kort.pdf", rows, "2 962,50", rows_per_page=10)

    statement = parse_statement_pdf(path)

    assert len(statement.charges) == 25
    assert [charge.date.day for charge in statement.charges] == list(range(1, 26))
    lines = [charge.line for charge in statement.charges]
    assert lines == sorted(lines)


def test_balance_and_payment_lines_skipped(tmp_path):
    rows = [
        ("01.11.2026", "Skyldig beløp fra forrige faktura", "", "", "5 000,00"),
        ("02.11.2026", "Innbetaling", "", "", "-5 000,00"),
        *NOVEMBER,
    ]

    statement = parse_statement_pdf(write_statement(tmp_path / "kort.pdf", rows, NOVEMBER_SUM))

    assert len(statement.charges) == 5
    assert statement.charges[0].description == "REMA 1000 OSLO, Oslo"


def test_sum_mismatch_names_both_sums(tmp_path):
    path = write_statement(tmp_path / "kort.pdf", NOVEMBER, "2 481,02")

    with pytest.raises(InputError) as raised:
        parse_statement_pdf(path)

    message = str(raised.value)
    assert raised.value.source == "kort.pdf"
    assert "2 481,02" in message
    assert "2 381,02" in message
    assert "difference of 100,00" in message
    assert ", page 1" in str(raised.value)


def test_missing_sum_line_still_parses(tmp_path):
    statement = parse_statement_pdf(write_statement(tmp_path / "kort.pdf", NOVEMBER, None))

    assert statement.stated_total is None
    assert len(statement.charges) == 5


def test_bad_row_names_page_and_line(tmp_path):
    rows = [(f"{day:02d}.11.2026", "REMA 1000 OSLO, Oslo", "", "", "10,00") for day in range(1, 13)]
    rows[11] = ("12.11.2026", "REMA 1000 OSLO, Oslo", "", "", "10.00")
    path = write_statement(tmp_path / "kort.pdf", rows, "120,00", rows_per_page=10)

    with pytest.raises(InputError) as raised:
        parse_statement_pdf(path)

    assert raised.value.source == "kort.pdf"
    # Page 2 starts with the header (line 1), then rows 11 and 12.
    assert "page 2, line 3: " in str(raised.value)
    assert "12.11.2026 | REMA 1000 OSLO, Oslo | 10.00" in str(raised.value)


def test_rate_without_original_amount(tmp_path):
    rows = [("05.11.2026", "AMAZON EU, Luxembourg", "", "11,8523", "746,34")]

    with pytest.raises(InputError) as raised:
        parse_statement_pdf(write_statement(tmp_path / "kort.pdf", rows, "746,34"))

    assert "no amount in 'Valuta'" in str(raised.value)
    assert "page 1, line 5: " in str(raised.value)


def test_truncated_pdf(tmp_path):
    whole = write_statement(tmp_path / "whole.pdf", NOVEMBER, NOVEMBER_SUM).read_bytes()
    path = tmp_path / "kort.pdf"
    path.write_bytes(whole[: len(whole) // 2])

    with pytest.raises(InputError) as raised:
        parse_statement_pdf(path)

    assert raised.value.source == "kort.pdf"
    assert "cannot be read as PDF" in str(raised.value)


def test_text_file_renamed_pdf(tmp_path):
    path = tmp_path / "kort.pdf"
    path.write_text('"Dato";"Beløpet gjelder";"Valuta";"Kurs";"Inn";"Ut"\r\n', encoding="cp1252")

    with pytest.raises(InputError) as raised:
        parse_statement_pdf(path)

    assert "cannot be read as PDF" in str(raised.value)


def test_scanned_pdf_without_text(tmp_path):
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.rect(x=20, y=20, w=170, h=250)  # a page with drawing but no text, like a scan
    path = tmp_path / "skannet.pdf"
    pdf.output(str(path))

    with pytest.raises(InputError) as raised:
        parse_statement_pdf(path)

    assert raised.value.source == "skannet.pdf"
    assert "no text layer" in str(raised.value)
    assert "OCR is not supported yet" in str(raised.value)


def test_pdf_without_rows(tmp_path):
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.cell(text="Faktura 2026-118 fra Kontorleverandøren AS")
    path = tmp_path / "faktura.pdf"
    pdf.output(str(path))

    with pytest.raises(InputError) as raised:
        parse_statement_pdf(path)

    assert "no statement rows" in str(raised.value)
