"""Tests for the Amazon invoice PDF parser, on invoice PDFs written with fpdf2 (see invoice_pdfs)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from fpdf import FPDF

from bot.documents.amazon_invoice import is_amazon_invoice, parse_amazon_invoice
from bot.documents.invoice_fields import read_fields
from bot.documents.invoice_labels import ENGLISH as ENGLISH_LABELS
from bot.documents.invoice_labels import GERMAN as GERMAN_LABELS
from bot.documents.invoice_table import read_table
from bot.documents.invoice_values import Money, TextLine, parse_invoice_date, parse_money, parse_rate
from bot.documents.pdf_text import read_pdf_lines
from bot.errors import InputError
from bot.i18n import Translator
from invoice_pdfs import ENGLISH, GERMAN, SWEDISH, Invoice, Item, write_invoices

KEYBOARD = Item(("Logitech MX Keys S Tastatur, kabellos, beleuchtet,", "DE-Layout, Graphit"), "B0BKW3LB2B",
                "2", "92,44 €", "19%", "110,00 €", "220,00 €")
KEYBOARD_TITLE = "Logitech MX Keys S Tastatur, kabellos, beleuchtet, DE-Layout, Graphit"
CABLE = Item(("USB-C Kabel 2 m, 3er Pack",), "B08L5NP6NG", "1", "8,39 €", "19%", "9,98 €", "9,98 €")


def german_invoice(**changes) -> Invoice:
    """A standard-rate amazon.de invoice: 220,00 + 9,98 + 4,99 shipping = 234,97 €, of which 37,51 € VAT."""
    invoice = Invoice(
        GERMAN,
        "Rechnung",
        details=[
            ("Gesamtpreis", "234,97 €"),
            ("Bestelldatum", "08 Oktober 2025"),
            ("Bestellnummer", "302-1725553-0374723"),
            ("Zahlungsreferenznummer", "1Eqv7RLIZCZl2HZzgKrV"),
            ("Verkauft von", "Amazon EU S.à r.l., Niederlassung Deutschland"),
            ("Rechnungsdatum /Lieferdatum", "09 Oktober 2025"),
            ("Rechnungsnummer", "DE60GTQMP053RU"),
            ("Zahlbetrag", "234,97 €"),
        ],
        items=[KEYBOARD, CABLE],
        shipping=("Versandkosten", "", "4,19 €", "19%", "4,99 €", "4,99 €"),
        summary=[("19%", "197,46 €", "37,51 €")],
        summary_total=("USt. Gesamt", "197,46 €", "37,51 €"),
        totals=[("Gesamtpreis", "234,97 €")],
    )
    return replace(invoice, **changes)


def export_invoice() -> Invoice:
    """The amazon.de export invoice to a non-EU address, from a real invoice's text: 0 % VAT, three rows of one ASIN."""
    title = ("Philips Sonicare DiamondClean 9900 Prestige",
             "elektrische Zahnbürste, mit SenseIQ Technologie",
             "und App, 5 Putzmodi, 3 Intensitätsstufen,",
             "Reiseladeetui, schwarz, Modell HX9992/43")
    return Invoice(
        GERMAN,
        "Rechnung",
        notes=["Steuerfreie Ausfuhrlieferung", "Versendungsland: Spanien"],
        details=[
            ("Bestelldatum", "08 Oktober 2025"),
            ("Bestellnummer", "302-1725553-0374723"),
            ("Zahlungsreferenznummer", "1Eqv7RLIZCZl2HZzgKrV"),
            ("Verkauft von", "Amazon EU S.à r.l., Sucursal en España"),
            ("Rechnungsdatum /Lieferdatum", "09 Oktober 2025"),
            ("Rechnungsnummer", "ES51NKNMSAEUS"),
            ("Zahlbetrag", "891,66 €"),
        ],
        items=[
            Item(title, "B0F3D9YC75", "1", "176,46 €", "0%", "176,46 €", "176,46 €"),
            Item(title, "B0F3D9YC75", "1", "176,46 €", "0%", "176,46 €", "176,46 €"),
            Item(title, "B0F3D9YC75", "3", "176,46 €", "0%", "176,46 €", "529,38 €"),
        ],
        shipping=("Versandkosten", "", "9,36 €", "", "9,36 €", "9,36 €"),
        summary=[("0%", "891,66 €", "0,00 €")],
        totals=[("Gesamtpreis", "891,66 €")],
    )


