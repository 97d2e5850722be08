"""Tests for the DATEV EXTF Buchungsstapel connector, on files read back field by field with datev_reader."""

from __future__ import annotations

import tempfile
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from datev_reader import ExtfFile, read_extf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import DatevSettings, ExportSettings, Settings
from bot.ports import Posted, Rejected, Voucher, VoucherLine
from connectors.datev import DatevExporter
from connectors.files import ExportError

# The column headings of Buchungsstapel format version 13, verbatim from ameax/datev-extf
# (src/DatevExtfWriter.php, buildColumnHeader).
HEADINGS = (
    "Umsatz (ohne Soll/Haben-Kz);Soll/Haben-Kennzeichen;WKZ Umsatz;Kurs;Basis-Umsatz;WKZ Basis-Umsatz;"
    "Konto;Gegenkonto (ohne BU-Schlüssel);BU-Schlüssel;Belegdatum;Belegfeld 1;Belegfeld 2;Skonto;"
    "Buchungstext;Postensperre;Diverse Adressnummer;Geschäftspartnerbank;Sachverhalt;Zinssperre;"
    "Beleglink;Beleginfo - Art 1;Beleginfo - Inhalt 1;Beleginfo - Art 2;Beleginfo - Inhalt 2;"
    "Beleginfo - Art 3;Beleginfo - Inhalt 3;Beleginfo - Art 4;Beleginfo - Inhalt 4;Beleginfo - Art 5;"
    "Beleginfo - Inhalt 5;Beleginfo - Art 6;Beleginfo - Inhalt 6;Beleginfo - Art 7;Beleginfo - Inhalt 7;"
    "Beleginfo - Art 8;Beleginfo - Inhalt 8;KOST1 - Kostenstelle;KOST2 - Kostenstelle;Kost-Menge;"
    "EU-Land u. UStID;EU-Steuersatz;Abw. Versteuerungsart;Sachverhalt L+L;Funktionsergänzung L+L;"
    "BU 49 Hauptfunktionstyp;BU 49 Hauptfunktionsnummer;BU 49 Funktionsergänzung;"
    "Zusatzinformation - Art 1;Zusatzinformation - Inhalt 1;Zusatzinformation - Art 2;"
    "Zusatzinformation - Inhalt 2;Zusatzinformation - Art 3;Zusatzinformation - Inhalt 3;"
    "Zusatzinformation - Art 4;Zusatzinformation - Inhalt 4;Zusatzinformation - Art 5;"
    "Zusatzinformation - Inhalt 5;Zusatzinformation - Art 6;Zusatzinformation - Inhalt 6;"
    "Zusatzinformation - Art 7;Zusatzinformation - Inhalt 7;Zusatzinformation - Art 8;"
    "Zusatzinformation - Inhalt 8;Zusatzinformation - Art 9;Zusatzinformation - Inhalt 9;"
    "Zusatzinformation - Art 10;Zusatzinformation - Inhalt 10;Zusatzinformation - Art 11;"
    "Zusatzinformation - Inhalt 11;Zusatzinformation - Art 12;Zusatzinformation - Inhalt 12;"
    "Zusatzinformation - Art 13;Zusatzinformation - Inhalt 13;Zusatzinformation - Art 14;"
    "Zusatzinformation - Inhalt 14;Zusatzinformation - Art 15;Zusatzinformation - Inhalt 15;"
    "Zusatzinformation - Art 16;Zusatzinformation - Inhalt 16;Zusatzinformation - Art 17;"
    "Zusatzinformation - Inhalt 17;Zusatzinformation - Art 18;Zusatzinformation - Inhalt 18;"
    "Zusatzinformation - Art 19;Zusatzinformation - Inhalt 19;Zusatzinformation - Art 20;"
    "Zusatzinformation - Inhalt 20;Stück;Gewicht;Zahlweise;Forderungsart;Veranlagungsjahr;"
    "Zugeordnete Fälligkeit;Skontotyp;Auftragsnummer;Buchungstyp;USt-Schlüssel (Anzahlungen);"
    "EU-Land (Anzahlungen);Sachverhalt L+L (Anzahlungen);EU-Steuersatz (Anzahlungen);"
    "Erlöskonto (Anzahlungen);Herkunft-Kz;Leerfeld;KOST-Datum;SEPA-Mandatsreferenz;Skontosperre;"
    "Gesellschaftername;Beteiligtennummer;Identifikationsnummer;Zeichnernummer;Postensperre bis;"
    "Bezeichnung SoBil-Sachverhalt;Kennzeichen SoBil-Buchung;Festschreibung;Leistungsdatum;"
    "Datum Zuord. Steuerperiode;Fälligkeit;Generalumkehr;Steuersatz;Land;Abrechnungsreferenz;"
    "BVV-Position (Betriebsvermögensvergleich);EU-Mitgliedstaat u. UStID (Ursprung);"
    "EU-Steuersatz (Ursprung);Abw. Skontokonto"
)

