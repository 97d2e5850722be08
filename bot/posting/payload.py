"""A voucher as JSON, stored before it is sent so that a retry sends exactly the same content.

Amounts and VAT rates are decimal strings and dates ISO strings, so the
round trip through the store's JSON column is exact.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.ports import Voucher, VoucherLine


def voucher_payload(voucher: Voucher) -> dict[str, Any]:
    """Return the voucher as a JSON-serializable dict that ``voucher_from_payload`` reads back unchanged."""
    return {
        "number": voucher.number,
        "date": voucher.date.isoformat(),
        "description": voucher.description,
        "reference": voucher.reference,
        "currency": voucher.currency,
        "period_start": _iso(voucher.period_start),
        "period_end": _iso(voucher.period_end),
        "attachments": [str(path) for path in voucher.attachments],
        "lines": [_line_payload(line) for line in voucher.lines],
    }


def voucher_from_payload(payload: dict[str, Any]) -> Voucher:
    """Rebuild the voucher that ``voucher_payload`` stored."""
    return Voucher(
        number=payload["number"],
        date=date.fromisoformat(payload["date"]),
        description=payload["description"],
        reference=payload["reference"],
        lines=tuple(_line_from_payload(line) for line in payload["lines"]),
        period_start=_date_or_none(payload["period_start"]),
        period_end=_date_or_none(payload["period_end"]),
        attachments=tuple(Path(path) for path in payload["attachments"]),
        currency=payload["currency"],
    )


def _line_payload(line: VoucherLine) -> dict[str, Any]:
    return {
        "account": line.account,
        "amount": str(line.amount),
        "description": line.description,
        "cost_center": line.cost_center,
        "project": line.project,
        "tax_code": line.tax_code,
        "vat_rate": None if line.vat_rate is None else str(line.vat_rate),
        "clearing": line.clearing,
    }


def _line_from_payload(line: dict[str, Any]) -> VoucherLine:
    return VoucherLine(
        account=line["account"],
        amount=Decimal(line["amount"]),
        description=line["description"],
        cost_center=line["cost_center"],
        project=line["project"],
        tax_code=line["tax_code"],
        vat_rate=None if line["vat_rate"] is None else Decimal(line["vat_rate"]),
        clearing=line["clearing"],
    )


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _date_or_none(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)