def uk_invoice(**changes) -> Invoice:
    """An amazon.co.uk business invoice: £104.16 + 20 % VAT = £124.99, with free shipping."""
    invoice = Invoice(
        ENGLISH,
        "Invoice",
        details=[
            ("Order date", "28 March 2024"),
            ("Order #", "202-4445556-1112223"),
            ("PO #", "ORD816 (Leicester 7820)"),
            ("Payment Reference ID", "2sQbQkLmNpRsTuVwXyZ1"),
            ("Sold by", "MH STAR UK LTD"),
            ("VAT #", "GB103973325"),
            ("Invoice date / Delivery date", "1 April 2024"),
            ("Invoice #", "INV-GB-124542991-2024-256656"),
            ("Total payable", "£124.99"),
        ],
        items=[Item(("Anker Nano USB-C Charger 65W, GaN, foldable plug",), "B0BCJ1M4ZM",
                    "1", "£104.16", "20%", "£124.99", "£124.99")],
        shipping=("Shipping charges", "", "£0.00", "", "£0.00", "£0.00"),
        summary=[("20%", "£104.16", "£20.83")],
        summary_total=("Total", "£104.16", "£20.83"),
        totals=[("Invoice total", "£124.99")],
    )
    return replace(invoice, **changes)


def describe(raised: pytest.ExceptionInfo[InputError]) -> str:
    return raised.value.describe()


def line_number(path: Path, start: str, page: int = 1) -> int:
    """Return the number, on the page, of the first text line that starts with ``start``."""
    lines = read_pdf_lines(path)[page - 1]
    return next(number for number, text in enumerate(lines, start=1) if text.startswith(start))


@pytest.mark.parametrize("amounts_on", ["first", "asin", "below"])
def test_german_invoice_items(tmp_path, amounts_on):
    path = write_invoices(tmp_path / "rechnung.pdf", [german_invoice()], amounts_on=amounts_on)

    keyboard, cable = parse_amazon_invoice(path)

    assert keyboard.source == "rechnung.pdf"
    assert keyboard.title == KEYBOARD_TITLE
    assert (keyboard.asin, keyboard.quantity, keyboard.unit_price) == ("B0BKW3LB2B", 2, Decimal("110.00"))
    assert (cable.title, cable.asin, cable.quantity) == ("USB-C Kabel 2 m, 3er Pack", "B08L5NP6NG", 1)
    for item in (keyboard, cable):
        assert item.order_id == "302-1725553-0374723"
        assert item.order_date == date(2025, 10, 8)
        assert item.payment_reference == "1Eqv7RLIZCZl2HZzgKrV"
        assert item.payment_date == date(2025, 10, 9)
        assert item.shipment_date == date(2025, 10, 9)
        assert item.invoice_number == "DE60GTQMP053RU"
        assert item.seller == "Amazon EU S.à r.l., Niederlassung Deutschland"
        assert item.currency == "EUR"
        assert item.vat_rate == Decimal(19)
        assert item.refund_amount is None
        assert item.subtotal + item.item_tax == item.net_total
    assert keyboard.line < cable.line


def test_vat_summary_above_details(tmp_path):
    invoice = german_invoice(summary_first=True)

    items = parse_amazon_invoice(write_invoices(tmp_path / "rechnung.pdf", [invoice]))

    assert [item.asin for item in items] == ["B0BKW3LB2B", "B08L5NP6NG"]
    assert sum(item.item_tax for item in items) == Decimal("37.51")


def test_shipping_spread_over_items(tmp_path):
    keyboard, cable = parse_amazon_invoice(write_invoices(tmp_path / "rechnung.pdf", [german_invoice()]))

    # 4,99 € shipping in proportion to 220,00 and 9,98.
    assert (keyboard.shipping, cable.shipping) == (Decimal("4.77"), Decimal("0.22"))
    assert (keyboard.net_total, cable.net_total) == (Decimal("224.77"), Decimal("10.20"))
    assert keyboard.net_total + cable.net_total == Decimal("234.97")


