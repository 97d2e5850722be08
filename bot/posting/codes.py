"""The code check before posting, and the differences between the ERP's lists and the master data.

Every line of a voucher must use an account, cost center, project and VAT
code that is known and active where it is booked: in the ERP's lists when
the connector reads them, else in the master data. A voucher that fails is
held back before it is claimed, because the ERP would reject it, or, for a
file export, its importer would.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from bot.masterdata import MasterData
from bot.ports import ERP_CODE_KINDS, ErpCode

from bot.posting.build import VoucherDraft

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
    """A code of a voucher that is unknown or inactive, and the items whose lines use it.

    ``item_ids`` is empty when only the clearing line uses it.
    """

    kind: str
    code: str
    state: str
    item_ids: tuple[int, ...] = ()


def check_codes(draft: VoucherDraft, lists: CodeLists) -> list[CodeProblem]:
    """Return the problems of the voucher's codes, in the order its lines first use them."""
    found: dict[tuple[str, str], tuple[str, list[int]]] = {}
    for line, item_id in zip(draft.voucher.lines, draft.line_items):
        for kind, attribute in _LINE_FIELDS:
            code = getattr(line, attribute)
            if code is None:
                continue
            state = lists.state(kind, code)
            if state is None:
                continue
            _state, item_ids = found.setdefault((kind, code), (state, []))
            if item_id is not None and item_id not in item_ids:
                item_ids.append(item_id)
    return [CodeProblem(kind, code, state, tuple(item_ids)) for (kind, code), (state, item_ids) in found.items()]


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
