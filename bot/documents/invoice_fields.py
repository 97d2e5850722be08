"""Read the labelled fields of one Amazon invoice: order number, payment reference, dates, totals.

A field is a label at the start of a table cell followed by its value. The
value is in the same cell (real PDF text often glues them, as in
``Zahlbetrag891,66 €``), in the next cell, or alone on the next line where
the label ends its line. A value on the next line is taken only when it has the field's form, so a
heading such as ``Verkauft von`` above an address block is not misread.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from bot.documents.invoice_labels import (
    AMOUNT_PAYABLE,
    INVOICE_DATE,
    INVOICE_NUMBER,
    INVOICE_TOTAL,
    ORDER_DATE,
    ORDER_ID,
    PAYMENT_REFERENCE,
    PO_NUMBER,
    SELLER,
    InvoiceLabels,
)
from bot.documents.invoice_values import Money, TextLine, parse_invoice_date, parse_money
from bot.i18n import N_

ORDER_ID_PATTERN = re.compile(r"\d{3}-\d{7}-\d{7}")
_REFERENCE = re.compile(r"[A-Za-z0-9]{6,40}")
_INVOICE_NUMBER = re.compile(r"[A-Z0-9][A-Z0-9-]{4,40}")

# Fields that identify the invoice: two different values in one invoice mean
# two invoices were taken for one.
_IDENTITY_FIELDS = (ORDER_ID, PAYMENT_REFERENCE, INVOICE_NUMBER)

FieldValueType = str | date | Money


@dataclass(frozen=True)
class FieldValue:
    """One occurrence of a field: its parsed value, the label as printed, and its line."""

    value: FieldValueType
    label: str
    line: TextLine


@dataclass(frozen=True)
class _Kind:
    """The parser of one kind of field value, and the error message for a value that does not parse."""

    parse: Callable[[str, InvoiceLabels], FieldValueType | None]
    message: str = ""  # empty for free text, which always parses
    # Whether the value has a form strict enough to be taken from the next line.
    strict: bool = True


def _match(pattern: re.Pattern[str]) -> Callable[[str, InvoiceLabels], str | None]:
    return lambda text, labels: text if pattern.fullmatch(text) else None


_KINDS = {
    ORDER_ID: _Kind(_match(ORDER_ID_PATTERN),
                    N_("'{label}' has the value {value}, which is not an Amazon order number "
                       "like 302-1725553-0374723")),
    PAYMENT_REFERENCE: _Kind(_match(_REFERENCE),
                             N_("'{label}' has the value {value}, which is not a payment reference "
                                "like 1Eqv7RLIZCZl2HZzgKrV")),
    INVOICE_NUMBER: _Kind(_match(_INVOICE_NUMBER),
                          N_("'{label}' has the value {value}, which is not an invoice number "
                             "like DE60GTQMP053RU")),
    ORDER_DATE: _Kind(lambda text, labels: parse_invoice_date(text, labels.months),
                      N_("'{label}' has the value {value}, which is not a date "
                         "like 08 Oktober 2025, 1 April 2024 or 02.05.2026")),
    AMOUNT_PAYABLE: _Kind(lambda text, labels: parse_money(text, labels.krona_currency),
                          N_("'{label}' has the value {value}, which is not an amount like 891,66 € or £124.99")),
    SELLER: _Kind(lambda text, labels: text, strict=False),
}
_KINDS[INVOICE_DATE] = _KINDS[ORDER_DATE]
_KINDS[INVOICE_TOTAL] = _KINDS[AMOUNT_PAYABLE]
_KINDS[PO_NUMBER] = _KINDS[SELLER]


class InvoiceFields:
    """The fields found in one invoice, each with every occurrence in document order."""

    def __init__(self, occurrences: dict[str, list[FieldValue]]):
        self._occurrences = occurrences

    def first(self, name: str) -> FieldValue | None:
        found = self._occurrences.get(name)
        return found[0] if found else None

    def value(self, name: str) -> FieldValueType | None:
        found = self.first(name)
        return None if found is None else found.value

    def text(self, name: str) -> str | None:
        value = self.value(name)
        return None if value is None else str(value)

    def date(self, name: str) -> date | None:
        value = self.value(name)
        return value if isinstance(value, date) else None

    def all(self, name: str) -> list[FieldValue]:
        return list(self._occurrences.get(name, ()))


def read_fields(lines: Sequence[TextLine], labels: InvoiceLabels) -> InvoiceFields:
    """Read every labelled field of one invoice's lines.

    Raises `InputError` naming the line, label and value when a value has
    the wrong form, or when an identifying field has two different values.
    """
    occurrences: dict[str, list[FieldValue]] = defaultdict(list)
    for position, line in enumerate(lines):
        following = lines[position + 1] if position + 1 < len(lines) else None
        for name, pattern in labels.label_patterns.items():
            for match in pattern.finditer(line.text):
                found = _read_value(name, match, line, following, labels)
                if found is not None:
                    occurrences[name].append(found)

    for name in _IDENTITY_FIELDS:
        _check_single_value(occurrences.get(name, []))
    return InvoiceFields(dict(occurrences))


def _read_value(name: str, match: re.Match[str], line: TextLine, following: TextLine | None,
                labels: InvoiceLabels) -> FieldValue | None:
    """Parse the value after one label, or return None where the label has no value (a heading)."""
    kind = _KINDS[name]
    label = " ".join(match["label"].split())
    rest = re.sub(r"^[ :]*\t?[ :]*", "", line.text[match.end():])
    text = rest.split("\t")[0].strip()
    source = line

    if not text:
        if not kind.strict or following is None:
            return None
        text = following.cells[0]
        if kind.parse(text, labels) is None:
            return None
        source = following

    value = kind.parse(text, labels)
    if value is None:
        raise source.error(kind.message, label=label, value=repr(text))
    return FieldValue(value, label, source)


def _check_single_value(found: list[FieldValue]) -> None:
    if not found:
        return
    first = found[0]
    for other in found[1:]:
        if other.value != first.value:
            raise other.line.error(
                N_("'{label}' is {value} here but {first} on page {first_page}, line {first_line} "
                   "of the same invoice"),
                label=other.label,
                value=repr(other.value),
                first=repr(first.value),
                first_page=first.line.page,
                first_line=first.line.number,
            )
