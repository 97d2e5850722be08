"""`allocbot masterdata sync` and `allocbot post` with the SAP Business One connector against the local stand-in.

The stand-in (tests/erp/sap_b1_standin.py) listens on 127.0.0.1, checks every
request body against the schema written from SAP's SDK help, and books
journal entries as the Service Layer does. The posting run is the real one,
from the command line down to the store.
"""

from __future__ import annotations

import io
import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from bot.cli import main
from bot.records import Allocation
from bot.sample.master_toml import write_master_data
from bot.store.database import Store
from bot.store.models import ErpCodeRow, VoucherRow
from erp.sap_b1_standin import Company as SapCompany
from erp.sap_b1_standin import SapB1StandIn
from posting_store import HAMAR, OFFICE, Company, master_data

PASSWORD = "B1-secret-pw"
PASSWORD_VARIABLE = "ALLOCBOT_TEST_SAP_PASSWORD"
AMAZON = "AMAZON EU, Luxembourg"

# Domestic input VAT, whose VAT the card amount contains, so the connector splits it off onto 2710.
TONER = Allocation("100", None, "6800", "1")


def sap_company() -> SapCompany:
    """The test master data's codes in SAP, without cost center 600 and VAT code 15, and with VAT account 2710."""
    accounts = [("2400", "Leverandørgjeld kort"), ("2710", "Inngående mva høy sats"), ("6540", "Inventar"),
                ("6551", "Datautstyr"), ("6800", "Kontorrekvisita"), ("7350", "Representasjon")]
    return SapCompany(
        accounts=[{"Code": "1000", "Name": "Eiendeler", "ActiveAccount": "tNO", "FrozenFor": "tNO"},
                  *({"Code": code, "Name": name, "ActiveAccount": "tYES", "FrozenFor": "tNO"}
                    for code, name in accounts)],
        profit_centers=[{"CenterCode": "100", "CenterName": "Administrasjon", "Active": "tYES", "InWhichDimension": 1},
                        {"CenterCode": "400", "CenterName": "IT", "Active": "tYES", "InWhichDimension": 1}],
        projects=[{"Code": "P-1042", "Name": "Ombygging Hamar stasjon", "Active": "tYES"}],
        vat_groups=[
            {"Code": "0", "Name": "Ingen mva", "Inactive": "tNO",
             "VatGroups_Lines": [{"Effectivefrom": "2001-01-01T00:00:00Z", "Rate": Decimal("0.0")}]},
            {"Code": "1", "Name": "Inngående høy sats", "Inactive": "tNO",
             "VatGroups_Lines": [{"Effectivefrom": "2005-01-01T00:00:00Z", "Rate": Decimal("25.0")}]},
            {"Code": "14", "Name": "Innførselsmva", "Inactive": "tNO",
             "VatGroups_Lines": [{"Effectivefrom": "2005-01-01T00:00:00Z", "Rate": Decimal("25.0")}]},
        ],
    )


def add_cost_center_600(standin: SapB1StandIn) -> None:
    standin.company.profit_centers.append(
        {"CenterCode": "600", "CenterName": "Prosjekt", "Active": "tYES", "InWhichDimension": 1})


@dataclass(frozen=True)
class Setup:
    """A company set up for posting: its config file, the store's URL and file, and two items' ids."""

    config: Path
    url: str
    database: Path
    shelf: int
    paper: int


@pytest.fixture
def standin() -> Iterator[SapB1StandIn]:
    with SapB1StandIn(password=PASSWORD, company=sap_company()) as server:
        yield server