FILE_NAME = "EXTF_Buchungsstapel_20260331-164512.csv"
FILLED = ("Umsatz (ohne Soll/Haben-Kz)", "Soll/Haben-Kennzeichen", "Konto", "Gegenkonto (ohne BU-Schlüssel)",
          "BU-Schlüssel", "Belegdatum", "Belegfeld 1", "Buchungstext", "KOST1 - Kostenstelle",
          "KOST2 - Kostenstelle")
COMPANY = DatevSettings(consultant_number=1234567, client_number=54321, fiscal_year_start="01-01",
                        account_length=4, chart_of_accounts="03", dictation_code="AB",
                        batch_label="Kortbilag mars", exported_by="Kari Nordmann", tax_keys={"1": "9", "11": "8"})


UNMAPPED_14 = "VAT codes 14 have no tax key in export.datev.tax_keys, so their bookings carry no BU-Schlüssel"


def fixed_clock() -> datetime:
    return datetime(2026, 3, 31, 16, 45, 12, 345678, tzinfo=timezone.utc)


def exporter(folder: Path, **changes) -> DatevExporter:
    return DatevExporter(folder, COMPANY.model_copy(update=changes), clock=fixed_clock)


def toner_voucher(number: str = "AB0000001", title: str = "Brother TN-2420 toner",
                  day: date = date(2026, 3, 18), **period) -> Voucher:
    return Voucher(
        number, day, "Amazon 302-6666666-6666666", "kort.csv:2",
        (
            VoucherLine("6800", Decimal("1398.00"), title, "100", None, "1", Decimal("25")),
            VoucherLine("6800", Decimal("349.50"), "Kopipapir A4", "100", "P-1042", "11", Decimal("15")),
            VoucherLine("2400", Decimal("-1747.50"), "Firmakort", clearing=True),
        ),
        **period,
    )


def refund_voucher(number: str = "AB0000002", day: date = date(2026, 3, 5)) -> Voucher:
    return Voucher(
        number, day, "Amazon retur", "kort.csv:5",
        (
            VoucherLine("6551", Decimal("-99.00"), "USB-kabel retur", "400", None, "14"),
            VoucherLine("2400", Decimal("99.00"), "Firmakort", clearing=True),
        ),
    )


def one_line_voucher(number: str, title: str = "Binders", *, cost_center: str | None = "100",
                     project: str | None = None, account: str = "6800", card: str = "2400") -> Voucher:
    return Voucher(number, date(2026, 3, 18), "Amazon", "kort.csv:9", (
        VoucherLine(account, Decimal("10.00"), title, cost_center, project, "1"),
        VoucherLine(card, Decimal("-10.00"), "Firmakort", clearing=True),
    ))


def written(folder: Path, name: str = FILE_NAME) -> ExtfFile:
    return read_extf(folder / name)


def values(extf: ExtfFile, column: str) -> list[str]:
    return [row[column].value for row in extf.rows]


def rejected_beside_good(folder: Path, bad: Voucher, **changes) -> Rejected:
    """Post ``bad`` after a good voucher, check that only the good one is written, and return the outcome of ``bad``."""
    posted, rejected = exporter(folder, **changes).post([toner_voucher(), bad])

    assert posted == Posted("AB0000001", f"{FILE_NAME}#AB0000001")
    assert set(values(written(folder), "Belegfeld 1")) == {"AB0000001"}
    assert isinstance(rejected, Rejected)
    assert rejected.number == bad.number
    return rejected


