"""Rules shared by the card statement parsers.

A statement lists more than purchases: the balance carried over from the
previous invoice and the payment of that invoice are bookkeeping lines of the
card account and have nothing to allocate. Both parsers skip them on purpose
and log how many they skipped; every other line becomes a `CardCharge`.
"""

from __future__ import annotations

# Texts of the lines that are skipped, as DNB writes them in "Beløpet gjelder".
PREVIOUS_BALANCE = "Skyldig beløp fra forrige faktura"
PAYMENT = "Innbetaling"


def is_balance_or_payment(description: str) -> bool:
    """Return whether a statement line is the previous balance or a payment of the card invoice."""
    text = " ".join(description.split()).casefold()
    return text.startswith(PREVIOUS_BALANCE.casefold()) or text == PAYMENT.casefold()
