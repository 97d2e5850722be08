"""Time `parse_order_report` on a generated Amazon Business order report of 20 000 rows.

    python bench/bench_parse_report.py [--rows 20000] [--repeat 5] [--json OUT] [--workdir DIR]

The report has the 72 columns of the amazon.com "Orders and shipments"
report (``bot.sample.report.COLUMNS``), filled the way that report is: US
dates, dot decimals, ``="…"`` around the card digits and the UNSPSC, and
``N/A`` where a field does not apply. Orders have one to four items, and
a third of the orders with several items ship and are charged in two parts. The same rows are
written three ways, and each file is parsed ``--repeat`` times:

- amazon.com CSV: UTF-8 with BOM, every field quoted, CRLF;
- amazon.com XLSX: numbers as number cells, dates and the rest as text,
  written by openpyxl, which stores text as inline strings;
- amazon.de CSV: semicolons, German column names where the alias table
  has them, decimal commas, DD.MM.YYYY dates, and no Item Net Total or
  Purchase PPU column, so every item total and unit price is computed.

The table gives the median wall time and the median CPU time of the
process per parse. The target is under 5 s per file.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl

from bot.documents.amazon_columns import GERMAN_NAMES
from bot.documents.amazon_report import parse_order_report
from bot.sample.report import COLUMNS

# bench/ is not a package: running a script as `python bench/NAME.py` puts this folder on sys.path.
from environment import describe_code, describe_machine

REPO_ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 5.0
SEED = 2026

# Left out of the German file, so the parser computes the item total and unit price.
GERMAN_DROPPED = frozenset({"Item Net Total", "Purchase PPU"})

Row = dict[str, object]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows of the report (default 20000)")
    parser.add_argument("--repeat", type=int, default=5, help="parses per file; the median counts (default 5)")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--workdir", type=Path, help="write the reports here instead of a temporary folder")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as temporary:
        folder = args.workdir or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        rows = list(generate_rows(args.rows, random.Random(SEED)))
        files = {
            "amazon.com CSV": write_csv(folder / "orders.csv", rows),
            "amazon.com XLSX": write_xlsx(folder / "orders.xlsx", rows),
            "amazon.de CSV": write_german_csv(folder / "bestellungen.csv", rows),
        }

        expected_total = _sum(rows, "Item Net Total")
        print(f"{args.rows} rows, median of {args.repeat} parses; {describe_machine()}")
        print(f"{'file':<16} {'size':>9} {'wall s':>7} {'CPU s':>6}  verdict")
        results = []
        for name, path in files.items():
            wall, cpu = time_parses(path, expected_total, args.repeat)
            verdict = "met" if wall < TARGET_SECONDS else "missed"
            size = f"{path.stat().st_size / 2**20:.1f} MiB"
            print(f"{name:<16} {size:>9} {wall:>7.2f} {cpu:>6.2f}  {verdict} (< {TARGET_SECONDS:.0f} s)")
            results.append({"file": name, "bytes": path.stat().st_size, "wall_seconds": round(wall, 3),
                            "cpu_seconds": round(cpu, 3)})

    if args.json:
        report = {"rows": args.rows, "repeat": args.repeat, "target_seconds": TARGET_SECONDS,
                  "machine": describe_machine(), "code": describe_code(REPO_ROOT), "results": results}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"results written to {args.json}")
    return 0


def time_parses(path: Path, expected_total: Decimal, repeat: int) -> tuple[float, float]:
    """Return the median wall time and the median process CPU time of ``repeat`` parses of the file.

    Each parse must give items whose totals sum to ``expected_total``, so a
    fast but wrong parse cannot pass.
    """
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        items = parse_order_report(path)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        total = sum((item.net_total for item in items), Decimal(0))
        if total != expected_total:
            raise SystemExit(f"{path.name}: the item totals sum to {total}, expected {expected_total}")
    return statistics.median(walls), statistics.median(cpus)


def generate_rows(count: int, rng: random.Random) -> Iterator[Row]:
    """Yield ``count`` item rows of orders with one to four items, some shipped and charged in two parts."""
    produced = 0
    order_number = 0
    while produced < count:
        order_number += 1
        order_date = date(2026, 11, 1) + timedelta(days=rng.randrange(30))
        items = [_item(rng) for _ in range(min(rng.randint(1, 4), count - produced))]
        split = len(items) > 1 and rng.random() < 1 / 3
        shipments = [items[:1], items[1:]] if split else [items]
        order = {
            "Order Date": order_date,
            "Order ID": f"302-{order_number:07d}-{rng.randrange(10**7):07d}",
            "Order Quantity": sum(item["Item Quantity"] for item in items),
            "Order Subtotal": _sum(items, "Item Subtotal"),
            "Order Shipping & Handling": _sum(items, "Item Shipping & Handling"),
            "Order Promotion": _sum(items, "Item Promotion"),
            "Order Tax": _sum(items, "Item Tax"),
            "Order Net Total": _sum(items, "Item Net Total"),
        }
        for number, shipment in enumerate(shipments):
            shipped = order_date + timedelta(days=number * 3 + 1)
            charge = {
                "Payment Reference ID": f"{order_number:09d}{number}Pay{rng.randrange(10**7):07d}",
                "Payment Date": shipped,
                "Payment Amount": _sum(shipment, "Item Net Total"),
                "Shipment Date": shipped,
                "Shipment Quantity": sum(item["Item Quantity"] for item in shipment),
            }
            for item in shipment:
                yield _row(order | charge | item)
                produced += 1


def _item(rng: random.Random) -> Row:
    quantity = rng.choice((1, 1, 1, 2, 3, 10))
    price = Decimal(rng.randrange(199, 99_999)) / 100
    subtotal = price * quantity
    shipping = rng.choice((Decimal("0.00"), Decimal("4.99")))
    promotion = rng.choice((Decimal("0.00"), Decimal("0.00"), Decimal("-2.00")))
    tax = Decimal("0.00")
    return {
        "ASIN": f"B0{rng.randrange(10**8):08d}",
        "Title": f"Artikel {rng.randrange(5000)}, Nylon \"Pro\" 2 m",
        "UNSPSC": f'="{rng.randrange(10**7, 10**8)}"',
        "Listed PPU": price,
        "Purchase PPU": price,
        "Item Quantity": quantity,
        "Item Subtotal": subtotal,
        "Item Shipping & Handling": shipping,
        "Item Promotion": promotion,
        "Item Tax": tax,
        "Item Net Total": subtotal + shipping + promotion + tax,
    }


def _row(values: Row) -> Row:
    """Fill the report's other columns as the amazon.com export does."""
    row: Row = dict.fromkeys(COLUMNS, "N/A")
    row.update({
        "Account Group": "Nordlys Teknikk AS", "Currency": "EUR", "Order Status": "Closed",
        "Account User": "Ola Hansen", "Account User Email": "ola.hansen@example.no",
        "Payment Instrument Type": "Mastercard", "Payment Identifier": '="4821"', "Shipment Status": "Delivered",
        "Shipping Address": "Nordlys Teknikk AS, Industriveien 12, LILLESTRØM, 2004, NO",
        "Product Category": "Tools", "Brand": "Bosch", "Seller Name": "Amazon EU S.à r.l.",
        "GL Code": "", "Department": "", "Cost Center": "", "Project Code": "", "Location": "", "Custom Field 1": "",
        "PO Number": "",
    })
    row.update(values)
    return row


