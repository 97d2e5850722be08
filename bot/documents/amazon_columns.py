"""Column names of Amazon Business order reports, by marketplace language.

The parser reads columns by their amazon.com English name, which is the
canonical name. This table lists the other names a column has been seen
under, so that a report is read by its header and never by position.

Evidence behind the names, per source:

- amazon.com English: a complete real header of the "Orders and shipments"
  report (2019) and Amazon's "Amazon Business Analytics Glossary", which also
  names the refund columns and spells ``Account User E-mail``. Neither
  names an invoice number or refund date column, so ``Invoice Number`` and
  ``Refund Date`` are guesses.
- EU English, which amazon.de and the other EU stores export when the
  account's language is English: a third-party importer of amazon.de reports
  (Jens252/brickmerge_import, ``amazon_orders.py``) reads ``Payment reference
  ID``, ``Item VAT`` and ``Item Subtotal VAT Rate`` with decimal commas and
  DD/MM/YYYY dates. amazon.co.uk is assumed to use the same VAT wording; no
  amazon.co.uk report was available.
- German (amazon.de): the names marked "seen" come from a real file
  (``bestellungen_von_der_20241101_zu_20241130_….csv``, read by a public
  script). The others come from one third-party DE/EN/CZ mapping table whose
  author guessed part of it, so each is marked "guessed".
- Swedish (amazon.se): no evidence was found, so there are no Swedish names.
  A report exported in Swedish fails with a missing-column error that names
  the English columns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from bot.documents.table import Table, normalize_header

Language = Literal["en", "de"]

# Columns the parser reads, by canonical name: other English spellings and
# German names. All names are matched after `normalize_header`.
ENGLISH_SYNONYMS: dict[str, tuple[str, ...]] = {
    "Payment Reference ID": ("Charge Identifier",),
    "Account User Email": ("Account User E-mail",),
    "Item Tax": ("Item VAT",),
    # NOTE: "Order VAT" is guessed from "Item VAT"; no EU report showed it.
    "Order Tax": ("Order VAT",),
    # NOTE: the glossary has no refund date column; both names are guesses.
    "Refund Date": ("Refund Payment Date",),
}

GERMAN_NAMES: dict[str, tuple[str, ...]] = {
    "Order Date": ("Bestelldatum",),  # seen
    "Order ID": ("Bestellnummer",),  # seen
    "PO Number": ("PO Nummer",),  # guessed
    # Bestellmenge (seen) counts the whole order; it is read as an item's
    # count only for an order with a single row.
    "Order Quantity": ("Bestellmenge",),
    "Currency": ("Währung",),  # guessed
    "Order Status": ("Bestellstatus",),  # guessed
    "Account User": ("Kontobenutzer",),  # guessed
    "Account User Email": ("E-Mail-Adresse des Kontobenutzers",),  # guessed
    "Invoice Number": ("Rechnungsnummer",),  # guessed
    "Payment Reference ID": ("Zahlungsreferenznummer",),  # seen
    "Payment Date": ("Zahlungsdatum",),  # seen
    "Payment Amount": ("Zahlungsbetrag",),  # seen
    "Payment Identifier": ("Zahlungskennzeichnung",),  # guessed
    "Amazon-Internal Product Category": ("Amazon-interne Produktkategorie",),  # seen
    "Title": ("Titel",),  # seen
    "Brand": ("Marke",),  # guessed
    "Item Quantity": ("Artikelmenge",),  # guessed
    "Item Subtotal": ("Artikelzwischensumme",),  # guessed from the VAT rate's name below
    "Item Shipping & Handling": ("Versandkosten für Artikel",),  # seen
    "Item Promotion": ("Werbeaktion für Artikel",),  # guessed
    "Item Tax": ("Artikel-USt",),  # guessed
    "Item Subtotal VAT Rate": ("Umsatzsteuersatz für die Artikelzwischensumme",),  # seen
    # NOTE: guessed as a literal translation, like the VAT rate's name above.
    "Item Net Total": ("Nettosumme des Artikels",),
    "GL Code": ("Hauptbuchkontonummer",),  # guessed
    "Department": ("Abteilung",),  # guessed
    "Cost Center": ("Kostenstelle",),  # guessed
    "Project Code": ("Projektnummer",),  # guessed
    "Location": ("Ort",),  # guessed
}

# Names that stand for a column only when the header has no other name of
# it, because they may also name a different column. The seen German file
# has "Zwischensumme" next to "Versandkosten für Artikel", where the English
# report has Item Subtotal next to Item Shipping & Handling. A report that
# also has an "Artikelzwischensumme" would use "Zwischensumme" for the order.
FALLBACK_NAMES: dict[str, tuple[str, ...]] = {
    "Item Subtotal": ("Zwischensumme",),  # seen; its meaning is guessed
    "Account User": ("Käufer",),  # guessed
}

# The amazon.com names that have no other spelling.
ENGLISH_ONLY = (
    "Order Shipping & Handling", "Order Promotion", "Order Net Total", "Shipment Date", "Shipment Status",
    "Shipment Quantity", "Shipping Address", "Product Category", "ASIN", "UNSPSC", "Purchase PPU",
    "Refund Payment Amount", "Payment Instrument Type", "Custom Field 1", "Seller Name",
    # The allocation column of labeled history, which allocbot adds to the report.
    "Tax Code",
)

# Columns of the "business order info" that an administrator configures,
# beyond the allocation columns: every "Custom Field N" is kept.
CUSTOM_FIELD = re.compile(r"custom field \d+")

ALIASES: dict[str, str] = (
    {normalize_header(name): name for name in (*ENGLISH_ONLY, *ENGLISH_SYNONYMS, *GERMAN_NAMES)}
    | {normalize_header(synonym): name for name, synonyms in ENGLISH_SYNONYMS.items() for synonym in synonyms}
    | {normalize_header(german): name for name, names in GERMAN_NAMES.items() for german in names}
)
_FALLBACKS = {normalize_header(alias): name for name, aliases in FALLBACK_NAMES.items() for alias in aliases}
_GERMAN = frozenset(normalize_header(name) for names in (*GERMAN_NAMES.values(), *FALLBACK_NAMES.values())
                    for name in names)


def resolve_report_columns(table: Table) -> dict[str, int]:
    """Map canonical column names to their index in the table's header.

    A column named twice under its regular names is an error (see
    `Table.resolve_columns`). A fallback name counts only when no regular
    name of its column is in the header. Every "Custom Field N" column is
    included under its name in the file.
    """
    columns = table.resolve_columns(ALIASES)

    headers = {normalize_header(name): index for index, name in enumerate(table.header)}
    for name, fallbacks in FALLBACK_NAMES.items():
        if name in columns:
            continue
        index = next((headers[alias] for alias in map(normalize_header, fallbacks) if alias in headers), None)
        if index is not None:
            columns[name] = index

    for index, header in enumerate(table.header):
        folded = normalize_header(header)
        if CUSTOM_FIELD.fullmatch(folded) and folded not in ALIASES:
            columns.setdefault(header, index)
    return columns


def known_columns(header: Iterable[str]) -> set[str]:
    """Return the canonical names of the header cells that name a report column."""
    found = set()
    for name in header:
        folded = normalize_header(name)
        canonical = ALIASES.get(folded) or _FALLBACKS.get(folded)
        if canonical is not None:
            found.add(canonical)
    return found


def header_language(header: Iterable[str]) -> Language:
    """Return "de" when the header has more German column names than English ones, else "en"."""
    german = english = 0
    for name in header:
        folded = normalize_header(name)
        if folded in _GERMAN:
            german += 1
        elif folded in ALIASES or folded in _FALLBACKS:
            english += 1
    return "de" if german > english else "en"


def uses_vat_wording(header: Iterable[str]) -> bool:
    """Return whether a header names VAT, as EU and UK exports do, where amazon.com writes "Tax"."""
    return any("vat" in normalize_header(name).split() for name in header)


def local_name(column: str, language: Language) -> str:
    """Return a canonical column's name in the report's language, for messages."""
    if language == "de" and column in GERMAN_NAMES:
        return GERMAN_NAMES[column][0]
    return column