def test_header_fields(tmp_path):
    exporter(tmp_path).post([toner_voucher(), refund_voucher()])

    extf = written(tmp_path)

    assert extf.header_values() == [
        "EXTF", "700", "21", "Buchungsstapel", "13", "20260331164512345", "", "RE", "Kari Nordmann", "",
        "1234567", "54321", "20260101", "4", "20260305", "20260318", "Kortbilag mars", "AB", "1", "0", "0",
        "NOK", "", "", "", "", "03", "", "", "", "",
    ]
    quoted_positions = [index + 1 for index, field in enumerate(extf.header) if field.quoted]
    assert quoted_positions == [1, 4, 8, 9, 10, 17, 18, 22, 24, 27, 30, 31]


def test_heading_line_is_full_list(tmp_path):
    exporter(tmp_path).post([toner_voucher()])

    extf = written(tmp_path)

    assert ";".join(extf.columns) == HEADINGS
    assert len(extf.columns) == 125
    raw_second_line = (tmp_path / FILE_NAME).read_bytes().split(b"\r\n")[1]
    assert raw_second_line == HEADINGS.encode("cp1252")


def test_booking_rows(tmp_path):
    exporter(tmp_path).post([toner_voucher(), refund_voucher()])

    extf = written(tmp_path)

    assert len(extf.rows) == 3
    assert values(extf, "Umsatz (ohne Soll/Haben-Kz)") == ["1398,00", "349,50", "99,00"]
    assert values(extf, "Soll/Haben-Kennzeichen") == ["S", "S", "H"]
    assert values(extf, "Konto") == ["6800", "6800", "6551"]
    assert values(extf, "Gegenkonto (ohne BU-Schlüssel)") == ["2400", "2400", "2400"]
    assert values(extf, "BU-Schlüssel") == ["9", "8", ""]
    assert values(extf, "Belegdatum") == ["1803", "1803", "0503"]
    assert values(extf, "Belegfeld 1") == ["AB0000001", "AB0000001", "AB0000002"]
    assert values(extf, "Buchungstext") == ["Brother TN-2420 toner", "Kopipapir A4", "USB-kabel retur"]
    assert values(extf, "KOST1 - Kostenstelle") == ["100", "100", "400"]
    assert values(extf, "KOST2 - Kostenstelle") == ["", "P-1042", ""]


def test_unmapped_tax_code_noted(tmp_path):
    mapped, unmapped = exporter(tmp_path).post([toner_voucher(), refund_voucher()])

    assert mapped.note == ""
    assert unmapped.note == UNMAPPED_14


def test_unmapped_tax_code_not_noted_again(tmp_path):
    exporter(tmp_path).post([refund_voucher()])

    (again,) = exporter(tmp_path).post([refund_voucher()])

    assert again.note == ""


def test_text_fields_quoted_numbers_bare(tmp_path):
    exporter(tmp_path).post([toner_voucher()])

    row = written(tmp_path).rows[1]

    for column in ("Soll/Haben-Kennzeichen", "BU-Schlüssel", "Belegfeld 1", "Buchungstext",
                   "KOST1 - Kostenstelle", "KOST2 - Kostenstelle"):
        assert row[column].quoted, column
    for column in ("Umsatz (ohne Soll/Haben-Kz)", "Konto", "Gegenkonto (ohne BU-Schlüssel)", "Belegdatum"):
        assert not row[column].quoted, column


def test_unfilled_columns_empty(tmp_path):
    exporter(tmp_path).post([toner_voucher(), refund_voucher()])

    for row in written(tmp_path).rows:
        for column, field in row.items():
            if column not in FILLED:
                assert (field.value, field.quoted) == ("", False), column


def test_refund_line_is_credit(tmp_path):
    exporter(tmp_path).post([refund_voucher()])

    row = written(tmp_path).rows[0]

    assert row["Soll/Haben-Kennzeichen"].value == "H"
    assert row["Umsatz (ohne Soll/Haben-Kz)"].value == "99,00"
    assert row["Konto"].value == "6551"
    assert row["Gegenkonto (ohne BU-Schlüssel)"].value == "2400"


