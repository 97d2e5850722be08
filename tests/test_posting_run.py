"""Posting runs on SQLite and PostgreSQL: claim before send, recovery, rejections, an unreachable ERP, concurrency.

Each test checks the store's invariant afterwards: a voucher is "sending",
"posted" with all its postings posted and its items posted, or "rejected"
with no postings left.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlmodel import select

from bot.ports import ErpUnavailable
from bot.posting.payload import voucher_from_payload
from bot.store.masterdata_sync import sync_master_data
from bot.store.models import AllocationRow, AmazonItem, AuditEvent, Posting, VoucherRow
from bot.store.postings import add_voucher, claim_allocations
from posting_store import (
    OFFICE,
    Company,
    ConnectionReset,
    Ledger,
    RecordingErp,
    master_data,
    post,
    table_contents,
)

AMAZON = "AMAZON EU, Luxembourg"


def three_items(store):
    """Three approved items on three lines of one statement, only the first on account 6551; return allocation ids."""
    company = Company(store)
    lines = company.statement([(3, AMAZON, "600.00"), (10, AMAZON, "250.00"), (17, AMAZON, "89.90")])
    return [company.item(lines[0], "600.00", "Logitech MX Master 3S")[1],
            company.item(lines[1], "250.00", "Kopipapir A4", lines=[(OFFICE, "250.00")])[1],
            company.item(lines[2], "89.90", "Whiteboardtusj", lines=[(OFFICE, "89.90")])[1]]


def check_invariant(store):
    """Assert that no voucher is half-posted."""
    with store.session() as session:
        for voucher in session.exec(select(VoucherRow)).all():
            postings = session.exec(select(Posting).where(Posting.voucher_id == voucher.id)).all()
            states = set(session.exec(
                select(AmazonItem.state).join(AllocationRow, AllocationRow.item_id == AmazonItem.id)
                .join(Posting, Posting.allocation_id == AllocationRow.id).where(Posting.voucher_id == voucher.id)
            ).all())
            if voucher.status == "rejected":
                assert postings == [], voucher.number
            elif voucher.status == "posted":
                assert postings and {posting.status for posting in postings} == {"posted"}, voucher.number
                assert states == {"posted"}, voucher.number
            else:
                assert postings and {posting.status for posting in postings} == {"sending"}, voucher.number
                assert "posted" not in states, voucher.number


def statuses(store) -> list[tuple[str, str, int]]:
    with store.session() as session:
        return [(row.number, row.status, row.attempts)
                for row in session.exec(select(VoucherRow).order_by(VoucherRow.id)).all()]


def test_second_run_posts_nothing(store, tmp_path):
    three_items(store)
    erp = RecordingErp()

    first = post(store, erp, tmp_path)
    second = post(store, erp, tmp_path)

    assert len(first.with_status("posted")) == 1
    assert second.outcomes == []
    assert not second.failed
    assert len(erp.sent) == 1
    check_invariant(store)


def test_crash_after_booking_leaves_vouchers_sending(store, tmp_path):
    three_items(store)
    ledger = Ledger()
    crashing = RecordingErp(ledger, fail=lambda voucher: "crash")

    with pytest.raises(ConnectionReset):
        post(store, crashing, tmp_path, grouping="item")

    # The first voucher was booked before the crash; all three were claimed and committed before sending.
    assert statuses(store) == [("AB0000001", "sending", 1), ("AB0000002", "sending", 1), ("AB0000003", "sending", 1)]
    with store.session() as session:
        assert set(session.exec(select(Posting.status)).all()) == {"sending"}
        assert set(session.exec(select(AmazonItem.state)).all()) == {"decided"}
    check_invariant(store)

    erp = RecordingErp(ledger)
    result = post(store, erp, tmp_path, grouping="item")

    assert erp.lookups == [["AB0000001", "AB0000002", "AB0000003"]]
    assert [voucher.number for voucher in erp.sent] == ["AB0000002", "AB0000003"]
    assert list(ledger.booked) == ["AB0000001", "AB0000002", "AB0000003"]
    found = [outcome for outcome in result.outcomes if outcome.found]
    assert [(outcome.voucher.number, outcome.external_id) for outcome in found] == [("AB0000001", "ERP-1")]
    assert statuses(store) == [("AB0000001", "posted", 1), ("AB0000002", "posted", 2), ("AB0000003", "posted", 2)]
    assert not result.failed
    check_invariant(store)


def test_retry_sends_stored_content(store, tmp_path):
    """A voucher sent again keeps its number, grouping and lines, even after the settings and master data changed."""
    three_items(store)
    ledger = Ledger()
    before_booking = RecordingErp(ledger, fail=lambda voucher: "unavailable")

    result = post(store, before_booking, tmp_path)
    assert result.unavailable == "read timed out"
    with store.session() as session:
        payload = session.exec(select(VoucherRow.payload)).one()
        sync_master_data(session, master_data(accounts=[{"number": "6800", "name": "Kontorrekvisita"}]))

    erp = RecordingErp(ledger)
    post(store, erp, tmp_path, grouping="item")

    (voucher,) = erp.sent
    assert voucher.number == payload["number"]
    assert voucher.number == "AB0000001"
    assert len(voucher.lines) == 6
    assert voucher.lines[0].account == "6551"
    assert voucher == voucher_from_payload(payload)
    check_invariant(store)


def test_rejected_voucher_frees_allocations(store, tmp_path):
    allocations = three_items(store)
    picky = RecordingErp(reject=lambda voucher: "Kontoen 6551 er sperret for postering" if any(
        line.account == "6551" for line in voucher.lines) else None)

    result = post(store, picky, tmp_path, grouping="item")

    (rejected,) = result.with_status("rejected")
    assert rejected.voucher.number == "AB0000001"
    assert rejected.message == "Kontoen 6551 er sperret for postering (postings.account, HTTP 422)"
    assert result.failed
    assert statuses(store)[0] == ("AB0000001", "rejected", 1)
    with store.session() as session:
        row = session.exec(select(VoucherRow).where(VoucherRow.number == "AB0000001")).one()
        assert row.error == rejected.message
        assert session.exec(select(Posting).where(Posting.allocation_id == allocations[0])).first() is None
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "posting_rejected")).all()
    assert [event.data["message"] for event in events] == [rejected.message]
    check_invariant(store)

    fixed = RecordingErp()
    retry = post(store, fixed, tmp_path, grouping="item")

    (posted,) = retry.outcomes
    assert posted.status == "posted"
    assert posted.allocation_ids == (allocations[0],)
    assert posted.voucher.number == "AB0000004"
    check_invariant(store)


def test_unreachable_erp_midway(store, tmp_path):
    three_items(store)
    ledger = Ledger()
    flaky = RecordingErp(ledger, fail=lambda voucher: "unavailable" if voucher.number == "AB0000002" else None)

    result = post(store, flaky, tmp_path, grouping="item")

    assert result.unavailable == "read timed out"
    assert result.failed
    assert [(outcome.voucher.number, outcome.status) for outcome in result.outcomes] == [
        ("AB0000001", "posted"), ("AB0000002", "sending"), ("AB0000003", "sending")]
    assert [status for _, status, _ in statuses(store)] == ["posted", "sending", "sending"]
    check_invariant(store)

    erp = RecordingErp(ledger)
    again = post(store, erp, tmp_path, grouping="item")

    assert erp.lookups == [["AB0000002", "AB0000003"]]
    assert [voucher.number for voucher in erp.sent] == ["AB0000002", "AB0000003"]
    assert list(ledger.booked) == ["AB0000001", "AB0000002", "AB0000003"]
    assert not again.failed
    check_invariant(store)


def test_timeout_after_booking_found_not_resent(store, tmp_path):
    """The ERP booked the voucher but its response was lost: the next run finds it and sends nothing."""
    three_items(store)
    ledger = Ledger()
    lost = RecordingErp(ledger, fail=lambda voucher: "lost")

    first = post(store, lost, tmp_path)
    assert first.unavailable

    erp = RecordingErp(ledger)
    second = post(store, erp, tmp_path)

    assert erp.sent == []
    assert [(outcome.status, outcome.found) for outcome in second.outcomes] == [("posted", True)]
    assert list(ledger.booked) == ["AB0000001"]
    check_invariant(store)


def test_unreachable_during_lookup_claims_nothing(store, tmp_path):
    three_items(store)
    ledger = Ledger()
    post(store, RecordingErp(ledger, fail=lambda voucher: "unavailable"), tmp_path)

    class Down(RecordingErp):
        def find(self, numbers):
            raise ErpUnavailable(self.name, "connection refused")

    result = post(store, Down(ledger), tmp_path)

    assert result.unavailable == "connection refused"
    assert statuses(store) == [("AB0000001", "sending", 1)]
    check_invariant(store)


def test_voucher_of_other_connector_not_looked_up(store, tmp_path):
    three_items(store)
    post(store, RecordingErp(fail=lambda voucher: "unavailable"), tmp_path)

    class Other(RecordingErp):
        name = "other"

    other = Other()
    result = post(store, other, tmp_path)

    assert result.elsewhere == ["AB0000001"]
    assert other.lookups == []
    assert other.sent == []
    assert result.failed


def test_new_allocation_after_crash_gets_own_voucher(store, tmp_path):
    three_items(store)
    ledger = Ledger()
    with pytest.raises(ConnectionReset):
        post(store, RecordingErp(ledger, fail=lambda voucher: "crash"), tmp_path)
    company = Company(store)
    (line,) = company.statement([(21, AMAZON, "55.00")], filename="desember.csv")
    company.item(line, "55.00", "Post-it", lines=[(OFFICE, "55.00")])

    erp = RecordingErp(ledger)
    result = post(store, erp, tmp_path)

    assert [voucher.number for voucher in erp.sent] == ["AB0000002"]
    assert [(outcome.voucher.number, outcome.found) for outcome in result.outcomes] == [
        ("AB0000001", True), ("AB0000002", False)]
    check_invariant(store)


def test_claim_taken_allocation_fails(store, tmp_path):
    allocations = three_items(store)
    with store.session() as session:
        first = add_voucher(session, connector="recording", grouping="item", document_id=None,
                            voucher_date=date(2026, 11, 3))
        assert claim_allocations(session, first, allocations[:2])

    with store.session() as session:
        second = add_voucher(session, connector="recording", grouping="statement", document_id=None,
                             voucher_date=date(2026, 11, 3))
        assert not claim_allocations(session, second, allocations)

    with store.session() as session:
        assert session.exec(select(VoucherRow.number)).all() == ["AB0000001"]
        assert sorted(session.exec(select(Posting.allocation_id)).all()) == allocations[:2]


def test_concurrent_claims_take_each_allocation_once(store, tmp_path):
    """A claim waits for a concurrent, uncommitted claim of the same allocation and then gives way.

    On PostgreSQL the test waits until the second claim blocks on the
    unique index; on SQLite the second waits for the database lock.
    """
    allocations = three_items(store)
    outcome: list[object] = []

    def second_claim() -> None:
        try:
            with store.session() as session:
                voucher = add_voucher(session, connector="recording", grouping="item", document_id=None,
                                      voucher_date=date(2026, 11, 3))
                outcome.append(claim_allocations(session, voucher, [allocations[1]]))
        except BaseException as error:  # noqa: BLE001 - handed to the main thread's assertions
            outcome.append(error)

    with store.session() as session:
        voucher = add_voucher(session, connector="recording", grouping="statement", document_id=None,
                              voucher_date=date(2026, 11, 17))
        assert claim_allocations(session, voucher, allocations)
        thread = threading.Thread(target=second_claim)
        thread.start()
        if store.engine.dialect.name == "postgresql":
            _wait_for_lock_wait(store)

    thread.join(timeout=30)
    assert not thread.is_alive()
    assert outcome == [False]
    with store.session() as session:
        assert session.exec(select(Posting.voucher_id).distinct()).all() == [voucher.id]
        assert session.exec(select(VoucherRow.number)).all() == [voucher.number]


def test_dry_run_changes_nothing(store, tmp_path):
    three_items(store)
    post(store, RecordingErp(fail=lambda voucher: "unavailable"), tmp_path, grouping="item")
    company = Company(store)
    (line,) = company.statement([(21, AMAZON, "55.00")], filename="desember.csv")
    company.item(line, "55.00", "Post-it")
    before = table_contents(store)
    erp = RecordingErp()

    dry = post(store, erp, tmp_path, dry_run=True)

    assert table_contents(store) == before
    assert erp.sent == []
    assert erp.lookups == []
    assert dry.waiting == 3
    assert [len(draft.voucher.lines) for draft in dry.drafts] == [2]
    assert dry.drafts[0].voucher.number == ""

    real = post(store, erp, tmp_path)
    (new,) = [outcome.voucher for outcome in real.outcomes if outcome.allocation_ids == dry.drafts[0].allocation_ids]
    assert new.lines == dry.drafts[0].voucher.lines
    assert new.number == "AB0000004"
    assert new.balance() == Decimal("0")


def _wait_for_lock_wait(store, timeout: float = 10.0) -> None:
    """Poll until a backend of this database waits for a lock."""
    deadline = time.monotonic() + timeout
    query = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                 "AND wait_event_type = 'Lock'")
    with store.engine.connect() as connection:
        while connection.execute(query).scalar_one() == 0:
            assert time.monotonic() < deadline, "the second claim never waited for the first one"
            time.sleep(0.02)
            connection.rollback()


def test_second_run_waits_for_first(store, tmp_path, caplog):
    """A run that starts while another is sending waits for it, then finds nothing left to send."""
    caplog.set_level(logging.INFO, logger="bot.store.posting_lock")
    three_items(store)
    ledger = Ledger()
    release = threading.Event()

    class Slow(RecordingErp):
        def post(self, vouchers):
            assert release.wait(timeout=30)
            return super().post(vouchers)

    first_erp, second_erp = Slow(ledger), RecordingErp(ledger)
    results = {}
    first = threading.Thread(target=lambda: results.setdefault("first", post(store, first_erp, tmp_path)))
    second = threading.Thread(target=lambda: results.setdefault("second", post(store, second_erp, tmp_path)))

    first.start()
    try:
        _wait_until(lambda: statuses(store) == [("AB0000001", "sending", 1)])
        second.start()
        _wait_until(lambda: any("is taken by another run" in record.message for record in caplog.records))
        assert second_erp.lookups == []
    finally:
        release.set()
        first.join(timeout=30)
        if second.is_alive() or second.ident is not None:
            second.join(timeout=30)

    assert list(ledger.booked) == ["AB0000001"]
    assert second_erp.sent == []
    assert second_erp.lookups == []
    assert results["second"].outcomes == []
    check_invariant(store)


def _wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)
