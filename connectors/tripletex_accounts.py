"""The rules a Tripletex account sets for the postings on it, checked before a voucher is sent.

API version 2.70.19 describes these Account fields:

- ``ledgerType``: GENERAL (the default), CUSTOMER, VENDOR, EMPLOYEE or
  ASSET, "only available for customers with the module multiple ledgers".
  Tripletex's developer FAQ on ledger vouchers states that a posting on an
  account whose ledgerType is not GENERAL must name the customer, supplier
  or employee of that ledger. Otherwise Tripletex rejects it with "Kunde
  mangler", "Leverandør mangler" or "Ansatt mangler". The card's clearing account
  2400 (Leverandørgjeld) is such a supplier ledger account in Tripletex's
  standard chart of accounts, so its posting names the card issuer as the
  supplier. Postings have no field for an ASSET ledger, so those pass.
- ``vatLocked`` with ``vatType``: "all entries on this account must have
  the vat type given by vatType".
- ``requiresDepartment`` and ``requiresProject``.

Tripletex checks the same rules itself. Checking them here rejects the
voucher before anything is sent and names the setting or allocation to
change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from bot.ports import VoucherLine
from connectors.tripletex_voucher import PostingIds

# The Account fields `read_account` reads, in the syntax of Tripletex's ``fields`` parameter.
ACCOUNT_FIELDS = "id,number,ledgerType,vatLocked,vatType(id,number,percentage),requiresDepartment,requiresProject"

# The Posting field that a posting on an account of each ledger type must fill.
LEDGER_PARTIES = {"VENDOR": "supplier", "CUSTOMER": "customer", "EMPLOYEE": "employee"}


@dataclass(frozen=True)
class AccountVatType:
    """The VAT type an account names as its default: Tripletex's id, the number people use, and its percent."""

    id: int
    number: str
    percentage: Decimal


@dataclass(frozen=True)
class TripletexAccount:
    """An account of the chart of accounts with the fields that restrict postings on it."""

    id: int
    number: str
    ledger_type: str
    vat_locked: bool
    vat_type: AccountVatType | None
    requires_department: bool
    requires_project: bool


@dataclass(frozen=True)
class RuleViolation:
    """An account rule that a voucher line breaks. ``field`` is the Posting field concerned, such as ``supplier``."""

    message: str
    field: str


def read_account(entry: dict[str, Any]) -> TripletexAccount:
    """Read an Account that was requested with ACCOUNT_FIELDS. A missing ledgerType counts as GENERAL."""
    vat_type = entry.get("vatType")
    default_vat = None
    if vat_type and vat_type.get("id") is not None:
        default_vat = AccountVatType(vat_type["id"], str(vat_type.get("number") or ""),
                                     Decimal(str(vat_type.get("percentage") or 0)))
    return TripletexAccount(
        id=entry["id"],
        number=str(entry["number"]),
        ledger_type=entry.get("ledgerType") or "GENERAL",
        vat_locked=bool(entry.get("vatLocked")),
        vat_type=default_vat,
        requires_department=bool(entry.get("requiresDepartment")),
        requires_project=bool(entry.get("requiresProject")),
    )


def apply_account_rules(account: TripletexAccount, line: VoucherLine, ids: PostingIds,
                        card_supplier_id: int | None) -> PostingIds | RuleViolation:
    """Return the line's ids with what its account requires added, or the rule the line breaks.

    The card's clearing line on a supplier ledger account gets the card
    issuer ``card_supplier_id`` as its supplier. A line without a VAT code
    on a vatLocked account gets the account's VAT type when that type's
    percentage is 0, because then nothing is split off the amount.
    """
    ruled = _with_ledger_party(account, line, ids, card_supplier_id)
    if isinstance(ruled, RuleViolation):
        return ruled

    ruled = _with_locked_vat(account, line, ruled)
    if isinstance(ruled, RuleViolation):
        return ruled

    if account.requires_department and ruled.department is None:
        return RuleViolation(f"account {account.number} requires a department in Tripletex (requiresDepartment), "
                             f"but the line has no cost center; allocate it to a cost center", "department")
    if account.requires_project and ruled.project is None:
        return RuleViolation(f"account {account.number} requires a project in Tripletex (requiresProject), "
                             f"but the line has no project; allocate it to a project", "project")
    return ruled


def _with_ledger_party(account: TripletexAccount, line: VoucherLine, ids: PostingIds,
                       card_supplier_id: int | None) -> PostingIds | RuleViolation:
    party = LEDGER_PARTIES.get(account.ledger_type)
    if party is None:
        return ids

    ledger = f"on Tripletex's {party} ledger (ledgerType {account.ledger_type})"
    if not line.clearing:
        return RuleViolation(f"account {account.number} is {ledger}, so a posting on it needs a {party}, which "
                             f"allocbot sends only on the card's clearing line; allocate the line to a general "
                             f"ledger account", party)
    if party != "supplier":
        return RuleViolation(f"the card clearing account {account.number} is {ledger}, so its posting needs a "
                             f"{party}, which allocbot does not send; set export.card_account to a general ledger "
                             f"account", party)
    if card_supplier_id is None:
        return RuleViolation(f"the card clearing account {account.number} is {ledger}, so its posting needs a "
                             f"supplier; set export.tripletex.card_supplier_number to the card issuer's supplier "
                             f"number in Tripletex, or set export.card_account to a general ledger account",
                             "supplier")
    return replace(ids, supplier=card_supplier_id)


def _with_locked_vat(account: TripletexAccount, line: VoucherLine, ids: PostingIds) -> PostingIds | RuleViolation:
    locked = account.vat_type if account.vat_locked else None
    if locked is None or ids.vat_type == locked.id:
        return ids

    if ids.vat_type is not None:
        return RuleViolation(f"account {account.number} takes only VAT type {locked.number} in Tripletex "
                             f"(vatLocked), but the line has VAT code {line.tax_code}; change the VAT code to "
                             f"{locked.number} or choose another account", "vatType")
    if locked.percentage != 0:
        percent = format(locked.percentage.normalize(), "f")
        return RuleViolation(f"account {account.number} takes only VAT type {locked.number} ({percent} %) in "
                             f"Tripletex (vatLocked), but the line has no VAT code; set VAT code {locked.number} "
                             f"on the line or choose another account", "vatType")
    return replace(ids, vat_type=locked.id)
