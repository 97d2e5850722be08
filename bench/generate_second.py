"""Write the second sample company's files and print what they contain.

Usage: python bench/generate_second.py OUT_DIR [--seed N] [--items N]

The summary is read back from the written report. It lists orders and
items per month and the cost centers booked before and after the
reorganisation of 1 July 2026. It also gives the share of items from the
packaging line that is new in August 2026.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter
from datetime import date, datetime
from pathlib import Path

from bot.sample.second import SecondCompanyFiles, generate_second
from bot.sample.second.catalog import NEW_ASINS, NEW_PRODUCTS_FROM
from bot.sample.second.chart import REORGANISED_ON


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the second sample company's files (Havrekorn Bakeri AS).")
    parser.add_argument("out_dir", type=Path, help="folder to write the files to (created if missing)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the generator (default: 7)")
    parser.add_argument("--items", type=int, default=3000,
                        help="approximate number of item rows in the report (default: 3000)")
    args = parser.parse_args(argv)
    if args.items < 1:
        parser.error(f"--items must be at least 1, got {args.items}")

    started = time.perf_counter()
    files = generate_second(args.out_dir, seed=args.seed, items=args.items)
    elapsed = time.perf_counter() - started
    print(summary(files, elapsed))
    return 0


def summary(files: SecondCompanyFiles, elapsed: float) -> str:
    rows = _report_rows(files.report)
    lines = [
        f"Second sample company written to {files.master_data.parent} in {elapsed:.1f} s",
        f"{files.employees} employees, {files.orders} orders, {files.items} items "
        f"from {files.first_day:%d.%m.%Y} to {files.last_day:%d.%m.%Y}",
        "",
        f"{'month':8} {'orders':>6} {'items':>6}",
    ]
    orders: dict[str, set[str]] = {}
    items: Counter[str] = Counter()
    for row in rows:
        month = f"{_order_date(row):%Y-%m}"
        orders.setdefault(month, set()).add(row["Order ID"])
        items[month] += 1
    for month in sorted(items):
        lines.append(f"{month:8} {len(orders[month]):>6} {items[month]:>6}")

    before = Counter(row["Cost Center"] for row in rows if _order_date(row) < REORGANISED_ON)
    after = Counter(row["Cost Center"] for row in rows if _order_date(row) >= REORGANISED_ON)
    lines.append("")
    lines.append(f"Cost centers before {REORGANISED_ON:%d.%m.%Y}: {_counts(before)}")
    lines.append(f"Cost centers from {REORGANISED_ON:%d.%m.%Y}:   {_counts(after)}")

    new = [row for row in rows if row["ASIN"] in NEW_ASINS]
    since_launch = [row for row in rows if _order_date(row) >= NEW_PRODUCTS_FROM]
    lines.append("")
    lines.append(f"New packaging line: {len(new)} items, {_share(len(new), len(rows))} of all items, "
                 f"{_share(len(new), len(since_launch))} of the items from {NEW_PRODUCTS_FROM:%d.%m.%Y}")
    return "\n".join(lines)


def _report_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _order_date(row: dict[str, str]) -> date:
    return datetime.strptime(row["Order Date"], "%m/%d/%Y").date()


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{code} ({count})" for code, count in sorted(counter.items())) or "none"


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "-"


if __name__ == "__main__":
    sys.exit(main())
