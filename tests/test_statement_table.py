"""Tests for the DNB Mastercard statement layout (CSV and XLSX)."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from bot.documents.statement_table import parse_statement_table
from bot.errors import InputError

DATA = Path(__file__).parent / "data"

# The bank's CSV export: Windows-1252, ";" separator, every field quoted, CRLF.
NOVEMBER = (
    '"Dato";"Beløpet gjelder";"Valuta";"Kurs";"Inn";"Ut"',
    '"10.11.2026";"Skyldig beløp fra forrige faktura";"";"";"";"5 000,00"',
    '"25.10.2026";"Innbetaling";"";"";"5 000,00";""',
    '"03.11.2026";"REMA 1000 OSLO, Oslo";"";"";"";"150,50"',
    '"05.11.2026";"AMAZON EU, Luxembourg";"62,97 EUR";"11,8523";"";"746,34"',
    '"13.11.2026";"AMZNBusiness*F090Q5RN5";"1 234,50 SEK";"1,0123";"";"1 249,68"',
    '"20.11.2026";"AMAZON EU, Luxembourg";"14,98 EUR";"11,8523";"177,55";""',
)


def write_csv(tmp_path: Path, lines, name: str = "kortutskrift.csv", encoding: str = "cp1252") -> Path:
    path = tmp_path / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def test_csv_charges(tmp_path):
    statement = parse_statement_table(write_csv(tmp_path, NOVEMBER))

    assert statement.source == "kortutskrift.csv"
    assert statement.stated_total is None
    assert [charge.line for charge in statement.charges] == [4, 5, 6, 7]
    rema, amazon, business, refund = statement.charges
    assert rema.date == date(2026, 11, 3)
    assert rema.description == "REMA 1000 OSLO, Oslo"
    assert rema.amount == Decimal("150.50")
    assert rema.original_amount is None
    assert rema.original_currency is None
    assert rema.rate is None
    assert amazon.amount == Decimal("746.34")
    assert amazon.original_amount == Decimal("62.97")
    assert amazon.original_currency == "EUR"
    assert amazon.rate == Decimal("11.8523")
    assert business.amount == Decimal("1249.68")
    assert business.original_amount == Decimal("1234.50")
    assert business.original_currency == "SEK"


def test_refund_is_negative_charge(tmp_path):
    refund = parse_statement_table(write_csv(tmp_path, NOVEMBER)).charges[-1]

    assert refund.amount == Decimal("-177.55")
    assert not refund.is_purchase
    assert refund.original_amount == Decimal("14.98")


def test_balance_and_payment_skipped(tmp_path):
    statement = parse_statement_table(write_csv(tmp_path, NOVEMBER))

    descriptions = [charge.description for charge in statement.charges]
    assert "Innbetaling" not in descriptions
    assert "Skyldig beløp fra forrige faktura" not in descriptions


def test_utf8_bom_and_no_break_spaces(tmp_path):
    lines = [
        '"Dato";"Beløpet gjelder";"Valuta";"Kurs";"Inn";"Ut"',
        '"05.11.2026";"AMAZON SE, Stockholm";"12\u00a0345,00 SEK";"1,0123";"";"12\u00a0497,14"',
    ]

    charge = parse_statement_table(write_csv(tmp_path, lines, encoding="utf-8-sig")).charges[0]

    assert charge.description == "AMAZON SE, Stockholm"
    assert charge.amount == Decimal("12497.14")
    assert charge.original_amount == Decimal("12345.00")


def test_real_dnb_sample_xlsx(tmp_path):
    # The public sample export of DNB's Mastercard transaction list: date
    # cells, float amounts and "12.50 EUR" with a decimal point.
    path = tmp_path / "transaksjoner.xlsx"
    shutil.copy(DATA / "dnb-mastercard-sample.xlsx", path)

    statement = parse_statement_table(path)

    assert statement.source == "transaksjoner.xlsx"
    assert len(statement.charges) == 7
    first = statement.charges[0]
    assert (first.line, first.date, first.description, first.amount) == (
        4, date(2025, 10, 24), "REMA 1000 OSLO, Oslo", Decimal("150.5")
    )
    tesla = statement.charges[2]
    assert tesla.amount == Decimal("238.06")
    refund = statement.charges[5]
    assert (refund.description, refund.amount) == ("Refund - SPOTIFY AB", Decimal("-119"))
    amazon = statement.charges[-1]
    assert amazon.description == "AMAZON EU, Luxembourg"
    assert amazon.amount == Decimal("148.13")
    assert amazon.original_amount == Decimal("12.50")
    assert amazon.original_currency == "EUR"
    assert amazon.rate == Decimal("11.85")


def test_xlsx_text_cells(tmp_path):
    path = tmp_path / "kort.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Dato", "Beløpet gjelder", "Valuta", "Kurs", "Inn", "Ut"])
    sheet.append(["05.11.2026", "AMAZON EU, Luxembourg", "12,50 EUR", "11,8523", None, "148,15"])
    sheet.append([datetime(2026, 11, 6), "GITHUB INC, San Francisco", None, None, None, 44])
    workbook.save(path)

    statement = parse_statement_table(path)

    assert [charge.amount for charge in statement.charges] == [Decimal("148.15"), Decimal("44")]
    assert [charge.line for charge in statement.charges] == [2, 3]
    assert statement.charges[1].date == date(2026, 11, 6)


@pytest.mark.parametrize(
    ("row", "location", "expected"),
    [
        ('"5/11/2026";"REMA 1000";"";"";"";"150,50"', "line 3, column 'Dato'", "dd.mm.yyyy"),
        ('"05.11.2026";"";"";"";"";"150,50"', "line 3, column 'Beløpet gjelder'", "missing"),
        ('"05.11.2026";"REMA 1000";"";"";"";"150.50.1"', "line 3, column 'Ut'", "'150.50.1'"),
        ('"05.11.2026";"REMA 1000";"";"";"10,00";"150,50"', "line 3", "both 'Inn' and 'Ut'"),
        ('"05.11.2026";"REMA 1000";"";"";"";""', "line 3", "neither 'Inn' nor 'Ut'"),
        ('"05.11.2026";"REMA 1000";"";"";"";"-150,50"', "line 3, column 'Ut'", "negative"),
        ('"05.11.2026";"AMAZON EU";"EUR 12,50";"11,85";"";"148,13"', "line 3, column 'Valuta'", "'EUR 12,50'"),
        ('"05.11.2026";"AMAZON EU";"12,50 EUR";"11.85.2";"";"148,13"', "line 3, column 'Kurs'", "'11.85.2'"),
        ('"05.11.2026";"REMA 1000";"150,50"', "line 3", "3 fields"),
    ],
)
def test_bad_row_names_line_and_column(tmp_path, row, location, expected):
    lines = [NOVEMBER[0], '"03.11.2026";"REMA 1000 OSLO, Oslo";"";"";"";"150,50"', row]

    with pytest.raises(InputError) as raised:
        parse_statement_table(write_csv(tmp_path, lines))

    assert raised.value.source == "kortutskrift.csv"
    assert f"{location}: " in str(raised.value)
    assert expected in str(raised.value)
    assert raised.value.fix


def test_missing_column(tmp_path):
    lines = ['"Dato";"Beløpet gjelder";"Valuta";"Kurs";"Inn"', '"05.11.2026";"REMA 1000";"";"";"10,00"']

    with pytest.raises(InputError) as raised:
        parse_statement_table(write_csv(tmp_path, lines))

    assert "'Ut'" in str(raised.value)
    assert "line 1: " in str(raised.value)


def test_header_only_is_error(tmp_path):
    with pytest.raises(InputError) as raised:
        parse_statement_table(write_csv(tmp_path, NOVEMBER[:1]))

    assert "no transaction rows" in str(raised.value)


def test_undecodable_bytes(tmp_path):
    path = tmp_path / "kort.csv"
    path.write_bytes('"Dato";"Beløpet gjelder"\r\n'.encode("cp1252") + b'"\x81\x8d";"x"\r\n')

    with pytest.raises(InputError) as raised:
        parse_statement_table(path)

    assert raised.value.source == "kort.csv"
    assert "UTF-8" in str(raised.value)


def test_broken_xlsx(tmp_path):
    path = tmp_path / "kort.xlsx"
    path.write_bytes((DATA / "dnb-mastercard-sample.xlsx").read_bytes()[:2000])

    with pytest.raises(InputError) as raised:
        parse_statement_table(path)

    assert raised.value.source == "kort.xlsx"
    assert "cannot be read as XLSX" in str(raised.value)


def test_leading_blank_lines_keep_line_numbers(tmp_path):
    lines = ["", *NOVEMBER[:1], "", NOVEMBER[3]]

    statement = parse_statement_table(write_csv(tmp_path, lines))

    assert [charge.line for charge in statement.charges] == [4]


def test_xlsx_header_below_empty_rows(tmp_path):
    path = tmp_path / "kort.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A3"], sheet["B3"], sheet["C3"] = "Dato", "Beløpet gjelder", "Inn"
    sheet["A5"], sheet["B5"], sheet["C5"] = "05.11.2026", "REMA 1000", 10
    workbook.save(path)

    with pytest.raises(InputError) as raised:
        parse_statement_table(path)

    assert "row 3: " in str(raised.value)
    assert "'Ut'" in str(raised.value)
