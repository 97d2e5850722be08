"""The DATEV EXTF "Buchungsstapel" file format: header, column headings, booking rows, and reading them back.

Header version 700, category 21, format version 13. A file is Windows-1252
text with ``;`` between fields and CRLF line ends. Line 1 is the header of
31 fields, line 2 the 125 column headings, and then there is one line per
booking.
Text fields are in double quotes, with a quote inside doubled; numbers,
dates and empty fields are unquoted. Sources: DATEV's format description
at developer.datev.de (dtvf/formate/buchungsstapel) and the column list
of the ameax/datev-extf PHP writer (src/DatevExtfWriter.php).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from connectors.datev_text import ENCODING, text_field

FORMAT_NAME = "Buchungsstapel"
HEADER_FIELD_COUNT = 31
ORIGIN = "RE"    # Herkunft, two letters for the producing system; ameax/datev-extf writes "RE" too

AMOUNT = "Umsatz (ohne Soll/Haben-Kz)"
DEBIT_CREDIT = "Soll/Haben-Kennzeichen"
ACCOUNT = "Konto"
CONTRA_ACCOUNT = "Gegenkonto (ohne BU-Schlüssel)"
TAX_KEY = "BU-Schlüssel"
DOCUMENT_DATE = "Belegdatum"
DOCUMENT_FIELD_1 = "Belegfeld 1"
BOOKING_TEXT = "Buchungstext"
COST_CENTER_1 = "KOST1 - Kostenstelle"
COST_CENTER_2 = "KOST2 - Kostenstelle"

COLUMNS = (
    AMOUNT, DEBIT_CREDIT, "WKZ Umsatz", "Kurs", "Basis-Umsatz", "WKZ Basis-Umsatz", ACCOUNT, CONTRA_ACCOUNT,
    TAX_KEY, DOCUMENT_DATE, DOCUMENT_FIELD_1, "Belegfeld 2", "Skonto", BOOKING_TEXT, "Postensperre",
    "Diverse Adressnummer", "Geschäftspartnerbank", "Sachverhalt", "Zinssperre", "Beleglink",
    *(f"Beleginfo - {part} {number}" for number in range(1, 9) for part in ("Art", "Inhalt")),
    COST_CENTER_1, COST_CENTER_2, "Kost-Menge", "EU-Land u. UStID", "EU-Steuersatz", "Abw. Versteuerungsart",
    "Sachverhalt L+L", "Funktionsergänzung L+L", "BU 49 Hauptfunktionstyp", "BU 49 Hauptfunktionsnummer",
    "BU 49 Funktionsergänzung",
    *(f"Zusatzinformation - {part} {number}" for number in range(1, 21) for part in ("Art", "Inhalt")),
    "Stück", "Gewicht", "Zahlweise", "Forderungsart", "Veranlagungsjahr", "Zugeordnete Fälligkeit", "Skontotyp",
    "Auftragsnummer", "Buchungstyp", "USt-Schlüssel (Anzahlungen)", "EU-Land (Anzahlungen)",
    "Sachverhalt L+L (Anzahlungen)", "EU-Steuersatz (Anzahlungen)", "Erlöskonto (Anzahlungen)", "Herkunft-Kz",
    "Leerfeld", "KOST-Datum", "SEPA-Mandatsreferenz", "Skontosperre", "Gesellschaftername", "Beteiligtennummer",
    "Identifikationsnummer", "Zeichnernummer", "Postensperre bis", "Bezeichnung SoBil-Sachverhalt",
    "Kennzeichen SoBil-Buchung", "Festschreibung", "Leistungsdatum", "Datum Zuord. Steuerperiode", "Fälligkeit",
    "Generalumkehr", "Steuersatz", "Land", "Abrechnungsreferenz", "BVV-Position (Betriebsvermögensvergleich)",
    "EU-Mitgliedstaat u. UStID (Ursprung)", "EU-Steuersatz (Ursprung)", "Abw. Skontokonto",
)

# The columns allocbot fills that DATEV reads as text, so they are quoted; the others are numbers or dates.
TEXT_COLUMNS = frozenset({DEBIT_CREDIT, TAX_KEY, DOCUMENT_FIELD_1, BOOKING_TEXT, COST_CENTER_1, COST_CENTER_2})

# Maximum lengths in characters.
BOOKING_TEXT_LENGTH = 60
DOCUMENT_FIELD_LENGTH = 36
COST_CENTER_LENGTH = 36
LABEL_LENGTH = 30          # header Bezeichnung
EXPORTED_BY_LENGTH = 25    # header Exportiert von


@dataclass(frozen=True)
class ExtfHeader:
    """The values of a Buchungsstapel header that change between files and companies."""

    created_at: datetime
    exported_by: str
    consultant_number: int
    client_number: int
    fiscal_year_start: date
    account_length: int
    date_from: date
    date_to: date
    label: str
    dictation_code: str
    currency: str
    chart_of_accounts: str


def header_line(header: ExtfHeader) -> str:
    """Return line 1 of the file: the 31 header fields, text quoted and numbers bare."""
    created = f"{header.created_at:%Y%m%d%H%M%S}{header.created_at.microsecond // 1000:03d}"
    fields = [
        quoted("EXTF"),                                                # Kennzeichen: written by an external program
        "700",                                                         # Versionsnummer of the header
        "21",                                                          # Formatkategorie: Buchungsstapel
        quoted(FORMAT_NAME),                                           # Formatname
        "13",                                                          # Formatversion
        created,                                                       # Erzeugt am, YYYYMMDDHHMMSSFFF
        "",                                                            # Importiert: DATEV fills it
        quoted(ORIGIN),                                                # Herkunft
        quoted(text_field(header.exported_by, EXPORTED_BY_LENGTH)),    # Exportiert von
        quoted(""),                                                    # Importiert von
        str(header.consultant_number),                                 # Beraternummer
        str(header.client_number),                                     # Mandantennummer
        f"{header.fiscal_year_start:%Y%m%d}",                          # WJ-Beginn
        str(header.account_length),                                    # Sachkontenlänge
        f"{header.date_from:%Y%m%d}",                                  # Datum vom
        f"{header.date_to:%Y%m%d}",                                    # Datum bis
        quoted(text_field(header.label, LABEL_LENGTH)),                # Bezeichnung
        quoted(header.dictation_code),                                 # Diktatkürzel
        "1",                                                           # Buchungstyp: Finanzbuchführung
        "0",                                                           # Rechnungslegungszweck: unabhängig
        "0",                                                           # Festschreibung: not locked
        quoted(header.currency),                                       # WKZ
        "",                                                            # reserviert
        quoted(""),                                                    # Derivatskennzeichen
        "",                                                            # reserviert
        "",                                                            # reserviert
        quoted(header.chart_of_accounts),                              # Sachkontenrahmen, such as "03"
        "",                                                            # ID der Branchenlösung
        "",                                                            # reserviert
        quoted(""),                                                    # reserviert
        quoted(""),                                                    # Anwendungsinformation
    ]
    return ";".join(fields)


def heading_line() -> str:
    """Return line 2 of the file: the column headings, unquoted."""
    return ";".join(COLUMNS)


def booking_line(cells: Mapping[str, str]) -> str:
    """Return one booking line from the values of the filled columns; the other columns stay empty.

    The values are final text, such as amounts with a decimal comma and
    dates as digits. This function only adds the quotes of text columns.
    """
    fields = []
    for column in COLUMNS:
        value = cells.get(column, "")
        fields.append(quoted(value) if value and column in TEXT_COLUMNS else value)
    return ";".join(fields)


def quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def read_bookings(path: Path) -> list[dict[str, str]]:
    """Return the booking rows of an EXTF Buchungsstapel file as ``{column heading: value}``, quotes removed.

    Raises ValueError with the reason when the file is not a Buchungsstapel
    with the columns that ``COLUMNS`` lists.
    """
    text = path.read_bytes().decode(ENCODING)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"'))
    if len(rows) < 2:
        raise ValueError("fewer than two lines")

    header, headings, *bookings = rows
    if header[:1] != ["EXTF"] or header[3:4] != [FORMAT_NAME]:
        raise ValueError(f'the header does not start with "EXTF" and format name "{FORMAT_NAME}"')
    if len(header) != HEADER_FIELD_COUNT:
        raise ValueError(f"the header has {len(header)} fields instead of {HEADER_FIELD_COUNT}")
    if tuple(headings) != COLUMNS:
        raise ValueError("line 2 is not the column heading line of Buchungsstapel format version 13")
    for number, booking in enumerate(bookings, start=3):
        if len(booking) != len(COLUMNS):
            raise ValueError(f"line {number} has {len(booking)} fields instead of {len(COLUMNS)}")
    return [dict(zip(COLUMNS, booking)) for booking in bookings]