def test_item_tax_adds_up_to_vat_summary(tmp_path):
    items = parse_amazon_invoice(write_invoices(tmp_path / "rechnung.pdf", [german_invoice()]))

    assert sum(item.item_tax for item in items) == Decimal("37.51")
    assert sum(item.subtotal for item in items) == Decimal("197.46")


def test_invoice_without_vat_summary(tmp_path):
    invoice = german_invoice(summary=[], summary_total=None, totals=[])

    keyboard, cable = parse_amazon_invoice(write_invoices(tmp_path / "rechnung.pdf", [invoice]))

    # VAT is the subtotal minus quantity times the unit price excl. VAT, plus the shipping's share.
    assert cable.item_tax == Decimal("9.98") - Decimal("8.39") + Decimal("0.03")
    net_prices = Decimal("184.88") + Decimal("8.39") + Decimal("4.19")
    assert keyboard.item_tax + cable.item_tax == Decimal("234.97") - net_prices


@pytest.mark.parametrize("glued", [False, True])
def test_export_invoice_zero_rate(tmp_path, glued):
    path = write_invoices(tmp_path / "rechnung.pdf", [export_invoice()], glued=glued)

    items = parse_amazon_invoice(path)

    assert [item.quantity for item in items] == [1, 1, 3]
    assert [item.vat_rate for item in items] == [Decimal(0)] * 3
    assert [item.item_tax for item in items] == [Decimal(0)] * 3
    assert [item.unit_price for item in items] == [Decimal("176.46")] * 3
    assert sum(item.net_total for item in items) == Decimal("891.66")
    assert sum(item.shipping for item in items) == Decimal("9.36")
    assert items[0].title == ("Philips Sonicare DiamondClean 9900 Prestige elektrische Zahnbürste, mit SenseIQ "
                              "Technologie und App, 5 Putzmodi, 3 Intensitätsstufen, Reiseladeetui, schwarz, "
                              "Modell HX9992/43")
    assert items[0].seller == "Amazon EU S.à r.l., Sucursal en España"


def test_glued_quantity_after_number_in_title(tmp_path):
    ties = Item(("Kabelbinder schwarz 200 mm, Pack 100",), "B07QXV6N1L", "1", "5,03 €", "19%", "5,99 €", "5,99 €")
    invoice = german_invoice(
        details=[("Bestellnummer", "302-1725553-0374723"), ("Zahlungsreferenznummer", "1Eqv7RLIZCZl2HZzgKrV"),
                 ("Rechnungsdatum /Lieferdatum", "09.10.2025"), ("Zahlbetrag", "5,99 €")],
        items=[ties], shipping=None, summary=[("19%", "5,03 €", "0,96 €")], summary_total=None, totals=[],
    )

    [item] = parse_amazon_invoice(write_invoices(tmp_path / "rechnung.pdf", [invoice], glued=True))

    assert item.title == "Kabelbinder schwarz 200 mm, Pack 100"
    assert item.quantity == 1
    assert item.order_date == date(2025, 10, 9)  # the invoice date, since no order date is printed


def test_uk_invoice(tmp_path):
    [charger] = parse_amazon_invoice(write_invoices(tmp_path / "invoice.pdf", [uk_invoice()]))

    assert charger.currency == "GBP"
    assert charger.order_id == "202-4445556-1112223"
    assert charger.order_date == date(2024, 3, 28)
    assert charger.payment_date == date(2024, 4, 1)
    assert charger.payment_reference == "2sQbQkLmNpRsTuVwXyZ1"
    assert charger.invoice_number == "INV-GB-124542991-2024-256656"
    assert charger.po_number == "ORD816 (Leicester 7820)"
    assert charger.seller == "MH STAR UK LTD"
    assert (charger.net_total, charger.item_tax, charger.subtotal) == (
        Decimal("124.99"), Decimal("20.83"), Decimal("104.16"))
    assert charger.vat_rate == Decimal(20)
    assert charger.shipping == Decimal("0.00")


