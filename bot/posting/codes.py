"""The code check before posting, and the differences between the ERP's lists and the master data.

Every line of a voucher must use an account, cost center, project and VAT
code that is known and active where it is booked: in the ERP's lists when
the connector reads them, else in the master data. A line that fails is
held back before its voucher is claimed, because the ERP would reject the
voucher, or, for a file export, its importer would. A statement voucher
loses only the card lines that have such a line, with all their items, so
each clearing line still matches its card line. The rest of the statement
is posted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import zip_longest

from bot.masterdata import MasterData
from bot.ports import ERP_CODE_KINDS, ErpCode, VoucherLine
from bot.store.models import AllocationRow, CardTransaction
from bot.store.postings import StatementFile

from bot.posting.build import VoucherDraft, VoucherOptions, build_vouchers, draft_order

log = logging.getLogger(__name__)

# The connectors' names as users read them.
ERP_NAMES = {"tripletex": "Tripletex", "sap": "SAP Business One", "datev": "DATEV", "csv": "CSV", "file": "CSV",
             "json": "JSON"}

# The VoucherLine field of each kind of code.
_LINE_FIELDS = (("account", "account"), ("cost_center", "cost_center"), ("project", "project"),
                ("vat_code", "tax_code"))


def erp_name(connector: str) -> str:
    return ERP_NAMES.get(connector, connector)


@dataclass(frozen=True)
class CodeLists:
    """The codes that voucher lines may use, by kind, each with whether it is active.

    ``connector`` names the ERP the lists come from, or is None for the
    master data.
    """

    codes: dict[str, dict[str, bool]]
    connector: str | None = None

    @classmethod
    def from_erp(cls, connector: str, entries: Iterable[ErpCode]) -> CodeLists:
        codes: dict[str, dict[str, bool]] = {kind: {} for kind in ERP_CODE_KINDS}
        for entry in entries:
            # An ERP may list a code twice; one active entry makes it usable.
            codes[entry.kind][entry.code] = codes[entry.kind].get(entry.code, False) or entry.active
        return cls(codes, connector)

    @classmethod
    def from_master_data(cls, codes: dict[str, dict[str, bool]], configured_accounts: Iterable[str]) -> CodeLists:
        """Add the accounts the settings name (the card account, the private purchase account) as active.

        The master data lists the accounts allocations are chosen from, not
        the balance sheet accounts that the settings name.
        """
        accounts = dict(codes.get("account", {}))
        accounts.update({account: True for account in configured_accounts})
        return cls({**codes, "account": accounts}, None)

    def state(self, kind: str, code: str) -> str | None:
        """Return "unknown" or "inactive" for a code a line must not use, else None."""
        active = self.codes.get(kind, {}).get(code)
        if active is None:
            return "unknown"
        return None if active else "inactive"


@dataclass(frozen=True)
class CodeProblem:
    """A code of a voucher that is unknown or inactive, and the items and card lines whose lines use it.

    ``item_ids`` is empty when only clearing lines use it. ``card_line_ids``
    are keys of the voucher draft's ``card_lines``, in voucher order, and
    empty for an item without a card line.
    """

    kind: str
    code: str
    state: str
    item_ids: tuple[int, ...] = ()
    card_line_ids: tuple[int, ...] = ()


def check_codes(draft: VoucherDraft, lists: CodeLists) -> list[CodeProblem]:
    """Return the problems of the voucher's codes, in the order its lines first use them."""
    found: dict[tuple[str, str], tuple[str, list[int], list[int]]] = {}
    for line, item_id, card_id in zip_longest(draft.voucher.lines, draft.line_items, draft.line_cards):
        for kind, code, state in _line_problems(line, lists):
            _state, item_ids, card_ids = found.setdefault((kind, code), (state, [], []))
            if item_id is not None and item_id not in item_ids:
                item_ids.append(item_id)
            if card_id is not None and card_id not in card_ids:
                card_ids.append(card_id)
    return [CodeProblem(kind, code, state, tuple(item_ids), tuple(card_ids))
            for (kind, code), (state, item_ids, card_ids) in found.items()]


def _line_problems(line: VoucherLine, lists: CodeLists) -> list[tuple[str, str, str]]:
    """Return the kind, code and state of each code of the line that it must not use."""
    problems = []
    for kind, attribute in _LINE_FIELDS:
        code = getattr(line, attribute)
        state = lists.state(kind, code) if code is not None else None
        if state is not None:
            problems.append((kind, code, state))
    return problems


