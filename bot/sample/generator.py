"""Generate the sample company's files: master data, six months of orders, a card statement, an email.

June to October 2026 are labeled history. November 2026 is the month to
classify: an unlabeled order report and the card statement (CSV and PDF)
arrive in a forwarded email, and the labeled report and a truth file lie
beside them for scoring. The same seed gives byte-identical files, because
every random choice comes from generators seeded from it, never from the
clock.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from bot.sample.company import Company, build_company
from bot.sample.mail import write_forwarded_email
from bot.sample.master_toml import write_master_data
from bot.sample.orders import Order, OrderFactory, price_factors
from bot.sample.purchases import Purchase
from bot.sample.labels import label_orders
from bot.sample.rates import ExchangeRates
from bot.sample.report import write_order_report, write_truth
from bot.sample.rules import INCONSISTENCY_RATE, allocate, misallocate
from bot.sample.scenarios import plan_purchases
from bot.sample.statement import build_statement, write_statement_csv
from bot.sample.statement_pdf import write_statement_pdf

logger = logging.getLogger(__name__)

FIRST_DAY = date(2026, 6, 1)
LAST_DAY = date(2026, 11, 30)
MONTH_TO_CLASSIFY = (2026, 11)
# Rates run past the period because the last shipments are charged in December.
_RATES_UNTIL = date(2026, 12, 10)


@dataclass(frozen=True)
class SampleFiles:
    """Paths of the generated files.

    ``history`` contains the labeled order reports June to October 2026, oldest
    first. ``month_report`` is November's report without allocations and
    ``month_report_labeled`` the same rows in the same order with them.
    ``truth`` has one row per November item: Order ID, Payment Reference ID,
    ASIN, Cost Center, Project Code, GL Code, Tax Code. ``eml`` carries
    ``month_report``, ``statement_csv`` and ``statement_pdf``.
    """

    master_data: Path
    history: tuple[Path, ...]
    month_report: Path
    month_report_labeled: Path
    truth: Path
    statement_csv: Path
    statement_pdf: Path
    eml: Path


def generate(out_dir: Path, seed: int = 2026) -> SampleFiles:
    """Write the sample company's files into ``out_dir`` (created if missing) and return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)

    company = build_company(_rng(seed, "company"))
    rates = ExchangeRates(_rng(seed, "rates"), FIRST_DAY, _RATES_UNTIL)
    purchases = plan_purchases(company, _rng(seed, "purchases"), FIRST_DAY, LAST_DAY)
    months = sorted({(purchase.order_date.year, purchase.order_date.month) for purchase in purchases})
    factory = OrderFactory(_rng(seed, "orders"), price_factors(_rng(seed, "prices"), [month for _, month in months]))
    orders = _build_orders(purchases, factory, company)
    labels = label_orders(orders, company.master.accounts, rates, _rng(seed, "labels"), allocate=allocate,
                          misallocate=misallocate, slip_rate=INCONSISTENCY_RATE)

    by_month = {month: [order for order in orders if _month(order.purchase) == month] for month in months}
    files = SampleFiles(
        master_data=out_dir / "masterdata.toml",
        history=tuple(out_dir / f"orders_{year}-{month:02d}_labeled.csv"
                      for year, month in months if (year, month) != MONTH_TO_CLASSIFY),
        month_report=out_dir / "orders_2026-11.csv",
        month_report_labeled=out_dir / "orders_2026-11_labeled.csv",
        truth=out_dir / "truth.csv",
        statement_csv=out_dir / "kortutskrift_2026-11.csv",
        statement_pdf=out_dir / "kortutskrift_2026-11.pdf",
        eml=out_dir / "kortutskrift_og_amazon-rapport_2026-11.eml",
    )

    write_master_data(company.master, files.master_data)
    history_months = [month for month in months if month != MONTH_TO_CLASSIFY]
    for path, month in zip(files.history, history_months):
        write_order_report(path, by_month[month], labels)
    november = by_month[MONTH_TO_CLASSIFY]
    write_order_report(files.month_report, november)
    write_order_report(files.month_report_labeled, november, labels)
    write_truth(files.truth, november, labels)

    statement = build_statement(november, by_month[history_months[-1]], rates, _rng(seed, "statement"),
                                date(2026, 11, 1), LAST_DAY)
    write_statement_csv(statement, files.statement_csv)
    write_statement_pdf(statement, files.statement_pdf)
    write_forwarded_email(files.eml, [
        (files.month_report, "orders_from_20261101_to_20261130_20261203_1405.csv", "text/csv"),
        (files.statement_csv, files.statement_csv.name, "text/csv"),
        (files.statement_pdf, files.statement_pdf.name, "application/pdf"),
    ])

    logger.info("Sample company written to %s: %d employees, %d orders, %d items, %d card lines in November",
                out_dir, len(company.master.employees), len(orders), len(labels), len(statement.lines))
    return files


def _rng(seed: int, purpose: str) -> random.Random:
    """Return a generator for one part of the sample, so parts do not shift each other's draws."""
    return random.Random(f"{seed}:{purpose}")


def _month(purchase: Purchase) -> tuple[int, int]:
    return purchase.order_date.year, purchase.order_date.month


def _build_orders(purchases: list[Purchase], factory: OrderFactory, company: Company) -> list[Order]:
    """Turn purchases into orders; every shipment is charged within its order's month except two in November.

    The last November order ships on 1 December, and the last November
    order with two or more products ships its second part on 2 December,
    so reconciliation finds shipments with no card line on the November
    statement.
    """
    november = [purchase for purchase in purchases if _month(purchase) == MONTH_TO_CLASSIFY]
    shipped_late = november[-1]
    split_late = next(purchase for purchase in reversed(november[:-1]) if len(purchase.lines) >= 2)

    orders = []
    for purchase in purchases:
        manager = company.manager_of(purchase.requester)
        approver = manager.name if manager else None
        next_month = (purchase.order_date.replace(day=1) + timedelta(days=32)).replace(day=1)
        month_end = next_month - timedelta(days=1)
        if purchase is shipped_late:
            delay = (date(2026, 12, 1) - purchase.order_date).days
            order = factory.build(purchase, approver, last_shipment=date(2026, 12, 1), delays=(delay,))
        elif purchase is split_late:
            delay = (date(2026, 12, 2) - purchase.order_date).days
            order = factory.build(purchase, approver, last_shipment=date(2026, 12, 2), delays=(0, delay))
        else:
            order = factory.build(purchase, approver, last_shipment=month_end)
        orders.append(order)
    return orders
