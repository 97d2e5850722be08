"""Vouchers as the body of a Service Layer ``POST /JournalEntries``, and booked entries compared with a body.

Each voucher line becomes a G/L line with ``AccountCode`` and ``ShortName``
set to the account and the amount as ``Debit`` or ``Credit`` (positive,
rounded to øre). ``CostingCode`` carries the cost center (a dimension 1
distribution rule), ``ProjectCode`` the project and ``TaxGroup`` the VAT code,
whose database column SAP calls VatGroup. The voucher number goes into the
header field ``Reference``, by which the connector finds an entry again.

VAT: a line whose VAT code ``vat_accounts`` maps to an input VAT account, and
which carries a VAT rate, is split with bot.vat.split_gross. The net amount
stays on the line, with its VAT code, and the VAT goes to a line of its own on
the mapped account. The header then says ``AutoVAT: tNO``, so that SAP does not
add VAT lines of its own as well. Every other line with a VAT code is posted
gross with its VAT code. That is a line with an unmapped code, or with a mapped
code but no rate. The posting core sends no rate for reverse-charge and import
VAT codes, because the price paid includes no VAT of theirs.

Amounts stay Decimal in the body; connectors.sap_b1_odata.encode_json writes
them as JSON numbers when the request is sent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bot.ports import Voucher, VoucherLine
from bot.vat import ORE, split_gross

# Lengths from SAP's SDK help: JournalEntries.Memo and JournalEntries_Lines.LineMemo
# take 50 characters, and JournalEntries.Reference (Ref1) and Reference2 take 100.
# The columns are nvarchar, whose lengths count UTF-16 code units, so an emoji counts 2.
MEMO_LENGTH = 50
LINE_MEMO_LENGTH = 50
REFERENCE_LENGTH = 100

ELLIPSIS = "…"

NO = "tNO"

# A line as (AccountCode, Debit, Credit), the parts of a line that SAP keeps as sent.
LineKey = tuple[str, Decimal, Decimal]


class EntryError(ValueError):
    """A voucher whose content cannot become a journal entry, such as one that does not balance to the øre.

    ``field`` is the request property at fault, as Rejected.field names it.
    The message names the voucher, the value and the fix.
    """

    def __init__(self, message: str, field: str):
        self.field = field
        super().__init__(message)


def journal_entry(voucher: Voucher, vat_accounts: Mapping[str, str]) -> dict[str, Any]:
    """Build the JournalEntries body for ``voucher``.

    Raises EntryError when fewer than two lines have an amount, or when the
    lines do not balance to the øre after rounding. Raises ValueError for a
    number longer than the Reference field, which the posting core never
    produces: bot.store.postings.voucher_number makes numbers such as
    ABK7QM0000042.
    """
    if utf16_length(voucher.number) > REFERENCE_LENGTH:
        raise ValueError(f"voucher number {voucher.number} is longer than the {REFERENCE_LENGTH} UTF-16 code units "
                         f"of the journal entry's Reference field")

    lines: list[dict[str, Any]] = []
    for line in voucher.lines:
        lines.extend(_entry_lines(voucher, line, vat_accounts))
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
        body["AutoVAT"] = NO
    body["JournalEntryLines"] = lines
    return body


def utf16_length(text: str) -> int:
    """Return the length of ``text`` in UTF-16 code units, as SAP's nvarchar columns count it."""
    return len(text.encode("utf-16-le")) // 2


def shorten(text: str, length: int) -> str:
    """Cut ``text`` to ``length`` UTF-16 code units, ending with an ellipsis where something was cut.

    The text is cut between code points, so a character outside the Basic
    Multilingual Plane, such as an emoji, is kept whole or left out whole.
    """
    if utf16_length(text) <= length:
        return text

    budget = length - utf16_length(ELLIPSIS)
    characters: list[str] = []
    for character in text:
        budget -= utf16_length(character)
        if budget < 0:
            break
        characters.append(character)
    return "".join(characters) + ELLIPSIS


def booked_as_sent(body: dict[str, Any], entry: dict[str, Any]) -> bool:
    """Return whether a booked journal entry has the posting date and the lines of ``body``.

    SAP keeps the lines as sent when the body turns automatic VAT off or
    none of its lines has a VAT group. Otherwise SAP may add VAT lines of
    its own, so only the body's lines without a VAT group must be among the
    entry's lines, and the debit totals may differ.
    """
    if str(entry.get("ReferenceDate") or "")[:10] != body["ReferenceDate"]:
        return False

    sent = body["JournalEntryLines"]
    booked = Counter(_line_key(line) for line in entry.get("JournalEntryLines") or [])
    if body.get("AutoVAT") == NO or not any("TaxGroup" in line for line in sent):
        return Counter(_line_key(line) for line in sent) == booked
    return Counter(_line_key(line) for line in sent if "TaxGroup" not in line) <= booked


def side_total(lines: list[dict[str, Any]], side: str) -> Decimal:
    """Return the sum of the lines' ``side`` ("Debit" or "Credit"), reading a missing or null amount as 0."""
    return sum((_amount(line, side) for line in lines), Decimal(0))


def _line_key(line: dict[str, Any]) -> LineKey:
    return str(line.get("AccountCode") or line.get("ShortName")), _amount(line, "Debit"), _amount(line, "Credit")


def _amount(line: dict[str, Any], side: str) -> Decimal:
    # A booked entry read back from SAP has both sides of every line, the unused one as 0.
    return Decimal(str(line.get(side) or 0))


def _entry_lines(voucher: Voucher, line: VoucherLine, vat_accounts: Mapping[str, str]) -> list[dict[str, Any]]:
    """Return the G/L line for one voucher line, followed by its VAT line where the VAT is split off."""
    gross = line.amount.quantize(ORE, rounding=ROUND_HALF_UP)
    memo = line.description or voucher.description
    if not _splits_vat(line, vat_accounts):
        return _nonzero([_gl_line(line.account, gross, memo, line.cost_center, line.project, line.tax_code)])

    assert line.tax_code is not None and line.vat_rate is not None
    net, vat = split_gross(gross, line.vat_rate)
    return _nonzero([
        _gl_line(line.account, net, memo, line.cost_center, line.project, line.tax_code),
        _gl_line(vat_accounts[line.tax_code], vat, memo, None, None, None),
    ])


def _splits_vat(line: VoucherLine, vat_accounts: Mapping[str, str]) -> bool:
    """Return whether the connector splits the line's VAT off: its VAT code is mapped, and it has a rate."""
    return line.tax_code is not None and line.tax_code in vat_accounts and line.vat_rate is not None


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
        raise EntryError(f"voucher {voucher.number} has {len(lines)} line(s) with an amount other than 0.00, and a "
                         f"journal entry needs at least two; nothing was sent. A voucher of 0.00 books nothing in SAP "
                         f"Business One, so leave items of 0.00 out of the posting.", "JournalEntryLines")

    debit, credit = side_total(lines, "Debit"), side_total(lines, "Credit")
    if debit != credit:
        raise EntryError(f"voucher {voucher.number} does not balance after rounding its amounts to øre: debit "
                         f"{debit}, credit {credit}, difference {debit - credit}; nothing was sent. SAP Business One "
                         f"books whole øre, so give the allocation's lines amounts in whole øre.",
                         "JournalEntryLines")
