"""Reply texts: the receipt, the failure and the empty-mail reply in Norwegian and English, and the subject."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.errors import InputError
from bot.i18n import N_, Translator
from bot.mail.replies import failure, nothing_found, receipt, subject_for
from bot.masterdata import Employee, MasterData
from bot.pipeline import FileSummary, ItemOutcome, RunReport
from bot.policy import CONTROLLERS, Decision
from bot.reconcile import Reconciliation, Shipment
from bot.records import CardCharge, ReportItem

NBSP = "\u00a0"  # Babel groups thousands with a no-break space, so an amount never wraps

NB = Translator("nb")
EN = Translator("en")

MASTER = MasterData(employees={
    "kari@firma.no": Employee("kari@firma.no", "Kari Nordmann", "400"),
    "ola@firma.no": Employee("ola@firma.no", "Ola Hansen", "400"),
    "per@firma.no": Employee("per@firma.no", "Per Olsen", "500", role="manager"),
})

STATEMENT = FileSummary("kort-november.csv", "statement", 42, date(2026, 11, 1), date(2026, 11, 30),
                        {"NOK": Decimal("48312.50")})
ORDER_REPORT = FileSummary("orders.csv", "order_report", 120, date(2026, 11, 1), date(2026, 11, 28),
                           {"SEK": Decimal("3400.00"), "EUR": Decimal("1234.00")})
RECEIVED_BEFORE = FileSummary("kort-oktober.csv", "statement", 38, date(2026, 10, 1), date(2026, 10, 31),
                              {"NOK": Decimal("39000.00")}, duplicate=True)


def outcome(number: int, amount: str, action: str, person: str | None = None) -> ItemOutcome:
    item = ReportItem(source="orders.csv", line=number, order_id=f"402-{number:07d}", order_date=date(2026, 11, 3),
                      currency="NOK", title=f"Vare {number}", quantity=1, unit_price=Decimal(amount),
                      net_total=Decimal(amount), account_user_email="kari@firma.no")
    return ItemOutcome(number, item, date(2026, 11, 5), Decimal(amount), (), Decision(action, person))


def charge(line: int) -> CardCharge:
    return CardCharge("kort-november.csv", line, date(2026, 11, 20), "AMAZON MKTPL", Decimal("499.00"))


def shipment(order_id: str) -> Shipment:
    return Shipment(order_id, None, "NOK", Decimal("129.00"), date(2026, 11, 27), ())


def full_report() -> RunReport:
    """One month's mail: a statement, an order report and a statement received before."""
    outcomes = [
        outcome(1, "1000.00", "book"),
        outcome(2, "2500.50", "book"),
        outcome(3, "812.00", "book"),
        outcome(4, "349.00", "ask", "kari@firma.no"),
        outcome(5, "129.90", "ask", "ola@firma.no"),
        outcome(6, "89.00", "ask", "kari@firma.no"),
        outcome(7, "2199.00", "ask", CONTROLLERS),
        outcome(8, "12990.00", "approve", "per@firma.no"),
        outcome(9, "7450.00", "approve", CONTROLLERS),
    ]
    reconciliation = Reconciliation((), (charge(17), charge(18)), (shipment("402-7777777"),), ())
    return RunReport(documents=["kort-november.csv", "orders.csv"], skipped_documents=["kort-oktober.csv"],
                     outcomes=outcomes, reconciliation=reconciliation,
                     files=[STATEMENT, ORDER_REPORT, RECEIVED_BEFORE])


def test_receipt_norwegian():
    text = receipt(full_report(), master=MASTER, translator=NB)

    assert text == (
        "Fra e-posten din:\n"
        f"- Kortutskrift kort-november.csv: 42 kortlinjer 01.11.2026–30.11.2026, til sammen 48{NBSP}312,50 kr.\n"
        f"- Ordrerapport orders.csv: 120 varer 01.11.2026–28.11.2026, til sammen 1{NBSP}234,00 EUR"
        f" og 3{NBSP}400,00 SEK.\n"
        "- kort-oktober.csv er mottatt før og ble ikke lest på nytt.\n"
        "\n"
        "Dette skjer videre:\n"
        f"- 3 varer er bokført automatisk, til sammen 4{NBSP}312,50 kr.\n"
        "- Spørsmål om 4 varer går til Kari Nordmann (2), Ola Hansen (1) og controllerne (1).\n"
        "- 2 varer må godkjennes av Per Olsen (1) og controllerne (1).\n"
        "- 2 Amazon-kortlinjer på kortutskriftene som er mottatt så langt, har ennå ingen varer."
        " De kobles når en ordrerapport med ordrene kommer.\n"
        "- 1 forsendelse i ordrerapportene som er mottatt så langt, har ennå ingen kortlinje."
        " Den kobles når kortutskriften med belastningen kommer.\n"
        "\n"
        "– allocbot\n"
    )