def test_clearing_and_zero_lines_not_booked(tmp_path):
    with_zero = Voucher("AB0000003", date(2026, 3, 18), "Amazon", "kort.csv:4", (
        VoucherLine("6800", Decimal("12345678.90"), "Server", "100"),
        VoucherLine("6800", Decimal("0.00"), "Gratis kabel", "100"),
        VoucherLine("2400", Decimal("-12345678.90"), "Firmakort", clearing=True),
    ))
    exporter(tmp_path).post([with_zero])

    extf = written(tmp_path)

    assert values(extf, "Umsatz (ohne Soll/Haben-Kz)") == ["12345678,90"]
    assert values(extf, "Konto") == ["6800"]


def test_title_encoded_cp1252(tmp_path):
    exporter(tmp_path).post([toner_voucher(title="Skrivebord ø æ å Ø Æ Å ß € 😀 ok")])

    raw = (tmp_path / FILE_NAME).read_bytes()
    row = written(tmp_path).rows[0]

    assert row["Buchungstext"].value == "Skrivebord ø æ å Ø Æ Å ß € ? ok"
    assert '"Skrivebord ø æ å Ø Æ Å ß € ? ok"'.encode("cp1252") in raw
    assert b"\x80" in raw                         # € is 0x80 in Windows-1252
    assert "ø".encode("utf-8") not in raw


def test_title_transliterated(tmp_path):
    exporter(tmp_path).post([toner_voucher(title="Łódź ő Đuro ŋ ﬁlter e\u0301 \u200d😀")])

    row = written(tmp_path).rows[0]

    assert row["Buchungstext"].value == "Lódz o Duro n filter é ?"


def test_lone_surrogate_becomes_question_mark(tmp_path):
    exporter(tmp_path).post([toner_voucher(title="Skrivebordslampe \udce6")])

    assert written(tmp_path).rows[0]["Buchungstext"].value == "Skrivebordslampe ?"


def test_line_breaks_become_spaces(tmp_path):
    exporter(tmp_path).post([toner_voucher(title="Toner\r\nsvart\ttrippel")])

    row = written(tmp_path).rows[0]

    assert row["Buchungstext"].value == "Toner  svart trippel"


def test_quote_in_title_doubled(tmp_path):
    exporter(tmp_path).post([toner_voucher(title='Skjerm 27" 4K; matt')])

    raw = (tmp_path / FILE_NAME).read_bytes()
    row = written(tmp_path).rows[0]

    assert b'"Skjerm 27"" 4K; matt"' in raw
    assert row["Buchungstext"].value == 'Skjerm 27" 4K; matt'


def test_long_title_shortened_visibly(tmp_path):
    title = "Logitech MX Keys trådløst tastatur med bakgrunnsbelysning og nordisk layout, grafitt"
    exporter(tmp_path).post([toner_voucher(title=title)])

    text = written(tmp_path).rows[0]["Buchungstext"].value

    assert len(text) == 60
    assert text == "Logitech MX Keys trådløst tastatur med bakgrunnsbelysning o…"
    assert b'\x85"' in (tmp_path / FILE_NAME).read_bytes()


def test_cut_drops_trailing_space(tmp_path):
    title = "Logitech MX Keys trådløst tastatur med bakgrunnsbelysning, nordisk layout, grafitt"
    exporter(tmp_path).post([toner_voucher(title=title)])

    text = written(tmp_path).rows[0]["Buchungstext"].value

    assert text == "Logitech MX Keys trådløst tastatur med bakgrunnsbelysning,…"


def test_title_of_sixty_kept(tmp_path):
    title = "x" * 59 + "ø"
    exporter(tmp_path).post([toner_voucher(title=title)])

    assert written(tmp_path).rows[0]["Buchungstext"].value == title


def test_long_title_with_emoji_shortened(tmp_path):
    title = "😀" * 70
    exporter(tmp_path).post([toner_voucher(title=title)])

    text = written(tmp_path).rows[0]["Buchungstext"].value

    assert text == "?" * 59 + "…"


@pytest.mark.parametrize("title", ['=HYPERLINK("http://x","y")', "+47 99", "@SUM(A1)", "-2+3"])
def test_hostile_title_neutralised(tmp_path, title):
    exporter(tmp_path).post([toner_voucher(title=title)])

    assert written(tmp_path).rows[0]["Buchungstext"].value == "'" + title


