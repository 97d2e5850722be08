"""Posting runs on SQLite and PostgreSQL: claim before send, recovery, rejections, failures, abandoning, concurrency.

Each test checks the store's invariant afterwards: a voucher is "sending",
"posted" with all its postings posted and its items posted, or "rejected"
with its postings rejected (waiting for a controller) or gone (released).
"""

from __future__ import annotations

import io
import logging
import re
import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, text
from sqlmodel import select

from bot.console import print_posting
from bot.errors import UsageError
from bot.i18n import Translator
from bot.ports import ErpCode, ErpUnavailable
from bot.posting.payload import voucher_from_payload
from bot.posting.run import ConnectorFailure, abandon
from bot.records import Allocation
from bot.store.masterdata_sync import sync_master_data
from bot.store.models import AllocationRow, AmazonItem, AuditEvent, InstallationRow, Posting, VoucherRow
from bot.store.postings import TAG_ALPHABET, add_voucher, claim_allocations
from posting_store import (
    OFFICE,
    Company,
    ConnectionReset,
    Ledger,
    ListingErp,
    RecordingErp,
    erp_codes_of,
    master_data,
    number,
    post,
    table_contents,
)

AMAZON = "AMAZON EU, Luxembourg"
KARI = "kari.nordmann@example.no"


def three_items(store):
    """Three approved items on three lines of one statement, only the first on account 6551; return allocation ids."""
    company = Company(store)
    lines = company.statement([(3, AMAZON, "600.00"), (10, AMAZON, "250.00"), (17, AMAZON, "89.90")])
    return [company.item(lines[0], "600.00", "Logitech MX Master 3S")[1],
            company.item(lines[1], "250.00", "Kopipapir A4", lines=[(OFFICE, "250.00")])[1],
            company.item(lines[2], "89.90", "Whiteboardtusj", lines=[(OFFICE, "89.90")])[1]]


def another_item(store) -> int:
    """Store one more approved item, on a December statement; return its allocation id."""
    company = Company(store)
    (line,) = company.statement([(21, AMAZON, "55.00")], filename="desember.csv")
    return company.item(line, "55.00", "Post-it", lines=[(OFFICE, "55.00")])[1]


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
                assert {posting.status for posting in postings} <= {"rejected"}, voucher.number
                assert "posted" not in states, voucher.number
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


def printed(result, language: str) -> str:
    out = io.StringIO()
    print_posting(result, Translator(language), out)
    return out.getvalue()


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


def test_voucher_number_carries_installation_tag(store, tmp_path):
    three_items(store)
    erp = RecordingErp()

    post(store, erp, tmp_path)

    (voucher,) = erp.sent
    with store.session() as session:
        tag = session.exec(select(InstallationRow.tag)).one()
    assert re.fullmatch(f"[{TAG_ALPHABET}]{{4}}", tag)
    assert voucher.number == f"AB{tag}0000001"
    # DATEV's Belegfeld 1: at most 36 letters and digits, starting with a letter.
    assert len(voucher.number) <= 36
    assert voucher.number.isalnum()
    assert voucher.number[0].isalpha()


def test_missing_installation_tag_made_again(store):
    """A store whose installation row is gone gets a new tag instead of numbers without one."""
    allocations = three_items(store)
    with store.session() as session:
        session.exec(delete(InstallationRow))

    with store.session() as session:
        voucher = add_voucher(session, connector="recording", grouping="item", document_id=None,
                              voucher_date=date(2026, 11, 3))
        claim_allocations(session, voucher, allocations[:1])

    with store.session() as session:
        (tag,) = session.exec(select(InstallationRow.tag)).all()
    assert voucher.number == f"AB{tag}{voucher.id:07d}"