def test_receipt_english():
    text = receipt(full_report(), master=MASTER, translator=EN)

    assert text == (
        "From your mail:\n"
        "- Card statement kort-november.csv: 42 card lines from 2026-11-01 to 2026-11-30,"
        " a total of NOK 48,312.50.\n"
        "- Order report orders.csv: 120 items from 2026-11-01 to 2026-11-28, a total of EUR 1,234.00"
        " and SEK 3,400.00.\n"
        "- kort-oktober.csv was received before and was not read again.\n"
        "\n"
        "What happens next:\n"
        "- 3 items were booked automatically, a total of NOK 4,312.50.\n"
        "- Questions about 4 items go to Kari Nordmann (2), Ola Hansen (1) and the controllers (1).\n"
        "- 2 items need approval by Per Olsen (1) and the controllers (1).\n"
        "- 2 Amazon card lines on the statements received so far have no items yet."
        " They are matched when an order report with their orders arrives.\n"
        "- 1 shipment in the order reports received so far has no card line yet."
        " It is matched when the card statement with its charge arrives.\n"
        "\n"
        "– allocbot\n"
    )


def test_receipt_single_item_counts():
    report = RunReport(files=[STATEMENT], outcomes=[outcome(1, "450.00", "book"),
                                                    outcome(2, "99.00", "ask", "ola@firma.no"),
                                                    outcome(3, "8000.00", "approve", "per@firma.no")])

    lines = receipt(report, master=MASTER, translator=NB).splitlines()

    assert "- 1 vare er bokført automatisk (450,00 kr)." in lines
    assert "- Spørsmål om 1 vare går til Ola Hansen." in lines
    assert "- 1 vare må godkjennes av Per Olsen." in lines


def test_receipt_unknown_person_by_email():
    report = RunReport(files=[STATEMENT], outcomes=[outcome(1, "99.00", "ask", "ny@firma.no")])

    text = receipt(report, master=MASTER, translator=NB)

    assert "- Spørsmål om 1 vare går til ny@firma.no." in text


def test_receipt_nothing_matched():
    report = RunReport(files=[ORDER_REPORT],
                       reconciliation=Reconciliation((), (), (shipment("402-1"), shipment("402-2")), ()))

    text = receipt(report, master=MASTER, translator=NB)

    assert text.endswith(
        "Dette skjer videre:\n"
        "- Ingen varer ble koblet til kortlinjer denne gangen.\n"
        "- 2 forsendelser i ordrerapportene som er mottatt så langt, har ennå ingen kortlinje."
        " De kobles når kortutskriften med belastningene kommer.\n"
        "\n"
        "– allocbot\n"
    )


def test_receipt_refused_and_ignored():
    text = receipt(RunReport(files=[STATEMENT]), master=MASTER, translator=NB,
                   refused=[("skannet-kvittering.pdf", 33_000_000)], ignored=["image001.png", "logo.gif"],
                   max_attachment_mb=20)

    lines = text.splitlines()
    assert ("- skannet-kvittering.pdf (31,5 MB) ble ikke lest fordi den er større enn grensen på 20 MB."
            " Send en mindre eksport av den, for eksempel som CSV.") in lines
    assert "- Ikke lest (verken kortutskrift eller ordrerapport): image001.png, logo.gif." in lines


def test_receipt_fractional_limit():
    text = receipt(RunReport(), master=MASTER, translator=NB, refused=[("stor.xlsx", 6_000_000)],
                   max_attachment_mb=5.5)

    assert "(5,7 MB) ble ikke lest fordi den er større enn grensen på 5,5 MB." in text


