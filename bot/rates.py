"""Approximate exchange rates for deciding which items reach the review threshold.

Labeled history carries amounts in the marketplace's currency and no
exchange rate, while the policy's review threshold is in NOK. Replays
convert at these reference rates. Items on a card statement are never
routed with them, because the statement gives their NOK amount.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from bot.records import ReportItem

# NOK per unit. NOTE: rounded 2026 market rates, not quotes; `allocbot evaluate --rate` overrides them.
REFERENCE_RATES: Mapping[str, Decimal] = {
    "NOK": Decimal("1"), "EUR": Decimal("11.70"), "SEK": Decimal("1.05"), "DKK": Decimal("1.57"),
    "USD": Decimal("10.80"), "GBP": Decimal("13.70"),
}


def approximate_nok(item: ReportItem, rates: Mapping[str, Decimal] = REFERENCE_RATES) -> Decimal:
    """Return the item's net total in NOK at ``rates``; an unknown currency counts at face value."""
    return item.net_total * rates.get(item.currency, Decimal("1"))
