"""Shipments: the report rows that Amazon charges together, with the amount it charged, each counted once.

Amazon charges the card once per shipment, so rows are grouped by order
and payment reference. A shipment's total is the report's Payment Amount,
the amount of that transaction, when the report gives it. Otherwise it is
the rows' net totals plus their share of the order-level shipping,
promotion and tax that the rows lack (see ``adjusted_totals``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bot.matching.money import spread, split_amount
from bot.records import ReportItem

log = logging.getLogger(__name__)

# Payment Instrument Type values of the order report that are no card charge
# (Amazon Business Analytics glossary, plus "N/A" seen in real reports).
NOT_CARD_INSTRUMENTS = {"pay by invoice", "business credit account", "bank account", "reward account", "n/a"}

# Order Status values of an order that is never charged.
CANCELED_STATUSES = {"canceled", "cancelled"}

# Order Status values of an order that Amazon has not charged yet (glossary: Pending, Pending fulfillment).
PENDING_STATUSES = {"pending", "pending fulfillment"}


@dataclass(frozen=True)
class Shipment:
    """Report rows charged together: one order and one payment reference, or some rows of one order.

    ``total`` is in ``currency``. ``item_totals`` gives each item's part of
    it, adding up to ``total``; empty means the items' net totals.
    """

    order_id: str
    payment_reference: str | None
    currency: str
    total: Decimal
    charged_on: date
    items: tuple[ReportItem, ...]
    item_totals: tuple[Decimal, ...] = ()

    def amounts(self) -> tuple[Decimal, ...]:
        """Return each item's part of the total."""
        return self.item_totals or tuple(item.net_total for item in self.items)

    @property
    def sources(self) -> tuple[str, ...]:
        """Return the files the rows come from, in first-seen order."""
        return tuple(dict.fromkeys(item.source for item in self.items))