@pytest.fixture
def company(tmp_path, monkeypatch, standin) -> Setup:
    """A store with two statements, the second booked to cost center 600, and settings that post to the stand-in.

    The first statement has paper (import VAT code 14, posted gross) and
    toner (VAT code 1, split into net and VAT).
    """
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv(PASSWORD_VARIABLE, PASSWORD)

    master = tmp_path / "masterdata.toml"
    write_master_data(master_data(), master)
    database = tmp_path / "allocbot.db"
    url = f"sqlite:///{database}"
    store = Store(url)
    store.migrate()
    people = Company(store)
    paper_line, toner_line = people.statement([(4, AMAZON, "99.00"), (5, AMAZON, "1250.00")])
    (shelf_line,) = people.statement([(9, AMAZON, "1200.00")], filename="desember.csv")
    paper, _ = people.item(paper_line, "99.00", "Kopipapir A4", lines=[(OFFICE, "99.00")])
    people.item(toner_line, "1250.00", "Toner HP 305A", lines=[(TONER, "1250.00")])
    shelf, _ = people.item(shelf_line, "1200.00", "Hylle til lageret", lines=[(HAMAR, "1200.00")])
    store.close()

    config = tmp_path / "config.toml"
    config.write_text("\n".join([
        'language = "en"',
        f"master_data = {json.dumps(str(master))}",
        "[store]", f"url = {json.dumps(url)}",
        "[export]", 'connector = "sap"', "attempts = 2", "backoff_seconds = 0", "timeout_seconds = 1",
        "[export.sap]", f"base_url = {json.dumps(standin.url())}", 'company_db = "SBODEMONO"',
        'username = "allocbot"', f'password_env = "{PASSWORD_VARIABLE}"', 'vat_accounts = { "1" = "2710" }',
    ]) + "\n", encoding="utf-8")
    return Setup(config, url, database, shelf, paper)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


def stored_vouchers(url: str) -> list[tuple[str, str, str | None, int]]:
    """Return (number, status, external id, attempts) of each stored voucher, in the order they were claimed."""
    store = Store(url)
    try:
        with store.session() as session:
            rows = session.exec(select(VoucherRow).order_by(VoucherRow.id)).all()
            return [(row.number, row.status, row.external_id, row.attempts) for row in rows]
    finally:
        store.close()


def copy_database(source: Path, target: Path) -> None:
    """Copy an SQLite database with SQLite's backup API, which copies a consistent state."""
    with sqlite3.connect(source) as reader, sqlite3.connect(target) as writer:
        reader.backup(writer)


def line_amounts(entry: dict) -> Counter:
    """Return the entry's lines as a multiset of (account, debit, credit, VAT group)."""
    return Counter((line["AccountCode"], line.get("Debit"), line.get("Credit"), line.get("TaxGroup"))
                   for line in entry["JournalEntryLines"])


def test_masterdata_sync_stores_sap_lists(company, standin):
    status, out, err = run("--config", str(company.config), "masterdata", "sync")

    assert err == ""
    assert status == 0
    assert out.startswith("Lists read from SAP Business One:\n  Accounts: 6, of them inactive: 0\n"
                          "  Cost centers: 2, of them inactive: 0\n  Projects: 1, of them inactive: 0\n"
                          "  VAT codes: 3, of them inactive: 0\n")
    assert ("In the master data, but missing in SAP Business One (vouchers that use them are held back):\n"
            "  cost center: 600\n  VAT code: 15\n") in out
    store = Store(company.url)
    try:
        with store.session() as session:
            rows = session.exec(select(ErpCodeRow).where(ErpCodeRow.connector == "sap")).all()
    finally:
        store.close()
    assert len(rows) == 12
    assert {row.code: row.rate for row in rows if row.kind == "vat_code"} == {
        "0": Decimal("0"), "1": Decimal("25"), "14": Decimal("25")}


def test_dry_run_then_post(company, standin):
    status, dry, _ = run("--config", str(company.config), "post", "--dry-run")

    assert status == 1
    assert "Codes checked against the lists of SAP Business One." in dry
    assert "Would be held back, not sent:" in dry
    assert f"cost center 600 is unknown in SAP Business One; items #{company.shelf} Hylle til lageret" in dry
    assert standin.count("POST", "JournalEntries") == 0

    status, out, _ = run("--config", str(company.config), "post")

    assert status == 1
    [(number, state, jdt_num, attempts)] = stored_vouchers(company.url)
    [entry] = standin.entries
    assert entry["Reference"] == number
    assert (state, jdt_num, attempts) == ("posted", str(entry["JdtNum"]), 1)
    assert entry["AutoVAT"] == "tNO"
    assert line_amounts(entry) == Counter({
        ("6800", Decimal("99.00"), None, "14"): 1,
        ("6800", Decimal("1000.00"), None, "1"): 1,
        ("2710", Decimal("250.00"), None, None): 1,
        ("2400", None, Decimal("99.00"), None): 1,
        ("2400", None, Decimal("1250.00"), None): 1,
    })
    assert f"{number}, 2026-11-05, Card statement 2026-11-04–2026-11-05, kortutskrift.csv: posted as {jdt_num}\n" in out
    assert "Vouchers held back: 1" in out


