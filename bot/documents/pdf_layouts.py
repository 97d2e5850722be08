"""The PDF statement layouts allocbot reads, described as data.

A layout names its columns in print order with the record field each one
fills, and the texts that identify it on a page. It also names the labels
of the lines that are not rows: the period, the printed totals, the card
holder headings and the balances carried from page to page. Adding a bank
whose statement fits this description means adding a `PdfLayout` to
`LAYOUTS`.

Neither layout has been checked against a real PDF from a bank. The DNB
columns are those of DNB's Mastercard transaction export (XLSX). The card
holder layout was designed without a sample from any issuer. It has a
ruled table per card holder with purchase and posting dates, the form
expected of a corporate card invoice from an issuer such as SEB Kort
(Eurocard).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from enum import StrEnum
from functools import cached_property


class Field(StrEnum):
    """The kind of value in a statement column, which fills one part of a `CardCharge`."""

    DATE = "date"  # purchase date, dd.mm.yyyy
    BOOKED = "booked_on"  # posting date, dd.mm.yyyy
    TEXT = "description"  # merchant text
    ORIGINAL = "original"  # foreign amount and currency in one cell, such as "62,97 EUR"
    FOREIGN_AMOUNT = "original_amount"  # foreign amount alone, such as "62,97"
    CURRENCY = "original_currency"  # ISO 4217 code, such as "EUR"
    RATE = "rate"  # NOK per unit of the foreign currency
    AMOUNT = "amount"  # NOK, negative for a credit


class LineKind(StrEnum):
    """A line that is not a row, recognised by the label it starts with."""

    PERIOD = "period"
    PURCHASE_TOTAL = "purchase_total"
    CARD = "card"
    CARD_TOTAL = "card_total"
    OPENING = "opening"
    CLOSING = "closing"
    CARRIED_IN = "carried_in"
    CARRIED_OUT = "carried_out"


BALANCE_KINDS = frozenset({LineKind.OPENING, LineKind.CLOSING, LineKind.CARRIED_IN, LineKind.CARRIED_OUT})

# Digits of an amount's whole part, grouped by thousands with a space or
# not grouped at all, as OCR reads them when it misses the space.
_GROUPED = r"(?:\d{1,3}(?:[ \u00a0]\d{3})+|\d+)"
AMOUNT_PATTERN = rf"-?{_GROUPED},\d{{2}}"

# The text each field's cell must match, as printed.
FIELD_PATTERNS = {
    Field.DATE: r"\d{2}\.\d{2}\.\d{4}",
    Field.BOOKED: r"\d{2}\.\d{2}\.\d{4}",
    Field.TEXT: r"[^\t]+?",
    Field.ORIGINAL: rf"-?{_GROUPED}(?:,\d+)? [A-Z]{{3}}",
    Field.FOREIGN_AMOUNT: rf"-?{_GROUPED}(?:,\d+)?",
    Field.CURRENCY: r"[A-Z]{3}",
    Field.RATE: r"\d+,\d+",
    Field.AMOUNT: AMOUNT_PATTERN,
}

# Cells are separated by a tab (see pdf_lines); a space is accepted too, for
# PDFs that print a whole row as one string. The description cannot contain
# a tab, so a number at its end never merges into the next cell.
_SEPARATOR = r"[\t ]+"

# OCR may misread a letter or two of a label, so a line read by OCR starts
# with a label when its first words are at least this similar to the label's.
OCR_LABEL_SIMILARITY = 0.8


@dataclass(frozen=True)
class Column:
    """One column of the statement table: its printed title, the field it fills, and whether rows may leave it empty."""

    title: str
    field: Field
    optional: bool = False


@dataclass(frozen=True)
class BalanceLabels:
    """Labels of the lines that carry the card account's balance.

    A statement that prints them carries the balance as the opening
    balance plus every row above the line, balance and payment rows
    included.
    """

    opening: tuple[str, ...] = ("Inngående saldo",)
    closing: tuple[str, ...] = ("Utgående saldo",)
    carried_in: tuple[str, ...] = ("Overført fra forrige side", "Saldo fra forrige side")
    carried_out: tuple[str, ...] = ("Overføres til neste side", "Saldo til neste side")


@dataclass(frozen=True)
class PdfLayout:
    """One bank's PDF statement layout.

    ``markers`` are texts of which any one on a page marks the layout. Each
    label starts a line that is not a row, and is matched ignoring case:
    ``period_label`` the period's first and last date, ``sum_label`` the
    total of the period's purchases, and ``card_label`` the heading of each
    card's section, followed by the holder and card number.
    ``card_sum_label`` starts the total of a card's rows, credits included.
    """

    name: str
    markers: tuple[str, ...]
    columns: tuple[Column, ...]
    period_label: str | None = None
    sum_label: str | None = None
    card_label: str | None = None
    card_sum_label: str | None = None
    balances: BalanceLabels = field(default_factory=BalanceLabels)

    @property
    def header(self) -> str:
        """Return the column titles as users see them, such as ``Dato | Beløpet gjelder | Beløp``."""
        return " | ".join(column.title for column in self.columns)

    @cached_property
    def labels(self) -> dict[str, LineKind]:
        """Labels of the lines that are not rows, with the kind of line each starts."""
        labels = {
            self.period_label: LineKind.PERIOD,
            self.sum_label: LineKind.PURCHASE_TOTAL,
            self.card_label: LineKind.CARD,
            self.card_sum_label: LineKind.CARD_TOTAL,
        }
        for kind, texts in ((LineKind.OPENING, self.balances.opening), (LineKind.CLOSING, self.balances.closing),
                            (LineKind.CARRIED_IN, self.balances.carried_in),
                            (LineKind.CARRIED_OUT, self.balances.carried_out)):
            labels |= dict.fromkeys(texts, kind)
        return {label: kind for label, kind in labels.items() if label is not None}

    def title(self, kind: Field) -> str:
        return next(column.title for column in self.columns if column.field == kind)

    def has(self, kind: Field) -> bool:
        return any(column.field == kind for column in self.columns)

    def matches(self, page_text: str) -> bool:
        """Return whether a page's text contains one of the layout's markers."""
        text = _normalize(page_text)
        return any(_normalize(marker) in text for marker in self.markers)

    @cached_property
    def row_pattern(self) -> re.Pattern[str]:
        """Pattern of a row's text, cells separated by tabs, with a group named after each field."""
        parts = []
        for position, column in enumerate(self.columns):
            separator = "" if position == 0 else _SEPARATOR
            part = f"{separator}(?P<{column.field.value}>{FIELD_PATTERNS[column.field]})"
            parts.append(f"(?:{part})?" if column.optional else part)
        return re.compile("".join(parts))


