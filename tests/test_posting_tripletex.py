"""`allocbot masterdata sync` and `allocbot post` with the Tripletex connector against the local Tripletex stand-in.

The stand-in listens on 127.0.0.1 and checks every request against
Tripletex's published schema; the fixture fails a test whose requests break it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.cli import main
from bot.sample.master_toml import write_master_data
from bot.store.database import Store
from bot.store.models import ErpCodeRow, VoucherRow
from erp.tripletex_standin import TripletexStandIn
from posting_store import HAMAR, OFFICE, Company, master_data, number

CONSUMER_TOKEN = "consumer-token-2b7e41a0d3"
EMPLOYEE_TOKEN = "employee-token-9c1f58e6b4"
AMAZON = "AMAZON EU, Luxembourg"


@pytest.fixture
def standin() -> Iterator[TripletexStandIn]:
    """A Tripletex company with the test master data's codes, except cost center 600 and VAT code 15."""
    server = TripletexStandIn(consumer_token=CONSUMER_TOKEN, employee_token=EMPLOYEE_TOKEN)
    for number, name in ((2400, "Leverandørgjeld"), (6540, "Inventar"), (6551, "Datautstyr"),
                         (6800, "Kontorrekvisita"), (7350, "Representasjon"), (1920, "Bankinnskudd")):
        server.add_account(number, name)
    for number, name, percentage in (("0", "Ingen mva-behandling", "0"), ("1", "Høy sats", "25"),
                                     ("14", "Innførselsmva", "25")):
        server.add_vat_type(number, name, percentage)
    server.add_department("100", "Administrasjon")
    server.add_department("400", "IT")
    server.add_project("P-1042", "Ombygging Hamar stasjon")
    server.start()
    yield server
    server.stop()
    assert server.schema_violations == [], "the connector sent requests that break Tripletex's schema"
    assert server.response_violations == [], "the stand-in responded outside Tripletex's schema"


@pytest.fixture
def company(tmp_path, monkeypatch, standin):
    """A store with two statements, one of them booked to cost center 600, and settings that post to the stand-in."""
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("TRIPLETEX_CONSUMER_TOKEN", CONSUMER_TOKEN)
    monkeypatch.setenv("TRIPLETEX_EMPLOYEE_TOKEN", EMPLOYEE_TOKEN)

    master = tmp_path / "masterdata.toml"
    write_master_data(master_data(), master)
    url = f"sqlite:///{tmp_path / 'allocbot.db'}"
    store = Store(url)
    store.migrate()
    people = Company(store)
    (paper_line,) = people.statement([(4, AMAZON, "99.00")])
    (shelf_line,) = people.statement([(9, AMAZON, "1200.00")], filename="desember.csv")
    people.item(paper_line, "99.00", "Kopipapir A4", lines=[(OFFICE, "99.00")])
    shelf, _ = people.item(shelf_line, "1200.00", "Hylle til lageret", lines=[(HAMAR, "1200.00")])
    numbers = [number(store, voucher_id) for voucher_id in (1, 2)]
    store.close()

    config = tmp_path / "config.toml"
    config.write_text("\n".join([
        'language = "en"',
        f"master_data = {json.dumps(str(master))}",
        "[store]", f"url = {json.dumps(url)}",
        "[export]", 'connector = "tripletex"', "attempts = 2", "backoff_seconds = 0",
        "[export.tripletex]", f"base_url = {json.dumps(standin.base_url)}",
    ]) + "\n", encoding="utf-8")
    return config, url, shelf, numbers


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


def test_masterdata_sync_stores_lists_and_differences(company, standin):
    config, url, _, _ = company

    status, out, err = run("--config", str(config), "masterdata", "sync")

    assert err == ""
    assert status == 0
    assert out.startswith("Lists read from Tripletex:\n  Accounts: 6, of them inactive: 0\n"
                          "  Cost centers: 2, of them inactive: 0\n  Projects: 1, of them inactive: 0\n"
                          "  VAT codes: 3, of them inactive: 0\n")
    assert ("In the master data, but missing in Tripletex (vouchers that use them are held back):\n"
            "  cost center: 600\n  VAT code: 15\n") in out
    assert "Active in Tripletex, but not in the master data:\n  account: 1920, 2400\n" in out
    store = Store(url)
    try:
        with store.session() as session:
            rows = session.exec(select(ErpCodeRow).where(ErpCodeRow.connector == "tripletex")).all()
    finally:
        store.close()
    assert len(rows) == 12
    assert {row.rate for row in rows if row.kind == "vat_code"} == {Decimal("0"), Decimal("25")}


def test_masterdata_sync_erp_unreachable(company, standin):
    config, _, _, _ = company
    standin.fail_next("GET", "/ledger/account", status=503, times=5)

    status, out, err = run("--config", str(config), "masterdata", "sync")

    assert status == 1
    assert out == ""
    assert "allocbot: Tripletex could not be reached: " in err
    assert "the stored lists are unchanged. Run allocbot masterdata sync again later." in err


def test_post_checks_codes_against_tripletex(company, standin):
    config, url, shelf, (first, _) = company

    status, dry, _ = run("--config", str(config), "post", "--dry-run")

    assert status == 1
    assert "Codes checked against the lists of Tripletex." in dry
    assert "Would be held back, not sent:" in dry
    assert f"cost center 600 is unknown in Tripletex; items #{shelf} Hylle til lageret" in dry
    assert standin.vouchers == {}

    status, out, _ = run("--config", str(config), "post")

    assert status == 1
    (stored,) = standin.vouchers.values()
    assert stored["externalVoucherNumber"] == first
    assert [posting["amountGross"] for posting in stored["postings"]] == [Decimal("99.00"), Decimal("-99.00")]
    (voucher_id,) = standin.vouchers
    assert (f"{first}, 2026-11-04, Card statement 2026-11-04–2026-11-04, kortutskrift.csv: posted as {voucher_id}"
            in out)
    assert "Vouchers held back: 1" in out


def test_unreachable_tripletex_then_rerun(company, standin):
    config, url, _, (first, second) = company
    standin.add_department("600", "Prosjekt")
    # The second voucher's POST fails with a 500, after which its outcome is unknown until the next run.
    standin.fail_next("POST", "/ledger/voucher", status=500, times=1, after=1)

    status, out, _ = run("--config", str(config), "post")

    assert status == 1
    assert "Tripletex could not be reached: " in out
    assert ("Run allocbot post again: it looks up the vouchers of this run by their numbers in Tripletex before it "
            "sends any of them again.") in out
    assert "Vouchers posted: 1, lines: 2" in out
    assert "Vouchers still sending: 1" in out

    status, out, _ = run("--config", str(config), "post")

    assert status == 0
    assert "Vouchers posted: 1, lines: 2" in out
    assert sorted(stored["externalVoucherNumber"] for stored in standin.vouchers.values()) == [first, second]
    store = Store(url)
    try:
        with store.session() as session:
            assert [(row.number, row.status, row.attempts)
                    for row in session.exec(select(VoucherRow).order_by(VoucherRow.id))] == [
                (first, "posted", 1), (second, "posted", 2)]
    finally:
        store.close()
