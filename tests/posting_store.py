"""Test support for posting: a small company in a real store, and a connector that records what it gets.

``Company`` stores card statements, items linked to their card lines and
approved allocations through the repository, as intake, reconciliation and
a person's decision would. ``RecordingErp`` is a VoucherPoster whose "ERP" is
a dict that outlives a connector instance, so a test can crash one run and
let the next run find what the first one booked.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select as sa_select

from bot.config import ExportSettings, Settings
from bot.i18n import Translator
from bot.masterdata import MasterData, parse_master_data
from bot.ports import ErpCode, ErpUnavailable, Posted, Rejected, Voucher
from bot.posting.run import PostingResult, run_posting
from bot.records import Allocation, CardCharge, ReportItem, Statement
from bot.store.masterdata_sync import sync_master_data
from bot.store.models import StoreModel
from bot.store.postings import installation_tag, voucher_number
from bot.store.repository import (
    add_card_charges,
    add_document,
    add_refund_item,
    add_report_items,
    decide,
    link_item_to_charge,
)

MASTER_DATA = {
    "cost_centers": [{"code": "100", "name": "Administrasjon", "description": "Kontordrift og møter"},
                     {"code": "400", "name": "IT", "description": "IT-utstyr og programvare"},
                     {"code": "600", "name": "Prosjekt", "description": "Kundeprosjekter"}],
    "projects": [{"code": "P-1042", "name": "Ombygging Hamar stasjon", "lead": "kari.nordmann@example.no",
                  "cost_center": "600"}],
    "accounts": [{"number": "6551", "name": "Datautstyr", "default_tax_code": "14"},
                 {"number": "6800", "name": "Kontorrekvisita", "default_tax_code": "14"},
                 {"number": "6540", "name": "Inventar", "default_tax_code": "14"},
                 {"number": "7350", "name": "Representasjon", "default_tax_code": "0"}],
    "tax_codes": [{"code": "0", "name": "Ingen mva-behandling", "rate": 0},
                  {"code": "1", "name": "Inngående mva, høy sats", "rate": 25},
                  {"code": "14", "name": "Innførselsmva, alminnelig sats", "rate": 25},
                  {"code": "15", "name": "Innførselsmva, redusert sats", "rate": 15}],
    "employees": [{"email": "ola.hansen@example.no", "name": "Ola Hansen", "cost_center": "400"},
                  {"email": "kari.nordmann@example.no", "name": "Kari Nordmann", "cost_center": "600"}],
}

IT = Allocation("400", None, "6551", "14")
OFFICE = Allocation("100", None, "6800", "14")
HAMAR = Allocation("600", "P-1042", "6540", "14")
MEETING = Allocation("100", None, "7350", "0")

_numbers = itertools.count(1)


def master_data(**changes: list[dict]) -> MasterData:
    """Return the test master data, with whole tables replaced by ``changes``."""
    return parse_master_data({**MASTER_DATA, **changes}, Path("masterdata.toml"))


def settings(tmp_path: Path, *, grouping: str = "statement") -> Settings:
    return Settings(language="nb", export=ExportSettings(grouping=grouping, export_dir=tmp_path / "export"))


def post(store, poster, tmp_path: Path, *, grouping: str = "statement", dry_run: bool = False,
         retry_rejected: bool | str = False, actor: str = "kari.nordmann@example.no") -> PostingResult:
    return run_posting(store, poster, settings(tmp_path, grouping=grouping), Translator("nb"), dry_run=dry_run,
                       retry_rejected=retry_rejected, actor=actor)


def number(store, voucher_id: int) -> str:
    """Return the number the store gives the voucher with this id, such as ABK7QM0000001."""
    with store.session() as session:
        return voucher_number(installation_tag(session), voucher_id)


class Company:
    """Writes a company's statements, items and decisions into ``store`` through the repository."""

    def __init__(self, store, master: MasterData | None = None):
        self.store = store
        with store.session() as session:
            sync_master_data(session, master or master_data())

    def statement(self, lines: Sequence[tuple[int, str, str]], *, filename: str = "kortutskrift.csv",
                  path: Path | None = None, message_id: str | None = None,
                  period: tuple[date, date] | None = None) -> list[int]:
        """Store a November statement of (day, text, amount) lines and return the card line ids."""
        charges = tuple(CardCharge(filename, number, date(2026, 11, day), text, Decimal(amount))
                        for number, (day, text, amount) in enumerate(lines, start=2))
        statement = Statement(filename, charges, period_start=period[0] if period else None,
                              period_end=period[1] if period else None)
        with self.store.session() as session:
            document = add_document(session, kind="statement", filename=filename, sha256=_new_sha256(),
                                    message_id=message_id, path=str(path) if path else None)
            document.period_start, document.period_end = statement.period_start, statement.period_end
            rows, _ = add_card_charges(session, document, statement)
            return [row.id for row in rows]

    def item(self, card_line: int | None, amount: str, title: str = "Logitech MX Master 3S",
             lines: Sequence[tuple[Allocation, str]] | None = None) -> tuple[int, int]:
        """Store an item paid on ``card_line`` (None: none) and approve it; return item and allocation ids.

        ``lines`` splits the amount; by default all of it goes to IT.
        """
        number = next(_numbers)
        report_item = ReportItem("orders.csv", number + 1, f"302-{number:07d}-0000001", date(2026, 11, 1), "NOK",
                                 title, 1, Decimal(amount), Decimal(amount), asin=f"B0{number:08d}",
                                 payment_reference=f"PAY-{number}", account_user_email="ola.hansen@example.no",
                                 shipment_date=date(2026, 11, 2))
        with self.store.session() as session:
            document = add_document(session, kind="order_report", filename="orders.csv", sha256=_new_sha256())
            (row,), _ = add_report_items(session, document, [report_item])
            link_item_to_charge(session, row.id, card_line, Decimal(amount))
            allocation = decide(session, row.id, _lines(amount, lines), decided_by="ola.hansen@example.no",
                                source="human")
            return row.id, allocation.id

    def refund(self, original_item: int, card_line: int, amount: str,
               lines: Sequence[tuple[Allocation, str]] | None = None) -> tuple[int, int]:
        """Store a refund (negative ``amount``) of an item on a credit line and approve it; return both ids."""
        with self.store.session() as session:
            row = add_refund_item(session, original_item, card_line, Decimal(amount))
            allocation = decide(session, row.id, _lines(amount, lines), decided_by="ola.hansen@example.no",
                                source="human")
            return row.id, allocation.id


