"""Generate the second sample company's master data and one labeled order report.

The period is a run of whole months centred on the reorganisation of
1 July 2026. The default of 3 000 items gives twelve months, January to
December 2026, and more items give more months. The period never has fewer
than three months, so June, July and August are always in it. Each month
gets its share of the items (July, the holiday month, and December get
less) and is filled with orders until it has that share. A month so ends at
most one order past its share, unless its event and Christmas orders alone
exceed it, which only happens for a few hundred items. The same seed and
``items`` give byte-identical files, because every random choice comes from
generators seeded from the seed and a purpose string, never from the
clock.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from bot.sample.master_toml import write_master_data
from bot.sample.orders import Order, OrderFactory, price_factors
from bot.sample.purchases import Purchase
from bot.sample.labels import label_orders
from bot.sample.rates import ExchangeRates
from bot.sample.report import write_order_report
from bot.sample.second import catalog, sites
from bot.sample.second.chart import REORGANISED_ON
from bot.sample.second.company import Company, build_company
from bot.sample.second.rules import INCONSISTENCY_RATE, allocate, misallocate
from bot.sample.second.scenarios import Planner

logger = logging.getLogger(__name__)

ITEMS_PER_MONTH = 250
MIN_MONTHS = 3
# Relative order volume of calendar months: July is the common holiday
# month in Norway, and December's last week is quiet.
_MONTH_WEIGHTS = {7: 0.6, 12: 0.8}


@dataclass(frozen=True)
class SecondCompanyFiles:
    """Paths and counts of the generated files.

    ``report`` is the labeled Amazon Business order report of all months
    from ``first_day`` to ``last_day``, with ``items`` rows from ``orders``
    orders.
    """

    master_data: Path
    report: Path
    first_day: date
    last_day: date
    employees: int
    orders: int
    items: int


def generate_second(out_dir: Path, seed: int = 7, items: int = 3000) -> SecondCompanyFiles:
    """Write Havrekorn Bakeri's master data and labeled order report into ``out_dir`` (created if missing)."""
    if items < 1:
        raise ValueError(f"items must be at least 1, got {items}")
    out_dir.mkdir(parents=True, exist_ok=True)

    months = plan_months(items)
    first_day = date(*months[0], 1)
    last_day = _month_end(months[-1])
    events = sites.events_in_years(first_day.year, last_day.year)

    company = build_company(_rng(seed, "company"), events)
    # Every shipment leaves, and is charged, by the period's last day.
    rates = ExchangeRates(_rng(seed, "rates"), first_day, last_day)
    planner = Planner(company, _rng(seed, "purchases"))
    factors = price_factors(_rng(seed, "prices"), list(range(1, 13)), catalog.PRODUCTS)
    factory = OrderFactory(_rng(seed, "orders"), factors)

    specials = planner.specials(events, first_day, last_day)
    orders = _fill_months(months, month_targets(months, items), specials, planner, factory, company, last_day,
                          _rng(seed, "days"))
    labels = label_orders(orders, company.master.accounts, rates, _rng(seed, "labels"), allocate=allocate,
                          misallocate=misallocate, slip_rate=INCONSISTENCY_RATE)

    files = SecondCompanyFiles(
        master_data=out_dir / "masterdata.toml",
        report=out_dir / f"orders_{first_day:%Y-%m}_{last_day:%Y-%m}_labeled.csv",
        first_day=first_day,
        last_day=last_day,
        employees=len(company.master.employees),
        orders=len(orders),
        items=len(labels),
    )
    write_master_data(company.master, files.master_data, company=sites.COMPANY_NAME)
    write_order_report(files.report, orders, labels, account_group=sites.COMPANY_NAME, sellers=catalog.SELLERS)

    logger.info("Second sample company written to %s: %d employees, %d orders, %d items from %s to %s",
                out_dir, files.employees, files.orders, files.items, first_day, last_day)
    return files


def plan_months(items: int) -> list[tuple[int, int]]:
    """Return the (year, month) pairs of the period for about ``items`` items, centred on the reorganisation."""
    count = max(MIN_MONTHS, round(items / ITEMS_PER_MONTH))
    pivot = REORGANISED_ON.year * 12 + REORGANISED_ON.month - 1
    first = pivot - count // 2
    return [(index // 12, index % 12 + 1) for index in range(first, first + count)]


def month_targets(months: list[tuple[int, int]], items: int) -> list[int]:
    """Share ``items`` out over the months by their weights, rounding so the shares add up to ``items``."""
    weights = [_MONTH_WEIGHTS.get(month, 1.0) for _, month in months]
    exact = [items * weight / sum(weights) for weight in weights]
    targets = [int(share) for share in exact]
    by_remainder = sorted(range(len(months)), key=lambda index: exact[index] - targets[index], reverse=True)
    for index in by_remainder[:items - sum(targets)]:
        targets[index] += 1
    return targets


def _rng(seed: int, purpose: str) -> random.Random:
    """Return a generator for one part of the company, so parts do not shift each other's draws."""
    return random.Random(f"second:{seed}:{purpose}")


def _month_end(year_month: tuple[int, int]) -> date:
    first = date(*year_month, 1)
    return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _fill_months(months: list[tuple[int, int]], targets: list[int], specials: list[Purchase], planner: Planner,
                 factory: OrderFactory, company: Company, last_day: date, rng: random.Random) -> list[Order]:
    """Build each month's special orders, then routine orders until the month has its target of item rows."""
    orders: list[Order] = []
    for (year, month), target in zip(months, targets):
        days = _order_days(year, month)
        month_orders = [
            _build(purchase, factory, company, last_day) for purchase in specials
            if (purchase.order_date.year, purchase.order_date.month) == (year, month)
        ]
        rows = sum(len(order.rows) for order in month_orders)
        while rows < target:
            purchase = planner.routine(_pick_day(days, rng))
            if purchase is None:
                continue
            order = _build(purchase, factory, company, last_day)
            month_orders.append(order)
            rows += len(order.rows)
        orders.extend(sorted(month_orders, key=lambda order: order.purchase.order_date))
    return orders


def _build(purchase: Purchase, factory: OrderFactory, company: Company, last_day: date) -> Order:
    manager = company.manager_of(purchase.requester)
    return factory.build(purchase, manager.name if manager else None, last_shipment=last_day)


def _order_days(year: int, month: int) -> list[date]:
    first = date(year, month, 1)
    return [first + timedelta(days=offset) for offset in range((_month_end((year, month)) - first).days + 1)]


def _pick_day(days: list[date], rng: random.Random) -> date:
    """Pick an order day. Weekends get a twentieth of a weekday's orders."""
    weights = [1.0 if day.weekday() < 5 else 0.05 for day in days]
    return rng.choices(days, weights=weights)[0]
