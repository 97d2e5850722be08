"""Daily exchange rates the card issuer uses to convert foreign purchases to NOK.

Each rate is a bounded random walk, so neighbouring days are close and a
reconciler cannot rely on one fixed rate. The ranges are around the
2025-2026 market rates, not real quotes.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

# Currency: (first rate, lowest, highest, largest daily step), NOK per unit.
_WALKS = {
    "EUR": (11.72, 11.50, 11.90, 0.04),
    "SEK": (1.05, 1.00, 1.10, 0.006),
    "USD": (10.15, 9.90, 10.50, 0.05),
}

CENT = Decimal("0.01")


class ExchangeRates:
    """NOK per unit of EUR, SEK and USD for every day of a period, four decimals as DNB prints them."""

    def __init__(self, rng: random.Random, first: date, last: date):
        self._rates: dict[tuple[str, date], Decimal] = {}
        for currency, (rate, lowest, highest, step) in _WALKS.items():
            day = first
            while day <= last:
                self._rates[currency, day] = Decimal(f"{rate:.4f}")
                rate = min(highest, max(lowest, rate + rng.uniform(-step, step)))
                day += timedelta(days=1)

    def rate(self, currency: str, day: date) -> Decimal:
        return self._rates[currency, day]

    def to_nok(self, amount: Decimal, currency: str, day: date) -> Decimal:
        """Convert an amount at that day's rate, rounded to øre."""
        return (amount * self.rate(currency, day)).quantize(CENT, rounding=ROUND_HALF_UP)