def test_crash_after_booking_leaves_vouchers_sending(store, tmp_path):
    three_items(store)
    ledger = Ledger()
    crashing = RecordingErp(ledger, fail=lambda voucher: "crash")

    crashed = post(store, crashing, tmp_path, grouping="item")

    first, second, third = (number(store, voucher_id) for voucher_id in (1, 2, 3))
    assert crashed.failures == [ConnectorFailure("send", (first, second, third),
                                                 f"ConnectionReset: connection reset after booking {first}")]
    assert [outcome.status for outcome in crashed.outcomes] == ["sending", "sending", "sending"]
    assert crashed.failed
    # The first voucher was booked before the crash; all three were claimed and committed before sending.
    assert statuses(store) == [(first, "sending", 1), (second, "sending", 1), (third, "sending", 1)]
    with store.session() as session:
        assert set(session.exec(select(Posting.status)).all()) == {"sending"}
        assert set(session.exec(select(AmazonItem.state)).all()) == {"decided"}
    check_invariant(store)

    erp = RecordingErp(ledger)
    result = post(store, erp, tmp_path, grouping="item")

    assert erp.lookups == [[first, second, third]]
    assert erp.batches == [[second, third]]
    assert list(ledger.booked) == [first, second, third]
    found = [outcome for outcome in result.outcomes if outcome.found]
    assert [(outcome.voucher.number, outcome.external_id) for outcome in found] == [(first, "ERP-1")]
    assert statuses(store) == [(first, "posted", 1), (second, "posted", 2), (third, "posted", 2)]
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
    assert voucher.number == number(store, 1)
    assert len(voucher.lines) == 6
    assert voucher.lines[0].account == "6551"
    assert voucher == voucher_from_payload(payload)
    check_invariant(store)


def _reject_6551(voucher):
    return "Kontoen 6551 er sperret for postering" if any(line.account == "6551" for line in voucher.lines) else None


def test_rejected_voucher_waits_for_retry(store, tmp_path):
    allocations = three_items(store)

    result = post(store, RecordingErp(reject=_reject_6551), tmp_path, grouping="item")

    rejected_number = number(store, 1)
    (rejected,) = result.with_status("rejected")
    assert rejected.voucher.number == rejected_number
    assert rejected.message == "Kontoen 6551 er sperret for postering (postings.account, HTTP 422)"
    assert result.failed
    assert statuses(store)[0] == (rejected_number, "rejected", 1)
    with store.session() as session:
        row = session.exec(select(VoucherRow).where(VoucherRow.number == rejected_number)).one()
        assert row.error == rejected.message
        posting = session.exec(select(Posting).where(Posting.allocation_id == allocations[0])).one()
        assert posting.status == "rejected"
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "posting_rejected")).all()
    assert [event.data["message"] for event in events] == [rejected.message]
    check_invariant(store)

    fixed = RecordingErp()
    waiting = post(store, fixed, tmp_path, grouping="item")

    assert fixed.sent == []
    assert waiting.outcomes == []
    assert [(entry.voucher.number, entry.message) for entry in waiting.rejections] == [
        (rejected_number, rejected.message)]
    assert waiting.failed

    retry = post(store, fixed, tmp_path, grouping="item", retry_rejected=True)

    (posted,) = retry.outcomes
    assert retry.released == [rejected_number]
    assert posted.status == "posted"
    assert posted.allocation_ids == (allocations[0],)
    assert posted.voucher.number == number(store, 4)
    assert retry.rejections == []
    assert not retry.failed
    with store.session() as session:
        released = session.exec(select(AuditEvent).where(AuditEvent.action == "posting_released")).all()
    assert [(event.actor, event.data["voucher"]) for event in released] == [(KARI, rejected_number)]
    check_invariant(store)

    with pytest.raises(UsageError) as again:
        post(store, fixed, tmp_path, grouping="item", retry_rejected=rejected_number)
    assert again.value.message == "the items of this rejected voucher were released already"


def test_retry_one_rejected_voucher(store, tmp_path):
    allocations = three_items(store)
    post(store, RecordingErp(reject=lambda voucher: "Perioden er stengt"), tmp_path, grouping="item")
    first, second, third = (number(store, voucher_id) for voucher_id in (1, 2, 3))
    erp = RecordingErp()

    result = post(store, erp, tmp_path, grouping="item", retry_rejected=second)

    assert result.released == [second]
    assert [outcome.allocation_ids for outcome in result.outcomes] == [(allocations[1],)]
    assert [entry.voucher.number for entry in result.rejections] == [first, third]
    assert result.failed
    check_invariant(store)


def test_retry_raises_for_other_numbers(store, tmp_path):
    three_items(store)
    post(store, RecordingErp(reject=_reject_6551), tmp_path, grouping="item")
    post(store, RecordingErp(fail=lambda voucher: "unavailable"), tmp_path)
    another_item(store)
    post(store, RecordingErp(fail=lambda voucher: "unavailable"), tmp_path)
    posted, sending = number(store, 2), number(store, 4)
    assert [status for _, status, _ in statuses(store)] == ["rejected", "posted", "posted", "sending"]
    before = table_contents(store)

    for wrong, message in (("ABZZZZ9999999", "no voucher has this number"),
                           (posted, "this voucher is posted, not rejected"),
                           (sending, "this voucher is still being sent, and its outcome is unknown")):
        with pytest.raises(UsageError) as caught:
            post(store, RecordingErp(), tmp_path, retry_rejected=wrong)
        assert caught.value.message == message
        assert caught.value.source == wrong

    assert table_contents(store) == before