@pytest.mark.parametrize("title, expected", [
    ("\t=1+1", "' =1+1"),               # the tab counts before it becomes a space
    ("\uff1dcmd", "'=cmd"),              # a fullwidth equals sign turns into "=" in Windows-1252
])
def test_hidden_formula_neutralised(tmp_path, title, expected):
    exporter(tmp_path).post([toner_voucher(title=title)])

    assert written(tmp_path).rows[0]["Buchungstext"].value == expected


def test_long_hostile_title_keeps_apostrophe(tmp_path):
    title = "=" + "a" * 80
    exporter(tmp_path).post([toner_voucher(title=title)])

    text = written(tmp_path).rows[0]["Buchungstext"].value

    assert text == "'=" + "a" * 57 + "…"


def test_header_text_converted(tmp_path):
    exporter(tmp_path, batch_label="=Kort 😀 ø", exported_by='Ola "OJ" Ås').post([toner_voucher()])

    header = written(tmp_path).header_values()

    assert header[16] == "'=Kort ? ø"
    assert header[8] == 'Ola "OJ" Ås'


def test_period_spans_voucher_dates(tmp_path):
    exporter(tmp_path).post([toner_voucher(), refund_voucher(day=date(2026, 3, 2))])

    header = written(tmp_path).header_values()

    assert (header[14], header[15]) == ("20260302", "20260318")


def test_period_from_statement(tmp_path):
    voucher = toner_voucher(period_start=date(2026, 3, 1), period_end=date(2026, 3, 31))
    exporter(tmp_path).post([voucher])

    header = written(tmp_path).header_values()

    assert (header[14], header[15]) == ("20260301", "20260331")


def test_statement_period_cut_at_fiscal_year(tmp_path):
    # The statement runs from December into January; only the part in the voucher's fiscal year counts.
    voucher = toner_voucher(day=date(2026, 1, 8), period_start=date(2025, 12, 20), period_end=date(2026, 1, 19))
    exporter(tmp_path).post([voucher])

    header = written(tmp_path).header_values()

    assert (header[12], header[14], header[15]) == ("20260101", "20260108", "20260119")


def test_document_dates_inside_period(tmp_path):
    vouchers = [toner_voucher("AB0000001", day=date(2026, 2, 27)), refund_voucher("AB0000002", day=date(2026, 3, 9)),
                toner_voucher("AB0000003", day=date(2026, 1, 1))]
    exporter(tmp_path).post(vouchers)

    extf = written(tmp_path)
    header = extf.header_values()
    date_from = datetime.strptime(header[14], "%Y%m%d").date()
    date_to = datetime.strptime(header[15], "%Y%m%d").date()

    assert (date_from, date_to) == (date(2026, 1, 1), date(2026, 3, 9))
    for value in values(extf, "Belegdatum"):
        assert date_from <= date(date_from.year, int(value[2:]), int(value[:2])) <= date_to


def test_fiscal_years_in_separate_files(tmp_path):
    connector = exporter(tmp_path, fiscal_year_start="07-01")
    june = toner_voucher("AB0000001", day=date(2026, 6, 30), period_start=date(2026, 6, 1),
                         period_end=date(2026, 7, 15))
    july = refund_voucher("AB0000002", day=date(2026, 7, 1))

    outcomes = connector.post([july, june])

    second_name = "EXTF_Buchungsstapel_20260331-164512-2.csv"
    assert outcomes == [Posted("AB0000002", f"{second_name}#AB0000002", note=UNMAPPED_14),
                        Posted("AB0000001", f"{FILE_NAME}#AB0000001")]
    first, second = written(tmp_path), written(tmp_path, second_name)
    assert first.header_values()[12:16] == ["20250701", "4", "20260601", "20260630"]
    assert second.header_values()[12:16] == ["20260701", "4", "20260701", "20260701"]
    assert set(values(first, "Belegfeld 1")) == {"AB0000001"}
    assert set(values(second, "Belegfeld 1")) == {"AB0000002"}


def test_account_length_mismatch_rejected(tmp_path):
    rejected = rejected_beside_good(tmp_path, one_line_voucher("AB0000002", account="68000"))

    assert rejected.field == "line 1 account"
    assert "voucher AB0000002: account 68000 is not a number of 4 digits" in rejected.message
    assert "set export.datev.account_length" in rejected.message


