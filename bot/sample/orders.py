"""Amazon orders: a purchase split into shipments, each charged to the card on its own.

Amazon charges per shipment, so every shipment has its own Payment
Reference ID and payment amount. Amounts are in the marketplace's currency
with no VAT, because EU sellers invoice goods exported to Norway at 0 %
(Norwegian import VAT is settled at the border, outside this data).
"""

from __future__ import annotations

import random
import string
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from bot.sample.catalog import PRODUCTS, Product
from bot.sample.purchases import Purchase, PurchaseLine

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# Free shipping from this shipment subtotal, else a flat fee, per marketplace currency.
_FREE_SHIPPING_FROM = {"EUR": Decimal("39"), "SEK": Decimal("399")}
_SHIPPING_FEE = {"EUR": Decimal("5.99"), "SEK": Decimal("59.00")}

# Order net total from which the requester's manager has to approve the order.
_APPROVAL_FROM = {"EUR": Decimal("500"), "SEK": Decimal("5000")}

_CARRIERS = {"de": ("DHL", "UPS"), "se": ("PostNord",)}


@dataclass(frozen=True)
class ItemRow:
    """One row of the order report: one product in one shipment.

    ``line_index`` points into the purchase's lines; a line whose quantity
    ships in two parts has two rows with the same index.
    """

    line_index: int
    line: PurchaseLine
    quantity: int
    listed_ppu: Decimal
    purchase_ppu: Decimal
    subtotal: Decimal
    shipping: Decimal
    promotion: Decimal
    tax: Decimal

    @property
    def net_total(self) -> Decimal:
        return self.subtotal + self.shipping + self.promotion + self.tax

    @property
    def discount(self) -> Decimal:
        """Return the business-price discount against the list price for the whole row."""
        return (self.listed_ppu - self.purchase_ppu) * self.quantity


@dataclass(frozen=True)
class Shipment:
    payment_reference: str
    shipment_date: date
    carrier: str
    tracking_number: str
    rows: tuple[ItemRow, ...]

    @property
    def payment_date(self) -> date:
        """Return the charge date: Amazon charges the card when the shipment leaves."""
        return self.shipment_date

    @property
    def amount(self) -> Decimal:
        return sum((row.net_total for row in self.rows), ZERO)

    @property
    def quantity(self) -> int:
        return sum(row.quantity for row in self.rows)


@dataclass(frozen=True)
class Order:
    order_id: str
    purchase: Purchase
    shipments: tuple[Shipment, ...]
    approver: str | None

    @property
    def currency(self) -> str:
        return self.purchase.lines[0].product.currency

    @property
    def rows(self) -> tuple[ItemRow, ...]:
        return tuple(row for shipment in self.shipments for row in shipment.rows)


