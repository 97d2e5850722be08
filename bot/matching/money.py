"""Exact division of money over items, to the øre.

Every amount here is a ``Decimal`` with at most two decimals. A division
adds up to the amount divided, exactly, so item amounts always add up to
their card line.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, Decimal

CENT = Decimal("0.01")


def split_amount(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Divide ``amount`` in proportion to ``weights``, rounded to the cent, adding up to ``amount`` exactly.

    Each share is first rounded down to the cent. The cents left over then
    go one each to the shares that rounding cut the most (the largest
    remainder method), ties to the larger weight and then to the earlier
    position. So no share is a cent or more away from its exact value.
    Weights that add up to zero count as equal. Negative amounts and
    weights work the same way.
    """
    if not weights:
        raise ValueError(f"cannot divide {amount} over no weights")
    if amount != amount.quantize(CENT):
        raise ValueError(f"amount {amount} has more than two decimals")

    total = sum(weights, Decimal(0))
    if total == 0:
        weights = [Decimal(1)] * len(weights)
        total = Decimal(len(weights))

    exact = [amount * weight / total for weight in weights]
    shares = [share.quantize(CENT, rounding=ROUND_FLOOR) for share in exact]
    cents_left = int((amount - sum(shares, Decimal(0))) / CENT)
    by_remainder = sorted(range(len(shares)), key=lambda index: (shares[index] - exact[index], -weights[index], index))
    for index in by_remainder[:cents_left]:
        shares[index] += CENT
    return shares


def spread(difference: Decimal, totals: Sequence[Decimal]) -> list[Decimal]:
    """Add ``difference`` to ``totals`` in proportion to them, exactly to the øre."""
    if difference == 0:
        return list(totals)
    return [total + share for total, share in zip(totals, split_amount(difference, totals))]


def to_cents(amount: Decimal) -> int:
    """Return a two-decimal amount as whole cents."""
    return int((amount / CENT).to_integral_value())
