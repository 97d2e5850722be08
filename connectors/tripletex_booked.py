"""Comparing the voucher Tripletex has under a voucher number with the voucher being posted under that number.

A voucher found by its number is normally the one an earlier run booked.
Another allocbot database that posts to the same Tripletex company, such
as a restored backup or a second installation, can use the same number
for other allocations. So a found voucher counts as this one only when its
date and its postings match, compared as the multiset of (account number,
amountGross) of its rows from 1. Tripletex puts the VAT postings it
generates in row 0, which allocbot never sends, so row 0 is left out.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from bot.ports import Voucher

# The fields of GET /ledger/voucher/{id} that `content_difference` compares.
BOOKED_FIELDS = "id,date,postings(amountGross,account(number),row)"


def content_difference(voucher: Voucher, booked: dict[str, Any]) -> str | None:
    """Return how the booked voucher (read with BOOKED_FIELDS) differs from ``voucher``, None when it matches.

    The text names both dates and both debit totals, such as "dated
    2026-10-01 with debits of 500.00, while this voucher is dated
    2026-11-13 with debits of 1400.18".
    """
    booked_date = booked.get("date") or ""
    booked_postings = Counter((str((posting.get("account") or {}).get("number", "")), _amount(posting["amountGross"]))
                              for posting in booked.get("postings") or []
                              if posting.get("row") != 0 and posting.get("amountGross") is not None)
    postings = Counter((line.account, line.amount) for line in voucher.lines)
    if booked_date == voucher.date.isoformat() and booked_postings == postings:
        return None

    booked_debits = _debits(booked_postings)
    debits = _debits(postings)
    difference = (f"dated {booked_date} with debits of {booked_debits}, while this voucher is dated "
                  f"{voucher.date.isoformat()} with debits of {debits}")
    if booked_date == voucher.date.isoformat() and booked_debits == debits:
        difference += ", on other accounts or in other amounts per posting"
    return difference


def _amount(value: Any) -> Decimal:
    # read_json makes decimal numbers Decimal, but a whole amount arrives as int.
    return Decimal(str(value))


def _debits(postings: Counter[tuple[str, Decimal]]) -> Decimal:
    total = sum((amount * count for (_, amount), count in postings.items() if amount > 0), Decimal("0"))
    return total.quantize(Decimal("0.01"))
