"""The description of a statement export: which header names mean what, and how values are written.

A layout is data, not code: the built-in layouts in `statement_layouts` and
the ones a company describes under ``[[statement_layouts]]`` in its
configuration are the same dataclass. A header row is recognized as a
layout's when every required role has a column whose name is one of that
role's header names. Names are compared after case folding, Unicode NFC
normalization and collapsing of spaces, so ``BOKFØRINGSDATO`` is
``Bokføringsdato``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

from bot.documents.dates import DATE_FORMATS, DEFAULT_DATE_FORMATS
from bot.documents.statement_lines import CARD_SKIP_TEXTS, PENDING_MARKERS, TOTAL_LABELS
from bot.documents.table import DELIMITERS, normalize_header

# What a column holds:
#   date              purchase or transaction date (required)
#   booking_date      posting date, where the layout has both
#   description       merchant or transaction text (required)
#   counterparty      a name used when the description is empty (Nordea's "Navn")
#   place             merchant's town, appended to the description ("AMAZON EU, Luxembourg")
#   amount            one signed NOK amount, or
#   debit, credit     two NOK amounts: money out (purchases) and money in (refunds)
#   currency          the currency of the NOK amount column; another currency is an error
#   original          the foreign amount and its currency in one cell ("12,50 EUR"), or
#   original_amount, original_currency    the same in two columns
#   rate              the exchange rate
#   card_holder, card_number   the card of the line, on statements that list several cards
#   status            a status text that can mark a reserved (pending) row
Role = Literal[
    "date",
    "booking_date",
    "description",
    "counterparty",
    "place",
    "amount",
    "debit",
    "credit",
    "currency",
    "original",
    "original_amount",
    "original_currency",
    "rate",
    "card_holder",
    "card_number",
    "status",
]
ROLES: tuple[str, ...] = get_args(Role)
AMOUNT_ROLES = ("amount", "debit", "credit")

# "debit_positive": purchases are positive (DNB's "Ut", American Express).
# "debit_negative": purchases are negative (Nordea, SpareBank 1). With two
# amount columns, the sign is that of the numbers in the debit column, and
# the credit column is positive either way.
Sign = Literal["debit_positive", "debit_negative"]


@dataclass(frozen=True)
class StatementLayout:
    """One export layout of one bank or card issuer.

    ``columns`` maps roles to the header names that mean them. ``required``
    lists the roles whose columns recognize the layout, and must include
    date, description and the amount roles. A line whose text starts with
    one of ``skip_texts`` is a balance or payment line. A row with one of
    ``pending_markers`` in the date, status or description cell is reserved.
    """

    name: str
    columns: Mapping[str, tuple[str, ...]]
    required: frozenset[str]
    sign: Sign = "debit_positive"
    decimal: str = ","
    date_formats: tuple[str, ...] = DEFAULT_DATE_FORMATS
    delimiter: str | None = None  # None: recognize ";", "," or TAB from the header line
    pending_markers: tuple[str, ...] = PENDING_MARKERS
    skip_texts: tuple[str, ...] = CARD_SKIP_TEXTS
    total_labels: tuple[str, ...] = TOTAL_LABELS
    # DNB account texts carry the purchase date: "Varekjøp AMAZON ... Dato 07.08 kl. 13.01".
    purchase_date_in_text: bool = False
    _names: Mapping[str, frozenset[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._check()
        names = {role: frozenset(normalize_label(name) for name in aliases) for role, aliases in self.columns.items()}
        object.__setattr__(self, "_names", names)

    @property
    def has_two_amount_columns(self) -> bool:
        return "debit" in self.columns

    def match(self, header: Sequence[str]) -> dict[str, int] | None:
        """Map roles to column indexes when ``header`` has every required column; else return None.

        A role whose name appears twice maps to its first column; `duplicates`
        finds such columns.
        """
        columns = self.find_columns(header)
        if not self.required <= columns.keys():
            return None
        return columns

    def find_columns(self, header: Sequence[str]) -> dict[str, int]:
        """Map the roles found in ``header`` to the index of their first column."""
        columns: dict[str, int] = {}
        for index, cell in enumerate(header):
            label = normalize_label(cell)
            for role, names in self._names.items():
                if label in names and role not in columns:
                    columns[role] = index
        return columns

    def duplicates(self, header: Sequence[str]) -> tuple[str, int, int] | None:
        """Return a role found in two columns of ``header`` with both indexes, or None."""
        for role, names in self._names.items():
            indexes = [index for index, cell in enumerate(header) if normalize_label(cell) in names]
            if len(indexes) > 1:
                return role, indexes[0], indexes[1]
        return None

    def missing(self, header: Sequence[str]) -> list[str]:
        """Return the first header name of each required role that ``header`` lacks."""
        found = self.find_columns(header)
        return [self.columns[role][0] for role in ROLES if role in self.required and role not in found]

    def _check(self) -> None:
        """Raise `ValueError` for a contradictory layout.

        The configuration checks the same before it builds a layout, so this
        catches mistakes in code.
        """
        unknown = set(self.columns) - set(ROLES)
        problems = [f"unknown roles {sorted(unknown)}"] if unknown else []
        if not {"date", "description"} <= self.required:
            problems.append("date and description must be required")
        if ("amount" in self.columns) == ("debit" in self.columns or "credit" in self.columns):
            problems.append("needs either amount or debit and credit")
        if ("debit" in self.columns) != ("credit" in self.columns):
            problems.append("needs both debit and credit")
        if not set(AMOUNT_ROLES) & set(self.columns) <= self.required:
            problems.append("the amount columns must be required")
        if ("original" in self.columns) and ("original_amount" in self.columns):
            problems.append("needs original or original_amount, not both")
        if ("original_amount" in self.columns) != ("original_currency" in self.columns):
            problems.append("needs both original_amount and original_currency")
        if not self.required <= self.columns.keys():
            problems.append("a required role has no column")
        if any(not names for names in self.columns.values()):
            problems.append("a role has no header name")
        if self.decimal not in (",", "."):
            problems.append(f"decimal {self.decimal!r}")
        if not self.date_formats or not set(self.date_formats) <= DATE_FORMATS.keys():
            problems.append(f"date formats {self.date_formats}")
        if {"dd/mm/yyyy", "mm/dd/yyyy"} <= set(self.date_formats):
            problems.append("dd/mm/yyyy and mm/dd/yyyy read the same text differently")
        if self.delimiter is not None and self.delimiter not in DELIMITERS:
            problems.append(f"delimiter {self.delimiter!r}")
        if problems:
            raise ValueError(f"statement layout {self.name!r}: {'; '.join(problems)}")


def normalize_label(name: str) -> str:
    """Fold a header name for matching: NFC, case and spaces, as `bot.documents.table.normalize_header`."""
    return normalize_header(unicodedata.normalize("NFC", name))
