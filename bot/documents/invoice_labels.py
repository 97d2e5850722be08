"""The printed labels of Amazon invoice PDFs, one table per language.

The parser in `amazon_invoice` reads every language through these tables,
so a new marketplace language is a new `InvoiceLabels` entry, not new code.
Labels are matched case-insensitively at the start of a table cell, and a
space in a label also matches no space or several (``Rechnungsdatum
/Lieferdatum`` wraps in real invoices). Within one field, list the longer
label first, because the first label that matches wins.

Sources: the German labels marked as seen come from the extracted text of a
real amazon.de invoice (2025). The English ones marked so come from
amazon.co.uk invoices quoted in third-party parser tests. Every other label
is a guess that a real invoice must confirm before it is relied on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Field names of `InvoiceLabels.fields`.
ORDER_ID = "order_id"
ORDER_DATE = "order_date"
PAYMENT_REFERENCE = "payment_reference"
INVOICE_DATE = "invoice_date"
INVOICE_NUMBER = "invoice_number"
SELLER = "seller"
PO_NUMBER = "po_number"
AMOUNT_PAYABLE = "amount_payable"
INVOICE_TOTAL = "invoice_total"
TOTAL_FIELDS = (AMOUNT_PAYABLE, INVOICE_TOTAL)


@dataclass(frozen=True, eq=False)
class InvoiceLabels:
    """The texts that one language's Amazon invoice layout prints.

    Instances compare and hash by identity, so compiled patterns can be cached per language.
    """

    language: str
    # The document title in the top left corner.
    invoice_titles: tuple[str, ...]
    credit_note_titles: tuple[str, ...]
    # Field name (the constants above) to its labels, longer labels first.
    fields: dict[str, tuple[str, ...]]
    # The first column of the line table, and its quantity column.
    description_header: str
    quantity_headers: tuple[str, ...]
    # Second lines of wrapped column headers, such as "(ohne USt.)".
    header_fragments: tuple[str, ...]
    # The first cell of the shipping row of the line table.
    shipping: tuple[str, ...]
    # Texts that all appear in the header line of the VAT summary table.
    summary_header: tuple[str, ...]
    # The first cell of the VAT summary's total row.
    summary_total: tuple[str, ...]
    # "Seite 1 von 2": groups ``number`` and ``count``.
    page_marker: re.Pattern[str]
    # Lower-case month names and abbreviations to month numbers.
    months: dict[str, int]
    # The currency of amounts written with "kr", where the language uses it.
    krona_currency: str | None = None
    label_patterns: dict[str, re.Pattern[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        patterns = {name: label_pattern(labels) for name, labels in self.fields.items()}
        object.__setattr__(self, "label_patterns", patterns)


def label_pattern(labels: tuple[str, ...]) -> re.Pattern[str]:
    """Compile labels into a pattern that matches one of them at the start of a cell, in group ``label``."""
    alternatives = "|".join(r"\s*".join(re.escape(word) for word in label.split()) for label in labels)
    return re.compile(rf"(?:^|(?<=\t))[ ]*(?P<label>{alternatives})(?![^\W\d_])", re.IGNORECASE)


GERMAN = InvoiceLabels(
    language="de",
    invoice_titles=("Rechnung",),  # seen
    credit_note_titles=("Gutschrift", "Rechnungskorrektur"),  # guessed
    fields={
        ORDER_ID: ("Bestellnummer", "Bestellnr."),  # seen; "Bestellnr." seen on order documents
        ORDER_DATE: ("Bestelldatum",),  # seen
        PAYMENT_REFERENCE: ("Zahlungsreferenznummer",),  # seen
        # seen wrapped as "Rechnungsdatum" over "/Lieferdatum 09 Oktober 2025"
        INVOICE_DATE: ("Rechnungsdatum /Lieferdatum", "/Lieferdatum", "Rechnungsdatum", "Lieferdatum",
                       "Gutschriftsdatum"),
        INVOICE_NUMBER: ("Rechnungsnummer", "Gutschriftsnummer", "Gutschriftnummer"),  # the first seen
        SELLER: ("Verkauft von",),  # seen
        PO_NUMBER: ("PO-Nummer", "PO Nummer"),  # guessed
        AMOUNT_PAYABLE: ("Zahlbetrag", "Gutschriftsbetrag"),  # the first seen
        INVOICE_TOTAL: ("Gesamtpreis",),  # seen
    },
    description_header="Beschreibung",  # seen, as the other table headers
    quantity_headers=("Menge",),
    header_fragments=("(ohne USt.)", "(inkl. USt.)"),
    shipping=("Versandkosten",),  # seen
    summary_header=("USt. %", "Zwischensumme"),  # seen
    summary_total=("USt. Gesamt",),  # seen
    page_marker=re.compile(r"\bSeite\s+(?P<number>\d+)\s+von\s+(?P<count>\d+)\b"),  # seen
    months={
        "januar": 1, "jan": 1, "jänner": 1, "februar": 2, "feb": 2, "märz": 3, "maerz": 3, "mär": 3,
        "april": 4, "apr": 4, "mai": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "august": 8, "aug": 8,
        "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "november": 11, "nov": 11,
        "dezember": 12, "dez": 12,
    },
)

ENGLISH = InvoiceLabels(
    language="en",
    invoice_titles=("Invoice",),  # seen
    credit_note_titles=("Credit note", "Credit Note"),  # guessed
    fields={
        ORDER_ID: ("Order number", "Order ID", "Order #"),  # guessed from the report's "Order ID"
        ORDER_DATE: ("Order date",),  # guessed
        PAYMENT_REFERENCE: ("Payment Reference ID", "Payment reference number"),  # guessed from the report
        INVOICE_DATE: ("Invoice date / Delivery date", "/ Delivery date", "Invoice date", "Delivery date",
                       "Credit note date"),  # the first seen
        INVOICE_NUMBER: ("Invoice number", "Invoice #", "Credit note number", "Credit note #"),  # "Invoice #" seen
        SELLER: ("Sold by",),  # seen
        PO_NUMBER: ("PO number", "PO #"),  # "PO #" seen on Amazon Business UK
        AMOUNT_PAYABLE: ("Total payable", "Total refunded"),  # the first seen
        INVOICE_TOTAL: ("Invoice total",),  # seen
    },
    description_header="Description",  # guessed
    quantity_headers=("Qty", "Quantity"),  # guessed
    header_fragments=("(excl. VAT)", "(incl. VAT)"),  # seen in "Unit price (excl. VAT)"
    shipping=("Shipping charges", "Shipping", "Postage & Packing"),  # guessed
    summary_header=("VAT rate", "VAT subtotal"),  # seen
    summary_total=("Total",),  # guessed
    page_marker=re.compile(r"\bPage\s+(?P<number>\d+)\s+of\s+(?P<count>\d+)\b"),  # guessed
    months={
        "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
        "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
        "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
    },
)

# NOTE: no amazon.se invoice has been seen; every Swedish label is a guess.
SWEDISH = InvoiceLabels(
    language="sv",
    invoice_titles=("Faktura",),
    credit_note_titles=("Kreditnota", "Kreditfaktura"),
    fields={
        ORDER_ID: ("Ordernummer",),
        ORDER_DATE: ("Orderdatum", "Beställningsdatum"),
        PAYMENT_REFERENCE: ("Betalningsreferensnummer", "Betalningsreferens"),
        INVOICE_DATE: ("Fakturadatum / Leveransdatum", "/ Leveransdatum", "Fakturadatum", "Leveransdatum"),
        INVOICE_NUMBER: ("Fakturanummer",),
        SELLER: ("Säljs av", "Såld av"),
        PO_NUMBER: ("Inköpsordernummer",),
        AMOUNT_PAYABLE: ("Att betala",),
        INVOICE_TOTAL: ("Totalt pris", "Fakturabelopp"),
    },
    description_header="Beskrivning",
    quantity_headers=("Antal",),
    header_fragments=("(exkl. moms)", "(inkl. moms)"),
    shipping=("Fraktkostnad", "Frakt"),
    summary_header=("Moms %", "Delsumma"),
    summary_total=("Moms totalt",),
    page_marker=re.compile(r"\bSida\s+(?P<number>\d+)\s+av\s+(?P<count>\d+)\b"),
    months={
        "januari": 1, "jan": 1, "februari": 2, "feb": 2, "mars": 3, "mar": 3, "april": 4, "apr": 4,
        "maj": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "augusti": 8, "aug": 8, "september": 9,
        "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
    },
    krona_currency="SEK",
)

LANGUAGES = (GERMAN, ENGLISH, SWEDISH)