def test_card_account_length_checked(tmp_path):
    rejected = rejected_beside_good(tmp_path, one_line_voucher("AB0000002", card="24000"))

    assert rejected.field == "line 2 account"
    assert "account 24000 is not a number of 4 digits" in rejected.message


def test_all_rejected_writes_no_file(tmp_path):
    connector = exporter(tmp_path)

    outcomes = connector.post([one_line_voucher("AB0000002", account="68000"),
                               one_line_voucher("AB0000003", cost_center="-100")])

    assert [(outcome.number, outcome.field) for outcome in outcomes] == [("AB0000002", "line 1 account"),
                                                                        ("AB0000003", "line 1 cost_center")]
    assert list(tmp_path.glob("EXTF_*")) == []
    assert connector.written == []


def test_exported_voucher_posted_before_checks(tmp_path):
    # A longer account length set after the export must not reject the voucher that is in the file already.
    exporter(tmp_path).post([toner_voucher()])

    outcomes = exporter(tmp_path, account_length=5).post([toner_voucher()])

    assert outcomes == [Posted("AB0000001", f"{FILE_NAME}#AB0000001")]
    assert len(list(tmp_path.glob("EXTF_*"))) == 1


def test_longer_accounts_with_setting(tmp_path):
    exporter(tmp_path, account_length=5).post([one_line_voucher("AB0000002", account="68000", card="24000")])

    extf = written(tmp_path)

    assert extf.header_values()[13] == "5"
    assert values(extf, "Konto") == ["68000"]
    assert values(extf, "Gegenkonto (ohne BU-Schlüssel)") == ["24000"]


@pytest.mark.parametrize("lines, found", [
    ((VoucherLine("6800", Decimal("10.00"), "Binders"), VoucherLine("2400", Decimal("-10.00"), "Firmakort")),
     "none"),
    ((VoucherLine("6800", Decimal("10.00"), "Binders"),
      VoucherLine("2400", Decimal("-4.00"), "Firmakort", clearing=True),
      VoucherLine("2410", Decimal("-6.00"), "Firmakort 2", clearing=True)), "2400, 2410"),
])
def test_clearing_account_required(tmp_path, lines, found):
    voucher = Voucher("AB0000005", date(2026, 3, 18), "Amazon", "kort.csv:6", lines)

    rejected = rejected_beside_good(tmp_path, voucher)

    assert rejected.field == "clearing"
    assert f"voucher AB0000005: DATEV books every line against one clearing account as Gegenkonto, but the " \
           f"clearing lines are on {found}" in rejected.message


@pytest.mark.parametrize("number", ["AB 0000001", "AB_0000001", "AB0000001ø", "A" * 37, "+4799", "-1", ""])
def test_invalid_document_number_rejected(tmp_path, number):
    rejected = rejected_beside_good(tmp_path, one_line_voucher(number))

    assert rejected.field == "number"
    assert f"voucher number {number!r} does not fit DATEV's Belegfeld 1" in rejected.message


def test_document_number_with_allowed_signs(tmp_path):
    number = "AB$&%*+-/" + "9" * 27
    exporter(tmp_path).post([one_line_voucher(number)])

    assert values(written(tmp_path), "Belegfeld 1") == [number]


@pytest.mark.parametrize("cost_center, project, field, named", [
    ("K" * 37, None, "line 1 cost_center", f"cost center {'K' * 37!r} does not fit DATEV's KOST1 field"),
    ("-100", None, "line 1 cost_center", "cost center '-100' does not fit DATEV's KOST1 field"),
    (None, "=P1", "line 1 project", "project '=P1' does not fit DATEV's KOST2 field"),
    ("Prosjekt 😀", None, "line 1 cost_center", "cost center 'Prosjekt 😀' does not fit DATEV's KOST1 field"),
])
def test_unusable_cost_object_rejected(tmp_path, cost_center, project, field, named):
    voucher = one_line_voucher("AB0000006", cost_center=cost_center, project=project)

    rejected = rejected_beside_good(tmp_path, voucher)

    assert rejected.field == field
    assert f"voucher AB0000006: {named}" in rejected.message


def test_long_cost_objects_kept_whole(tmp_path):
    exporter(tmp_path).post([one_line_voucher("AB0000007", cost_center="K" * 36, project="Prosjekt Ås")])

    extf = written(tmp_path)

    assert values(extf, "KOST1 - Kostenstelle") == ["K" * 36]
    assert values(extf, "KOST2 - Kostenstelle") == ["Prosjekt Ås"]