def _sum(items: list[Row], column: str) -> Decimal:
    return sum((item[column] for item in items), Decimal(0))


def write_csv(path: Path, rows: list[Row]) -> Path:
    return _write_text(path, rows, list(COLUMNS), ",", lambda column, value: _us_text(value))


def write_german_csv(path: Path, rows: list[Row]) -> Path:
    columns = [column for column in COLUMNS if column not in GERMAN_DROPPED]
    header = [GERMAN_NAMES[column][0] if column in GERMAN_NAMES else column for column in columns]
    return _write_text(path, rows, columns, ";", lambda column, value: _german_text(value), header)


def write_xlsx(path: Path, rows: list[Row]) -> Path:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([_xlsx_cell(row[column]) for column in COLUMNS])
    workbook.save(path)
    return path


def _write_text(path: Path, rows: list[Row], columns: list[str], delimiter: str,
                text: Callable[[str, object], str], header: list[str] | None = None) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(header or columns)
        for row in rows:
            writer.writerow([text(column, row[column]) for column in columns])
    return path


def _xlsx_cell(value: object) -> object:
    """Return numbers as number cells and everything else as the text the CSV has."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, int):
        return value
    return _us_text(value)


def _us_text(value: object) -> str:
    if isinstance(value, date):
        return value.strftime("%m/%d/%Y")
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def _german_text(value: object) -> str:
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, Decimal):
        return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
