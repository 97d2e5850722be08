"""Tests for layout recognition and the card holder invoice, a ruled table per card, written with fpdf2."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from fpdf import FPDF
from statement_pdfs import NOVEMBER, NOVEMBER_SUM, CardSection, write_card_invoice, write_statement

from bot.documents.pdf_layouts import CARD_HOLDER_INVOICE, DNB_BEDRIFTSKORT, find_label, select_layout
from bot.documents.pdf_text import read_pdf_lines
from bot.documents.statement_pdf import is_statement_pdf, parse_statement_pdf
from bot.errors import InputError

KARI = CardSection("KARI NORDMANN **** 1234", [
    ("03.11.2026", "04.11.2026", "AMAZON EU SARL, Luxembourg, kontorrekvisita til Oslo-kontoret", "62,97", "EUR",
     "11,8523", "746,34"),
    ("05.11.2026", "06.11.2026", "REMA 1000 OSLO", "", "", "", "150,50"),
    ("08.11.2026", "09.11.2026", "AMAZON EU SARL, Luxembourg", "14,98", "EUR", "11,8523", "-177,55"),
], total="719,29")
OLA = CardSection("OLA NORDMANN **** 5678", [
    ("07.11.2026", "08.11.2026", "AMZN Mktp DE*U38ZM1195", "10,00", "EUR", "11,5000", "115,00"),
    ("12.11.2026", "13.11.2026", "FLYTOGET AS", "240,00", "NOK", "", "240,00"),
], total="355,00")
PAYMENT = ("20.11.2026", "20.11.2026", "Innbetaling", "", "", "", "-5 000,00")
PURCHASES = "1 251,84"  # 746,34 + 150,50 + 115,00 + 240,00
# 5 000,00 opening - 5 000,00 payment + 719,29 + 355,00
CLOSING = "1 074,29"


def invoice(tmp_path, sections=(KARI, OLA), total=PURCHASES, closing=CLOSING, **options):
    return write_card_invoice(tmp_path / "faktura.pdf", sections, total, opening="5 000,00", payments=[PAYMENT],
                              closing=closing, **options)


def test_card_invoice_rows(tmp_path):
    statement = parse_statement_pdf(invoice(tmp_path, page_break_after=[0]))

    assert statement.layout == "Firmakortfaktura per kortinnehaver (PDF)"
    assert (statement.period_start, statement.period_end) == (date(2026, 11, 1), date(2026, 11, 30))
    assert statement.stated_total == Decimal("1251.84")
    assert statement.skipped == 1
    assert len(statement.charges) == 5
    amazon, rema, refund, marketplace, train = statement.charges
    assert amazon.date == date(2026, 11, 3)
    assert amazon.booked_on == date(2026, 11, 4)
    assert amazon.original_amount == Decimal("62.97")
    assert amazon.original_currency == "EUR"
    assert amazon.rate == Decimal("11.8523")
    assert amazon.amount == Decimal("746.34")
    assert rema.original_amount is None
    assert refund.amount == Decimal("-177.55")
    assert marketplace.description == "AMZN Mktp DE*U38ZM1195"


def test_card_holder_of_each_row(tmp_path):
    statement = parse_statement_pdf(invoice(tmp_path, page_break_after=[0]))

    cards = [charge.card for charge in statement.charges]
    assert cards == ["KARI NORDMANN **** 1234"] * 3 + ["OLA NORDMANN **** 5678"] * 2


def test_description_wrapped_in_cell_joined(tmp_path):
    statement = parse_statement_pdf(invoice(tmp_path))

    assert statement.charges[0].description == "AMAZON EU SARL, Luxembourg, kontorrekvisita til Oslo-kontoret"


def test_nok_in_currency_column_is_domestic(tmp_path):
    train = parse_statement_pdf(invoice(tmp_path)).charges[-1]

    assert train.description == "FLYTOGET AS"
    assert train.original_amount is None
    assert train.original_currency is None
    assert train.amount == Decimal("240.00")


def test_card_sum_mismatch_names_card(tmp_path):
    wrong = CardSection(OLA.holder, OLA.rows, total="335,00")

    with pytest.raises(InputError) as raised:
        parse_statement_pdf(invoice(tmp_path, sections=(KARI, wrong)))

    message = str(raised.value)
    assert raised.value.source == "faktura.pdf"
    assert "'Sum kortinnehaver' states 335,00" in message
    assert "rows of card OLA NORDMANN **** 5678 sum to 355,00, a difference of -20,00" in message


def test_purchase_total_mismatch(tmp_path):
    with pytest.raises(InputError) as raised:
        parse_statement_pdf(invoice(tmp_path, total="1 215,84"))

    message = str(raised.value)
    assert "'Sum nye kjøp' states 1 215,84 but the purchase rows sum to 1 251,84" in message
    assert "difference of -36,00" in message


def test_closing_balance_mismatch(tmp_path):
    with pytest.raises(InputError) as raised:
        parse_statement_pdf(invoice(tmp_path, closing="6 074,29"))

    message = str(raised.value)
    assert "'Utgående saldo' states 6 074,29" in message
    assert "sum to 1 074,29, a difference of 5 000,00" in message


def test_empty_amount_cell_names_column(tmp_path):
    broken = CardSection(KARI.holder, [("05.11.2026", "06.11.2026", "REMA 1000 OSLO", "", "", "", "")])

    with pytest.raises(InputError) as raised:
        parse_statement_pdf(invoice(tmp_path, sections=(broken,)))

    message = str(raised.value)
    assert "column 'Beløp NOK' of row" in message
    assert "is empty" in message
    assert "page 1, line " in message


def test_currency_without_foreign_amount(tmp_path):
    broken = CardSection(KARI.holder, [("05.11.2026", "06.11.2026", "AMAZON EU SARL", "", "EUR", "", "150,50")])

    with pytest.raises(InputError) as raised:
        parse_statement_pdf(invoice(tmp_path, sections=(broken,)))

    assert "needs both 'Valutabeløp' and 'Valuta' or neither" in str(raised.value)


def test_invalid_booking_date_names_column(tmp_path):
    broken = CardSection(KARI.holder, [("05.11.2026", "6.11.26", "REMA 1000 OSLO", "", "", "", "150,50")])

    with pytest.raises(InputError) as raised:
        parse_statement_pdf(invoice(tmp_path, sections=(broken,)))

    message = str(raised.value)
    assert "column 'Bokf.dato' of row" in message
    assert "has '6.11.26', expected a value like 31.12.2026" in message


def test_dnb_layout_in_ruled_table(tmp_path):
    """A bank that rules the DNB table gives empty cells by position, read by column."""
    pdf = FPDF(format="A4")
    pdf.set_font("Helvetica", size=9)
    pdf.add_page()
    pdf.cell(text="Kontoutskrift bedriftskort", new_x="LMARGIN", new_y="NEXT")
    with pdf.table(col_widths=(25, 75, 30, 25, 30)) as table:
        table.row(("Dato", "Beløpet gjelder", "Valuta", "Kurs", "Beløp"))
        for row in NOVEMBER:
            table.row(row)
    pdf.cell(text=f"Sum kjøp i perioden {NOVEMBER_SUM}")
    path = tmp_path / "kort.pdf"
    pdf.output(str(path))

    statement = parse_statement_pdf(path)

    assert [charge.description for charge in statement.charges] == [row[1] for row in NOVEMBER]
    assert statement.charges[1].original_amount == Decimal("62.97")
    assert statement.charges[0].rate is None


def test_first_pages_recognised(tmp_path):
    dnb = read_pdf_lines(write_statement(tmp_path / "kort.pdf", NOVEMBER, NOVEMBER_SUM), max_pages=1)[0]
    card = read_pdf_lines(invoice(tmp_path), max_pages=1)[0]

    assert is_statement_pdf("\n".join(dnb))
    assert is_statement_pdf("\n".join(card))
    assert select_layout(["\n".join(dnb)]) is DNB_BEDRIFTSKORT
    assert select_layout(["\n".join(card)]) is CARD_HOLDER_INVOICE


def test_other_pdf_text_not_recognised():
    text = "Faktura 2026-118\nKontorleverandøren AS\nSum å betale\t1 234,50"

    assert not is_statement_pdf(text)
    assert select_layout([text]) is None


def test_layout_found_on_later_page():
    assert select_layout(["Følgebrev til kunden", "Kontoutskrift bedriftskort"]) is DNB_BEDRIFTSKORT


@pytest.mark.parametrize(("text", "ocr", "found"), [
    ("Sum kjøp i perioden\t2 381,02", False, ("Sum kjøp i perioden", "2 381,02")),
    ("SUM KJØP I PERIODEN 2 381,02", False, ("Sum kjøp i perioden", "2 381,02")),
    ("Kortinnehaver: KARI NORDMANN", False, ("Kortinnehaver", "KARI NORDMANN")),
    ("Sum kjgp i perioden 2 381,02", True, ("Sum kjøp i perioden", "2 381,02")),
    ("Sum kjgp i perioden 2 381,02", False, None),
    ("Perioden er avsluttet", False, None),
    ("Saldo 1 234,50", False, None),
    ("Utgående saldo 1 234,50", True, ("Utgående saldo", "1 234,50")),
    ("Utgaende saldo 1 234,50", True, ("Utgående saldo", "1 234,50")),
])
def test_find_label(text, ocr, found):
    labels = ["Periode", "Sum kjøp i perioden", "Kortinnehaver", "Inngående saldo", "Utgående saldo",
              "Saldo fra forrige side"]

    assert find_label(text, labels, ocr=ocr) == found
