"""Tests for the PDF card statement parser in the DNB text layout, on PDFs written with fpdf2."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from fpdf import FPDF
from fpdf.enums import EncryptionMethod
from statement_pdfs import (
    NOVEMBER,
    NOVEMBER_SUM,
    TITLE_LINES,
    rotate_pages,
    write_sideways_statement,
    write_statement,
)

from bot.documents.statement_pdf import parse_statement_pdf
from bot.errors import InputError


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


def test_layout_and_printed_period(tmp_path):
    statement = parse_statement_pdf(write_statement(tmp_path / "kort.pdf", NOVEMBER, NOVEMBER_SUM))

    assert statement.layout == "DNB bedriftskort (PDF)"
    assert statement.period_start == date(2026, 11, 1)
    assert statement.period_end == date(2026, 11, 30)
    assert statement.skipped == 0
    assert all(charge.card is None and charge.booked_on is None for charge in statement.charges)


def test_period_from_rows_without_period_line(tmp_path):
    path = write_statement(tmp_path / "kort.pdf", NOVEMBER, NOVEMBER_SUM, title_lines=TITLE_LINES[:2])

    statement = parse_statement_pdf(path)

    assert statement.period_start == date(2026, 11, 3)
    assert statement.period_end == date(2026, 11, 20)


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


def test_progress_reported_per_page(tmp_path):
    rows = [(f"{day:02d}.11.2026", "REMA 1000 OSLO, Oslo", "", "", "10,00") for day in range(1, 26)]
    path = write_statement(tmp_path / "kort.pdf", rows, "250,00", rows_per_page=10)
    calls = []

    parse_statement_pdf(path, progress=lambda done, total: calls.append((done, total)))

    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_balance_and_payment_lines_skipped(tmp_path):
    rows = [
        ("01.11.2026", "Skyldig beløp fra forrige faktura", "", "", "5 000,00"),
        ("02.11.2026", "Innbetaling", "", "", "-5 000,00"),
        *NOVEMBER,
    ]

    statement = parse_statement_pdf(write_statement(tmp_path / "kort.pdf", rows, NOVEMBER_SUM))

    assert len(statement.charges) == 5
    assert statement.charges[0].description == "REMA 1000 OSLO, Oslo"
    assert statement.skipped == 2


def test_wrapped_description_joined(tmp_path):
    rows = list(NOVEMBER)
    rows[1] = ("05.11.2026", ("AMAZON EU SARL,", "5 Rue Plaetis,", "Luxembourg"), "62,97 EUR", "11,8523", "746,34")

    statement = parse_statement_pdf(write_statement(tmp_path / "kort.pdf", rows, NOVEMBER_SUM))

    assert len(statement.charges) == 5
    assert statement.charges[1].description == "AMAZON EU SARL, 5 Rue Plaetis, Luxembourg"
    assert statement.charges[1].amount == Decimal("746.34")
    assert statement.charges[2].description == "AMZNBusiness*F090Q5RN5"


def test_line_below_last_row_not_joined(tmp_path):
    """The sum line starts at the margin, left of the description column, so it stays a line of its own."""
    rows = [("05.11.2026", ("AMAZON EU SARL,", "Luxembourg"), "62,97 EUR", "11,8523", "746,34")]

    statement = parse_statement_pdf(write_statement(tmp_path / "kort.pdf", rows, "746,34"))

    assert statement.charges[0].description == "AMAZON EU SARL, Luxembourg"
    assert statement.stated_total == Decimal("746.34")


# Three pages of four rows. The balance carried is the opening balance plus
# every row above, the previous balance and the payment included:
# page 1: 5 000,00 + 5 000,00 - 5 000,00 + 150,50 + 746,34 = 5 896,84
# page 2: 5 896,84 + 1 249,68 + 234,50 - 177,55 + 100,00 = 7 303,47
# page 3: 7 303,47 + 20,00 + 30,00 = 7 353,47
CARRIED_ROWS = [
    ("01.11.2026", "Skyldig beløp fra forrige faktura", "", "", "5 000,00"),
    ("02.11.2026", "Innbetaling", "", "", "-5 000,00"),
    *NOVEMBER,
    ("21.11.2026", "CLAS OHLSON OSLO, Oslo", "", "", "100,00"),
    ("22.11.2026", "KIOSK 100", "", "", "20,00"),
    ("23.11.2026", "KIOSK 100", "", "", "30,00"),
]
CARRIED_SUM = "2 531,02"  # NOVEMBER_SUM + 100,00 + 20,00 + 30,00


def carried_statement(tmp_path, carried, closing="7 353,47"):
    return write_statement(tmp_path / "kort.pdf", CARRIED_ROWS, CARRIED_SUM, rows_per_page=4, opening="5 000,00",
                           carried=carried, closing=closing)


def test_carried_balances_agree(tmp_path):
    statement = parse_statement_pdf(carried_statement(tmp_path, ["5 896,84", "7 303,47"]))

    assert len(statement.charges) == 8
    assert statement.skipped == 2
    assert statement.stated_total == Decimal("2531.02")
    assert "Overført fra forrige side" not in [charge.description for charge in statement.charges]


def test_carried_balance_mismatch_names_page_and_numbers(tmp_path):
    path = carried_statement(tmp_path, ["5 896,84", "7 330,47"])

    with pytest.raises(InputError) as raised:
        parse_statement_pdf(path)

    message = str(raised.value)
    # Page 2: the carried-in line, the header, four rows, then the carried-out line.
    assert "page 2, line 7: " in message
    assert "'Overføres til neste side' states 7 330,47" in message
    assert "sum to 7 303,47, a difference of 27,00" in message


def test_closing_balance_mismatch(tmp_path):
    path = carried_statement(tmp_path, ["5 896,84", "7 303,47"], closing="7 353,74")

    with pytest.raises(InputError) as raised:
        parse_statement_pdf(path)

    message = str(raised.value)
    assert "page 3, " in message
    assert "'Utgående saldo' states 7 353,74" in message
    assert "sum to 7 353,47, a difference of 0,27" in message


def test_dated_closing_balance_checked(tmp_path):
    rows = NOVEMBER[:2]
    agreeing = write_statement(tmp_path / "kort.pdf", rows, "896,84", opening="100,00", closing="996,84",
                               closing_date="30.11.2026")
    differing = write_statement(tmp_path / "feil.pdf", rows, "896,84", opening="100,00", closing="896,84",
                                closing_date="30.11.2026")

    statement = parse_statement_pdf(agreeing)
    with pytest.raises(InputError) as raised:
        parse_statement_pdf(differing)

    assert len(statement.charges) == 2
    assert "'Utgående saldo' states 896,84" in str(raised.value)
    assert "sum to 996,84, a difference of -100,00" in str(raised.value)


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


def test_unreadable_total_amount(tmp_path):
    with pytest.raises(InputError) as raised:
        parse_statement_pdf(write_statement(tmp_path / "kort.pdf", NOVEMBER, "2.381,02"))

    message = str(raised.value)
    assert "page 1, line 10: cannot read the amount in 'Sum kjøp i perioden 2.381,02'" in message
    assert "must end with an amount like 12 345,67" in message


def test_missing_sum_line_still_parses(tmp_path):
    statement = parse_statement_pdf(write_statement(tmp_path / "kort.pdf", NOVEMBER, None))

    assert statement.stated_total is None
    assert len(statement.charges) == 5


def test_bad_amount_names_page_line_and_column(tmp_path):
    rows = [(f"{day:02d}.11.2026", "REMA 1000 OSLO, Oslo", "", "", "10,00") for day in range(1, 13)]
    rows[11] = ("12.11.2026", "REMA 1000 OSLO, Oslo", "", "", "10.00")
    path = write_statement(tmp_path / "kort.pdf", rows, "120,00", rows_per_page=10)

    with pytest.raises(InputError) as raised:
        parse_statement_pdf(path)

    message = str(raised.value)
    assert raised.value.source == "kort.pdf"
    # Page 2 starts with the header (line 1), then rows 11 and 12.
    assert "page 2, line 3: " in message
    assert "12.11.2026 | REMA 1000 OSLO, Oslo | 10.00" in message
    assert "column 'Beløp'" in message
    assert "has '10.00'" in message


def test_impossible_date_names_column(tmp_path):
    rows = [("31.11.2026", "REMA 1000 OSLO, Oslo", "", "", "10,00")]

    with pytest.raises(InputError) as raised:
        parse_statement_pdf(write_statement(tmp_path / "kort.pdf", rows, "10,00"))

    message = str(raised.value)
    assert "page 1, line 5: " in message
    assert "column 'Dato'" in message
    assert "'31.11.2026'" in message


def test_rate_without_original_amount(tmp_path):
    rows = [("05.11.2026", "AMAZON EU, Luxembourg", "", "11,8523", "746,34")]

    with pytest.raises(InputError) as raised:
        parse_statement_pdf(write_statement(tmp_path / "kort.pdf", rows, "746,34"))

    assert "rate in 'Kurs' but no amount in 'Valuta'" in str(raised.value)
    assert "page 1, line 5: " in str(raised.value)


@pytest.mark.parametrize("method", [EncryptionMethod.RC4, EncryptionMethod.AES_128, EncryptionMethod.AES_256])
def test_encrypted_with_empty_user_password(tmp_path, method):
    path = write_statement(tmp_path / "kort.pdf", NOVEMBER, NOVEMBER_SUM, user_password="", encryption=method)

    statement = parse_statement_pdf(path)

    assert len(statement.charges) == 5
    assert statement.stated_total == Decimal("2381.02")


def test_password_protected_pdf(tmp_path):
    path = write_statement(tmp_path / "kort.pdf", NOVEMBER, NOVEMBER_SUM, user_password="hemmelig")

    with pytest.raises(InputError) as raised:
        parse_statement_pdf(path)

    assert raised.value.source == "kort.pdf"
    assert "protected with a password" in str(raised.value)
    assert "send the statement without a password" in str(raised.value)


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_page_with_rotate_read_in_text_direction(tmp_path, degrees):
    path = rotate_pages(write_statement(tmp_path / "kort.pdf", NOVEMBER, NOVEMBER_SUM), degrees)

    statement = parse_statement_pdf(path)

    assert [charge.description for charge in statement.charges] == [row[1] for row in NOVEMBER]
    assert statement.charges[2].original_amount == Decimal("1234.50")
    assert statement.stated_total == Decimal("2381.02")
    assert statement.period_start == date(2026, 11, 1)


def test_sideways_page_turned_upright_by_rotate(tmp_path):
    statement = parse_statement_pdf(write_sideways_statement(tmp_path / "kort.pdf", NOVEMBER, NOVEMBER_SUM))

    assert [charge.amount for charge in statement.charges] == [Decimal(row[4].replace(" ", "").replace(",", "."))
                                                              for row in NOVEMBER]
    assert statement.stated_total == Decimal("2381.02")


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


def test_pdf_in_unknown_layout(tmp_path):
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.cell(text="Faktura 2026-118 fra Kontorleverandøren AS")
    path = tmp_path / "faktura.pdf"
    pdf.output(str(path))

    with pytest.raises(InputError) as raised:
        parse_statement_pdf(path)

    assert "not a card statement in a known layout" in str(raised.value)
    assert "'Kontoutskrift bedriftskort'" in str(raised.value)


def test_header_without_rows(tmp_path):
    with pytest.raises(InputError) as raised:
        parse_statement_pdf(write_statement(tmp_path / "kort.pdf", [], None))

    assert "no statement rows" in str(raised.value)
    assert "Dato | Beløpet gjelder | Valuta | Kurs | Beløp" in str(raised.value)