def test_amount_over_ten_digits_rejected(tmp_path):
    huge = Voucher("AB0000008", date(2026, 3, 18), "Amazon", "kort.csv:7", (
        VoucherLine("6800", Decimal("10000000000.00"), "Datasenter", "100"),
        VoucherLine("2400", Decimal("-10000000000.00"), "Firmakort", clearing=True),
    ))

    rejected = rejected_beside_good(tmp_path, huge)

    assert rejected.field == "line 1 amount"
    assert "amount 10000000000.00 on account 6800 exceeds 9999999999.99" in rejected.message


def test_largest_amount_written(tmp_path):
    largest = Voucher("AB0000008", date(2026, 3, 18), "Amazon", "kort.csv:7", (
        VoucherLine("6800", Decimal("9999999999.99"), "Datasenter", "100"),
        VoucherLine("2400", Decimal("-9999999999.99"), "Firmakort", clearing=True),
    ))

    exporter(tmp_path).post([largest])

    assert values(written(tmp_path), "Umsatz (ohne Soll/Haben-Kz)") == ["9999999999,99"]


def test_other_currency_rejected(tmp_path):
    voucher = one_line_voucher("AB0000009")
    in_euro = Voucher(voucher.number, voucher.date, voucher.description, voucher.reference, voucher.lines,
                      currency="EUR")

    rejected = rejected_beside_good(tmp_path, in_euro)

    assert rejected.field == "currency"
    assert "AB0000009 is in EUR" in rejected.message


def test_unbalanced_voucher_raises(tmp_path):
    unbalanced = Voucher("AB0000009", date(2026, 3, 18), "Amazon", "kort.csv:8", (
        VoucherLine("6800", Decimal("10.00"), "Binders", "100"),
        VoucherLine("2400", Decimal("-9.00"), "Firmakort", clearing=True),
    ))

    with pytest.raises(ValueError, match="AB0000009"):
        exporter(tmp_path).post([unbalanced])


def test_exported_voucher_skipped(tmp_path):
    exporter(tmp_path).post([toner_voucher()])

    outcomes = exporter(tmp_path).post([toner_voucher(), refund_voucher()])

    second_name = "EXTF_Buchungsstapel_20260331-164512-2.csv"
    assert outcomes == [Posted("AB0000001", f"{FILE_NAME}#AB0000001"),
                        Posted("AB0000002", f"{second_name}#AB0000002", note=UNMAPPED_14)]
    assert set(values(written(tmp_path, second_name), "Belegfeld 1")) == {"AB0000002"}


def test_retry_after_settings_change_skips(tmp_path):
    # The tax key and the text are not part of the comparison, so a changed mapping does not stop a retry.
    exporter(tmp_path).post([toner_voucher()])

    outcomes = exporter(tmp_path, tax_keys={}).post([toner_voucher(title="Brother TN-2420 toner, svart")])

    assert outcomes == [Posted("AB0000001", f"{FILE_NAME}#AB0000001")]
    assert len(list(tmp_path.glob("EXTF_*"))) == 1


def test_same_number_other_lines_raises(tmp_path):
    exporter(tmp_path).post([toner_voucher()])

    with pytest.raises(ExportError) as caught:
        exporter(tmp_path).post([refund_voucher("AB0000001")])

    assert "AB0000001" in str(caught.value)
    assert FILE_NAME in str(caught.value)
    assert "export_dir" in str(caught.value)
    assert len(list(tmp_path.glob("EXTF_*"))) == 1


def test_find_reads_document_field(tmp_path):
    connector = exporter(tmp_path)
    connector.post([toner_voucher(), refund_voucher()])

    found = exporter(tmp_path).find(["AB0000002", "AB0000003"])

    assert found == {"AB0000002": f"{FILE_NAME}#AB0000002"}


def test_foreign_extf_file_raises(tmp_path):
    (tmp_path / "EXTF_Buchungsstapel_fremd.csv").write_bytes(b'"EXTF";700;16;"Debitoren/Kreditoren";5\r\nKonto\r\n')

    with pytest.raises(ExportError) as caught:
        exporter(tmp_path).post([toner_voucher()])

    assert "EXTF_Buchungsstapel_fremd.csv" in str(caught.value)