def _lines(amount: str, lines: Sequence[tuple[Allocation, str]] | None) -> list[tuple[Allocation, Decimal]]:
    return [(allocation, Decimal(part)) for allocation, part in (lines or [(IT, amount)])]


def _new_sha256() -> str:
    return hashlib.sha256(f"file {next(_numbers)}".encode()).hexdigest()


class ConnectionReset(Exception):
    """What a connector might raise when the process loses its connection after the ERP booked."""


@dataclass
class Ledger:
    """The ERP's side: the vouchers it booked, by number, in booking order."""

    booked: dict[str, Voucher] = field(default_factory=dict)

    def book(self, voucher: Voucher) -> str:
        assert voucher.number not in self.booked, f"voucher {voucher.number} booked twice"
        self.booked[voucher.number] = voucher
        return f"ERP-{len(self.booked)}"


class RecordingErp:
    """A VoucherPoster over a ``Ledger`` that records every voucher, batch and lookup it gets.

    ``reject`` returns an ERP message for a voucher it rejects, and
    ``note`` a note for one it books. ``fail`` decides, before each
    voucher, whether to raise. "unavailable" raises ErpUnavailable before
    booking it, and "lost" books it and then raises ErpUnavailable (a
    timeout after the ERP booked). "crash" books it and then raises
    ConnectionReset. "invalid" raises ValueError before booking it, as a
    connector does for content it cannot send.
    """

    name = "recording"

    def __init__(self, ledger: Ledger | None = None, *, reject: Callable[[Voucher], str | None] = lambda _: None,
                 fail: Callable[[Voucher], str | None] = lambda _: None,
                 note: Callable[[Voucher], str] = lambda _: ""):
        self.ledger = ledger or Ledger()
        self.reject = reject
        self.fail = fail
        self.note = note
        self.sent: list[Voucher] = []
        self.batches: list[list[str]] = []
        self.lookups: list[list[str]] = []

    def post(self, vouchers: Sequence[Voucher]) -> list[Posted | Rejected]:
        self.batches.append([voucher.number for voucher in vouchers])
        outcomes: list[Posted | Rejected] = []
        for voucher in vouchers:
            failure = self.fail(voucher)
            if failure == "unavailable":
                raise ErpUnavailable(self.name, "read timed out", outcomes)
            if failure == "invalid":
                raise ValueError(f"voucher {voucher.number}: account {voucher.lines[0].account} cannot be sent")
            self.sent.append(voucher)
            message = self.reject(voucher)
            if message is not None:
                outcomes.append(Rejected(voucher.number, message, status=422, field="postings.account"))
                continue
            external_id = self.ledger.book(voucher)
            if failure == "lost":
                raise ErpUnavailable(self.name, "read timed out", outcomes)
            if failure == "crash":
                raise ConnectionReset(f"connection reset after booking {voucher.number}")
            outcomes.append(Posted(voucher.number, external_id, self.note(voucher)))
        return outcomes

    def find(self, numbers: Sequence[str]) -> dict[str, str]:
        self.lookups.append(list(numbers))
        numbered = {number: f"ERP-{position}" for position, number in enumerate(self.ledger.booked, start=1)}
        return {number: numbered[number] for number in numbers if number in numbered}


class ListingErp(RecordingErp):
    """A RecordingErp that also lists its accounts, cost centers, projects and VAT codes (a MasterDataSource)."""

    name = "listing"

    def __init__(self, codes: Sequence[ErpCode], ledger: Ledger | None = None, **options):
        super().__init__(ledger, **options)
        self.codes = list(codes)
        self.list_reads = 0

    def master_lists(self) -> list[ErpCode]:
        self.list_reads += 1
        return list(self.codes)


def erp_codes_of(master: MasterData) -> list[ErpCode]:
    """Return the master data's codes as an ERP would list them, all active."""
    return ([ErpCode("account", number, account.name) for number, account in master.accounts.items()]
            + [ErpCode("account", "2400", "Leverandørgjeld kort")]
            + [ErpCode("cost_center", code, center.name) for code, center in master.cost_centers.items()]
            + [ErpCode("project", code, project.name) for code, project in master.projects.items()]
            + [ErpCode("vat_code", code, tax.name, rate=tax.rate) for code, tax in master.tax_codes.items()])


def table_contents(store) -> dict[str, list[tuple]]:
    """Return every row of every table of the store, sorted, for before-and-after comparisons."""
    contents = {}
    with store.engine.connect() as connection:
        for table in StoreModel.metadata.sorted_tables:
            rows = connection.execute(sa_select(table)).all()
            contents[table.name] = sorted((tuple(map(repr, row)) for row in rows))
    return contents