def test_two_invoices_in_one_pdf(tmp_path):
    second_details = [
        ("Bestelldatum", "08 Oktober 2025"),
        ("Bestellnummer", "302-1725553-0374723"),
        ("Zahlungsreferenznummer", "1Eqv7RLIZCZl2HZzgKrV"),
        ("Verkauft von", "Kabelwelt GmbH"),
        ("Rechnungsdatum /Lieferdatum", "10 Oktober 2025"),
        ("Rechnungsnummer", "DE61KWXYZ0042"),
        ("Zahlbetrag", "9,98 €"),
    ]
    first = german_invoice(items=[KEYBOARD], shipping=None, summary=[("19%", "184,88 €", "35,12 €")],
                           summary_total=None, totals=[("Gesamtpreis", "220,00 €")],
                           details=[(label, "220,00 €" if label in ("Zahlbetrag", "Gesamtpreis") else value)
                                    for label, value in german_invoice().details])
    second = german_invoice(items=[CABLE], shipping=None, summary=[("19%", "8,39 €", "1,59 €")],
                            summary_total=None, totals=[], details=second_details)

    keyboard, cable = parse_amazon_invoice(write_invoices(tmp_path / "rechnungen.pdf", [first, second]))

    assert keyboard.invoice_number == "DE60GTQMP053RU"
    assert keyboard.seller == "Amazon EU S.à r.l., Niederlassung Deutschland"
    assert (cable.invoice_number, cable.seller) == ("DE61KWXYZ0042", "Kabelwelt GmbH")
    assert cable.payment_date == date(2025, 10, 10)
    assert keyboard.payment_reference == cable.payment_reference
    assert (keyboard.net_total, cable.net_total) == (Decimal("220.00"), Decimal("9.98"))


def test_two_invoices_without_page_numbers(tmp_path):
    first = german_invoice(page_numbers=False)
    second = german_invoice(page_numbers=False,
                            details=[(label, "DE61KWXYZ0042" if label == "Rechnungsnummer" else value)
                                     for label, value in german_invoice().details])

    items = parse_amazon_invoice(write_invoices(tmp_path / "rechnungen.pdf", [first, second]))

    assert [item.invoice_number for item in items] == ["DE60GTQMP053RU"] * 2 + ["DE61KWXYZ0042"] * 2


@pytest.mark.parametrize("repeat_header", [True, False])
def test_invoice_over_two_pages(tmp_path, repeat_header):
    ties = Item(("Kabelbinder schwarz 200 mm,", "Pack 100"), "B07QXV6N1L", "1", "5,03 €", "19%", "5,99 €", "5,99 €")
    invoice = german_invoice(
        items=[KEYBOARD, CABLE, ties], page_breaks=(2,), repeat_header=repeat_header,
        details=[(label, "240,96 €" if label in ("Zahlbetrag", "Gesamtpreis") else value)
                 for label, value in german_invoice().details],
        summary=[("19%", "202,49 €", "38,47 €")], summary_total=("USt. Gesamt", "202,49 €", "38,47 €"),
        totals=[("Gesamtpreis", "240,96 €")],
    )
    path = write_invoices(tmp_path / "rechnung.pdf", [invoice])

    items = parse_amazon_invoice(path)

    assert len(read_pdf_lines(path)) == 2
    titles = [KEYBOARD_TITLE, "USB-C Kabel 2 m, 3er Pack", "Kabelbinder schwarz 200 mm, Pack 100"]
    assert [item.title for item in items] == titles
    assert sum(item.net_total for item in items) == Decimal("240.96")
    assert sum(item.item_tax for item in items) == Decimal("38.47")


def test_missing_page_rejected(tmp_path):
    path = write_invoices(tmp_path / "rechnung.pdf", [german_invoice(announced_pages=2)])

    with pytest.raises(InputError) as raised:
        parse_amazon_invoice(path)

    text = describe(raised)
    assert "rechnung.pdf, page 1, line 1" in text
    assert "1 of its 2 pages" in text


def test_page_without_its_first_page_rejected(tmp_path):
    path = write_invoices(tmp_path / "rechnung.pdf", [german_invoice(first_page=2, announced_pages=2)])

    with pytest.raises(InputError) as raised:
        parse_amazon_invoice(path)

    text = describe(raised)
    assert f"page 1, line {line_number(path, 'Seite 2 von 2')}" in text
    assert "page number 2 of 2 does not follow" in text