def test_invalid_fiscal_year_start_raises(tmp_path):
    with pytest.raises(ValueError, match="02-29"):
        DatevExporter(tmp_path, DatevSettings(fiscal_year_start="02-29"))


def test_reader_rejects_bare_line_feed(tmp_path):
    exporter(tmp_path).post([toner_voucher()])
    path = tmp_path / FILE_NAME
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n", 1))

    with pytest.raises(ValueError, match="CRLF"):
        read_extf(path)


def test_from_settings(tmp_path):
    settings = Settings(export=ExportSettings(connector="datev", export_dir=tmp_path, datev=COMPANY).model_copy(
        update={"currency": "EUR"}))

    connector = DatevExporter.from_settings(settings)
    connector.clock = fixed_clock
    connector.post([Voucher("AB0000010", date(2026, 3, 18), "Amazon", "kort.csv:1", (
        VoucherLine("6800", Decimal("10.00"), "Binders"),
        VoucherLine("2400", Decimal("-10.00"), "Firmakort", clearing=True)), currency="EUR")])

    assert connector.name == "datev"
    assert written(tmp_path).header_values()[21] == "EUR"
    assert written(tmp_path).header_values()[10:12] == ["1234567", "54321"]


amounts = st.integers(min_value=-10**11, max_value=10**11).filter(bool).map(lambda cents: Decimal(cents) / 100)
lines = st.builds(
    VoucherLine,
    account=st.from_regex(r"[0-9]{4}", fullmatch=True),
    amount=amounts,
    description=st.text(max_size=90),
    cost_center=st.none() | st.from_regex(r"[A-Za-z0-9]{1,8}", fullmatch=True),
    tax_code=st.sampled_from([None, "1", "11", "14"]),
)


@st.composite
def random_vouchers(draw) -> list[Voucher]:
    vouchers = []
    for index in range(draw(st.integers(min_value=1, max_value=4))):
        debit = draw(st.lists(lines, min_size=1, max_size=5))
        clearing = VoucherLine("2400", -sum(line.amount for line in debit), "Firmakort", clearing=True)
        day = draw(st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)))
        vouchers.append(Voucher(f"AB{index:07d}", day, "Amazon", "kort.csv", (*debit, clearing)))
    return vouchers


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_vouchers(), st.sampled_from(["01-01", "07-01", "10-15"]))
def test_random_vouchers_round_trip(vouchers, fiscal_year_start):
    with tempfile.TemporaryDirectory() as folder:
        exporter(Path(folder), fiscal_year_start=fiscal_year_start).post(vouchers)
        files = [read_extf(path) for path in sorted(Path(folder).glob("EXTF_*.csv"))]

    rows, periods = {}, {}
    for extf in files:
        header = extf.header_values()
        fiscal_start, date_from, date_to = (datetime.strptime(header[index], "%Y%m%d").date()
                                            for index in (12, 14, 15))
        assert fiscal_start <= date_from <= date_to
        assert date_to < fiscal_start.replace(year=fiscal_start.year + 1)
        for row in extf.rows:
            rows.setdefault(row["Belegfeld 1"].value, []).append(row)
            periods[row["Belegfeld 1"].value] = (date_from, date_to)

    for voucher in vouchers:
        booked = [line for line in voucher.lines if not line.clearing]
        mine = rows.pop(voucher.number)
        assert len(mine) == len(booked)
        assert periods[voucher.number][0] <= voucher.date <= periods[voucher.number][1]
        signed = Decimal(0)
        for row, line in zip(mine, booked):
            amount = Decimal(row["Umsatz (ohne Soll/Haben-Kz)"].value.replace(",", "."))
            sign = 1 if row["Soll/Haben-Kennzeichen"].value == "S" else -1
            assert sign * amount == line.amount
            assert row["Konto"].value == line.account
            assert row["Gegenkonto (ohne BU-Schlüssel)"].value == "2400"
            assert row["Belegdatum"].value == voucher.date.strftime("%d%m")
            assert len(row["Buchungstext"].value) <= 60
            signed += sign * amount
        assert signed == -sum(line.amount for line in voucher.lines if line.clearing)
    assert rows == {}
