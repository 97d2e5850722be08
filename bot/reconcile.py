"""Card charges to Amazon shipments.

Amazon charges the card once per shipment, so report rows are grouped by
(order, payment reference) into shipments and each card line is matched to
one shipment: by the original amount and currency that the statement shows
for foreign-currency purchases (the NOK amount differs from Amazon's total
by the issuer's rate), or by the NOK amount for NOK orders, within a date
window around the payment date. Where several charges compete for the same
shipments (equal amounts within a few days), the pairs are chosen together
to get as many pairs as possible and then the smallest total distance in days.
The matched NOK amount is then divided over
the shipment's items in proportion to their totals, so every item gets an
exact NOK amount and the amounts add up to the card line to the øre.

Nothing is guessed: a charge with no shipment, a shipment with no charge,
Amazon refunds and shipments paid by invoice are returned for the report.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from bot.records import CardCharge, ReportItem

AMAZON_DESCRIPTOR = re.compile(r"\bAMAZON\b|\bAMZN|AMZNBUSINESS", re.IGNORECASE)

# Issuers book a charge from the day before the payment date up to several
# days after it (weekends, holidays). A wider window risks pairing equal
# amounts from different weeks.
DAYS_BEFORE = 2
DAYS_AFTER = 6

# Amazon and the issuer both round to the cent, so the original amount on
# the statement equals the report's payment amount exactly in practice. One
# cent absorbs a rounding difference between the two.
AMOUNT_TOLERANCE = Decimal("0.01")

CENT = Decimal("0.01")

# Payment Instrument Type values of the order report that are no card charge
# (Amazon Business Analytics glossary, plus "N/A" seen in real reports).
NOT_CARD_INSTRUMENTS = {"pay by invoice", "business credit account", "bank account", "reward account", "n/a"}


@dataclass(frozen=True)
class Shipment:
    """The report rows charged together: one order and one payment reference."""

    order_id: str
    payment_reference: str | None
    currency: str
    total: Decimal
    charged_on: date
    items: tuple[ReportItem, ...]


@dataclass(frozen=True)
class Match:
    charge: CardCharge
    shipment: Shipment
    item_amounts: tuple[tuple[ReportItem, Decimal], ...]  # NOK per item, summing to charge.amount


@dataclass(frozen=True)
class Reconciliation:
    matches: tuple[Match, ...]
    unmatched_charges: tuple[CardCharge, ...]     # Amazon charges with no shipment behind them
    unmatched_shipments: tuple[Shipment, ...]     # shipments with no charge on the statement
    other_charges: tuple[CardCharge, ...]         # purchases that are not from Amazon
    refunds: tuple[CardCharge, ...] = ()          # Amazon credits, not yet matched to what was returned
    not_card_shipments: tuple[Shipment, ...] = () # paid by invoice or another non-card instrument


def is_amazon(charge: CardCharge) -> bool:
    return bool(AMAZON_DESCRIPTOR.search(charge.description))


def is_card_payment(shipment: Shipment) -> bool:
    """Return whether the shipment was charged to a card; an unknown instrument counts as a card."""
    instrument = (shipment.items[0].payment_instrument or "").strip().lower()
    return instrument not in NOT_CARD_INSTRUMENTS


def group_shipments(items: Iterable[ReportItem]) -> list[Shipment]:
    """Group report rows into shipments in first-seen order."""
    groups: dict[tuple[str, str | None], list[ReportItem]] = defaultdict(list)
    for item in items:
        groups[(item.order_id, item.payment_reference)].append(item)

    shipments = []
    for (order_id, reference), rows in groups.items():
        first = rows[0]
        total = sum((row.net_total for row in rows), Decimal("0"))
        charged_on = first.payment_date or first.shipment_date or first.order_date
        shipments.append(Shipment(order_id, reference, first.currency, total, charged_on, tuple(rows)))
    return shipments


def reconcile(items: Sequence[ReportItem], charges: Sequence[CardCharge]) -> Reconciliation:
    """Match card charges to shipments; see the module docstring for the rules."""
    grouped = group_shipments(items)
    shipments = [shipment for shipment in grouped if is_card_payment(shipment)]
    not_card = tuple(shipment for shipment in grouped if not is_card_payment(shipment))
    purchases = [charge for charge in charges if charge.is_purchase]
    amazon = sorted((c for c in purchases if is_amazon(c)), key=lambda c: (c.date, c.line))
    others = tuple(c for c in purchases if not is_amazon(c))
    refunds = tuple(c for c in charges if not c.is_purchase and is_amazon(c))

    pairs = _pair(amazon, shipments)
    matches: list[Match] = []
    unmatched: list[CardCharge] = []
    for index, charge in enumerate(amazon):
        if index not in pairs:
            unmatched.append(charge)
            continue
        shipment = shipments[pairs[index]]
        matches.append(Match(charge, shipment, split_amount(charge.amount, shipment.items)))

    paired = set(pairs.values())
    open_shipments = tuple(shipment for index, shipment in enumerate(shipments) if index not in paired)
    return Reconciliation(tuple(matches), tuple(unmatched), open_shipments, others, refunds, not_card)


def split_amount(amount: Decimal, items: Sequence[ReportItem]) -> tuple[tuple[ReportItem, Decimal], ...]:
    """Divide ``amount`` over items in proportion to their totals, exact to the cent.

    Rounding differences go to the largest item, where they matter least.
    """
    total = sum((item.net_total for item in items), Decimal("0"))
    if total == 0:
        shares = [Decimal(1) / len(items)] * len(items)
    else:
        shares = [item.net_total / total for item in items]

    amounts = [(amount * share).quantize(CENT, rounding=ROUND_HALF_UP) for share in shares]
    largest = max(range(len(items)), key=lambda index: items[index].net_total)
    amounts[largest] += amount - sum(amounts, Decimal("0"))
    return tuple(zip(items, amounts))


def _pair(charges: Sequence[CardCharge], shipments: Sequence[Shipment]) -> dict[int, int]:
    """Pair charge indexes with shipment indexes, maximising the pairs and then minimising their days apart.

    Giving each charge its nearest shipment in turn can take the only shipment
    that a later charge could match, so each group of charges and shipments
    that compete for each other is solved as one assignment problem.
    """
    candidates = {
        index: [number for number, shipment in enumerate(shipments)
                if _amount_matches(charge, shipment) and _date_matches(charge, shipment)]
        for index, charge in enumerate(charges)
    }

    pairs: dict[int, int] = {}
    for charge_group, shipment_group in _competing_groups(candidates):
        # Any pair outside the window costs more than all pairs inside it
        # together, so the solver first maximises the number of real pairs.
        no_pair = (DAYS_BEFORE + DAYS_AFTER + 1) * (min(len(charge_group), len(shipment_group)) + 1)
        column = {number: position for position, number in enumerate(shipment_group)}
        cost = np.full((len(charge_group), len(shipment_group)), no_pair)
        for row, index in enumerate(charge_group):
            for number in candidates[index]:
                cost[row, column[number]] = abs((charges[index].date - shipments[number].charged_on).days)

        rows, columns = linear_sum_assignment(cost)
        for row, position in zip(rows, columns):
            if cost[row, position] < no_pair:
                pairs[charge_group[row]] = shipment_group[position]
    return pairs


def _competing_groups(candidates: dict[int, list[int]]) -> list[tuple[list[int], list[int]]]:
    """Split the charge-to-shipment candidate graph into its connected components."""
    charges_of: dict[int, list[int]] = defaultdict(list)
    for index, numbers in candidates.items():
        for number in numbers:
            charges_of[number].append(index)

    seen: set[int] = set()
    groups: list[tuple[list[int], list[int]]] = []
    for start, numbers in candidates.items():
        if start in seen or not numbers:
            continue
        charge_group: list[int] = []
        shipment_group: set[int] = set()
        stack = [start]
        seen.add(start)
        while stack:
            index = stack.pop()
            charge_group.append(index)
            for number in candidates[index]:
                if number in shipment_group:
                    continue
                shipment_group.add(number)
                for other in charges_of[number]:
                    if other not in seen:
                        seen.add(other)
                        stack.append(other)
        groups.append((sorted(charge_group), sorted(shipment_group)))
    return groups


def _amount_matches(charge: CardCharge, shipment: Shipment) -> bool:
    if shipment.currency == "NOK" and charge.original_currency in (None, "NOK"):
        return abs(charge.amount - shipment.total) <= AMOUNT_TOLERANCE
    if charge.original_currency != shipment.currency or charge.original_amount is None:
        return False
    return abs(charge.original_amount - shipment.total) <= AMOUNT_TOLERANCE


def _date_matches(charge: CardCharge, shipment: Shipment) -> bool:
    offset = (charge.date - shipment.charged_on).days
    return -DAYS_BEFORE <= offset <= DAYS_AFTER
