"""Rules shared by the card statement parsers.

A statement lists more than purchases: the balance carried over from the
previous invoice and the payment of that invoice are bookkeeping lines of the
card account and have nothing to allocate. Both parsers skip them on purpose
and log how many they skipped; every other line becomes a `CardCharge`.

Table exports also have rows that are not lines at all: reserved (pending)
purchases that the bank books later, sums, balances, and notes such as a
card holder's name above that card's purchases. The labels below recognize
them by their first words, compared case-insensitively.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Texts of the lines that are skipped, as DNB writes them in "Beløpet gjelder".
PREVIOUS_BALANCE = "Skyldig beløp fra forrige faktura"
PAYMENT = "Innbetaling"

# Lines of a card statement that are skipped: DNB's previous balance and
# payment, and the payment texts of SEB Kort's Swedish exports ("Inbetalning",
# "BETALT BG <date>"). NOTE: "Betaling mottatt" for American Express Norway
# is a guess from the English "PAYMENT RECEIVED - THANK YOU".
CARD_SKIP_TEXTS = (PREVIOUS_BALANCE, PAYMENT, "Inbetalning", "Betalt BG", "Betaling mottatt", "Inngående saldo",
                   "Utgående saldo")
# Lines of an account statement that are skipped. An incoming payment on an
# account is a real line, so "Innbetaling" is not among them.
ACCOUNT_SKIP_TEXTS = ("Inngående saldo", "Utgående saldo", "Saldo")

# Text in the date, status or description cell of a reserved row: Nordea
# writes "Reservert" for the date, DNB "Reservert transaksjon" as the text.
PENDING_MARKERS = ("Reservert",)

# The first text of a row that states the sum of the rows above it.
TOTAL_LABELS = ("Sum", "Summa", "Totalt", "Total")

# The first text of an undated row with an amount that is neither a line nor
# a sum of lines, such as a closing balance or the credit limit.
FOOTER_LABELS = (
    "Saldo",
    "Inngående saldo",
    "Utgående saldo",
    "Disponibelt",
    "Disponibel saldo",
    "Kredittgrense",
    "Kredittramme",
    "Å betale",
    "Beløp å betale",
    "Minste beløp",
    "Forfallsdato",
)

# A masked card number, such as "**** **** **** 4821", "5555 55** **** 4821" or "xxxx 4821".
_CARD_NUMBER = re.compile(r"\b(?:[\d*xX\u2022]{4}[ -]?){1,3}\d{4}\b|[*\u2022]{2,} ?\d{4}\b")
_MASK = re.compile(r"[*xX\u2022]")


def is_balance_or_payment(description: str) -> bool:
    """Return whether a statement line is the previous balance or a payment of the card invoice."""
    text = " ".join(description.split()).casefold()
    return text.startswith(PREVIOUS_BALANCE.casefold()) or text == PAYMENT.casefold()


def find_label(text: str, labels: Sequence[str]) -> str | None:
    """Return the label that ``text`` starts with as whole words, such as "Sum" in "Sum kjøp:", or None."""
    folded = " ".join(text.split()).casefold()
    for label in labels:
        prefix = " ".join(label.split()).casefold()
        if folded.startswith(prefix) and not folded[len(prefix):len(prefix) + 1].isalnum():
            return label
    return None


def has_card_number(text: str) -> bool:
    """Return whether ``text`` contains a masked card number."""
    return any(_MASK.search(match[0]) for match in _CARD_NUMBER.finditer(text))
