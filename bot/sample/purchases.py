"""Purchases as the company makes them, before Amazon turns them into orders.

A purchase records what only the people involved know: the purpose (a
project, an event) that decides the allocation. The order report shows
only its traces: who ordered, where it was delivered, sometimes a project
code typed into the PO number field.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from bot.masterdata import Employee
from bot.sample import catalog
from bot.sample.catalog import Product
from bot.sample.sites import Address, EventSpec, ProjectSpec

# Share of orders placed on amazon.se (in SEK) rather than amazon.de.
SWEDISH_SHARE = 0.15

# Typical quantities per order line by kind, as (lowest, highest).
_QUANTITIES = {
    catalog.OFFICE: (1, 5),
    catalog.IT: (1, 3),
    catalog.SOFTWARE: (1, 5),
    catalog.FAIR_MATERIAL: (1, 2),
    catalog.GIVEAWAY: (1, 4),
    catalog.PARTS: (1, 12),
    catalog.CONSUMABLES: (1, 6),
    catalog.TOOLS: (1, 2),
    catalog.SAFETY: (1, 8),
    catalog.CATERING: (1, 6),
    catalog.GIFT: (1, 6),
    catalog.FURNITURE: (1, 2),
    catalog.PACKAGING: (1, 6),
}

# Caps on the usual quantity by unit price in EUR: dear products are bought
# one or a few at a time.
_QUANTITY_CAPS = ((150, 1), (50, 2), (20, 4))


@dataclass(frozen=True)
class PurchaseLine:
    """One product in a purchase; ``use`` is the kind the controller books it as.

    ``use`` is the product's kind except for everyday products bought in
    bulk as trade-fair giveaways, which are booked as giveaways.
    """

    product: Product
    quantity: int
    use: str


@dataclass(frozen=True)
class Purchase:
    """One order as the requester meant it; ``project`` or ``event`` is the purpose, if any.

    ``department`` is the cost center the purchase is for when the
    requester buys for another department, as the office manager does.
    """

    order_date: date
    requester: Employee
    marketplace: str
    ship_to: Address
    lines: tuple[PurchaseLine, ...]
    project: ProjectSpec | None = None
    event: EventSpec | None = None
    po_number: str = ""
    department: str | None = None


class Shop:
    """Picks requesters, marketplaces, products and quantities from one random generator.

    ``products`` is the catalog to pick from and ``quantities`` the usual
    quantity range per product kind; both default to Nordlys Teknikk's.
    """

    def __init__(self, rng: random.Random, activity: dict[str, float],
                 products: Sequence[Product] = catalog.PRODUCTS,
                 quantities: Mapping[str, tuple[int, int]] = _QUANTITIES):
        self.rng = rng
        self._activity = activity
        self._quantities = quantities
        self._products: dict[tuple[str, str], list[Product]] = {}
        for product in products:
            self._products.setdefault((product.marketplace, product.kind), []).append(product)

    def requester(self, candidates: Sequence[Employee]) -> Employee | None:
        """Choose among the candidates, the frequent buyers more often."""
        if not candidates:
            return None
        weights = [self._activity[employee.email] for employee in candidates]
        return self.rng.choices(list(candidates), weights=weights)[0]

    def basket(
        self,
        kinds: dict[str, float],
        count: int,
        *,
        accept: Callable[[Product], bool] = lambda product: True,
        quantity: tuple[int, int] | None = None,
        use: str | None = None,
        marketplace: str | None = None,
    ) -> tuple[str, tuple[PurchaseLine, ...]]:
        """Pick up to ``count`` different products of the weighted kinds from one marketplace.

        The marketplace is drawn unless given. One order never mixes
        marketplaces (and so currencies), so a basket that finds nothing on
        amazon.se is picked again from amazon.de. ``quantity`` replaces the
        kind's usual range, and ``use`` the kind the lines are booked as.
        """
        marketplace = marketplace or ("se" if self.rng.random() < SWEDISH_SHARE else "de")
        lines = self._pick(marketplace, kinds, count, accept, quantity, use)
        if not lines and marketplace != "de":
            marketplace = "de"
            lines = self._pick(marketplace, kinds, count, accept, quantity, use)
        return marketplace, lines

    def _pick(
        self,
        marketplace: str,
        kinds: dict[str, float],
        count: int,
        accept: Callable[[Product], bool],
        quantity: tuple[int, int] | None,
        use: str | None,
    ) -> tuple[PurchaseLine, ...]:
        chosen: list[PurchaseLine] = []
        names = list(kinds)
        for _ in range(count):
            kind = self.rng.choices(names, weights=[kinds[name] for name in names])[0]
            pool = [
                product for product in self._products.get((marketplace, kind), [])
                if accept(product) and all(line.product != product for line in chosen)
            ]
            if not pool:
                continue
            # Cheap products are reordered more often than dear ones.
            weights = [1 / math.sqrt(_price_in_eur(product)) for product in pool]
            product = self.rng.choices(pool, weights=weights)[0]
            chosen.append(PurchaseLine(product, self._quantity(product, quantity), use or kind))
        return tuple(chosen)

    def _quantity(self, product: Product, override: tuple[int, int] | None) -> int:
        """Draw a quantity from ``override``, or from the kind's usual range capped by price."""
        if override:
            return self.rng.randint(*override)
        lowest, highest = self._quantities[product.kind]
        for price, cap in _QUANTITY_CAPS:
            if _price_in_eur(product) > price:
                highest = min(highest, cap)
                break
        return self.rng.randint(min(lowest, highest), highest)


def _price_in_eur(product: Product) -> float:
    """Return the list price in EUR, counting a Swedish krona as a tenth of a euro."""
    return float(product.price) if product.currency == "EUR" else float(product.price) / 10