@pytest.mark.parametrize("printed_sign", ["-", ""])
def test_credit_note(tmp_path, printed_sign):
    def amount(text: str) -> str:
        return printed_sign + text

    credit_note = german_invoice(
        title="Gutschrift",
        details=[("Bestelldatum", "08 Oktober 2025"), ("Bestellnummer", "302-1725553-0374723"),
                 ("Zahlungsreferenznummer", "3lOvS0TSid0aZgi3lA6S"), ("Gutschriftsdatum", "20 Oktober 2025"),
                 ("Gutschriftsnummer", "DE5RXT8YQ2CN"), ("Zahlbetrag", amount("9,98 €"))],
        items=[replace(CABLE, unit_net=amount("8,39 €"), unit_gross=amount("9,98 €"), subtotal=amount("9,98 €"))],
        shipping=None, summary=[("19%", amount("8,39 €"), amount("1,59 €"))], summary_total=None, totals=[],
    )

    [cable] = parse_amazon_invoice(write_invoices(tmp_path / "gutschrift.pdf", [credit_note]))

    assert cable.quantity == 1
    assert cable.net_total == Decimal("-9.98")
    assert cable.unit_price == Decimal("-9.98")
    assert cable.item_tax == Decimal("-1.59")
    assert cable.subtotal == Decimal("-8.39")
    assert cable.refund_amount == Decimal("9.98")
    assert cable.refund_date == date(2025, 10, 20)
    assert cable.invoice_number == "DE5RXT8YQ2CN"


def test_total_mismatch_names_both_amounts(tmp_path):
    details = [(label, "244,97 €" if label == "Zahlbetrag" else value) for label, value in german_invoice().details]
    path = write_invoices(tmp_path / "rechnung.pdf", [german_invoice(details=details)])

    with pytest.raises(InputError) as raised:
        parse_amazon_invoice(path)

    text = describe(raised)
    assert f"rechnung.pdf, page 1, line {line_number(path, 'Zahlbetrag')}" in text
    assert "'Zahlbetrag' is 244,97 EUR but the items and shipping add up to 234,97 EUR" in text
    assert "a difference of 10,00 EUR" in text


def test_missing_payment_reference(tmp_path):
    details = [(label, value) for label, value in german_invoice().details if label != "Zahlungsreferenznummer"]
    path = write_invoices(tmp_path / "rechnung.pdf", [german_invoice(details=details)])

    with pytest.raises(InputError) as raised:
        parse_amazon_invoice(path)

    text = describe(raised)
    assert "rechnung.pdf, page 1, line 1" in text
    assert "no payment reference ('Zahlungsreferenznummer')" in text


def test_missing_order_number_in_second_invoice(tmp_path):
    details = [(label, value) for label, value in german_invoice().details if label != "Bestellnummer"]
    path = write_invoices(tmp_path / "rechnungen.pdf", [german_invoice(), german_invoice(details=details)])

    with pytest.raises(InputError) as raised:
        parse_amazon_invoice(path)

    text = describe(raised)
    assert "rechnungen.pdf, page 2, line 1" in text
    assert "no order number ('Bestellnummer')" in text


def test_missing_total(tmp_path):
    details = [(label, value) for label, value in german_invoice().details
               if label not in ("Zahlbetrag", "Gesamtpreis")]
    path = write_invoices(tmp_path / "rechnung.pdf", [german_invoice(details=details, totals=[])])

    with pytest.raises(InputError) as raised:
        parse_amazon_invoice(path)

    assert "rechnung.pdf, page 1, line 1: the invoice prints no total ('Zahlbetrag')" in describe(raised)


def test_conflicting_order_numbers_in_one_invoice(tmp_path):
    details = german_invoice().details + [("Bestellnummer", "302-9999999-0374723")]
    path = write_invoices(tmp_path / "rechnung.pdf", [german_invoice(details=details)])

    with pytest.raises(InputError) as raised:
        parse_amazon_invoice(path)

    first_line = line_number(path, "Bestellnummer")
    assert f"'Bestellnummer' is '302-9999999-0374723' here but '302-1725553-0374723' on page 1, line {first_line}" in (
        describe(raised))


