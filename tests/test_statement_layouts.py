"""Tests for each built-in statement layout, with small files written as each bank exports them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from bot.documents.statement_table import parse_statement_table
from bot.errors import InputError


def write_text(tmp_path: Path, name: str, lines: list[str], encoding: str = "cp1252", newline: str = "\r\n") -> Path:
    path = tmp_path / name
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    return path


def write_xlsx(tmp_path: Path, name: str, rows: list[list[object]]) -> Path:
    path = tmp_path / name
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def amounts(statement) -> list[Decimal]:
    return [charge.amount for charge in statement.charges]


# --- DNB Mastercard ------------------------------------------------------------------------------


def test_dnb_mastercard_preamble_serials_and_sum(tmp_path):
    path = write_xlsx(tmp_path, "dnb.xlsx", [
        ["Transaksjonsliste DNB Mastercard Bedrift"],
        ["Kortnummer **** **** **** 4821"],
        ["Periode 01.11.2026 - 30.11.2026"],
        ["Dato", "Beløpet gjelder", "Valuta", "Kurs", "Inn", "Ut"],
        [46330, "AMAZON EU, Luxembourg", "12.50 EUR", 11.85, None, 148.13],
        ["46331", "GITHUB INC, San Francisco", None, None, None, "44,00"],
        [datetime(2026, 11, 6), "Refund - SPOTIFY AB", None, None, 119, None],
        [None, "Sum", None, None, 119, 192.13],
    ])

    statement = parse_statement_table(path)

    assert statement.layout == "DNB Mastercard (XLSX)"
    assert [charge.date for charge in statement.charges] == [date(2026, 11, 4), date(2026, 11, 5), date(2026, 11, 6)]
    assert amounts(statement) == [Decimal("148.13"), Decimal("44.00"), Decimal("-119")]
    assert statement.stated_total == Decimal("73.13")
    assert (statement.period_start, statement.period_end) == (date(2026, 11, 1), date(2026, 11, 30))
    assert {charge.card for charge in statement.charges} == {"Kortnummer **** **** **** 4821"}


# --- DNB account ---------------------------------------------------------------------------------


def test_dnb_account_new_header(tmp_path):
    path = write_text(tmp_path, "dnb-konto.csv", [
        '"Dato";"Forklaring";"Rentedato";"Ut fra konto";"Inn på konto"',
        '"07.01.2027";"Varekjøp AMAZON EU SARL Dato 30.12 kl. 13.01";"07.01.2027";"1 249,00";""',
        '"08.01.2027";"Reservert transaksjon";"";"99,00";""',
        '"09.01.2027";"Giro Kvam Transport AS";"09.01.2027";"";"25 000,00"',
        '"10.01.2027";"Varekjøp REMA 1000 Dato 10.01 kl. 09.12";"10.01.2027";"0,00";""',
    ])

    statement = parse_statement_table(path)

    amazon, giro, rema = statement.charges
    assert statement.layout == "DNB konto (CSV)"
    assert (amazon.date, amazon.booked_on, amazon.amount) == (date(2026, 12, 30), date(2027, 1, 7), Decimal("1249.00"))
    assert (giro.date, giro.booked_on, giro.amount) == (date(2027, 1, 9), None, Decimal("-25000.00"))
    assert (rema.date, rema.amount) == (date(2027, 1, 10), Decimal("0.00"))
    assert statement.pending == 1


def test_dnb_account_old_header_with_decimal_point(tmp_path):
    path = write_text(tmp_path, "dnb-konto.csv", [
        '"Dato";"Forklaring";"Rentedato";"Uttak";"Innskudd"',
        '"05.11.2026";"Varekjøp AMZN Mktp DE*U38ZM1195 Dato 04.11 kl. 20.14";"05.11.2026";"35.8";""',
        '"06.11.2026";"Innbetaling Kvam Transport AS";"06.11.2026";"";"1.250,00"',
    ], encoding="utf-8")

    statement = parse_statement_table(path)

    assert amounts(statement) == [Decimal("35.8"), Decimal("-1250.00")]
    assert statement.charges[0].date == date(2026, 11, 4)


# --- Nordea --------------------------------------------------------------------------------------


def test_nordea_new_header(tmp_path):
    path = write_text(tmp_path, "nordea.csv", [
        "Bokføringsdato;Beløp;Avsender;Mottaker;Navn;Tittel;Valuta;Betalingstype",
        "Reservert;-115,70;;;;AMZN Mktp DE*4DQKA4IME;NOK;Visa varekjøp/uttak",
        "Reservert;-20,00;;;;JOKER ILA OSLO NO;NOK;Visa varekjøp/uttak",
        "2026/09/03;-1 163,80;6001.12.34567;;;AMZN Mktp DE*U38ZM1195;NOK;Visa varekjøp/uttak",
        "2026/09/04;250,00;;6001.12.34567;Kvam Transport AS;;NOK;Innbetaling",
    ], encoding="utf-8-sig", newline="\n")

    statement = parse_statement_table(path)

    purchase, payment = statement.charges
    assert statement.layout == "Nordea konto (CSV)"
    assert statement.pending == 2
    assert (purchase.line, purchase.date, purchase.amount) == (4, date(2026, 9, 3), Decimal("1163.80"))
    assert (payment.description, payment.amount) == ("Kvam Transport AS", Decimal("-250.00"))


def test_nordea_old_header(tmp_path):
    path = write_text(tmp_path, "nordea.csv", [
        "Bokføringsdato;Beløp;Avsender;Mottaker;Navn;Tittel;Saldo;Valuta",
        "2026/10/03;-163,80;;;KIWI;Varekjøp KIWI;9836,20;NOK",
    ], encoding="utf-8-sig")

    assert amounts(parse_statement_table(path)) == [Decimal("163.80")]


def test_nordea_foreign_account_rejected(tmp_path):
    path = write_text(tmp_path, "nordea.csv", [
        "Bokføringsdato;Beløp;Avsender;Mottaker;Navn;Tittel;Valuta;Betalingstype",
        "2026/09/03;-12,50;;;;AMAZON EU;EUR;Visa varekjøp/uttak",
    ], encoding="utf-8-sig")

    with pytest.raises(InputError) as raised:
        parse_statement_table(path)

    assert "line 2, column 'Valuta': " in str(raised.value)
    assert "EUR, not NOK" in str(raised.value)


# --- SpareBank 1 ---------------------------------------------------------------------------------


def test_sparebank1_account(tmp_path):
    path = write_text(tmp_path, "sb1.csv", [
        '"Dato";"Beskrivelse";"Rentedato";"Inn";"Ut";"Til konto";"Fra konto";',
        '"03.10.2026";"AMAZON EU SARL";"03.10.2026";"";"-1\u00a0163,80";"";"";',
        '"05.10.2026";"Kvam Transport AS";"05.10.2026";"17 250,00";"";"";"";',
    ], encoding="utf-8-sig", newline="\n")

    statement = parse_statement_table(path)

    assert statement.layout == "SpareBank 1 konto (CSV)"
    assert amounts(statement) == [Decimal("1163.80"), Decimal("-17250.00")]


def test_sparebank1_account_positive_ut_rejected(tmp_path):
    path = write_text(tmp_path, "sb1.csv", [
        "Dato;Beskrivelse;Rentedato;Inn;Ut;Til konto;Fra konto;",
        "03.10.2026;AMAZON EU SARL;03.10.2026;;163,80;;;",
    ], encoding="utf-8-sig")

    with pytest.raises(InputError) as raised:
        parse_statement_table(path)

    assert "line 2, column 'Ut': " in str(raised.value)
    assert "amount 163,80 is positive" in str(raised.value)
    assert "[[statement_layouts]]" in raised.value.describe()


def test_sparebank1_credit_card(tmp_path):
    path = write_text(tmp_path, "transactions.csv", [
        "Kjøpsdato;Posteringsdato;Beskrivelse;Beløp",
        "02.11.2026;04.11.2026;AMZN Mktp DE*U38ZM1195;-746,34",
        "05.11.2026;06.11.2026;AMZN Mktp DE Refund;177,55",
    ], encoding="utf-8")

    statement = parse_statement_table(path)

    purchase, refund = statement.charges
    assert statement.layout == "SpareBank 1 kredittkort (CSV)"
    assert (purchase.date, purchase.booked_on, purchase.amount) == (date(2026, 11, 2), date(2026, 11, 4),
                                                                   Decimal("746.34"))
    assert refund.amount == Decimal("-177.55")


# --- Sbanken -------------------------------------------------------------------------------------


def test_sbanken_tab_separated(tmp_path):
    path = write_text(tmp_path, "sbanken.txt", [
        "BOKFØRINGSDATO\tRENTEDATO\tARKIVREFERANSE\tTYPE\tTEKST\tUT FRA KONTO\tINN PÅ KONTO",
        "03.10.2026\t03.10.2026\t123\tVARER\t*4821 02.10 NOK 163,80 AMAZON EU SARL\t163,80\t",
        "05.10.2026\t05.10.2026\t124\tGIRO\tKvam Transport AS\t\t17250,00",
    ])

    statement = parse_statement_table(path)

    assert statement.layout == "Sbanken konto (CSV)"
    assert amounts(statement) == [Decimal("163.80"), Decimal("-17250.00")]


def test_sbanken_xlsx_header_on_row_three(tmp_path):
    path = write_xlsx(tmp_path, "Kontoutskrift.xlsx", [
        ["Kontoutskrift for 9710.12.34567"],
        [None],
        ["Bokføringsdato", "Rentedato", "Arkivreferanse", "Motkonto", "Type", "Tekst", "Ut fra konto",
         "Inn på konto"],
        ["03.10.2026", "03.10.2026", "123", None, "VARER", "AMAZON EU SARL", 163.8, None],
    ])

    statement = parse_statement_table(path)

    assert statement.layout == "Sbanken konto (XLSX)"
    assert (statement.charges[0].line, statement.charges[0].amount) == (4, Decimal("163.8"))


# --- SEB Kort / Eurocard (unverified) ------------------------------------------------------------


def test_seb_kort_swedish_sections(tmp_path):
    header = ["Datum", "Bokfört", "Specifikation", "Ort", "Valuta", "Utl. belopp", "Belopp"]
    path = write_xlsx(tmp_path, "Export.xlsx", [
        ["Transaktionsexport", None, None, None, None, None, "2026-02-08"],
        [None],
        ["Totalt övriga händelser"],
        header,
        [datetime(2026, 1, 13), datetime(2026, 1, 13), "Inbetalning", None, "SEK", 0, -10000],
        [None, None, "Summa övriga händelser", None, None, None, -10000],
        ["OLA NORDMANN **** 4821"],
        header,
        [datetime(2026, 1, 5), datetime(2026, 1, 6), "AMAZON EU", "Luxembourg", "EUR", 12.5, 148.13],
        ["2026-01-07", "2026-01-08", "ICA SUPERMARKET", "Stockholm", "SEK", 0, "542,50"],
        [None, None, "Summa köp/uttag", None, None, None, 690.63],
    ])

    statement = parse_statement_table(path)

    amazon, ica = statement.charges
    assert statement.layout == "SEB Kort / Eurocard (XLSX)"
    assert (amazon.description, amazon.original_amount, amazon.original_currency) == (
        "AMAZON EU, Luxembourg", Decimal("12.5"), "EUR")
    assert (amazon.date, amazon.booked_on) == (date(2026, 1, 5), date(2026, 1, 6))
    assert amazon.card == "OLA NORDMANN **** 4821"
    assert (ica.amount, ica.original_amount) == (Decimal("542.50"), None)
    assert statement.skipped == 1
    assert statement.stated_total == Decimal("-9309.37")


def test_seb_kort_norwegian_names(tmp_path):
    path = write_text(tmp_path, "eurocard.csv", [
        "Dato;Bokført;Spesifikasjon;Sted;Valuta;Utl. beløp;Beløp",
        "05.11.2026;06.11.2026;AMAZON EU;Luxembourg;EUR;62,97;746,34",
        ";;Sum;;;;746,34",
    ])

    statement = parse_statement_table(path)

    assert statement.layout == "SEB Kort / Eurocard (CSV)"
    assert statement.charges[0].original_amount == Decimal("62.97")
    assert statement.stated_total == Decimal("746.34")


def test_seb_kort_original_amount_needs_currency(tmp_path):
    path = write_text(tmp_path, "eurocard.csv", [
        "Dato;Bokført;Spesifikasjon;Sted;Valuta;Utl. beløp;Beløp",
        "05.11.2026;06.11.2026;AMAZON EU;Luxembourg;;62,97;746,34",
    ])

    with pytest.raises(InputError) as raised:
        parse_statement_table(path)

    assert "line 2, column 'Valuta': value is missing" in str(raised.value)


# --- Handelsbanken (unverified) ------------------------------------------------------------------


def test_handelsbanken_card_several_cards(tmp_path):
    path = write_text(tmp_path, "handelsbanken.csv", [
        "Transaksjonsdato;Bokføringsdato;Kortholder;Kortnummer;Beskrivelse;Valuta;Beløp i valuta;Kurs;Beløp NOK",
        "2026-11-03;2026-11-05;OLA NORDMANN;**** 4821;AMZN Mktp DE*U38ZM1195;EUR;62,97;11,8523;746,34",
        "2026-11-04;2026-11-05;KARI NORDMANN;**** 9914;REMA 1000;;;;150,50",
        "2026-11-09;2026-11-10;KARI NORDMANN;**** 9914;AMZN Mktp DE Refund;EUR;14,98;11,8523;(177,55)",
    ], encoding="utf-8")

    statement = parse_statement_table(path)

    amazon, rema, refund = statement.charges
    assert statement.layout == "Handelsbanken bedriftskort (CSV)"
    assert (amazon.card, amazon.rate, amazon.original_amount) == ("OLA NORDMANN **** 4821", Decimal("11.8523"),
                                                                  Decimal("62.97"))
    assert rema.card == "KARI NORDMANN **** 9914"
    assert (refund.amount, refund.original_amount) == (Decimal("-177.55"), Decimal("14.98"))


def test_handelsbanken_account(tmp_path):
    path = write_text(tmp_path, "handelsbanken-konto.csv", [
        "Reskontrodato;Transaksjonsdato;Tekst;Beløp;Saldo",
        "2026-10-03;2026-10-02;AMAZON EU SARL;-163,80;9836,20",
        "2026-10-05;2026-10-05;Kvam Transport AS;17 250,00;27086,20",
    ])

    statement = parse_statement_table(path)

    assert statement.layout == "Handelsbanken konto (CSV)"
    assert [(charge.date, charge.booked_on) for charge in statement.charges] == [
        (date(2026, 10, 2), date(2026, 10, 3)), (date(2026, 10, 5), date(2026, 10, 5))]
    assert amounts(statement) == [Decimal("163.80"), Decimal("-17250.00")]


# --- American Express ----------------------------------------------------------------------------


def test_amex_aktivitet_header_on_row_seven(tmp_path):
    path = write_xlsx(tmp_path, "aktivitet.xlsx", [
        ["American Express"],
        ["Aktivitet"],
        ["Kortmedlem", "OLA NORDMANN"],
        ["Kontonummer", "xxxx-xxxxxx-41007"],
        ["Periode", datetime(2026, 11, 1), "-", datetime(2026, 11, 30)],
        [None],
        ["Dato", "Beskrivelse", "Kortmedlem", "Konto #", "Beløp"],
        [datetime(2026, 11, 3), "AMAZON EU SARL LUXEMBOURG", "OLA NORDMANN", "-41007", 746.34],
        ["05.11.2026", "AMAZON EU SARL REFUND", "KARI NORDMANN", "-42015", "-177,55"],
        ["06.11.2026", "BETALING MOTTATT - TAKK", "OLA NORDMANN", "-41007", "-5 000,00"],
    ])

    statement = parse_statement_table(path)

    purchase, refund = statement.charges
    assert statement.layout == "American Express (XLSX)"
    assert (purchase.line, purchase.amount, purchase.card) == (8, Decimal("746.34"), "OLA NORDMANN -41007")
    assert (refund.amount, refund.card) == (Decimal("-177.55"), "KARI NORDMANN -42015")
    assert statement.skipped == 1
    assert (statement.period_start, statement.period_end) == (date(2026, 11, 1), date(2026, 11, 30))
