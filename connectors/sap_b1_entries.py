"""Vouchers as the body of a Service Layer ``POST /JournalEntries``.

Each voucher line becomes a G/L line with ``AccountCode`` and ``ShortName``
set to the account and the amount as ``Debit`` or ``Credit`` (positive,
rounded to øre). ``CostingCode`` carries the cost center (a dimension 1
distribution rule), ``ProjectCode`` the project and ``TaxGroup`` the VAT code,
whose database column SAP calls VatGroup. The voucher number goes into the
header field ``Reference``, by which the connector finds an entry again.

VAT: a line whose VAT code ``vat_accounts`` maps to an input VAT account is
split with bot.vat.split_gross. The net amount stays on the line, with its VAT
code, and the VAT goes to a line of its own on the mapped account. The header
then says ``AutoVAT: tNO``, so that SAP does not add VAT lines of its own as
well. A line whose VAT code is not mapped is posted gross with its VAT code,
and the company's own VAT settings apply.

Amounts stay Decimal in the body; connectors.sap_b1_odata.encode_json writes
them as JSON numbers when the request is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bot.ports import Voucher, VoucherLine
from bot.vat import ORE, split_gross

# Lengths from SAP's SDK help: JournalEntries.Memo and JournalEntries_Lines.LineMemo
# take 50 characters, and JournalEntries.Reference (Ref1) and Reference2 take 100.
MEMO_LENGTH = 50
LINE_MEMO_LENGTH = 50
REFERENCE_LENGTH = 100

ELLIPSIS = "…"


def journal_entry(voucher: Voucher, vat_accounts: Mapping[str, str]) -> dict[str, Any]:
    """Build the JournalEntries body for ``voucher``.

    Raises ValueError naming the voucher when its number does not fit the
    Reference field or a mapped VAT code has no rate to split by. It also
    raises it when fewer than two lines have an amount, or when the lines
    do not balance to the øre after rounding.
    """
    if len(voucher.number) > REFERENCE_LENGTH:
        raise ValueError(f"voucher {voucher.number}: the number is longer than the {REFERENCE_LENGTH} characters "
                         f"of the journal entry's Reference field")

    lines: list[dict[str, Any]] = []
    for index, line in enumerate(voucher.lines):
        lines.extend(_entry_lines(voucher, index, line, vat_accounts))
    _check_balance(voucher, lines)

    posting_date = voucher.date.isoformat()
    body: dict[str, Any] = {
        "ReferenceDate": posting_date,
        "TaxDate": posting_date,
        "Memo": shorten(voucher.description, MEMO_LENGTH),
        "Reference": voucher.number,
    }
    if voucher.reference:
        body["Reference2"] = shorten(voucher.reference, REFERENCE_LENGTH)
    if any(_splits_vat(line, vat_accounts) for line in voucher.lines):
        body["AutoVAT"] = "tNO"
    body["JournalEntryLines"] = lines
    return body


def shorten(text: str, length: int) -> str:
    """Cut ``text`` to ``length`` characters, ending with an ellipsis where something was cut."""
    if len(text) <= length:
        return text
    return text[:length - 1] + ELLIPSIS


def _entry_lines(voucher: Voucher, index: int, line: VoucherLine,
                 vat_accounts: Mapping[str, str]) -> list[dict[str, Any]]:
    """Return the G/L line for one voucher line, followed by its VAT line where the VAT is split off."""
    gross = line.amount.quantize(ORE, rounding=ROUND_HALF_UP)
    memo = line.description or voucher.description
    if not _splits_vat(line, vat_accounts):
        return _nonzero([_gl_line(line.account, gross, memo, line.cost_center, line.project, line.tax_code)])

    if line.vat_rate is None:
        raise ValueError(f"voucher {voucher.number}, line {index + 1}: VAT code {line.tax_code} is mapped to "
                         f"VAT account {vat_accounts[line.tax_code]} in export.sap.vat_accounts, but the line "
                         f"has no VAT rate to split the VAT off; sync the master data so the VAT code has a rate")

    net, vat = split_gross(gross, line.vat_rate)
    return _nonzero([
        _gl_line(line.account, net, memo, line.cost_center, line.project, line.tax_code),
        _gl_line(vat_accounts[line.tax_code], vat, memo, None, None, None),
    ])


def _splits_vat(line: VoucherLine, vat_accounts: Mapping[str, str]) -> bool:
    return line.tax_code is not None and line.tax_code in vat_accounts


def _gl_line(account: str, amount: Decimal, memo: str, cost_center: str | None, project: str | None,
             tax_code: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"AccountCode": account, "ShortName": account}
    if amount >= 0:
        entry["Debit"] = amount
    else:
        entry["Credit"] = -amount
    entry["LineMemo"] = shorten(memo, LINE_MEMO_LENGTH)
    if cost_center:
        entry["CostingCode"] = cost_center
    if project:
        entry["ProjectCode"] = project
    if tax_code:
        entry["TaxGroup"] = tax_code
    return entry


def _nonzero(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop lines of 0.00, such as the VAT line of a 0 % VAT code, because they would book nothing."""
    return [line for line in lines if line.get("Debit", line.get("Credit")) != 0]


def _check_balance(voucher: Voucher, lines: list[dict[str, Any]]) -> None:
    if len(lines) < 2:
        raise ValueError(f"voucher {voucher.number} has {len(lines)} line(s) with an amount, and a journal entry "
                         f"needs at least two; nothing was sent")

    debit = sum((line.get("Debit", Decimal(0)) for line in lines), Decimal(0))
    credit = sum((line.get("Credit", Decimal(0)) for line in lines), Decimal(0))
    if debit != credit:
        raise ValueError(f"voucher {voucher.number} does not balance after rounding to øre: debit {debit}, "
                         f"credit {credit}, difference {debit - credit}; nothing was sent")