def test_invalid_order_number_names_label_and_value(tmp_path):
    details = [(label, "302-17255-0374" if label == "Bestellnummer" else value)
               for label, value in german_invoice().details]
    path = write_invoices(tmp_path / "rechnung.pdf", [german_invoice(details=details)])

    with pytest.raises(InputError) as raised:
        parse_amazon_invoice(path)

    text = describe(raised)
    assert f"page 1, line {line_number(path, 'Bestellnummer')}" in text
    assert "'Bestellnummer' has the value '302-17255-0374'" in text


def test_invalid_date_names_label_and_value(tmp_path):
    details = [(label, "31 Brumaire 2025" if label == "Bestelldatum" else value)
               for label, value in german_invoice().details]
    path = write_invoices(tmp_path / "rechnung.pdf", [german_invoice(details=details)])

    with pytest.raises(InputError) as raised:
        parse_amazon_invoice(path)

    assert "'Bestelldatum' has the value '31 Brumaire 2025', which is not a date" in describe(raised)


def test_vat_summary_mismatch(tmp_path):
    invoice = german_invoice(summary=[("19%", "190,00 €", "37,51 €")], summary_total=None)
    path = write_invoices(tmp_path / "rechnung.pdf", [invoice])

    with pytest.raises(InputError) as raised:
        parse_amazon_invoice(path)

    text = describe(raised)
    assert f"page 1, line {line_number(path, '19%')}" in text
    assert "states 190,00 excl. VAT and 37,51 VAT, but the rows at 19 % add up to 197,46 excl. VAT" in text


def test_vat_summary_total_mismatch(tmp_path):
    path = write_invoices(tmp_path / "rechnung.pdf",
                          [german_invoice(summary_total=("USt. Gesamt", "197,46 €", "37,15 €"))])

    with pytest.raises(InputError) as raised:
        parse_amazon_invoice(path)

    assert "'USt. Gesamt' states 197,46 excl. VAT and 37,15 VAT" in describe(raised)


def test_unreadable_item_row(tmp_path):
    invoice = german_invoice(items=[KEYBOARD, replace(CABLE, rate="")])
    path = write_invoices(tmp_path / "rechnung.pdf", [invoice])

    with pytest.raises(InputError) as raised:
        parse_amazon_invoice(path)

    text = describe(raised)
    assert f"page 1, line {line_number(path, 'USB-C Kabel')}" in text
    assert "cannot read item row 'USB-C Kabel 2 m, 3er Pack | 1 | 8,39 € | 9,98 € | 9,98 €'" in text


def test_quantity_not_matching_subtotal(tmp_path):
    invoice = german_invoice(items=[KEYBOARD, replace(CABLE, quantity="3")])

    with pytest.raises(InputError) as raised:
        parse_amazon_invoice(write_invoices(tmp_path / "rechnung.pdf", [invoice]))

    assert "quantity 3 times the unit price 9,98 is not the subtotal 9,98" in describe(raised)


def test_item_without_amounts(tmp_path):
    invoice = german_invoice(items=[KEYBOARD, replace(CABLE, quantity="", unit_net="", rate="", unit_gross="",
                                                      subtotal="")])

    with pytest.raises(InputError) as raised:
        parse_amazon_invoice(write_invoices(tmp_path / "rechnung.pdf", [invoice]))

    assert "item 'USB-C Kabel 2 m, 3er Pack' (ASIN B08L5NP6NG) has no amounts" in describe(raised)


def test_mixed_currencies_rejected(tmp_path):
    invoice = uk_invoice(totals=[("Invoice total", "124,99 €")])

    with pytest.raises(InputError) as raised:
        parse_amazon_invoice(write_invoices(tmp_path / "invoice.pdf", [invoice]))

    assert "the invoice mixes currencies: GBP and EUR" in describe(raised)


