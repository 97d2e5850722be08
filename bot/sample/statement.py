"""The November card statement, and its CSV export in the DNB Mastercard layout.

The statement has one card line per Amazon shipment charged in the period,
converted at the day's rate. It also carries what a company card does:
purchases elsewhere, a refund, an Amazon fee with no items behind it, the
balance brought forward and the payment of it. The CSV is Windows-1252, semicolon-separated, every
field quoted, CRLF, with the columns of DNB's Mastercard transaction list.
"""

from __future__ import annotations

import csv
import random
import string
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from bot.sample.orders import ZERO, Order
from bot.sample.rates import ExchangeRates

PURCHASE = "purchase"
REFUND = "refund"
BALANCE = "balance"
PAYMENT = "payment"

CSV_HEADER = ("Dato", "Beløpet gjelder", "Valuta", "Kurs", "Inn", "Ut")

# Share of EUR charges that carry the Amazon Business descriptor instead of "AMAZON EU".
_BUSINESS_DESCRIPTOR_SHARE = 0.28

# Purchases elsewhere: (day of month, merchant text, amount, currency).
_OTHER_PURCHASES = (
    (3, "REMA 1000 LILLESTRØM, Lillestrøm", "312.40", "NOK"),
    (5, "CLAS OHLSON LILLESTRØM, Lillestrøm", "449.00", "NOK"),
    (6, "ELMIA AB, Jönköping", "4500.00", "SEK"),
    (9, "FLYTOGET AS, Oslo", "240.00", "NOK"),
    (12, "CIRCLE K JÖNKÖPING, Jönköping", "845.12", "SEK"),
    (17, "SPOTIFY AB, Stockholm", "179.00", "NOK"),
    (21, "GITHUB INC, San Francisco", "84.00", "USD"),
    (24, "REMA 1000 LILLESTRØM, Lillestrøm", "189.90", "NOK"),
)
_REFUND = (11, "Retur CLAS OHLSON LILLESTRØM, Lillestrøm", "449.00")
# An Amazon Business membership fee: an Amazon charge with no order items behind it.
_AMAZON_FEE = (16, "69.00", "EUR")
_PAYMENT_DAY = 20


@dataclass(frozen=True)
class CardLine:
    """One statement line; ``amount_nok`` is positive and ``kind`` marks a debit or a credit."""

    day: date
    text: str
    amount_nok: Decimal
    kind: str
    original_amount: Decimal | None = None
    currency: str | None = None
    rate: Decimal | None = None

    @property
    def is_credit(self) -> bool:
        return self.kind in (REFUND, PAYMENT)


@dataclass(frozen=True)
class CardStatement:
    """A month's statement: the two opening rows, then purchases and refunds in date order."""

    first: date
    last: date
    balance_forward: CardLine
    payment: CardLine
    lines: tuple[CardLine, ...]

    @property
    def purchase_total(self) -> Decimal:
        return sum((line.amount_nok for line in self.lines if not line.is_credit), ZERO)


def build_statement(orders: list[Order], previous_orders: list[Order], rates: ExchangeRates,
                    rng: random.Random, first: date, last: date) -> CardStatement:
    """Build the statement for ``first`` to ``last``.

    A shipment charged after ``last`` stays off this statement. The balance
    brought forward is what the previous month's orders cost, plus a sum
    for purchases elsewhere.
    """
    lines: list[CardLine] = []
    for order in orders:
        for shipment in order.shipments:
            if not first <= shipment.payment_date <= last:
                continue
            day = min(shipment.payment_date + timedelta(days=rng.choice((0, 1, 1, 2))), last)
            lines.append(_foreign(day, _amazon_text(order.currency, rng), shipment.amount, order.currency, rates))

    fee_day, fee_amount, fee_currency = _AMAZON_FEE
    lines.append(_foreign(first.replace(day=fee_day), _business_descriptor(rng), Decimal(fee_amount), fee_currency,
                          rates))
    for day_of_month, text, amount, currency in _OTHER_PURCHASES:
        day = first.replace(day=day_of_month)
        if currency == "NOK":
            lines.append(CardLine(day, text, Decimal(amount), PURCHASE))
        else:
            lines.append(_foreign(day, text, Decimal(amount), currency, rates))
    refund_day, refund_text, refund_amount = _REFUND
    lines.append(CardLine(first.replace(day=refund_day), refund_text, Decimal(refund_amount), REFUND))
    lines.sort(key=lambda line: line.day)

    previous = sum(
        (rates.to_nok(shipment.amount, order.currency, shipment.payment_date)
         for order in previous_orders for shipment in order.shipments),
        ZERO,
    ) + Decimal(rng.randint(150000, 450000)) / 100
    balance_forward = CardLine(first, "Skyldig beløp fra forrige faktura", previous, BALANCE)
    payment = CardLine(first.replace(day=_PAYMENT_DAY), "Innbetaling", previous, PAYMENT)
    return CardStatement(first, last, balance_forward, payment, tuple(lines))


def write_statement_csv(statement: CardStatement, path: Path) -> None:
    with path.open("w", encoding="cp1252", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(CSV_HEADER)
        for line in (statement.balance_forward, statement.payment, *statement.lines):
            amount = _comma_decimal(line.amount_nok)
            writer.writerow((
                line.day.strftime("%d.%m.%Y"),
                line.text,
                f"{_comma_decimal(line.original_amount)} {line.currency}" if line.original_amount is not None else "",
                _comma_decimal(line.rate, places=4) if line.rate is not None else "",
                amount if line.is_credit else "",
                "" if line.is_credit else amount,
            ))


def _foreign(day: date, text: str, amount: Decimal, currency: str, rates: ExchangeRates) -> CardLine:
    return CardLine(day, text, rates.to_nok(amount, currency, day), PURCHASE, amount, currency,
                    rates.rate(currency, day))


def _amazon_text(currency: str, rng: random.Random) -> str:
    if currency == "SEK":
        return "AMAZON SE, Stockholm"
    if rng.random() < _BUSINESS_DESCRIPTOR_SHARE:
        return _business_descriptor(rng)
    return "AMAZON EU, Luxembourg"


def _business_descriptor(rng: random.Random) -> str:
    """Return a descriptor like ``AMZNBusiness*4KD81QZ7X``; the token is per charge, not an order id."""
    return "AMZNBusiness*" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(9))


def _comma_decimal(amount: Decimal, places: int = 2) -> str:
    return f"{amount:.{places}f}".replace(".", ",")