DNB_BEDRIFTSKORT = PdfLayout(
    name="DNB bedriftskort (PDF)",
    markers=("Kontoutskrift bedriftskort", "Beløpet gjelder", "Sum kjøp i perioden"),
    columns=(
        Column("Dato", Field.DATE),
        Column("Beløpet gjelder", Field.TEXT),
        Column("Valuta", Field.ORIGINAL, optional=True),
        Column("Kurs", Field.RATE, optional=True),
        Column("Beløp", Field.AMOUNT),
    ),
    period_label="Periode",
    sum_label="Sum kjøp i perioden",
)

# NOTE: designed without a real sample, so its labels and columns stay
# unverified until a statement from a bank that prints this layout is at hand.
CARD_HOLDER_INVOICE = PdfLayout(
    name="Firmakortfaktura per kortinnehaver (PDF)",
    markers=("Firmakortfaktura", "Trans.dato Bokf.dato"),
    columns=(
        Column("Trans.dato", Field.DATE),
        Column("Bokf.dato", Field.BOOKED),
        Column("Beskrivelse", Field.TEXT),
        Column("Valutabeløp", Field.FOREIGN_AMOUNT, optional=True),
        Column("Valuta", Field.CURRENCY, optional=True),
        Column("Kurs", Field.RATE, optional=True),
        Column("Beløp NOK", Field.AMOUNT),
    ),
    period_label="Fakturaperiode",
    sum_label="Sum nye kjøp",
    card_label="Kortinnehaver",
    card_sum_label="Sum kortinnehaver",
)

# The card holder invoice comes first because its markers are the more specific.
LAYOUTS = (CARD_HOLDER_INVOICE, DNB_BEDRIFTSKORT)


def select_layout(page_texts: list[str]) -> PdfLayout | None:
    """Return the layout marked on the first page that has a marker of any layout."""
    for text in page_texts:
        for layout in LAYOUTS:
            if layout.matches(text):
                return layout
    return None


def find_label(text: str, labels: Iterable[str], *, ocr: bool = False) -> tuple[str, str] | None:
    """Return the label a line starts with and the rest of the line, or None.

    Words are compared whole and without case, a colon after the label is
    left out, and tabs count as spaces. A line read by OCR that starts with
    no label exactly gets the label most similar to its first words, if it
    reaches `OCR_LABEL_SIMILARITY`. Taking the most similar one keeps an
    OCR line ``Utgående saldo`` from matching ``Inngående saldo``.
    """
    words = text.split()
    best: tuple[float, str] | None = None
    for label in labels:
        label_words = label.casefold().split()
        start = " ".join(words[:len(label_words)]).casefold().rstrip(":")
        expected = " ".join(label_words)
        if start == expected:
            return label, " ".join(words[len(label_words):])
        if ocr:
            similarity = SequenceMatcher(None, start, expected).ratio()
            if similarity >= OCR_LABEL_SIMILARITY and (best is None or similarity > best[0]):
                best = (similarity, label)

    if best is None:
        return None
    label = best[1]
    return label, " ".join(words[len(label.split()):])


def _normalize(text: str) -> str:
    return " ".join(text.split()).casefold()
