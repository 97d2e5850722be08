"""Write the sample company's files and print what they contain.

Usage: python bench/generate_sample.py OUT_DIR [--seed N]

The summary is read back from the written files: orders, shipments and
items per month, the November card statement's lines, and the gaps
reconciliation should report (shipments charged after the statement
period, Amazon charges with no items behind them).
"""

from __future__ import annotations

import argparse
import calendar
import csv
import sys
from datetime import datetime
from pathlib import Path

from bot.sample import SampleFiles, generate

_AMAZON_PREFIXES = ("AMAZON", "AMZN")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the sample company's files (Nordlys Teknikk AS).")
    parser.add_argument("out_dir", type=Path, help="folder to write the files to (created if missing)")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the generator (default: 2026)")
    args = parser.parse_args(argv)

    files = generate(args.out_dir, seed=args.seed)
    print(summary(files))
    return 0


def summary(files: SampleFiles) -> str:
    lines = [f"Sample company written to {files.master_data.parent}", ""]
    lines.append(f"{'report':36} {'orders':>6} {'shipments':>9} {'items':>6}")
    total_items = 0
    for path in (*files.history, files.month_report):
        rows = _report_rows(path)
        total_items += len(rows)
        orders = len({row["Order ID"] for row in rows})
        shipments = len({row["Payment Reference ID"] for row in rows})
        lines.append(f"{path.name:36} {orders:>6} {shipments:>9} {len(rows):>6}")
    lines.append(f"{'all months':36} {'':>6} {'':>9} {total_items:>6}")

    statement = _statement_rows(files.statement_csv)
    purchases = [row for row in statement[2:] if row["Ut"]]
    credits = [row for row in statement[2:] if row["Inn"]]
    amazon = [row for row in purchases if row["Beløpet gjelder"].upper().startswith(_AMAZON_PREFIXES)]
    lines.append("")
    lines.append(f"Card statement {files.statement_csv.name}: {len(purchases)} purchases "
                 f"({len(amazon)} Amazon, {len(purchases) - len(amazon)} other), credits: {len(credits)}, "
                 "plus the balance brought forward and the payment")

    november = _report_rows(files.month_report)
    # The first row, the balance brought forward, is dated the first day of the period.
    period_start = datetime.strptime(statement[0]["Dato"], "%d.%m.%Y").date()
    period_end = period_start.replace(day=calendar.monthrange(period_start.year, period_start.month)[1])
    charged_later = {
        row["Payment Reference ID"] for row in november
        if datetime.strptime(row["Payment Date"], "%m/%d/%Y").date() > period_end
    }
    charged_in_period = len({row["Payment Reference ID"] for row in november}) - len(charged_later)
    lines.append(f"Shipments charged after the period (no card line): {len(charged_later)}")
    lines.append(f"Amazon card lines with no shipment behind them: {len(amazon) - charged_in_period}")
    return "\n".join(lines)


def _report_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _statement_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="cp1252", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


if __name__ == "__main__":
    sys.exit(main())