class OrderFactory:
    """Turns purchases into orders, keeping order ids and payment references unique."""

    def __init__(self, rng: random.Random, price_factors: dict[tuple[str, int], float]):
        self.rng = rng
        self._price_factors = price_factors
        self._order_ids: set[str] = set()
        self._references: set[str] = set()

    def build(self, purchase: Purchase, approver: str | None, *, last_shipment: date,
              delays: tuple[int, ...] | None = None) -> Order:
        """Build the order; shipments leave ``delays`` days after the order date, at most on ``last_shipment``.

        Without ``delays`` the generator decides whether the order ships in
        one or two parts and when.
        """
        groups = self._split(purchase, len(delays) if delays else None)
        if delays is None:
            delays = self._delays(len(groups))
        elif len(delays) != len(groups):
            raise ValueError(f"{len(delays)} shipment delays given for an order that ships in {len(groups)} parts")
        currency = purchase.lines[0].product.currency
        carriers = _CARRIERS[purchase.marketplace]

        shipments = []
        for rows, delay in zip(groups, delays):
            shipment_date = min(purchase.order_date + timedelta(days=delay), last_shipment)
            priced = self._add_shipping(rows, currency)
            carrier = self.rng.choice(carriers)
            shipments.append(Shipment(self._reference(), shipment_date, carrier, self._tracking(carrier),
                                      tuple(priced)))

        total = sum((shipment.amount for shipment in shipments), ZERO)
        needs_approval = total >= _APPROVAL_FROM[currency]
        return Order(self._order_id(purchase.marketplace), purchase, tuple(shipments),
                     approver if needs_approval else None)

    def _split(self, purchase: Purchase, parts: int | None) -> list[list[ItemRow]]:
        """Price the lines and group them into ``parts`` shipments (one or two), drawn when not given.

        Orders with several lines ship in two parts now and then, and a
        large quantity of one product sometimes ships in two parts itself.
        """
        rows = [self._price(index, line, purchase) for index, line in enumerate(purchase.lines)]
        if parts is None:
            several = len(rows) >= 2 and self.rng.random() < 0.18
            bulk = len(rows) == 1 and rows[0].quantity >= 10 and self.rng.random() < 0.1
            parts = 2 if several or bulk else 1
        if parts == 1:
            return [rows]

        if len(rows) == 1:
            head, tail = self._divide(rows[0])
            return [[head], [tail]]

        cut = self.rng.randint(1, len(rows) - 1)
        first, second = rows[:cut], rows[cut:]
        large = [row for row in first if row.quantity >= 6]
        if large and self.rng.random() < 0.2:
            head, tail = self._divide(large[0])
            first[first.index(large[0])] = head
            second.append(tail)
        return [first, second]

    def _divide(self, row: ItemRow) -> tuple[ItemRow, ItemRow]:
        """Split a row's quantity in two at the same unit prices, sharing its promotion by quantity."""
        part = self.rng.randint(1, row.quantity - 1)
        head_promotion = (row.promotion * part / row.quantity).quantize(CENT, rounding=ROUND_HALF_UP)
        head = replace(row, quantity=part, subtotal=row.purchase_ppu * part, promotion=head_promotion)
        tail = replace(row, quantity=row.quantity - part, subtotal=row.subtotal - head.subtotal,
                       promotion=row.promotion - head_promotion)
        return head, tail

    def _delays(self, parts: int) -> tuple[int, ...]:
        first = self.rng.choices((0, 1, 2), weights=(3, 5, 2))[0]
        if parts == 1:
            return (first,)
        return first, first + self.rng.randint(2, 5)

    def _price(self, index: int, line: PurchaseLine, purchase: Purchase) -> ItemRow:
        """Price a row at this month's list price, with business and promotion discounts."""
        product = line.product
        quantity = line.quantity
        factor = self._price_factors[product.asin, purchase.order_date.month]
        listed = _round(product.price * Decimal(str(factor)), product.currency)
        purchase_ppu = listed
        if quantity >= 10 and self.rng.random() < 0.4:
            purchase_ppu = _round(listed * Decimal("0.95"), product.currency)
        subtotal = purchase_ppu * quantity
        promotion = ZERO
        if self.rng.random() < 0.06:
            promotion = -(subtotal * Decimal("0.10")).quantize(CENT, rounding=ROUND_HALF_UP)
        return ItemRow(index, line, quantity, listed, purchase_ppu, subtotal, ZERO, promotion, ZERO)

    def _add_shipping(self, rows: list[ItemRow], currency: str) -> list[ItemRow]:
        """Charge the shipment's shipping fee, shared between rows by subtotal."""
        subtotal = sum((row.subtotal for row in rows), ZERO)
        fee = ZERO if subtotal >= _FREE_SHIPPING_FROM[currency] else _SHIPPING_FEE[currency]
        priced = []
        left = fee
        for position, row in enumerate(rows):
            if position == len(rows) - 1:
                share = left
            else:
                share = (fee * row.subtotal / subtotal).quantize(CENT, rounding=ROUND_HALF_UP) if subtotal else ZERO
            left -= share
            priced.append(replace(row, shipping=share))
        return priced

    def _order_id(self, marketplace: str) -> str:
        prefix = "403" if marketplace == "se" else self.rng.choice(("302", "303", "304", "305", "306"))
        while True:
            order_id = f"{prefix}-{self.rng.randint(0, 9999999):07d}-{self.rng.randint(0, 9999999):07d}"
            if order_id not in self._order_ids:
                self._order_ids.add(order_id)
                return order_id

    def _reference(self) -> str:
        alphabet = string.ascii_letters + string.digits
        while True:
            reference = "".join(self.rng.choice(alphabet) for _ in range(20))
            if reference not in self._references:
                self._references.add(reference)
                return reference

    def _tracking(self, carrier: str) -> str:
        digits = "".join(self.rng.choice(string.digits) for _ in range(12))
        if carrier == "UPS":
            return "1Z" + "".join(self.rng.choice(string.ascii_uppercase + string.digits) for _ in range(16))
        if carrier == "PostNord":
            return f"UA{digits[:9]}SE"
        return digits


def price_factors(rng: random.Random, months: list[int],
                  products: Sequence[Product] = PRODUCTS) -> dict[tuple[str, int], float]:
    """Draw each product's price drift per month, within 4 % of its list price."""
    return {(product.asin, month): rng.uniform(0.96, 1.04) for product in products for month in months}


def _round(amount: Decimal, currency: str) -> Decimal:
    """Round a price: euro prices to the cent, Swedish prices to whole kronor."""
    if currency == "SEK":
        return amount.quantize(Decimal("1"), rounding=ROUND_HALF_UP).quantize(CENT)
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