def build_shipments(items: Sequence[ReportItem]) -> list[Shipment]:
    """Group report rows into shipments in first-seen order, with each row's part of the shipment total."""
    adjusted = adjusted_totals(items)
    groups: dict[tuple[str, str | None], list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        groups[(item.order_id, item.payment_reference)].append(index)

    shipments = []
    for (order_id, reference), indexes in groups.items():
        rows = tuple(items[index] for index in indexes)
        totals = [adjusted[index] for index in indexes]
        paid = next((row.payment_amount for row in rows if row.payment_amount is not None), None)
        if paid is not None and reference is not None:
            # What Amazon charged decides, and the rows share any difference in proportion.
            totals = split_amount(paid, totals)
        shipments.append(Shipment(order_id, reference, rows[0].currency, sum(totals, Decimal(0)),
                                  charge_date(rows[0]), rows, tuple(totals)))
    return shipments


def adjusted_totals(items: Sequence[ReportItem]) -> list[Decimal]:
    """Return each row's net total plus its share of the order-level amounts its order's rows lack.

    Some exports give shipping, promotion or tax only per order, repeated on
    each row, and leave them out of the item totals. When the rows carry
    the order's net total, the difference between it and the sum of the
    order's item totals is spread over the order's rows in proportion to
    their totals, to the øre. Without an order net total, each order-level
    amount whose item-level column is empty on every row of the order is
    spread the same way.

    NOTE: the order's rows are those in ``items``. An order whose other
    shipments were matched in an earlier run has only part of its rows
    here, so its order net total cannot be used and is skipped when it
    exceeds the rows by more than the order-level amounts.
    """
    orders: dict[str, list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        orders[item.order_id].append(index)

    totals = [item.net_total for item in items]
    for indexes in orders.values():
        rows = [items[index] for index in indexes]
        difference = _missing_order_amount(rows)
        if difference:
            for index, total in zip(indexes, spread(difference, [totals[index] for index in indexes])):
                totals[index] = total
    return totals


def _missing_order_amount(rows: Sequence[ReportItem]) -> Decimal:
    parts = _order_parts(rows)
    net_total = next((row.order_net_total for row in rows if row.order_net_total is not None), None)
    if net_total is None:
        return parts

    difference = net_total - sum((row.net_total for row in rows), Decimal(0))
    order_level = sum((abs(value) for value in _order_values(rows)), Decimal(0))
    return difference if abs(difference) <= order_level else Decimal(0)


def _order_parts(rows: Sequence[ReportItem]) -> Decimal:
    """Return the order-level shipping, promotion and tax whose item-level column is empty on every row."""
    first = rows[0]
    total = Decimal(0)
    if first.order_shipping is not None and all(row.shipping is None for row in rows):
        total += first.order_shipping
    if first.order_promotion is not None and all(row.promotion is None for row in rows):
        total += first.order_promotion
    if first.order_tax is not None and all(row.item_tax is None for row in rows):
        total += first.order_tax
    return total


def _order_values(rows: Sequence[ReportItem]) -> list[Decimal]:
    first = rows[0]
    return [value for value in (first.order_shipping, first.order_promotion, first.order_tax) if value is not None]


def charge_date(item: ReportItem) -> date:
    """Return the day Amazon charged the row: its payment date, else its shipment date, else its order date."""
    return item.payment_date or item.shipment_date or item.order_date


def is_card_payment(shipment: Shipment) -> bool:
    """Return whether the shipment was charged to a card; an unknown instrument counts as a card."""
    instrument = (shipment.items[0].payment_instrument or "").strip().lower()
    return instrument not in NOT_CARD_INSTRUMENTS


def order_status(shipment: Shipment) -> str:
    """Return the order status in lower case, or an empty string when the report has none."""
    return (shipment.items[0].order_status or "").strip().lower()


def row_pieces(shipment: Shipment) -> list[Shipment]:
    """Split a shipment into one-row shipments, for rows that Amazon may have charged separately."""
    return [
        Shipment(shipment.order_id, shipment.payment_reference, shipment.currency, amount,
                 charge_date(item), (item,), (amount,))
        for item, amount in zip(shipment.items, shipment.amounts())
    ]


def combine(pieces: Iterable[Shipment]) -> list[Shipment]:
    """Merge pieces of the same order and payment reference back into one shipment each, in first-seen order."""
    groups: dict[tuple[str, str | None], list[Shipment]] = defaultdict(list)
    for piece in pieces:
        groups[(piece.order_id, piece.payment_reference)].append(piece)

    merged = []
    for (order_id, reference), parts in groups.items():
        items = tuple(item for part in parts for item in part.items)
        amounts = tuple(amount for part in parts for amount in part.amounts())
        merged.append(Shipment(order_id, reference, parts[0].currency, sum(amounts, Decimal(0)),
                               min(part.charged_on for part in parts), items, amounts))
    return merged


def signature(shipment: Shipment) -> tuple:
    """Return what booking a shipment depends on, so two shipments with equal signatures are interchangeable.

    Two shipments of equal amounts with the same items, requester, delivery
    address and PO number get the same suggestions and the same NOK amounts,
    so which card line pays which is no guess that changes a booking.
    """
    rows = sorted(
        (item.asin or item.title, str(amount), item.quantity, item.account_user_email or "",
         item.shipping_address or "", item.po_number or "")
        for item, amount in zip(shipment.items, shipment.amounts())
    )
    return shipment.currency, str(shipment.total), tuple(rows)


def split_duplicates(items: Sequence[ReportItem]) -> tuple[list[ReportItem], list[ReportItem],
                                                            dict[tuple[str, str | None], str]]:
    """Keep the rows of one document per shipment that several documents report.

    A payment reference names one charge, so rows with the same order and
    reference from two documents (an order report and an invoice, say)
    describe the same shipment. The document whose rows add up to the
    report's Payment Amount is kept, else the first one given (the pipeline
    gives rows in the order they were stored). Returns the kept rows, the
    repeated rows, and the kept document per repeated shipment.
    """
    groups: dict[tuple[str, str | None], list[ReportItem]] = defaultdict(list)
    for item in items:
        if item.payment_reference:
            groups[(item.order_id, item.payment_reference)].append(item)

    dropped: set[int] = set()
    kept_source: dict[tuple[str, str | None], str] = {}
    for key, rows in groups.items():
        sources = list(dict.fromkeys(row.source for row in rows))
        if len(sources) < 2:
            continue
        keep = min(sources, key=lambda source: _source_rank(rows, source, sources))
        kept_source[key] = keep
        dropped.update(id(row) for row in rows if row.source != keep)
        log.info("shipment %s %s is in %s; keeping the rows of %s", key[0], key[1], ", ".join(sources), keep)

    kept = [item for item in items if id(item) not in dropped]
    repeated = [item for item in items if id(item) in dropped]
    return kept, repeated, kept_source


def _source_rank(rows: Sequence[ReportItem], source: str, sources: list[str]) -> tuple[bool, int]:
    own = [row for row in rows if row.source == source]
    paid = next((row.payment_amount for row in rows if row.payment_amount is not None), None)
    fits = paid is not None and sum((row.net_total for row in own), Decimal(0)) == paid
    return not fits, sources.index(source)
