"""The facts reconciliation reads from a card line: merchant, references, amount range and date window.

Amounts are compared in the shipment's currency. A line that shows the
original amount is compared on it, exactly to the cent. A line in NOK is
compared exactly with NOK shipments. A line without an original amount
can still be compared with a foreign-currency shipment within an
exchange-rate band (see ``EXCHANGE_RATE_SPREAD`` and ``CARD_FEE``).
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from bot.matching.money import CENT
from bot.rates import REFERENCE_RATES
from bot.records import CardCharge

AMAZON_DESCRIPTOR = re.compile(r"\bAMAZON\b|\bAMZN|AMZNBUSINESS", re.IGNORECASE)

# Amazon order ids, which SEPA direct debit lines print in full.
ORDER_ID = re.compile(r"\b\d{3}-\d{7}-\d{7}\b")

# Tokens of a line's text that may be a payment reference: the per-charge
# id after "*" on card lines (9 to 16 characters seen) or a 20-character
# Payment Reference ID. Shorter words are merchant names and places.
REFERENCE_TOKEN = re.compile(r"[A-Za-z0-9]{8,}")

# Issuers book a charge from two days before the payment date up to several
# days after it (weekends, holidays). A wider window risks pairing equal
# amounts from different weeks.
DAYS_BEFORE = 2
DAYS_AFTER = 6

# Amazon and the issuer both round to the cent, so the original amount on
# the statement equals the report's payment amount exactly in practice. One
# cent absorbs a rounding difference between the two.
AMOUNT_TOLERANCE = Decimal("0.01")

# How far the issuer's rate may lie from the rate estimated for a line
# without its original amount, as a share of the rate. A rate implied by
# other lines of the same currency on the input statements differs only by
# the movement from day to day. The rounded reference rates of bot.rates
# can be further off. NOTE: both are estimates, not measured on real statements.
EXCHANGE_RATE_SPREAD = Decimal("0.02")
REFERENCE_RATE_SPREAD = Decimal("0.06")

# The largest foreign-transaction fee the band allows for, as a share of the
# amount. NOTE: an estimate; issuers' fees differ by card.
CARD_FEE = Decimal("0.03")


@dataclass(frozen=True)
class AmountRange:
    """The amounts in ``currency`` that a card line can stand for, in cents, both ends included.

    ``exact`` is False for a range derived from an exchange-rate band.
    """

    currency: str
    low: int
    high: int
    exact: bool

    def contains(self, cents: int) -> bool:
        return self.low <= cents <= self.high


def is_amazon(charge: CardCharge) -> bool:
    return bool(AMAZON_DESCRIPTOR.search(charge.description))


def order_ids(charge: CardCharge) -> list[str]:
    """Return the Amazon order ids the line's text names."""
    return ORDER_ID.findall(charge.description)


def reference_tokens(charge: CardCharge) -> set[str]:
    """Return the upper-cased tokens of the line's text that may be a payment reference."""
    text = ORDER_ID.sub(" ", charge.description)
    return {token.upper() for token in REFERENCE_TOKEN.findall(text)}


def line_amount(charge: CardCharge) -> tuple[Decimal, str]:
    """Return the line's amount as the purchase was made: the original amount and currency, else the NOK amount."""
    if charge.original_amount is not None and charge.original_currency:
        return abs(charge.original_amount), charge.original_currency
    return abs(charge.amount), "NOK"


def in_window(charge: CardCharge, paid: date) -> bool:
    """Return whether the card line's date lies in the window around a payment date."""
    offset = (charge.date - paid).days
    return -DAYS_BEFORE <= offset <= DAYS_AFTER


def exact_range(charge: CardCharge, currency: str) -> AmountRange | None:
    """Return the exact amount range of the line in ``currency``, or None when the line has no amount in it."""
    if charge.original_amount is not None and charge.original_currency == currency:
        amount = abs(charge.original_amount)
    elif currency == "NOK" and charge.original_currency in (None, "NOK"):
        amount = abs(charge.amount)
    else:
        return None
    cents = int(amount / CENT)
    tolerance = int(AMOUNT_TOLERANCE / CENT)
    return AmountRange(currency, cents - tolerance, cents + tolerance, exact=True)


def band_range(charge: CardCharge, currency: str, rates: Mapping[str, tuple[Decimal, Decimal]]) -> AmountRange | None:
    """Return the range of ``currency`` amounts that a line without an original amount can pay with its NOK amount.

    ``rates`` maps a currency to an estimated NOK rate and its spread. The
    lowest amount assumes the highest rate plus the largest card fee, the
    highest amount the lowest rate and no fee.
    """
    if currency == "NOK" or charge.original_amount is not None or currency not in rates:
        return None
    rate, rate_spread = rates[currency]
    nok = abs(charge.amount)
    low = nok / (rate * (1 + rate_spread) * (1 + CARD_FEE))
    high = nok / (rate * (1 - rate_spread))
    return AmountRange(currency, int((low / CENT).to_integral_value(ROUND_FLOOR)),
                       int((high / CENT).to_integral_value(ROUND_CEILING)), exact=False)


def estimate_rates(charges: Sequence[CardCharge]) -> dict[str, tuple[Decimal, Decimal]]:
    """Estimate a NOK rate and its spread per currency for lines without an original amount.

    The median rate of the lines that show both amounts in that currency
    counts first, because it is the issuer's own rate in the same period.
    The reference rates of bot.rates fill in the other currencies with a
    wider spread.
    """
    implied: dict[str, list[Decimal]] = {}
    for charge in charges:
        if charge.original_amount and charge.original_currency and charge.original_currency != "NOK":
            implied.setdefault(charge.original_currency, []).append(abs(charge.amount / charge.original_amount))

    rates = {currency: (rate, REFERENCE_RATE_SPREAD) for currency, rate in REFERENCE_RATES.items()
             if currency != "NOK"}
    for currency, values in implied.items():
        rates[currency] = (statistics.median(values), EXCHANGE_RATE_SPREAD)
    return rates


def merchant_key(text: str) -> str:
    """Return the text's letters and digits, case-folded, for comparing merchant names across lines."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(character for character in folded if character.isalnum())


def same_merchant(credit: CardCharge, purchase_text: str) -> bool:
    """Return whether a credit line names the merchant of a purchase, as in "Retur CLAS OHLSON" for "CLAS OHLSON"."""
    purchase = merchant_key(purchase_text)
    return bool(purchase) and purchase in merchant_key(credit.description)
