"""The JSON body of ``POST /ledger/voucher`` for one voucher.

Tripletex books the gross amounts of the postings (``amountGross``,
positive for debit and negative for credit). For a posting with a
``vatType`` it splits the VAT off itself and writes it on a posting in
row 0, which is why the rows sent here start at 1. Amounts become JSON
numbers only here, from Decimals with at most two decimals.

The posting currency is sent although API version 2.70.19 does not require
it: an account can have a currency of its own (Account.currency), and naming
the company currency states what ``amountGrossCurrency`` is in.

The voucher number goes into externalVoucherNumber and also in front of the
voucher's description, so a lookup can find the voucher by its description
where Tripletex does not search externalVoucherNumber (see
`connectors.tripletex_lookup`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Sequence

from bot.ports import Voucher

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1e13")  # 13 digits before the decimal point and 2 after it


@dataclass(frozen=True)
class PostingIds:
    """The Tripletex ids one voucher line refers to, with None where the line has no such code.

    ``supplier`` is the card issuer on the clearing line, where the clearing
    account is on the supplier ledger.
    """

    account: int
    vat_type: int | None = None
    department: int | None = None
    project: int | None = None
    supplier: int | None = None


def voucher_body(voucher: Voucher, ids: Sequence[PostingIds], *, currency_id: int,
                 voucher_type_id: int | None) -> dict[str, Any]:
    """Build the voucher with one posting per line, in the order of ``voucher.lines``.

    ``voucher.number`` goes into externalVoucherNumber and in front of the
    description, where `carried_numbers` reads it back.
    """
    postings = []
    for row, (line, line_ids) in enumerate(zip(voucher.lines, ids, strict=True), start=1):
        posting: dict[str, Any] = {
            "row": row,
            "date": voucher.date.isoformat(),
            "description": line.description,
            "account": {"id": line_ids.account},
            "amountGross": json_amount(line.amount),
            "amountGrossCurrency": json_amount(line.amount),
            "currency": {"id": currency_id},
        }
        if line_ids.vat_type is not None:
            posting["vatType"] = {"id": line_ids.vat_type}
        if line_ids.department is not None:
            posting["department"] = {"id": line_ids.department}
        if line_ids.project is not None:
            posting["project"] = {"id": line_ids.project}
        if line_ids.supplier is not None:
            posting["supplier"] = {"id": line_ids.supplier}
        postings.append(posting)

    body: dict[str, Any] = {
        "date": voucher.date.isoformat(),
        "description": voucher_description(voucher),
        "externalVoucherNumber": voucher.number,
        "postings": postings,
    }
    if voucher_type_id is not None:
        body["voucherType"] = {"id": voucher_type_id}
    return body


def voucher_description(voucher: Voucher) -> str:
    """Return the description with the voucher number in front, such as "AB0000012 Kortutskrift 03.11.2026–30.11.2026".

    API 2.70.19 gives Voucher.description no maxLength, so nothing is
    shortened. bot.posting.build keeps the description to 60 characters.
    """
    return f"{voucher.number} {voucher.description}".rstrip()


def carried_numbers(entry: dict[str, Any]) -> set[str]:
    """Return the voucher numbers a voucher from Tripletex's lists carries.

    These are its externalVoucherNumber and the first word of its
    description, where `voucher_description` puts the number.
    """
    numbers = {entry.get("externalVoucherNumber") or "", (entry.get("description") or "").split(" ", 1)[0]}
    return numbers - {""}


def amount_error(amount: Decimal) -> str | None:
    """Return why an amount cannot be sent as a JSON number, None when it can."""
    if amount != amount.quantize(CENT):
        return "has more than two decimals"
    if abs(amount) >= MAX_AMOUNT:
        return "has more than 15 digits"
    return None


def json_amount(amount: Decimal) -> float:
    """Convert an amount of whole cents (øre) to a JSON number.

    Python prints a float as the shortest decimal that reads back to it, and
    a decimal of at most 15 digits reads back exactly, so the JSON text
    carries the Decimal's digits.
    """
    error = amount_error(amount)
    if error:
        raise ValueError(f"amount {amount} {error}")
    return float(amount)