def test_unreachable_erp_midway(store, tmp_path):
    three_items(store)
    ledger = Ledger()
    first, second, third = (number(store, voucher_id) for voucher_id in (1, 2, 3))
    flaky = RecordingErp(ledger, fail=lambda voucher: "unavailable" if voucher.number == second else None)

    result = post(store, flaky, tmp_path, grouping="item")

    assert result.unavailable == "read timed out"
    assert result.failed
    assert [(outcome.voucher.number, outcome.status) for outcome in result.outcomes] == [
        (first, "posted"), (second, "sending"), (third, "sending")]
    assert [status for _, status, _ in statuses(store)] == ["posted", "sending", "sending"]
    check_invariant(store)

    erp = RecordingErp(ledger)
    again = post(store, erp, tmp_path, grouping="item")

    assert erp.lookups == [[second, third]]
    assert erp.batches == [[second, third]]
    assert list(ledger.booked) == [first, second, third]
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
    assert list(ledger.booked) == [number(store, 1)]
    check_invariant(store)


def test_unreachable_during_lookup_claims_nothing(store, tmp_path):
    three_items(store)
    ledger = Ledger()
    post(store, RecordingErp(ledger, fail=lambda voucher: "unavailable"), tmp_path)
    another_item(store)

    class Down(RecordingErp):
        def find(self, numbers):
            raise ErpUnavailable(self.name, "connection refused")

    down = Down(ledger)
    result = post(store, down, tmp_path)

    assert result.unavailable == "connection refused"
    assert down.batches == []
    assert statuses(store) == [(number(store, 1), "sending", 1)]
    check_invariant(store)


def test_voucher_of_other_connector_not_looked_up(store, tmp_path):
    three_items(store)
    post(store, RecordingErp(fail=lambda voucher: "unavailable"), tmp_path)

    class Other(RecordingErp):
        name = "other"

    other = Other()
    result = post(store, other, tmp_path)

    assert result.elsewhere == [number(store, 1)]
    assert other.lookups == []
    assert other.sent == []
    assert result.failed


def test_new_allocation_after_crash_gets_own_voucher(store, tmp_path):
    three_items(store)
    ledger = Ledger()
    post(store, RecordingErp(ledger, fail=lambda voucher: "crash"), tmp_path)
    another_item(store)

    erp = RecordingErp(ledger)
    result = post(store, erp, tmp_path)

    first, second = number(store, 1), number(store, 2)
    assert erp.batches == [[second]]
    assert [(outcome.voucher.number, outcome.found) for outcome in result.outcomes] == [(first, True), (second, False)]
    check_invariant(store)


def test_stuck_voucher_does_not_block_new_ones(store, tmp_path):
    """A voucher the connector raises on, run after run, is sent on its own, and new vouchers go on."""
    allocations = three_items(store)
    ledger = Ledger()
    stuck = number(store, 1)
    erp = RecordingErp(ledger, fail=lambda voucher: "invalid" if voucher.number == stuck else None)

    first = post(store, erp, tmp_path)

    assert first.failures == [ConnectorFailure("send", (stuck,), f"ValueError: voucher {stuck}: account 6551 "
                                                                 "cannot be sent")]
    new_allocation = another_item(store)

    second = post(store, erp, tmp_path)

    fresh = number(store, 2)
    assert erp.batches == [[stuck], [stuck], [fresh]]
    assert [failure.numbers for failure in second.failures] == [(stuck,)]
    assert [(outcome.voucher.number, outcome.status) for outcome in second.outcomes] == [
        (stuck, "sending"), (fresh, "posted")]
    assert second.failed

    abandoned = abandon(store, erp, stuck, KARI, Translator("nb"))
    third = post(store, erp, tmp_path)

    assert abandoned.external_id is None
    assert sorted(abandoned.allocation_ids) == allocations
    (posted,) = third.outcomes
    assert posted.voucher.number == number(store, 3)
    assert posted.allocation_ids == tuple(allocations)
    assert posted.status == "posted"
    assert list(ledger.booked) == [fresh, number(store, 3)]
    assert new_allocation not in posted.allocation_ids
    assert not third.failed
    check_invariant(store)


