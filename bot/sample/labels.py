"""Labeling generated orders the way a company's controller would, slips included."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping

from bot.masterdata import Account
from bot.records import Allocation
from bot.sample.orders import Order
from bot.sample.purchases import Purchase
from bot.sample.rates import ExchangeRates
from bot.sample.report import RowKey, row_key
from bot.sample.rules import LineFacts

Allocate = Callable[[LineFacts, Mapping[str, Account]], Allocation]
Misallocate = Callable[[Allocation, Purchase, random.Random], Allocation]


def label_orders(orders: Iterable[Order], accounts: Mapping[str, Account], rates: ExchangeRates,
                 rng: random.Random, *, allocate: Allocate, misallocate: Misallocate,
                 slip_rate: float) -> dict[RowKey, Allocation]:
    """Allocate every order line by the company's rules; all rows of one line share its allocation.

    ``slip_rate`` of the lines get ``misallocate``'s slip instead, drawn
    from ``rng`` in order, so the same seed gives the same labels.
    """
    labels: dict[RowKey, Allocation] = {}
    for order in orders:
        for index, line in enumerate(order.purchase.lines):
            placed = [(shipment, row) for shipment in order.shipments for row in shipment.rows
                      if row.line_index == index]
            first_shipment, first_row = placed[0]
            unit_price = rates.to_nok(first_row.purchase_ppu, order.currency, first_shipment.payment_date)
            line_total = sum(rates.to_nok(row.net_total, order.currency, shipment.payment_date)
                             for shipment, row in placed)
            facts = LineFacts(order.purchase, line, unit_price, line_total)

            allocation = allocate(facts, accounts)
            if rng.random() < slip_rate:
                allocation = misallocate(allocation, order.purchase, rng)
            for shipment, row in placed:
                labels[row_key(order, shipment, row)] = allocation
    return labels
