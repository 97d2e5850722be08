"""Tests for reading statement tables: the DNB Mastercard layout, and rows, sums and errors of any layout."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from bot.documents.statement_layout import StatementLayout
from bot.documents.statement_table import is_statement_header, parse_statement_table
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
        ('"05.11.2026";"AMAZON EU";"12,50 EURO";"11,85";"";"148,13"', "line 3, column 'Valuta'", "'12,50 EURO'"),
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


# --- rows above and below the lines ----------------------------------------------------------------


def test_preamble_lines_with_other_separators(tmp_path):
    lines = [
        "Kontoutskrift bedriftskort",
        "Konto: 1234.56.78901, kort **** 4821",
        "Periode: 01.11.2026 - 30.11.2026",
        "",
        *NOVEMBER[:1],
        NOVEMBER[4],
        '"";"Sum";"";"";"";"746,34"',
        '"";"Disponibelt beløp";"";"";"";"49 253,66"',
        '"Utskrevet 01.12.2026"',
    ]

    statement = parse_statement_table(write_csv(tmp_path, lines))

    assert [(charge.line, charge.amount) for charge in statement.charges] == [(6, Decimal("746.34"))]
    assert statement.stated_total == Decimal("746.34")
    assert (statement.period_start, statement.period_end) == (date(2026, 11, 1), date(2026, 11, 30))
    assert statement.charges[0].card == "Konto: 1234.56.78901, kort **** 4821"


def test_period_from_line_dates(tmp_path):
    statement = parse_statement_table(write_csv(tmp_path, NOVEMBER))

    assert (statement.period_start, statement.period_end) == (date(2026, 11, 3), date(2026, 11, 20))
    assert (statement.skipped, statement.pending) == (2, 0)
    assert statement.layout == "DNB Mastercard (CSV)"


def test_sum_counts_skipped_lines(tmp_path):
    lines = [*NOVEMBER, '"";"Saldo";"";"";"";""', '"";"Totalt";"";"";"5 177,55";"7 146,52"']

    statement = parse_statement_table(write_csv(tmp_path, lines))

    assert statement.stated_total == Decimal("1968.97")
    assert len(statement.charges) == 4


def test_sum_mismatch_names_both_numbers(tmp_path):
    lines = [NOVEMBER[0], NOVEMBER[3], NOVEMBER[4], '"";"Sum kjøp";"";"";"";"896,94"']

    with pytest.raises(InputError) as raised:
        parse_statement_table(write_csv(tmp_path, lines))

    message = str(raised.value)
    assert "line 4: " in message
    assert "'Sum kjøp' states 896,94 but the lines above it sum to 896,84, a difference of 0,10" in message
    assert "unchanged export" in message


def test_section_sums_and_grand_total(tmp_path):
    lines = [
        NOVEMBER[0],
        '"Kortholder OLA NORDMANN **** 4821";"";"";"";"";""',
        NOVEMBER[3],
        '"Sum";"";"";"";"";"150,50"',
        '"Kortholder KARI NORDMANN **** 9914";"";"";"";"";""',
        NOVEMBER[0],
        NOVEMBER[4],
        NOVEMBER[6],
        '"Sum";"";"";"";"177,55";"746,34"',
        '"Totalt";"";"";"";"";"719,29"',
    ]

    statement = parse_statement_table(write_csv(tmp_path, lines))

    assert [charge.card for charge in statement.charges] == [
        "Kortholder OLA NORDMANN **** 4821", "Kortholder KARI NORDMANN **** 9914",
        "Kortholder KARI NORDMANN **** 9914"]
    assert statement.stated_total == Decimal("719.29")


def test_undated_line_with_amount_is_error(tmp_path):
    lines = [NOVEMBER[0], NOVEMBER[3], '"";"AMAZON EU, Luxembourg";"";"";"";"746,34"']

    with pytest.raises(InputError) as raised:
        parse_statement_table(write_csv(tmp_path, lines))

    assert "line 3, column 'Dato': value is missing" in str(raised.value)


def test_sum_without_amount_is_error(tmp_path):
    lines = [NOVEMBER[0], NOVEMBER[3], '"Sum";"";"";"";"";""']

    with pytest.raises(InputError) as raised:
        parse_statement_table(write_csv(tmp_path, lines))

    assert "line 3: the sum row has no amount" in str(raised.value)


def test_sum_in_label_text(tmp_path):
    lines = [NOVEMBER[0], NOVEMBER[3], NOVEMBER[4], '"Sum kjøp i perioden 896,84 kr";"";"";"";"";""']

    statement = parse_statement_table(write_csv(tmp_path, lines))

    assert statement.stated_total == Decimal("896.84")


def test_zero_in_unused_column(tmp_path):
    lines = [NOVEMBER[0], '"05.11.2026";"AMAZON EU";"";"";"0,00";"746,34"',
             '"06.11.2026";"AMAZON EU";"";"";"14,98";"0,00"', '"07.11.2026";"GEBYR";"";"";"0,00";"0,00"']

    statement = parse_statement_table(write_csv(tmp_path, lines))

    assert [str(charge.amount) for charge in statement.charges] == ["746.34", "-14.98", "0.00"]


def test_repeated_header_is_left_out(tmp_path):
    lines = [NOVEMBER[0], NOVEMBER[3], "", NOVEMBER[0], NOVEMBER[4]]

    statement = parse_statement_table(write_csv(tmp_path, lines))

    assert [charge.line for charge in statement.charges] == [2, 5]


# --- files and rows that cannot be read --------------------------------------------------------------


def test_unknown_layout_lists_known_ones(tmp_path):
    lines = ["Rapport", '"Kundenr";"Navn";"Saldo"', '"1001";"Kvam";"100,00"']

    with pytest.raises(InputError) as raised:
        parse_statement_table(write_csv(tmp_path, lines))

    message = raised.value.describe()
    assert "line 2: no header of a known statement layout in the first 40 rows" in message
    assert "'Kundenr', 'Navn', 'Saldo'" in message
    assert "DNB Mastercard, DNB konto, Nordea konto" in message
    assert "American Express" in message
    assert "[[statement_layouts]]" in message


def test_empty_file(tmp_path):
    path = tmp_path / "tom.csv"
    path.write_bytes(b"")

    with pytest.raises(InputError) as raised:
        parse_statement_table(path)

    assert "file has no rows" in str(raised.value)


def test_trailing_separators_and_extra_fields(tmp_path):
    header = '"Dato";"Beløpet gjelder";"Valuta";"Kurs";"Inn";"Ut";'
    ok = parse_statement_table(write_csv(tmp_path, [header, NOVEMBER[3] + ";"]))
    assert ok.charges[0].amount == Decimal("150.50")

    with pytest.raises(InputError) as raised:
        parse_statement_table(write_csv(tmp_path, [header, NOVEMBER[3] + ';"x"']))
    assert "line 2: row has 7 fields but the header has 6" in str(raised.value)


def test_xlsx_value_right_of_header(tmp_path):
    path = tmp_path / "kort.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Dato", "Beløpet gjelder", "Valuta", "Kurs", "Inn", "Ut"])
    sheet.append(["05.11.2026", "REMA 1000", None, None, None, 150.5, "notat"])
    workbook.save(path)

    with pytest.raises(InputError) as raised:
        parse_statement_table(path)

    assert "row 2: row has a value in column 7, after the last header column" in str(raised.value)


def test_duplicate_column_is_error(tmp_path):
    lines = ['"Dato";"Beløpet gjelder";"Valuta";"Kurs";"Inn";"Ut";"Ut"', NOVEMBER[3] + ';""']

    with pytest.raises(InputError) as raised:
        parse_statement_table(write_csv(tmp_path, lines))

    assert "line 1: columns 'Ut' and 'Ut' both contain 'debit'" in str(raised.value)


def test_utf16_export(tmp_path):
    path = tmp_path / "kort.txt"
    text = "Dato\tBeløpet gjelder\tValuta\tKurs\tInn\tUt\r\n05.11.2026\tAMAZON EU, Luxembourg\t\t\t\t746,34\r\n"
    path.write_bytes(text.encode("utf-16"))

    assert parse_statement_table(path).charges[0].amount == Decimal("746.34")


# --- configured layouts --------------------------------------------------------------------------------


def test_configured_layout_before_built_in(tmp_path):
    # The same header as the DNB layout, but a bank that writes credits in "Ut" as negative amounts.
    layout = StatementLayout(
        name="Egen bank",
        columns={"date": ("Dato",), "description": ("Beløpet gjelder",), "amount": ("Ut",)},
        required=frozenset({"date", "description", "amount"}),
    )
    lines = [NOVEMBER[0], '"05.11.2026";"AMAZON EU";"";"";"";"-14,98"']

    statement = parse_statement_table(write_csv(tmp_path, lines), layouts=[layout])

    assert statement.layout == "Egen bank (CSV)"
    assert statement.charges[0].amount == Decimal("-14.98")


def test_configured_layout_with_decimal_point_and_status(tmp_path):
    layout = StatementLayout(
        name="Kortportal",
        columns={"date": ("Date",), "description": ("Merchant",), "amount": ("Amount NOK",), "status": ("Status",)},
        required=frozenset({"date", "description", "amount", "status"}),
        sign="debit_negative",
        decimal=".",
        date_formats=("dd/mm/yyyy",),
        delimiter=",",
        pending_markers=("Pending",),
    )
    path = tmp_path / "export.csv"
    path.write_text('Date,Merchant,Amount NOK,Status\n05/11/2026,AMAZON EU,"-1,234.50",Booked\n'
                    '06/11/2026,AMAZON EU,-10.00,Pending\n', encoding="utf-8")

    statement = parse_statement_table(path, layouts=[layout])

    assert [(charge.date, charge.amount) for charge in statement.charges] == [(date(2026, 11, 5), Decimal("1234.50"))]
    assert statement.pending == 1


def test_configured_delimiter_must_match(tmp_path):
    layout = StatementLayout(
        name="Tabulert",
        columns={"date": ("Dato",), "description": ("Tekst",), "amount": ("Beløp",)},
        required=frozenset({"date", "description", "amount"}),
        delimiter="\t",
    )
    path = write_csv(tmp_path, ['"Dato";"Tekst";"Beløp"', '"05.11.2026";"AMAZON";"10,00"'])

    with pytest.raises(InputError) as raised:
        parse_statement_table(path, layouts=[layout])

    assert "no header of a known statement layout" in str(raised.value)


def test_is_statement_header():
    assert is_statement_header(("Dato", "Beløpet gjelder", "Valuta", "Kurs", "Inn", "Ut"))
    assert is_statement_header(("BOKFØRINGSDATO", "RENTEDATO", "ARKIVREFERANSE", "TYPE", "TEKST", "UT FRA KONTO",
                                "INN PÅ KONTO"))
    assert not is_statement_header(("Order Date", "Order ID", "Title"))