def test_error_translated_to_norwegian(tmp_path):
    details = [(label, "244,97 €" if label == "Zahlbetrag" else value) for label, value in german_invoice().details]
    path = write_invoices(tmp_path / "rechnung.pdf", [german_invoice(details=details)])

    with pytest.raises(InputError) as raised:
        parse_amazon_invoice(path)

    text = raised.value.describe(Translator("nb"))
    assert "side 1, linje" in text
    assert "«Zahlbetrag» er 244,97 EUR, men varene og frakten summerer til 234,97 EUR" in text


def test_swedish_layout_from_labels_alone(tmp_path):
    invoice = Invoice(
        SWEDISH,
        "Faktura",
        details=[("Orderdatum", "3 mars 2026"), ("Ordernummer", "403-6249903-6239533"),
                 ("Betalningsreferensnummer", "4kPq9TzW2mXbY7cR1sLd"), ("Fakturadatum", "5 mars 2026"),
                 ("Fakturanummer", "SE4ABCD1234EF"), ("Att betala", "249,00 kr")],
        items=[Item(("Kontorsstol, svart",), "B0C1X2Y3Z4", "1", "199,20 kr", "25%", "249,00 kr", "249,00 kr")],
        summary=[("25%", "199,20 kr", "49,80 kr")],
    )

    [chair] = parse_amazon_invoice(write_invoices(tmp_path / "faktura.pdf", [invoice]))

    assert (chair.currency, chair.net_total, chair.vat_rate) == ("SEK", Decimal("249.00"), Decimal(25))
    assert chair.order_date == date(2026, 3, 3)


def test_statement_pdf_is_not_an_invoice(tmp_path):
    path = tmp_path / "kort.pdf"
    pdf = FPDF(format="A4")
    pdf.set_font("Helvetica", size=9)
    pdf.add_page()
    for text in ("Kontoutskrift bedriftskort", "05.11.2026  AMAZON EU, Luxembourg  62,97 EUR  746,34",
                 "Sum kjøp i perioden 746,34"):
        pdf.cell(w=0, h=6, text=text, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))

    with pytest.raises(InputError) as raised:
        parse_amazon_invoice(path)

    assert "the PDF is not an Amazon invoice" in describe(raised)


@pytest.mark.parametrize("invoice", [german_invoice(), uk_invoice(), german_invoice(title="Gutschrift")],
                         ids=["german", "english", "credit note"])
def test_is_amazon_invoice_on_first_page(tmp_path, invoice):
    path = write_invoices(tmp_path / "invoice.pdf", [invoice])

    assert is_amazon_invoice("\n".join(read_pdf_lines(path, max_pages=1)[0]))


@pytest.mark.parametrize("text", [
    "Kontoutskrift bedriftskort\nDato\tBeløpet gjelder\tValuta\tKurs\tBeløp\n"
    "05.11.2026\tAMAZON EU, Luxembourg\t62,97 EUR\t11,8523\t746,34\n"
    "Skyldig beløp fra forrige faktura\t5 000,00\nSum kjøp i perioden\t746,34",
    "Faktura\nAMAZON EU 302-1725553-0374723\nÅ betale 746,34",
    "Amazon.de Bestellung\nBestellnr. 302-2405627-1109121\nBestelldatum: 29. November 2025",
    "Rechnung\nBestellnummer 302-1725553-0374723\nMuster GmbH, Rechnungsbetrag 17,58 €",
    "",
], ids=["card statement", "no order label", "order confirmation", "not from amazon", "empty"])
def test_is_amazon_invoice_rejects(text):
    assert not is_amazon_invoice(text)


def text_lines(*texts: str) -> list[TextLine]:
    return [TextLine("rechnung.pdf", 1, number, number, text) for number, text in enumerate(texts, start=1)]


def test_fields_wrapped_and_glued_as_in_real_text():
    lines = text_lines(
        "Rechnungsdatum",
        "/Lieferdatum09 Oktober 2025",
        "Bestellnummer",
        "302-1725553-0374723",
        "Verkauft von",
        "Amazon EU S.à r.l., Sucursal en España",
        "Zahlbetrag891,66 €",
    )

    fields = read_fields(lines, GERMAN_LABELS)

    assert fields.date("invoice_date") == date(2025, 10, 9)
    assert fields.text("order_id") == "302-1725553-0374723"
    assert fields.first("order_id").line.number == 4
    assert fields.value("amount_payable") == Money(Decimal("891.66"), "EUR")
    assert fields.text("seller") is None  # a heading alone; its value is an address block