def test_lookup_failure_still_posts_new_vouchers(store, tmp_path):
    three_items(store)
    ledger = Ledger()
    post(store, RecordingErp(ledger, fail=lambda voucher: "unavailable"), tmp_path)
    another_item(store)

    class BrokenLookup(RecordingErp):
        def find(self, numbers):
            raise KeyError("values")

    erp = BrokenLookup(ledger)
    result = post(store, erp, tmp_path)

    waiting, fresh = number(store, 1), number(store, 2)
    assert result.failures == [ConnectorFailure("lookup", (waiting,), "KeyError: 'values'")]
    assert erp.batches == [[fresh]]
    assert statuses(store) == [(waiting, "sending", 1), (fresh, "posted", 1)]
    check_invariant(store)


def test_abandon_voucher_missing_in_erp(store, tmp_path):
    allocations = three_items(store)
    ledger = Ledger()
    post(store, RecordingErp(ledger, fail=lambda voucher: "unavailable"), tmp_path)
    sending = number(store, 1)

    abandoned = abandon(store, RecordingErp(ledger), sending, KARI, Translator("nb"))

    assert abandoned.external_id is None
    assert sorted(abandoned.allocation_ids) == allocations
    with store.session() as session:
        row = session.exec(select(VoucherRow).where(VoucherRow.number == sending)).one()
        postings = session.exec(select(Posting)).all()
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "posting_abandoned")).all()
    assert row.status == "rejected"
    assert re.fullmatch(rf"abandoned by {KARI} at 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", row.error)
    assert postings == []
    assert sorted(event.data["allocation_id"] for event in events) == allocations
    assert {event.actor for event in events} == {KARI}
    check_invariant(store)

    erp = RecordingErp(ledger)
    result = post(store, erp, tmp_path)

    assert [voucher.number for voucher in erp.sent] == [number(store, 2)]
    assert result.rejections == []
    assert not result.failed


def test_abandon_voucher_found_in_erp(store, tmp_path):
    three_items(store)
    ledger = Ledger()
    post(store, RecordingErp(ledger, fail=lambda voucher: "lost"), tmp_path)
    booked = number(store, 1)

    abandoned = abandon(store, RecordingErp(ledger), booked, KARI, Translator("nb"))

    assert abandoned.external_id == "ERP-1"
    assert statuses(store) == [(booked, "posted", 1)]
    with store.session() as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "posting_abandoned")).all() == []
    check_invariant(store)


def test_abandon_unreachable_changes_nothing(store, tmp_path):
    three_items(store)
    post(store, RecordingErp(fail=lambda voucher: "unavailable"), tmp_path)
    before = table_contents(store)

    class Down(RecordingErp):
        def find(self, numbers):
            raise ErpUnavailable(self.name, "connection refused")

    abandoned = abandon(store, Down(), number(store, 1), KARI, Translator("nb"))

    assert abandoned.unavailable == "connection refused"
    assert table_contents(store) == before


def test_abandon_raises_for_other_vouchers(store, tmp_path):
    three_items(store)
    post(store, RecordingErp(reject=_reject_6551), tmp_path, grouping="item")
    another_item(store)
    post(store, RecordingErp(fail=lambda voucher: "unavailable"), tmp_path)
    rejected, posted, elsewhere = number(store, 1), number(store, 2), number(store, 4)
    before = table_contents(store)

    class Other(RecordingErp):
        name = "other"

    cases = (("ABZZZZ9999999", RecordingErp(), "no voucher has this number"),
             (posted, RecordingErp(), "this voucher is posted, so there is nothing to abandon"),
             (rejected, RecordingErp(), "this voucher was rejected, so there is nothing to abandon"),
             (elsewhere, Other(), "this voucher was sent with the {connector} connector"))
    for wrong, erp, message in cases:
        with pytest.raises(UsageError) as caught:
            abandon(store, erp, wrong, KARI, Translator("en"))
        assert caught.value.message == message
        assert erp.lookups == []

    assert table_contents(store) == before


def test_posted_note_stored_and_printed(store, tmp_path):
    three_items(store)
    note = "the attachment kortutskrift.pdf was not uploaded: HTTP 413"
    erp = RecordingErp(note=lambda voucher: note)

    result = post(store, erp, tmp_path)

    (outcome,) = result.outcomes
    assert outcome.note == note
    with store.session() as session:
        assert session.exec(select(VoucherRow.note)).all() == [note]
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "posted")).all()
    assert {event.data["note"] for event in events} == {note}
    english = printed(result, "en")
    assert f": posted as ERP-1; note: {note}\n" in english
    assert f"Vouchers posted with a note: 1 ({outcome.voucher.number})\n" in english
    assert f"Bilag postert med en merknad: 1 ({outcome.voucher.number})\n" in printed(result, "nb")