@dataclass(frozen=True)
class CheckedVouchers:
    """The vouchers of a run whose codes pass the check, and the held back ones with the problems of their codes.

    A held back statement voucher contains only the card lines that were
    held back, and ``ready`` the voucher of the statement's other card lines.
    """

    ready: list[VoucherDraft]
    held_back: list[tuple[VoucherDraft, tuple[CodeProblem, ...]]]


def build_checked_vouchers(allocations: Sequence[AllocationRow], card_lines: dict[int, CardTransaction],
                           statements: dict[int, StatementFile], options: VoucherOptions,
                           lists: CodeLists) -> CheckedVouchers:
    """Build the vouchers as ``build_vouchers`` does, and hold back the card lines or items whose codes fail.

    A statement voucher with a bad code is built again twice: once from
    the allocations of its other card lines, which is ready, and once from
    those of the card lines that use a bad code, which is held back. An
    item voucher is held back whole. The ready vouchers are sorted as
    ``build_vouchers`` sorts its vouchers, by date.
    """
    by_id = {allocation.id: allocation for allocation in allocations}
    ready: list[VoucherDraft] = []
    held_back: list[tuple[VoucherDraft, tuple[CodeProblem, ...]]] = []
    for draft in build_vouchers(allocations, card_lines, statements, options):
        problems = check_codes(draft, lists)
        if not problems:
            ready.append(draft)
            continue
        if draft.grouping != "statement":
            held_back.append((draft, tuple(problems)))
            continue

        bad_cards = _card_lines_with_problems(draft, lists)
        members = [by_id[allocation_id] for allocation_id in draft.allocation_ids]
        kept_allocations = [allocation for allocation in members
                            if allocation.item.card_transaction_id not in bad_cards]
        held_allocations = [allocation for allocation in members if allocation.item.card_transaction_id in bad_cards]
        log.info("statement %s: card lines %s use unknown or inactive codes and are held back; allocations %s of "
                 "its other card lines go on", draft.statement, sorted(bad_cards),
                 sorted(allocation.id for allocation in kept_allocations))
        ready.extend(build_vouchers(kept_allocations, card_lines, statements, options))
        for held_draft in build_vouchers(held_allocations, card_lines, statements, options):
            held_back.append((held_draft, tuple(check_codes(held_draft, lists))))

    ready.sort(key=draft_order)
    return CheckedVouchers(ready, held_back)


def _card_lines_with_problems(draft: VoucherDraft, lists: CodeLists) -> set[int]:
    """Return the ids of the card lines that have a voucher line with a code it must not use."""
    return {card_id for line, card_id in zip(draft.voucher.lines, draft.line_cards)
            if card_id is not None and _line_problems(line, lists)}


@dataclass(frozen=True)
class CodeDifferences:
    """The differences between the ERP's lists and the master data, each list by kind and sorted.

    ``missing`` and ``inactive`` are master data codes that the ERP lacks
    or has inactive, which would hold vouchers back. ``extra`` are active
    ERP codes that the master data lacks. ``rates`` lists the VAT codes
    whose percent differs, with the master data's and the ERP's percent.
    """

    missing: dict[str, list[str]] = field(default_factory=dict)
    inactive: dict[str, list[str]] = field(default_factory=dict)
    extra: dict[str, list[str]] = field(default_factory=dict)
    rates: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)


def master_data_codes(master: MasterData) -> dict[str, dict[str, Decimal | None]]:
    """Return the master data's codes by ERP code kind, each with its VAT percent (None but for VAT codes)."""
    return {
        "account": dict.fromkeys(master.accounts),
        "cost_center": dict.fromkeys(master.cost_centers),
        "project": dict.fromkeys(master.projects),
        "vat_code": {code: tax_code.rate for code, tax_code in master.tax_codes.items()},
    }


def compare_codes(master: MasterData, entries: Sequence[ErpCode]) -> CodeDifferences:
    """Compare the master data with the ERP's lists."""
    erp = CodeLists.from_erp("", entries)
    rates = {entry.code: entry.rate for entry in entries if entry.kind == "vat_code" and entry.rate is not None}
    differences = CodeDifferences()
    for kind, codes in master_data_codes(master).items():
        missing = sorted(code for code in codes if erp.state(kind, code) == "unknown")
        inactive = sorted(code for code in codes if erp.state(kind, code) == "inactive")
        extra = sorted(code for code, active in erp.codes[kind].items() if active and code not in codes)
        for name, found in (("missing", missing), ("inactive", inactive), ("extra", extra)):
            if found:
                getattr(differences, name)[kind] = found
        if kind == "vat_code":
            differences.rates.extend((code, rate, rates[code]) for code, rate in sorted(codes.items())
                                     if code in rates and rate is not None and rates[code] != rate)
    return differences
