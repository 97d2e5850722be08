"""Tripletex's internal ids for the numbers and names people use, read page by page.

A voucher refers to accounts, VAT types, departments, projects and
suppliers by Tripletex's internal id, while allocations carry the numbers
people use (account 6800, VAT code 1). `TripletexLookup` caches each id it
finds, and each account with the rules it sets for postings, until `clear`,
so one run requests each code at most once.

Some filters of API version 2.70.19 match exactly (account and VAT type
``number``, project ``number``), others match any value containing the
text (department ``departmentNumber``, voucher type ``name``), so every
lookup keeps only the exact match.

Booked vouchers are found by allocbot's voucher number in two ways, and
never cached, because a voucher may be booked between two lookups.
``GET /ledger/voucher/>externalVoucherNumber`` asks for one number. API
2.70.19 describes its parameter as "The external voucher number, when
voucher is created from import", so it may not find the vouchers that
``POST /ledger/voucher`` created. ``GET /ledger/voucher`` lists the
vouchers of a date range, and the numbers are read from each voucher's
externalVoucherNumber and description (`carried_numbers`).
``GET /ledger/voucher/{id}`` reads one voucher with its postings.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from connectors.tripletex_accounts import ACCOUNT_FIELDS, TripletexAccount, read_account
from connectors.tripletex_booked import BOOKED_FIELDS
from connectors.tripletex_session import TripletexSession
from connectors.tripletex_voucher import carried_numbers

PAGE_SIZE = 1000  # the API's default ``count``

VOUCHER_PATH = "/ledger/voucher"
ONE_VOUCHER_PATH = "/ledger/voucher/{voucher_id}"
EXTERNAL_NUMBER_PATH = "/ledger/voucher/>externalVoucherNumber"


@dataclass(frozen=True)
class Register:
    """A Tripletex list that a kind of code is looked up in: its path, filter parameter and number field."""

    path: str
    number_filter: str
    number_field: str


# By bot.ports.ERP_CODE_KINDS kind.
REGISTERS = {
    "account": Register("/ledger/account", "number", "number"),
    "vat_code": Register("/ledger/vatType", "number", "number"),
    "cost_center": Register("/department", "departmentNumber", "departmentNumber"),
    "project": Register("/project", "number", "number"),
}


class TripletexLookup:
    """Finds and caches the Tripletex ids of codes, currencies, voucher types and suppliers, and the accounts."""

    def __init__(self, session: TripletexSession, *, page_size: int = PAGE_SIZE):
        self.session = session
        self.page_size = page_size
        self._ids: dict[tuple[str, str], int | None] = {}
        self._accounts: dict[str, TripletexAccount | None] = {}

    def clear(self) -> None:
        """Forget the ids and accounts found so far, so a new run picks up changes made in Tripletex."""
        self._ids.clear()
        self._accounts.clear()

    def code_id(self, kind: str, code: str) -> int | None:
        """Return the id of the account, VAT type, department or project with this number, None if there is none."""
        register = REGISTERS[kind]
        return self._exact_id(register.path, register.number_filter, register.number_field, code)

    def account(self, number: str) -> TripletexAccount | None:
        """Return the account with this number and its posting rules, None if there is none."""
        if number not in self._accounts:
            register = REGISTERS["account"]
            matches = (read_account(entry) for entry in self.values(register.path, ACCOUNT_FIELDS, number=number)
                       if str(entry.get("number")) == number)
            self._accounts[number] = next(matches, None)
        return self._accounts[number]

    def supplier_id(self, number: str) -> int | None:
        return self._exact_id("/supplier", "supplierNumber", "supplierNumber", number)

    def currency_id(self, code: str) -> int | None:
        return self._exact_id("/currency", "code", "code", code)

    def voucher_type_id(self, name: str) -> int | None:
        return self._exact_id("/ledger/voucherType", "name", "name", name)

    def vouchers_by_external_number(self, number: str) -> list[int]:
        """Return the ids of the vouchers that ``>externalVoucherNumber`` finds with ``number``."""
        entries = self.values(EXTERNAL_NUMBER_PATH, "id,externalVoucherNumber", externalVoucherNumber=number)
        return [entry["id"] for entry in entries if entry.get("externalVoucherNumber") == number]

    def booked_voucher(self, voucher_id: str) -> dict[str, Any]:
        """Return the voucher with this Tripletex id, with the fields that `content_difference` compares.

        Raises TripletexApiError for a 4xx response.
        """
        return self.session.get_json(ONE_VOUCHER_PATH.format(voucher_id=voucher_id), {"fields": BOOKED_FIELDS})["value"]

    def vouchers_by_date(self, numbers: Collection[str], first_day: date, last_day: date) -> dict[str, list[int]]:
        """List the vouchers dated ``first_day`` to ``last_day`` (both included) and return the ids for each number.

        API 2.70.19 describes dateTo as "To and excluding", so the request
        ends the day after ``last_day``. If Tripletex included dateTo after
        all, the listing would only cover one day more.
        """
        wanted = set(numbers)
        found: dict[str, list[int]] = {}
        entries = self.values(VOUCHER_PATH, "id,externalVoucherNumber,description", dateFrom=first_day.isoformat(),
                              dateTo=(last_day + timedelta(days=1)).isoformat())
        for entry in entries:
            for number in carried_numbers(entry) & wanted:
                found.setdefault(number, []).append(entry["id"])
        return found

    def values(self, path: str, fields: str, **filters: str) -> Iterator[dict[str, Any]]:
        """Yield every entry of a list, asking for ``page_size`` entries at a time.

        ``fields`` names the fields to return, which keeps the responses small.
        Raises TripletexApiError for a 4xx response.
        """
        start = 0
        while True:
            params = {**filters, "fields": fields, "from": start, "count": self.page_size}
            page = self.session.get_json(path, params)["values"]
            yield from page

            # fullResultSize is deprecated and "not exact" in the API description, so a short page ends the list.
            if len(page) < self.page_size:
                return
            start += len(page)

    def _exact_id(self, path: str, parameter: str, field: str, value: str) -> int | None:
        key = (path, value)
        if key not in self._ids:
            matches = (entry["id"] for entry in self.values(path, f"id,{field}", **{parameter: value})
                       if str(entry.get(field)) == value)
            self._ids[key] = next(matches, None)
        return self._ids[key]