def test_rejected_voucher_printed_in_both_languages(store, tmp_path):
    three_items(store)
    result = post(store, RecordingErp(reject=_reject_6551), tmp_path)
    rejected = number(store, 1)
    reason = "Kontoen 6551 er sperret for postering (postings.account, HTTP 422)"

    english = printed(result, "en")
    norwegian = printed(result, "nb")

    assert re.search(rf"^{rejected}, 2026-11-17, .+: rejected by recording: {re.escape(reason)} \(correct it in "
                     rf"recording or in the master data, then run allocbot post --retry-rejected {rejected}\)$",
                     english, re.MULTILINE)
    assert "Vouchers rejected: 1\n" in english
    assert re.search(rf"^{rejected}, 17\.11\.2026, .+: avvist av recording: {re.escape(reason)} \(rett det i "
                     rf"recording eller i grunndataene, og kjør så allocbot post --retry-rejected {rejected}\)$",
                     norwegian, re.MULTILINE)
    assert "Bilag avvist: 1\n" in norwegian

    waiting = post(store, RecordingErp(), tmp_path)
    later = printed(waiting, "en")

    assert "Rejected by an earlier run, waiting for a controller:\n" in later
    assert f"  {rejected}, 2026-11-17, " in later
    assert "Rejected vouchers waiting for allocbot post --retry-rejected: 1\n" in later


def test_failure_printed_with_abandon_hint(store, tmp_path):
    three_items(store)
    stuck = number(store, 1)
    result = post(store, RecordingErp(fail=lambda voucher: "invalid"), tmp_path)

    english = printed(result, "en")

    assert (f"recording failed while vouchers {stuck} were sent: ValueError: voucher {stuck}: account 6551 cannot be "
            "sent. Whether recording booked them is unknown, so the next run looks them up by their numbers before "
            "it sends them again. If the error repeats, check each voucher in recording and run allocbot post "
            "--abandon NUMBER.\n") in english
    assert f"{stuck}, 2026-11-17, " in english
    assert "Vouchers still sending: 1\n" in english


def test_erp_vat_rate_wins_over_master_data(store, tmp_path):
    company = Company(store)
    (line,) = company.statement([(4, AMAZON, "115.00")])
    company.item(line, "115.00", "Togbillett", lines=[(Allocation("100", None, "6800", "1"), "115.00")])
    codes = [code for code in erp_codes_of(master_data()) if (code.kind, code.code) != ("vat_code", "1")]
    erp = ListingErp(codes + [ErpCode("vat_code", "1", "Høy sats", rate=Decimal("15"))])

    post(store, erp, tmp_path)

    assert erp.sent[0].lines[0].tax_code == "1"
    assert erp.sent[0].lines[0].vat_rate == Decimal("15")


def test_master_rate_where_erp_lists_none(store, tmp_path):
    company = Company(store)
    (line,) = company.statement([(4, AMAZON, "125.00")])
    company.item(line, "125.00", "Togbillett", lines=[(Allocation("100", None, "6800", "1"), "125.00")])
    codes = [code for code in erp_codes_of(master_data()) if (code.kind, code.code) != ("vat_code", "1")]
    erp = ListingErp(codes + [ErpCode("vat_code", "1", "Høy sats")])

    post(store, erp, tmp_path)

    assert erp.sent[0].lines[0].vat_rate == Decimal("25")


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
        assert session.exec(select(VoucherRow.number)).all() == [number(store, 1)]
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
    another_item(store)
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
    assert new.number == number(store, 4)
    assert new.balance() == Decimal("0")


def test_dry_run_lists_waiting_rejections(store, tmp_path):
    three_items(store)
    post(store, RecordingErp(reject=_reject_6551), tmp_path)
    before = table_contents(store)

    dry = post(store, RecordingErp(), tmp_path, dry_run=True)

    assert [(entry.voucher.number, entry.connector) for entry in dry.rejections] == [(number(store, 1), "recording")]
    assert dry.drafts == []
    assert dry.failed
    assert table_contents(store) == before


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
    first_number = number(store, 1)

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
        _wait_until(lambda: statuses(store) == [(first_number, "sending", 1)])
        second.start()
        _wait_until(lambda: any("is taken by another run" in record.message for record in caplog.records))
        assert second_erp.lookups == []
    finally:
        release.set()
        first.join(timeout=30)
        if second.is_alive() or second.ident is not None:
            second.join(timeout=30)

    assert list(ledger.booked) == [first_number]
    assert second_erp.sent == []
    assert second_erp.lookups == []
    assert results["second"].outcomes == []
    check_invariant(store)


def _wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)
