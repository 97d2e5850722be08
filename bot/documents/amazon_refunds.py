"""Refunded and returned items in an order report.

A refunded item stays in the parsed report with ``refund_amount`` (positive)
and, where the report gives it, ``refund_date``, so that reconciliation can
pair the credit on the card statement with the order it refunds. A row counts
as refunded in three cases:

1. Its Refund Payment Amount is not zero. The refund is that amount.
   Amazon's glossary defines this column but none for the refund's date,
   so the date is that of a Refund Date column where the report has one.
2. Its item total or item count is negative, as on a credit row of its
   own. The refund is the total without its sign. Its date is the row's
   Refund Date, else its Payment Date, which on such a row is when the
   credit was made.
3. Its Order Status or Shipment Status shows that it was returned or refunded.
   The whole item total counts as refunded, dated by the Refund Date where
   present. NOTE: the status words are guessed, because Amazon's glossary
   lists only the statuses Payment confirmed, Pending fulfillment, Pending,
   Canceled and Closed.

A Refund Payment Amount wins over the amounts of cases 2 and 3. A canceled
order is not a refund, because Amazon charged nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

# Lowercase fragments of returned or refunded statuses, English and German.
REFUND_STATUS_WORDS = ("return", "refund", "rücksend", "rückerstatt", "erstattet", "retour")
STATUS_COLUMNS = ("Order Status", "Shipment Status")


@dataclass(frozen=True)
class Refund:
    """The refunded amount (positive) of a row and its date, where known."""

    amount: Decimal
    date: date | None


def find_refund(
    *,
    refund_payment: Decimal | None,
    refund_date: date | None,
    net_total: Decimal,
    negative_quantity: bool,
    payment_date: date | None,
    statuses: tuple[str | None, ...],
) -> Refund | None:
    """Return the row's refund by the rules in this module's docstring, or None for a plain purchase."""
    is_credit = net_total < 0 or negative_quantity
    if refund_payment is not None and refund_payment != 0:
        return Refund(abs(refund_payment), refund_date or (payment_date if is_credit else None))

    if is_credit:
        return Refund(abs(net_total), refund_date or payment_date)

    if any(_is_refund_status(status) for status in statuses):
        return Refund(abs(net_total), refund_date)
    return None


def _is_refund_status(status: str | None) -> bool:
    if status is None:
        return False
    folded = status.casefold()
    return any(word in folded for word in REFUND_STATUS_WORDS)