@pytest.mark.parametrize("outage", ["booked-after-timeout", "server-error"])
def test_outage_then_rerun_posts_each_voucher_once(company, standin, outage):
    add_cost_center_600(standin)
    if outage == "booked-after-timeout":
        standin.hold_next_entry(after_bookings=1)
    else:
        standin.fail(500, 1, entity="JournalEntries", method="POST", after_bookings=1)

    status, out, _ = run("--config", str(company.config), "post")

    assert status == 1
    assert "SAP Business One could not be reached: voucher " in out
    assert "no journal entry carries the number yet" in out
    assert "Vouchers posted: 1, lines: " in out
    assert "Vouchers still sending: 1" in out
    first, second = stored_vouchers(company.url)
    assert first[1] == "posted"
    assert second[1] == "sending"

    if outage == "booked-after-timeout":
        standin.book_held_entry()
    status, out, _ = run("--config", str(company.config), "post")

    assert status == 0
    assert sorted(entry["Reference"] for entry in standin.entries) == sorted([first[0], second[0]])
    [entry] = standin.entries_with_reference(second[0])
    if outage == "booked-after-timeout":
        expected = [(second[0], "posted", str(entry["JdtNum"]), 1)]
        assert f": posted by an earlier run, found in SAP Business One as {entry['JdtNum']}" in out
        assert standin.count("POST", "JournalEntries") == 2
    else:
        expected = [(second[0], "posted", str(entry["JdtNum"]), 2)]
        assert f": posted as {entry['JdtNum']}" in out
        assert standin.count("POST", "JournalEntries") == 3
    assert stored_vouchers(company.url)[1:] == expected


def test_rejected_voucher_reported(company, standin):
    add_cost_center_600(standin)
    standin.reject_account("6540", "Account 6540 is blocked by the controller")

    status, out, _ = run("--config", str(company.config), "post")

    assert status == 1
    posted, rejected = stored_vouchers(company.url)
    assert posted[1] == "posted"
    assert rejected[1] == "rejected"
    assert (f"{rejected[0]}, 2026-11-09, Card statement 2026-11-09–2026-11-09, desember.csv: rejected by SAP "
            f"Business One: Account 6540 is blocked by the controller [JDT1.Account][line: 1] "
            f"(JournalEntryLines[1].AccountCode, HTTP 400)") in out
    assert "Vouchers rejected: 1" in out
    assert [entry["Reference"] for entry in standin.entries] == [posted[0]]


def test_number_reused_by_restored_backup_rejected(company, standin, tmp_path):
    """A restored backup gives the first voucher's number to another voucher; SAP's entry is not taken for it."""
    backup = tmp_path / "backup.db"
    copy_database(company.database, backup)
    status, _, _ = run("--config", str(company.config), "post")
    [(number, _, jdt_num, _)] = stored_vouchers(company.url)
    assert status == 1

    copy_database(backup, company.database)
    # Now the first statement is held back and the second is sent, under the number the first had.
    add_cost_center_600(standin)
    standin.company.profit_centers[0]["Active"] = "tNO"
    status, out, _ = run("--config", str(company.config), "post")

    assert status == 1
    [(reused, state, _, _)] = stored_vouchers(company.url)
    assert (reused, state) == (number, "rejected")
    assert (f"rejected by SAP Business One: SAP Business One already has journal entry {jdt_num} under voucher "
            f"number {number} with other content: the entry is dated 2026-11-05 with debit total 1349.00, this "
            f"voucher is dated 2026-11-09 with debit total 1200.00.") in out
    assert "another allocbot database, such as a restored backup or a second installation" in out
    assert [entry["Reference"] for entry in standin.entries] == [number]
    assert standin.count("POST", "JournalEntries") == 1
