"""Voucher export to JSON files for programs that read vouchers (docs/exports.md, docs/vouchers.schema.json).

One file per batch, UTF-8 without BOM, with the layout ``allocbot-vouchers``
version 1. Amounts and VAT rates are JSON strings of exact decimals
("1234.50", "25"), because most JSON readers turn a JSON number into a
binary float, which cannot represent every amount of øre exactly.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.ports import Voucher, VoucherLine
from bot.vat import split_gross
from connectors.files import FileExporter, VoucherKey, check_encodable
from connectors.spreadsheet import amount_text, decimal_text

FORMAT = "allocbot-vouchers"
VERSION = 1

# The line keys compared when a voucher number is found in an earlier file, after the voucher's date.
KEY_FIELDS = ("account", "cost_center", "project", "tax_code", "gross_amount")


class JsonExporter(FileExporter):
    """Writes each batch of vouchers to ``vouchers-YYYYMMDD-HHMMSS[-N].json`` in the export folder."""

    name = "json"
    file_prefix = "vouchers-"
    file_suffix = ".json"

    def check(self, voucher: Voucher) -> None:
        check_encodable(voucher, "utf-8")

    def render(self, vouchers: Sequence[Voucher], created_at: datetime) -> bytes:
        document = {
            "format": FORMAT,
            "version": VERSION,
            "currency": self.currency,
            "created_at": created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "vouchers": [voucher_object(voucher) for voucher in vouchers],
        }
        return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")

    def read(self, path: Path) -> dict[str, VoucherKey]:
        try:
            document = json.loads(path.read_bytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise self.foreign_file(path, str(exc)) from None
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise self.foreign_file(path, f'"format" is not "{FORMAT}"')
        if document.get("version") != VERSION:
            raise self.foreign_file(path, f'"version" is {document.get("version")!r}, not {VERSION}')

        try:
            return {voucher["number"]: _key(voucher) for voucher in document["vouchers"]}
        except (KeyError, TypeError) as exc:
            raise self.foreign_file(path, f"a voucher misses the key {exc}") from None

    def key(self, voucher: Voucher) -> VoucherKey:
        return _key(voucher_object(voucher))


def voucher_object(voucher: Voucher) -> dict[str, Any]:
    """Return the voucher as the JSON object of the layout, with amounts as decimal strings."""
    return {
        "number": voucher.number,
        "date": voucher.date.isoformat(),
        "description": voucher.description,
        "reference": voucher.reference,
        "period_start": _iso(voucher.period_start),
        "period_end": _iso(voucher.period_end),
        "lines": [_line_object(index, line) for index, line in enumerate(voucher.lines, start=1)],
    }


def _line_object(index: int, line: VoucherLine) -> dict[str, Any]:
    if line.vat_rate is None:
        net, vat = line.amount, Decimal(0)
    else:
        net, vat = split_gross(line.amount, line.vat_rate)
    return {
        "line": index,
        "account": line.account,
        "cost_center": line.cost_center,
        "project": line.project,
        "tax_code": line.tax_code,
        "vat_rate": None if line.vat_rate is None else decimal_text(line.vat_rate),
        "gross_amount": amount_text(line.amount),
        "net_amount": amount_text(net),
        "vat_amount": amount_text(vat),
        "description": line.description,
        "clearing": line.clearing,
    }


def _key(voucher: dict[str, Any]) -> VoucherKey:
    return tuple((voucher["date"], *(line[name] for name in KEY_FIELDS)) for line in voucher["lines"])


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