def test_receipt_one_day_file():
    one_day = FileSummary("kort-05.csv", "statement", 1, date(2026, 12, 5), date(2026, 12, 5),
                          {"NOK": Decimal("1234.50")})

    text = receipt(RunReport(files=[one_day]), master=MASTER, translator=NB)

    assert f"- Kortutskrift kort-05.csv: 1 kortlinje den 05.12.2026, til sammen 1{NBSP}234,50 kr." in text


def test_receipt_empty_statement():
    empty = FileSummary("tom.csv", "statement", 0, None, None, {})

    text = receipt(RunReport(files=[empty]), master=MASTER, translator=NB)

    assert "- Kortutskrift tom.csv: ingen kortlinjer." in text


@pytest.fixture
def decimals_error() -> InputError:
    return InputError("kort-november.csv", N_("amount {value} has more than two decimals"),
                      location=N_("line {row}, {column}"),
                      fix=N_("export the file with amounts rounded to whole cents"),
                      value=Decimal("12.345"), row=14, column="Beløp")


def test_failure_norwegian(decimals_error):
    text = failure(decimals_error, translator=NB)

    assert text == (
        "allocbot kunne ikke lese e-posten din:\n"
        "\n"
        "kort-november.csv, linje 14, Beløp: beløpet 12.345 har mer enn to desimaler"
        " (eksporter filen med beløp avrundet til hele øre)\n"
        "\n"
        "Ingenting fra e-posten er registrert. Rett opp dette og send alle vedleggene på nytt"
        " som svar på denne e-posten.\n"
        "\n"
        "– allocbot\n"
    )


def test_failure_english(decimals_error):
    text = failure(decimals_error, translator=EN)

    assert "kort-november.csv, line 14, Beløp: amount 12.345 has more than two decimals" in text
    assert "(export the file with amounts rounded to whole cents)" in text
    assert "Nothing from the mail was recorded." in text


def test_nothing_found_with_images():
    text = nothing_found(translator=NB, ignored=["image001.png"], refused=[("scan.pdf", 26 * 1024 * 1024)],
                         max_attachment_mb=25)

    assert text == (
        "allocbot fant ingen kortutskrift eller ordrerapport i e-posten din.\n"
        "\n"
        "- scan.pdf (26 MB) ble ikke lest fordi den er større enn grensen på 25 MB."
        " Send en mindre eksport av den, for eksempel som CSV.\n"
        "- Ikke lest (verken kortutskrift eller ordrerapport): image001.png.\n"
        "\n"
        "Legg ved ordrerapporten fra Amazon Business og kortutskriften som CSV, XLSX eller PDF,"
        " og send dem som svar på denne e-posten.\n"
        "\n"
        "– allocbot\n"
    )


def test_nothing_found_without_attachments():
    text = nothing_found(translator=EN, ignored=[], refused=[])

    assert text == (
        "allocbot found no attachments in your mail.\n"
        "\n"
        "Attach the order report from Amazon Business and the card statement as CSV, XLSX or PDF,"
        " and send them as a reply to this mail.\n"
        "\n"
        "– allocbot\n"
    )


@pytest.mark.parametrize(("original", "expected"), [
    ("Kortutskrift november", "Re: Kortutskrift november"),
    ("Re: Kortutskrift november", "Re: Kortutskrift november"),
    ("RE: Kortutskrift november", "RE: Kortutskrift november"),
    ("SV: Kortutskrift november", "SV: Kortutskrift november"),
    ("Fwd: Ordrerapport", "Re: Fwd: Ordrerapport"),
    ("VS: Ordrerapport", "Re: VS: Ordrerapport"),
    ("Reiseregning", "Re: Reiseregning"),
    ("Kort\r\n november", "Re: Kort november"),
    ("", "Re: (uten emne)"),
])
def test_subject_for(original, expected):
    assert subject_for(original, NB) == expected


def test_receipt_says_when_nothing_was_booked():
    report = RunReport(outcomes=[outcome(1, "100.00", "ask", "per@firma.no")])

    text = receipt(report, master=MASTER, translator=NB)

    assert "Ingen varer var sikre nok til å bokføres automatisk" in text