def test_table_rows_as_in_real_text():
    lines = text_lines(
        "Beschreibung\tMenge\tStückpreis\tUSt. %\tStückpreis\tZwischensumme",
        "(ohne USt.)\t(inkl. USt.)\t(inkl. USt.)",
        "Philips Sonicare DiamondClean 9900 Prestige elektrische Zahnbürste, mit",
        "SenseIQ Technologie und App, 5 Putzmodi, 3 Intensitätsstufen,",
        "ASIN: B0F3D9YC75",
        "3176,46 €\t0%\t176,46 €529,38 €",
        "Versandkosten9,36 €9,36 €9,36 €",
        "Steuerfreie Ausfuhrlieferung",
    )

    table = read_table(lines, GERMAN_LABELS)

    toothbrush, shipping = table.rows
    assert toothbrush.title == ("Philips Sonicare DiamondClean 9900 Prestige elektrische Zahnbürste, mit "
                                "SenseIQ Technologie und App, 5 Putzmodi, 3 Intensitätsstufen,")
    assert (toothbrush.asin, toothbrush.quantity, toothbrush.unit_net) == ("B0F3D9YC75", 3, Decimal("176.46"))
    assert (toothbrush.rate, toothbrush.gross) == (Decimal(0), Decimal("529.38"))
    assert toothbrush.line.number == 3
    assert shipping.is_shipping
    assert (shipping.rate, shipping.gross) == (None, Decimal("9.36"))


@pytest.mark.parametrize("text, expected", [
    ("891,66 €", Money(Decimal("891.66"), "EUR")),
    ("1.234,56 €", Money(Decimal("1234.56"), "EUR")),
    ("£124.99", Money(Decimal("124.99"), "GBP")),
    ("£1,234.56", Money(Decimal("1234.56"), "GBP")),
    ("-9,36 €", Money(Decimal("-9.36"), "EUR")),
    ("€ -9,36", Money(Decimal("-9.36"), "EUR")),
    ("EUR 12,50", Money(Decimal("12.50"), "EUR")),
    ("17,58", Money(Decimal("17.58"), None)),
])
def test_parse_money(text, expected):
    assert parse_money(text) == expected


@pytest.mark.parametrize("text", ["891 €", "1.234 €", "12,5 €", "€", "abc", "1,234,56 €"])
def test_parse_money_rejects(text):
    assert parse_money(text) is None


def test_parse_money_krona_needs_language():
    assert parse_money("249,00 kr", "SEK") == Money(Decimal("249.00"), "SEK")
    assert parse_money("249,00 kr") == Money(Decimal("249.00"), None)


@pytest.mark.parametrize("text, expected", [("19%", Decimal(19)), ("0 %", Decimal(0)), ("5,5%", Decimal("5.5"))])
def test_parse_rate(text, expected):
    assert parse_rate(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("08 Oktober 2025", date(2025, 10, 8)),
    ("1 März 2024", date(2024, 3, 1)),
    ("29. November 2025", date(2025, 11, 29)),
    ("02.05.2026", date(2026, 5, 2)),
    ("2025-10-08", date(2025, 10, 8)),
])
def test_parse_invoice_date_german(text, expected):
    assert parse_invoice_date(text, GERMAN_LABELS.months) == expected


@pytest.mark.parametrize("text, expected", [
    ("01 April 2024", date(2024, 4, 1)),
    ("1 April 2024", date(2024, 4, 1)),
    ("28 Mar 2024", date(2024, 3, 28)),
    ("April 3, 2025", date(2025, 4, 3)),
    ("March 5 2024", date(2024, 3, 5)),
])
def test_parse_invoice_date_english(text, expected):
    assert parse_invoice_date(text, ENGLISH_LABELS.months) == expected


@pytest.mark.parametrize("text", ["31 Februar 2025", "08 October 2025", "Oktober 2025", "8/10/2025"])
def test_parse_invoice_date_rejects(text):
    assert parse_invoice_date(text, GERMAN_LABELS.months) is None
