"""Voucher export to CSV files that accounting systems and spreadsheets import.

Layout (docs/exports.md): UTF-8 with BOM, so that spreadsheet programs
detect the encoding, ``;`` as separator and CRLF line ends. A header row
with the names in ``COLUMNS`` comes first, then one row per voucher line,
with ISO dates and a decimal point. Debit lines are positive and credit lines negative, so the
``gross_amount`` cells of each voucher sum to zero. Text cells that a
spreadsheet would run as a formula start with an apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from bot.ports import Voucher
from bot.vat import split_gross
from connectors.files import FileExporter, VoucherKey, check_encodable
from connectors.spreadsheet import amount_text, decimal_text, neutralise

COLUMNS = ("voucher_number", "date", "line", "account", "cost_center", "project", "tax_code", "vat_rate",
           "gross_amount", "net_amount", "vat_amount", "currency", "description", "reference", "clearing")

# The cells compared when a voucher number is found in an earlier file.
KEY_COLUMNS = ("date", "account", "cost_center", "project", "tax_code", "gross_amount")

# Files of the first CSV layout, which had no line and VAT columns, name the gross amount "amount".
# They are still read, so an upgraded installation does not export their vouchers again.
FIRST_LAYOUT_NAMES = {"gross_amount": "amount"}


class CsvExporter(FileExporter):
    """Writes each batch of vouchers to ``vouchers-YYYYMMDD-HHMMSS[-N].csv`` in the export folder."""

    name = "csv"
    file_prefix = "vouchers-"
    file_suffix = ".csv"

    def check(self, voucher: Voucher) -> None:
        check_encodable(voucher, "utf-8")

    def render(self, vouchers: Sequence[Voucher], created_at: datetime) -> bytes:
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for voucher in vouchers:
            writer.writerows(voucher_rows(voucher))
        return buffer.getvalue().encode("utf-8-sig")

    def read(self, path: Path) -> dict[str, VoucherKey]:
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                rows = list(csv.DictReader(handle, delimiter=";"))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise self.foreign_file(path, str(exc)) from None

        if not rows:
            return {}
        columns = rows[0].keys()
        names = [name if name in columns else FIRST_LAYOUT_NAMES.get(name, name) for name in KEY_COLUMNS]
        missing = [name for name in ("voucher_number", *names) if name not in columns]
        if missing:
            raise self.foreign_file(path, f"missing columns {', '.join(missing)}")

        lines: dict[str, list[tuple[str | None, ...]]] = {}
        for row in rows:
            lines.setdefault(row["voucher_number"], []).append(tuple(row[name] for name in names))
        return {number: tuple(cells) for number, cells in lines.items()}

    def key(self, voucher: Voucher) -> VoucherKey:
        indexes = [COLUMNS.index(name) for name in KEY_COLUMNS]
        return tuple(tuple(row[index] for index in indexes) for row in voucher_rows(voucher))


def voucher_rows(voucher: Voucher) -> list[list[str]]:
    """Return the voucher's rows as cell texts in ``COLUMNS`` order, one row per line."""
    rows = []
    for number, line in enumerate(voucher.lines, start=1):
        if line.vat_rate is None:
            net, vat = line.amount, Decimal(0)
        else:
            net, vat = split_gross(line.amount, line.vat_rate)
        rows.append([
            neutralise(voucher.number),
            voucher.date.isoformat(),
            str(number),
            neutralise(line.account),
            neutralise(line.cost_center or ""),
            neutralise(line.project or ""),
            neutralise(line.tax_code or ""),
            "" if line.vat_rate is None else decimal_text(line.vat_rate),
            amount_text(line.amount),
            amount_text(net),
            amount_text(vat),
            neutralise(voucher.currency),
            neutralise(line.description),
            neutralise(voucher.reference),
            "1" if line.clearing else "0",
        ])
    return rows
