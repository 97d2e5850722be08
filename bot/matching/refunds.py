"""Refunds: credit lines matched to the items they pay back.

An Amazon credit is matched, in this order of precedence:

1. by the order id or payment reference that the line's text names, to the
   items of that order whose amounts (or refund amounts) add up to it;
2. by the refund rows of the order report: rows of one order with a
   refund amount and a refund date near the line, adding up to it;
3. by amount: a shipment or a single item of an order paid within
   ``REFUND_WINDOW_DAYS`` before the line, of exactly the refunded amount,
   when only one fits.

A credit from another merchant is matched to a purchase from the same
merchant of the same amount within the same window, when only one fits.
Each returned item gets its share of the credit in proportion to its
refund amount, else its total, so the shares add up to the line exactly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from bot.matching import reasons
from bot.matching.charges import (
    AmountRange,
    band_range,
    exact_range,
    in_window,
    line_amount,
    order_ids,
    reference_tokens,
    same_merchant,
)
from bot.matching.money import split_amount, to_cents
from bot.matching.shipments import Shipment, charge_date, signature
from bot.matching.subsets import MAX_CANDIDATES, fitting_subsets
from bot.records import CardCharge, Reason, ReportItem

# How many days before a credit line its purchase is looked for: a return
# within a month of delivery plus the time to refund it.
# NOTE: an estimate, not measured on real statements.
REFUND_WINDOW_DAYS = 60


@dataclass(frozen=True)
class RefundMatch:
    """A credit line and what it pays back.

    ``returned`` gives each returned item its share of the credit in NOK,
    negative, adding up to the line's amount. ``purchase`` is set instead
    for a credit from another merchant whose purchase is a card line of
    the same input, which becomes an item in the same run.
    """

    charge: CardCharge
    returned: tuple[tuple[ReportItem, Decimal], ...]
    reason: Reason
    purchase: CardCharge | None = None


@dataclass(frozen=True)
class _Returned:
    """Items found for a credit, with the weights its amount is divided by."""

    items: tuple[ReportItem, ...]
    weights: tuple[Decimal, ...]
    reason: Reason


class RefundMatcher:
    """Match Amazon credits to items of the given shipments, paying back each item at most once per run."""

    def __init__(self, shipments: Sequence[Shipment], rates: dict[str, tuple[Decimal, Decimal]]):
        self.shipments = shipments
        self.rates = rates
        self.used: set[int] = set()   # id() of items that a credit of this run pays back

    def match(self, credit: CardCharge) -> RefundMatch | Reason:
        """Return the refund match of an Amazon credit, or the reason it has none."""
        for rule in (self._by_reference, self._by_refund_rows, self._by_amount):
            found = rule(credit)
            if found is None:
                continue
            if isinstance(found, Reason):
                return found

            # A row of weight zero, such as a free item, gets no share, so it gets no refund item.
            rows = [(item, weight) for item, weight in zip(found.items, found.weights) if weight != 0]
            if not rows:
                continue
            self.used.update(id(item) for item, _ in rows)
            amounts = split_amount(credit.amount, [weight for _, weight in rows])
            returned = tuple((item, amount) for (item, _), amount in zip(rows, amounts))
            return RefundMatch(credit, returned, found.reason)
        amount, currency = line_amount(credit)
        return reasons.reason(reasons.REFUND_NOT_FOUND, amount=amount, currency=currency, days=REFUND_WINDOW_DAYS)

    def _by_reference(self, credit: CardCharge) -> _Returned | Reason | None:
        named_orders = set(order_ids(credit))
        tokens = reference_tokens(credit)
        shipments = [shipment for shipment in self.shipments
                     if shipment.order_id in named_orders
                     or (shipment.payment_reference and shipment.payment_reference.upper() in tokens)]
        if not shipments:
            return None

        order_id = shipments[0].order_id
        rows = [(item, amount) for shipment in shipments for item, amount in zip(shipment.items, shipment.amounts())
                if id(item) not in self.used]
        amount_range = self._range(credit, shipments[0].currency)
        refunded = [(item, item.refund_amount) for item, _ in rows if item.refund_amount]
        if amount_range is not None and refunded and amount_range.contains(
                to_cents(sum((amount for _, amount in refunded), Decimal(0)))):
            return _returned(refunded, reasons.reason(reasons.REFUND_BY_ORDER, order_id=order_id))

        fits = self._unique_subset(rows, amount_range)
        if fits is None:
            amount, currency = line_amount(credit)
            return reasons.reason(reasons.REFUND_ORDER_MISMATCH, order_id=order_id, amount=amount, currency=currency)
        return _returned(fits, reasons.reason(reasons.REFUND_BY_ORDER, order_id=order_id))

    def _by_refund_rows(self, credit: CardCharge) -> _Returned | Reason | None:
        groups: dict[tuple[str, date], list[ReportItem]] = defaultdict(list)
        currencies: dict[tuple[str, date], str] = {}
        for shipment in self.shipments:
            for item in shipment.items:
                if item.refund_amount and item.refund_date and id(item) not in self.used:
                    groups[(item.order_id, item.refund_date)].append(item)
                    currencies[(item.order_id, item.refund_date)] = shipment.currency

        fitting = []
        for (order_id, refunded_on), items in groups.items():
            amount_range = self._range(credit, currencies[(order_id, refunded_on)])
            total = sum((item.refund_amount for item in items), Decimal(0))
            if amount_range is not None and amount_range.contains(to_cents(total)) and in_window(credit, refunded_on):
                fitting.append((order_id, refunded_on, total, currencies[(order_id, refunded_on)], items))
        if not fitting:
            return None
        if len(fitting) > 1:
            return _ambiguous(credit, len(fitting))

        order_id, refunded_on, total, currency, items = fitting[0]
        note = reasons.reason(reasons.REFUND_BY_REPORT, amount=total, currency=currency, order_id=order_id,
                              date=refunded_on)
        return _returned([(item, item.refund_amount) for item in items], note)

    def _by_amount(self, credit: CardCharge) -> _Returned | Reason | None:
        earliest = credit.date - timedelta(days=REFUND_WINDOW_DAYS)
        candidates: dict[tuple, tuple[Shipment, list[tuple[ReportItem, Decimal]]]] = {}
        for shipment in self.shipments:
            if not earliest <= shipment.charged_on <= credit.date:
                continue
            # Without an order or report row to anchor it, only the exact amount
            # counts: an exchange-rate band would let unrelated purchases fit.
            amount_range = exact_range(credit, shipment.currency)
            if amount_range is None:
                continue
            rows = [(item, amount) for item, amount in zip(shipment.items, shipment.amounts())
                    if id(item) not in self.used]
            if len(rows) == len(shipment.items) and amount_range.contains(to_cents(shipment.total)):
                candidates.setdefault(signature(shipment), (shipment, rows))
            for item, amount in rows:
                if len(rows) > 1 and amount_range.contains(to_cents(amount)):
                    single = Shipment(shipment.order_id, shipment.payment_reference, shipment.currency, amount,
                                      shipment.charged_on, (item,), (amount,))
                    candidates.setdefault(signature(single), (single, [(item, amount)]))

        if not candidates:
            return None
        if len(candidates) > 1:
            return _ambiguous(credit, len(candidates))
        shipment, rows = next(iter(candidates.values()))
        note = reasons.reason(reasons.REFUND_BY_AMOUNT, order_id=shipment.order_id, date=shipment.charged_on)
        return _returned(rows, note)

    def _range(self, credit: CardCharge, currency: str) -> AmountRange | None:
        return exact_range(credit, currency) or band_range(credit, currency, self.rates)

    @staticmethod
    def _unique_subset(rows: list[tuple[ReportItem, Decimal]],
                       amount_range: AmountRange | None) -> list[tuple[ReportItem, Decimal]] | None:
        """Return the one set of rows, up to interchangeable rows, whose amounts add up to the credit."""
        positive = [(item, amount) for item, amount in rows if amount > 0]
        if amount_range is None or not positive or len(positive) > MAX_CANDIDATES:
            return None
        subsets = fitting_subsets([to_cents(amount) for _, amount in positive], amount_range.low, amount_range.high)
        if not subsets:
            return None
        kinds = {tuple(sorted(_row_kind(*positive[index]) for index in subset)) for subset in subsets}
        if len(kinds) > 1:
            return None
        return [positive[index] for index in subsets[0]]


def match_merchant_credit(credit: CardCharge, purchases: Sequence[CardCharge],
                          earlier: Sequence[ReportItem]) -> RefundMatch | Reason | None:
    """Match a credit from another merchant to one purchase of the same merchant and amount, if only one fits.

    Returns None when no purchase fits, and the ambiguous reason when
    several do, so that the credit stays open instead of becoming an item.

    ``purchases`` are other merchants' purchase lines of the same input.
    ``earlier`` are items booked before; those from such lines name the
    line's text as their seller.
    """
    earliest = credit.date - timedelta(days=REFUND_WINDOW_DAYS)
    lines = [purchase for purchase in purchases
             if purchase.amount == -credit.amount and earliest <= purchase.date <= credit.date
             and same_merchant(credit, purchase.description)]
    items = []
    for item in earlier:
        amount_range = exact_range(credit, item.currency)
        if (amount_range is not None and amount_range.contains(to_cents(item.net_total))
                and earliest <= charge_date(item) <= credit.date and same_merchant(credit, item.seller or "")):
            items.append(item)

    if not lines and not items:
        return None
    if len(lines) + len(items) > 1:
        return _ambiguous(credit, len(lines) + len(items))
    if lines:
        note = reasons.reason(reasons.REFUND_OF_PURCHASE, date=lines[0].date)
        return RefundMatch(credit, (), note, purchase=lines[0])
    note = reasons.reason(reasons.REFUND_OF_PURCHASE, date=charge_date(items[0]))
    return RefundMatch(credit, ((items[0], credit.amount),), note)


def _ambiguous(credit: CardCharge, count: int) -> Reason:
    amount, currency = line_amount(credit)
    return reasons.reason(reasons.REFUND_AMBIGUOUS, amount=amount, currency=currency, count=count)


def _row_kind(item: ReportItem, amount: Decimal) -> tuple[str, str]:
    return item.asin or item.title, str(amount)


def _returned(rows: Sequence[tuple[ReportItem, Decimal]], note: Reason) -> _Returned:
    return _Returned(tuple(item for item, _ in rows), tuple(weight for _, weight in rows), note)
