"""The repository on real SQLite and PostgreSQL: deduplication, decisions, postings, transactions."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, text
from sqlmodel import select

from bot.records import Allocation, CardCharge, Reason, ReportItem, Statement, Suggestion
from bot.store.models import (
    AllocationLine,
    AllocationRow,
    AmazonItem,
    AmazonOrder,
    CardTransaction,
    Document,
    Posting,
    Question,
    SuggestionRow,
)
from bot.store.postings import add_voucher, claim_allocations, record_posted, unposted_allocations
from bot.store.repository import (
    AlreadyDecided,
    DuplicateDocument,
    NotFound,
    SplitSumMismatch,
    add_card_charges,
    add_document,
    add_question,
    add_report_items,
    decide,
    link_item_to_charge,
    save_suggestions,
    set_item_state,
)

IT = Allocation("400", None, "6551", "1")
HAMAR = Allocation("600", "P-1042", "6551", "1")
CANTEEN = Allocation("200", None, "7160", "1")

REPORT = (
    ReportItem(
        source="ordrerapport.csv", line=2, order_id="114-3941689-8772232", order_date=date(2026, 3, 3),
        currency="NOK", title="Anker USB-C-hub 7-i-1", quantity=2, unit_price=Decimal("349.00"),
        net_total=Decimal("698.00"), account_user_email="Ola.Hansen@Example.no", po_number="PO-88",
        payment_reference="PAY-71", asin="B0BQLLB61B", product_category="Elektronikk",
        custom_fields={"Cost Center": "400"},
    ),
    ReportItem(
        source="ordrerapport.csv", line=3, order_id="114-3941689-8772232", order_date=date(2026, 3, 3),
        currency="NOK", title="Kaffebønner 1 kg", quantity=1, unit_price=Decimal("219.90"),
        net_total=Decimal("219.90"), account_user_email="Ola.Hansen@Example.no",
        payment_reference="PAY-71", asin="B07KXQ9YQ4",
    ),
    # The same product again on its own row: a second item, not a duplicate.
    ReportItem(
        source="ordrerapport.csv", line=4, order_id="114-3941689-8772232", order_date=date(2026, 3, 3),
        currency="NOK", title="Kaffebønner 1 kg", quantity=1, unit_price=Decimal("219.90"),
        net_total=Decimal("219.90"), account_user_email="Ola.Hansen@Example.no",
        payment_reference="PAY-71", asin="B07KXQ9YQ4",
    ),
)

# One statement as the bank's CSV export and as read from its PDF: other line
# numbers, spacing, case and punctuation, and two identical charges on one day.
STATEMENT_CSV = Statement(
    source="kort-2026-03.csv",
    charges=(
        CardCharge("kort-2026-03.csv", 2, date(2026, 3, 4), "AMAZON.DE*AB12CD LUXEMBOURG", Decimal("1137.80")),
        CardCharge("kort-2026-03.csv", 3, date(2026, 3, 5), "AMZN Mktp DE*9X7", Decimal("219.90")),
        CardCharge("kort-2026-03.csv", 4, date(2026, 3, 5), "AMZN Mktp DE*9X7", Decimal("219.90")),
        CardCharge(
            "kort-2026-03.csv", 5, date(2026, 3, 6), "AMAZON RETOUR", Decimal("-349.00"),
            original_amount=Decimal("-29.99"), original_currency="EUR", rate=Decimal("11.6372"),
        ),
    ),
)
STATEMENT_PDF = Statement(
    source="kort-2026-03.pdf",
    charges=(
        CardCharge("kort-2026-03.pdf", 11, date(2026, 3, 4), "Amazon.de *AB12CD  Luxembourg", Decimal("1137.8")),
        CardCharge("kort-2026-03.pdf", 12, date(2026, 3, 5), "AMZN MKTP DE *9X7", Decimal("219.90")),
        CardCharge("kort-2026-03.pdf", 13, date(2026, 3, 5), "AMZN MKTP DE *9X7", Decimal("219.90")),
        CardCharge("kort-2026-03.pdf", 14, date(2026, 3, 6), "Amazon Retour", Decimal("-349.00")),
    ),
)


def _sha(n: int) -> str:
    return f"{n:064x}"


def _count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def _item_with_amount(store, amount_nok: Decimal | None = Decimal("698.00")) -> int:
    """Store the report's first item, link it to a card charge for ``amount_nok``, and return its id."""
    with store.session() as session:
        document = add_document(session, kind="order_report", filename="ordrerapport.csv", sha256=_sha(1))
        (item, *_), _ = add_report_items(session, document, REPORT)
        if amount_nok is not None:
            link_item_to_charge(session, item.id, None, amount_nok)
        return item.id


def _decide(store, item_id: int, lines, *, decided_by: str = "ola.hansen@example.no", status: str = "approved"):
    with store.session() as session:
        return decide(session, item_id, lines, decided_by=decided_by, source="human", status=status)


# --- documents, report items, card charges ------------------------------------


def test_duplicate_document_rejected(store):
    with store.session() as session:
        first = add_document(
            session, kind="statement", filename="kort.csv", sha256=_sha(7),
            message_id="<abc@example.no>", sender="regnskap@example.no",
        )

    with pytest.raises(DuplicateDocument) as raised:
        with store.session() as session:
            add_document(session, kind="statement", filename="kort-kopi.csv", sha256=_sha(7))

    assert raised.value.document_id == first.id
    with store.session() as session:
        assert _count(session, Document) == 1


def test_add_document_rejects_invalid_input(store):
    with store.session() as session:
        with pytest.raises(ValueError, match="document kind"):
            add_document(session, kind="invoice", filename="x.pdf", sha256=_sha(1))
        with pytest.raises(ValueError, match="SHA-256"):
            add_document(session, kind="statement", filename="x.csv", sha256="ABC")
        assert _count(session, Document) == 0


def test_storing_items_reports_progress(store, monkeypatch):
    import bot.store.repository as repository

    monkeypatch.setattr(repository, "PROGRESS_STEP", 2)
    calls = []
    with store.session() as session:
        document = add_document(session, kind="order_report", filename="ordrerapport.csv", sha256=_sha(3))
        add_report_items(session, document, REPORT, progress=lambda done, total: calls.append((done, total)))

    assert calls == [(0, 3), (2, 3), (3, 3)]


def test_report_sent_twice_stores_items_once(store):
    with store.session() as session:
        first = add_document(session, kind="order_report", filename="ordrerapport.csv", sha256=_sha(1))
        stored, duplicates = add_report_items(session, first, REPORT)

    assert len(stored) == 3
    assert duplicates == 0
    assert [row.item_key for row in stored] == [
        "114-3941689-8772232:B0BQLLB61B:1",
        "114-3941689-8772232:B07KXQ9YQ4:1",
        "114-3941689-8772232:B07KXQ9YQ4:2",
    ]

    with store.session() as session:
        again = add_document(session, kind="order_report", filename="ordrerapport-igjen.csv", sha256=_sha(2))
        stored_again, duplicates_again = add_report_items(session, again, REPORT)

    assert stored_again == []
    assert duplicates_again == 3
    with store.session() as session:
        assert _count(session, AmazonItem) == 3
        order = session.exec(select(AmazonOrder)).one()
        hub = session.exec(select(AmazonItem).where(AmazonItem.asin == "B0BQLLB61B")).one()
    assert order.requester_email == "ola.hansen@example.no"
    assert order.po_number == "PO-88"
    assert hub.amazon_order_id == order.id
    assert hub.net_total == Decimal("698.00")
    assert hub.custom_fields == {"Cost Center": "400"}
    assert hub.state == "new"


def test_later_report_fills_payment_reference(store):
    uncharged = tuple(replace(item, payment_reference=None) for item in REPORT)
    with store.session() as session:
        early = add_document(session, kind="order_report", filename="ordrer-tidlig.csv", sha256=_sha(5))
        add_report_items(session, early, uncharged)

    with store.session() as session:
        late = add_document(session, kind="order_report", filename="ordrer-sen.csv", sha256=_sha(6))
        stored, duplicates = add_report_items(session, late, REPORT)

    assert stored == []
    assert duplicates == 3
    with store.session() as session:
        references = {row.payment_reference for row in session.exec(select(AmazonItem)).all()}
        assert _count(session, AmazonItem) == 3
    assert references == {"PAY-71"}


def test_mixed_report_stores_only_new_items(store):
    """One later report with new items, two kinds of duplicates and a second shipment of a stored order and ASIN."""
    hub, coffee, _ = REPORT
    unpaid_cable = replace(coffee, line=5, order_id="114-5550001-0000001", asin="B0CABLE001", payment_reference=None,
                           title="USB-C-kabel 2 m")
    open_hub = replace(hub, order_shipping=Decimal("49.00"), order_status="Open")
    with store.session() as session:
        first = add_document(session, kind="order_report", filename="ordrer-mars.csv", sha256=_sha(1))
        add_report_items(session, first, [open_hub, coffee, unpaid_cable])

    new_order_item = replace(coffee, line=2, order_id="114-7770002-0000002", asin="B0MOUSE001", title="Mus")
    # The first row of the stored order gives its new status and total, but no shipping.
    closed_coffee = replace(coffee, order_status="Closed", order_net_total=Decimal("1137.80"))
    second_shipment = replace(hub, line=3, payment_reference="PAY-72", quantity=1, net_total=Decimal("349.00"))
    refunded_cable = replace(unpaid_cable, line=4, refund_amount=Decimal("89.00"), refund_date=date(2026, 3, 20))
    another_new_item = replace(new_order_item, line=6, asin="B0PAD00001", title="Musematte")
    later = [new_order_item, closed_coffee, second_shipment, refunded_cable, another_new_item]
    with store.session() as session:
        second = add_document(session, kind="order_report", filename="ordrer-april.csv", sha256=_sha(2))
        stored, duplicates = add_report_items(session, second, later)

    assert [row.item_key for row in stored] == [
        "114-7770002-0000002:B0MOUSE001:1",
        "114-3941689-8772232:B0BQLLB61B:1:PAY-72",
        "114-7770002-0000002:B0PAD00001:1",
    ]
    assert [row.line for row in stored] == [2, 3, 6]
    assert {row.document_id for row in stored} == {second.id}
    assert duplicates == 2
    with store.session() as session:
        assert _count(session, AmazonItem) == 6
        assert _count(session, AmazonOrder) == 3
        cable = session.exec(select(AmazonItem).where(AmazonItem.asin == "B0CABLE001")).one()
        hubs = session.exec(select(AmazonItem).where(AmazonItem.asin == "B0BQLLB61B")
                            .order_by(AmazonItem.id)).all()
        order = session.exec(select(AmazonOrder).where(AmazonOrder.order_id == hub.order_id)).one()
    assert (order.status, order.net_total, order.shipping) == ("Closed", Decimal("1137.80"), Decimal("49.00"))
    assert (cable.refund_amount, cable.refund_date) == (Decimal("89.00"), date(2026, 3, 20))
    assert cable.document_id == first.id
    assert [(row.payment_reference, row.quantity) for row in hubs] == [("PAY-71", 2), ("PAY-72", 1)]


def test_concurrently_stored_items_count_as_duplicates(store, monkeypatch):
    """A row stored by another writer between the select of taken keys and the insert is skipped, not an error."""
    import bot.store.repository as repository

    real_insert = repository.insert_many_unless_taken
    sneaked_in: list[str] = []

    def insert_after_another_writer(session, model, rows, unique_column):
        if rows and model is AmazonItem and not sneaked_in:
            # The other writer read an older report, without the refund.
            session.exec(insert(AmazonItem).values({**rows[0], "refund_amount": None, "refund_date": None}))
            sneaked_in.append(rows[0]["item_key"])
        return real_insert(session, model, rows, unique_column)

    monkeypatch.setattr(repository, "insert_many_unless_taken", insert_after_another_writer)
    refunded_hub = replace(REPORT[0], refund_amount=Decimal("349.00"), refund_date=date(2026, 3, 20))
    with store.session() as session:
        document = add_document(session, kind="order_report", filename="ordrerapport.csv", sha256=_sha(1))
        stored, duplicates = add_report_items(session, document, (refunded_hub, *REPORT[1:]))

    assert sneaked_in == ["114-3941689-8772232:B0BQLLB61B:1"]
    assert [row.item_key for row in stored] == ["114-3941689-8772232:B07KXQ9YQ4:1", "114-3941689-8772232:B07KXQ9YQ4:2"]
    assert duplicates == 1
    with store.session() as session:
        assert _count(session, AmazonItem) == 3
        hub = session.exec(select(AmazonItem).where(AmazonItem.asin == "B0BQLLB61B")).one()
    assert hub.refund_amount == Decimal("349.00")


def test_later_report_updates_loaded_objects(store):
    uncharged = tuple(replace(item, payment_reference=None) for item in REPORT)
    closed = (replace(REPORT[0], order_status="Closed"), *REPORT[1:])
    with store.session() as session:
        early = add_document(session, kind="order_report", filename="ordrer-tidlig.csv", sha256=_sha(5))
        (hub, *_), _ = add_report_items(session, early, uncharged)
        assert hub.payment_reference is None
        assert hub.order.status is None

        late = add_document(session, kind="order_report", filename="ordrer-sen.csv", sha256=_sha(6))
        add_report_items(session, late, closed)

        assert hub.payment_reference == "PAY-71"
        assert hub.order.status == "Closed"


def test_statement_as_csv_and_pdf_stores_charges_once(store):
    with store.session() as session:
        csv_document = add_document(session, kind="statement", filename="kort-2026-03.csv", sha256=_sha(3))
        stored, duplicates = add_card_charges(session, csv_document, STATEMENT_CSV)
    assert len(stored) == 4
    assert duplicates == 0

    with store.session() as session:
        pdf_document = add_document(session, kind="statement", filename="kort-2026-03.pdf", sha256=_sha(4))
        stored_pdf, duplicates_pdf = add_card_charges(session, pdf_document, STATEMENT_PDF)
    assert stored_pdf == []
    assert duplicates_pdf == 4

    with store.session() as session:
        rows = session.exec(select(CardTransaction).order_by(CardTransaction.line)).all()
    assert len(rows) == 4
    assert {row.document_id for row in rows} == {csv_document.id}
    assert rows[3].amount == Decimal("-349.00")
    assert rows[3].original_amount == Decimal("-29.99")
    assert rows[3].rate == Decimal("11.6372")


def test_overlapping_statement_adds_only_new_charges(store):
    later = Statement(
        source="kort-2026-03b.csv",
        charges=STATEMENT_CSV.charges[2:]
        + (CardCharge("kort-2026-03b.csv", 6, date(2026, 3, 9), "AMAZON.DE*ZZ99", Decimal("89.00")),),
    )
    with store.session() as session:
        add_card_charges(session, add_document(session, kind="statement", filename="a.csv", sha256=_sha(3)), STATEMENT_CSV)

    # The later file holds only one of the two identical 219.90 charges, so it
    # is that charge's first occurrence there and counts as stored before.
    with store.session() as session:
        stored, duplicates = add_card_charges(
            session, add_document(session, kind="statement", filename="b.csv", sha256=_sha(5)), later
        )
    assert [row.description for row in stored] == ["AMAZON.DE*ZZ99"]
    assert duplicates == 2


# --- suggestions and item states ----------------------------------------------


def test_save_suggestions_replaces_earlier_ones(store):
    item_id = _item_with_amount(store)
    reasons = (Reason("Ordered by {name} in cost center {code}", {"name": "Ola", "code": "400"}),)

    with store.session() as session:
        save_suggestions(session, item_id, [Suggestion(IT, 0.81, reasons), Suggestion(HAMAR, 0.12)], "model-7")
    with store.session() as session:
        rows = session.exec(select(SuggestionRow).order_by(SuggestionRow.rank)).all()
        state = session.get(AmazonItem, item_id).state
    assert state == "suggested"
    assert [(row.rank, row.cost_center, row.project) for row in rows] == [(1, "400", None), (2, "600", "P-1042")]
    assert rows[0].reasons == [{"template": "Ordered by {name} in cost center {code}", "params": {"name": "Ola", "code": "400"}}]
    assert rows[0].model_version == "model-7"
    assert rows[0].created_at.utcoffset() == timedelta(0)

    with store.session() as session:
        set_item_state(session, item_id, "asked")
        save_suggestions(session, item_id, [Suggestion(HAMAR, 0.9)], "model-8")
    with store.session() as session:
        rows = session.exec(select(SuggestionRow)).all()
        state = session.get(AmazonItem, item_id).state
    assert [(row.rank, row.cost_center, row.model_version) for row in rows] == [(1, "600", "model-8")]
    assert state == "asked"


def test_decided_item_keeps_its_suggestions_and_amount(store):
    item_id = _item_with_amount(store)
    with store.session() as session:
        save_suggestions(session, item_id, [Suggestion(IT, 0.95)], "model-7")
    _decide(store, item_id, [(IT, Decimal("698.00"))])

    with store.session() as session:
        with pytest.raises(AlreadyDecided):
            save_suggestions(session, item_id, [Suggestion(HAMAR, 0.5)], "model-8")
        with pytest.raises(AlreadyDecided):
            link_item_to_charge(session, item_id, None, Decimal("700.00"))
        with pytest.raises(AlreadyDecided):
            set_item_state(session, item_id, "asked")

    with store.session() as session:
        assert session.exec(select(SuggestionRow.cost_center)).all() == ["400"]
        assert session.get(AmazonItem, item_id).amount_nok == Decimal("698.00")


def test_set_item_state_rejects_final_states(store):
    item_id = _item_with_amount(store)
    with store.session() as session:
        with pytest.raises(ValueError, match="invalid item state 'decided'"):
            set_item_state(session, item_id, "decided")
        with pytest.raises(ValueError, match="record_posted"):
            set_item_state(session, item_id, "posted")
        with pytest.raises(ValueError, match="invalid item state 'closed'"):
            set_item_state(session, item_id, "closed")
        with pytest.raises(NotFound):
            set_item_state(session, item_id + 1000, "asked")


def test_add_question_stores_open_question(store):
    item_id = _item_with_amount(store)
    with store.session() as session:
        question = add_question(session, item_id, kind="question", asked_email=" Ola.Hansen@Example.no ")

    assert question.status == "open"
    assert question.asked_email == "ola.hansen@example.no"
    assert question.created_at.utcoffset() == timedelta(0)
    with store.session() as session:
        with pytest.raises(NotFound):
            add_question(session, item_id + 1000, kind="approval", asked_email="kari@example.no")
        with pytest.raises(ValueError, match="question kind"):
            add_question(session, item_id, kind="reminder", asked_email="kari@example.no")


# --- decisions ---------------------------------------------------------------


def test_split_lines_must_sum_exactly(store):
    item_id = _item_with_amount(store, Decimal("698.00"))

    with pytest.raises(SplitSumMismatch) as raised:
        _decide(store, item_id, [(IT, Decimal("349.00")), (HAMAR, Decimal("349.01"))])

    message = str(raised.value)
    assert "698.01" in message
    assert "698.00" in message
    with store.session() as session:
        assert _count(session, AllocationRow) == 0
        assert session.get(AmazonItem, item_id).state == "new"

    allocation = _decide(store, item_id, [(IT, Decimal("348.99")), (HAMAR, Decimal("349.01"))])
    with store.session() as session:
        lines = session.exec(select(AllocationLine).order_by(AllocationLine.position)).all()
    assert allocation.status == "approved"
    assert [(line.position, line.project, line.amount) for line in lines] == [
        (1, None, Decimal("348.99")),
        (2, "P-1042", Decimal("349.01")),
    ]


def test_decide_rejects_items_without_amount_and_empty_lines(store):
    item_id = _item_with_amount(store, amount_nok=None)

    with pytest.raises(ValueError, match="no NOK amount"):
        _decide(store, item_id, [(IT, Decimal("698.00"))])
    with pytest.raises(ValueError, match="at least one"):
        _decide(store, item_id, [])
    with pytest.raises(ValueError, match="allocation source"):
        with store.session() as session:
            decide(session, item_id, [(IT, Decimal("698.00"))], decided_by="ola", source="guess")


def test_second_decision_raises_and_first_stays(store):
    item_id = _item_with_amount(store)
    first = _decide(store, item_id, [(IT, Decimal("698.00"))], decided_by="ola.hansen@example.no")

    with pytest.raises(AlreadyDecided) as raised:
        _decide(store, item_id, [(CANTEEN, Decimal("698.00"))], decided_by="kari.nordmann@example.no")

    assert raised.value.decided_by == "ola.hansen@example.no"
    assert raised.value.decided_at == first.decided_at
    with store.session() as session:
        allocation = session.exec(select(AllocationRow)).one()
        lines = session.exec(select(AllocationLine)).all()
        state = session.get(AmazonItem, item_id).state
    assert allocation.decided_by == "ola.hansen@example.no"
    assert [(line.cost_center, line.amount) for line in lines] == [("400", Decimal("698.00"))]
    assert state == "decided"


def test_manager_approval_replaces_pending_decision(store):
    item_id = _item_with_amount(store)
    pending = _decide(store, item_id, [(IT, Decimal("698.00"))], status="pending_approval")
    with store.session() as session:
        assert session.get(AmazonItem, item_id).state == "awaiting_approval"
        assert unposted_allocations(session) == []

    with pytest.raises(AlreadyDecided) as raised:
        _decide(store, item_id, [(HAMAR, Decimal("698.00"))], decided_by="per@example.no", status="pending_approval")
    assert raised.value.state == "awaiting_approval"
    assert raised.value.decided_by == "ola.hansen@example.no"

    approved = _decide(
        store, item_id, [(IT, Decimal("600.00")), (HAMAR, Decimal("98.00"))], decided_by="kari.nordmann@example.no"
    )

    assert approved.id == pending.id
    with store.session() as session:
        (allocation,) = unposted_allocations(session)
        state = session.get(AmazonItem, item_id).state
    assert state == "decided"
    assert allocation.status == "approved"
    assert allocation.decided_by == "kari.nordmann@example.no"
    assert [(line.cost_center, line.amount) for line in allocation.lines] == [
        ("400", Decimal("600.00")),
        ("600", Decimal("98.00")),
    ]


def test_concurrent_decisions_one_wins(store):
    """A decision waits for a concurrent, uncommitted one on the same item and then raises AlreadyDecided.

    On PostgreSQL the test waits until the second decision blocks on the row
    lock; on SQLite it checks the outcome only.
    """
    item_id = _item_with_amount(store)
    outcome: list[BaseException | None] = []

    def second_decision() -> None:
        try:
            _decide(store, item_id, [(CANTEEN, Decimal("698.00"))], decided_by="kari.nordmann@example.no")
            outcome.append(None)
        except BaseException as error:  # noqa: BLE001 - handed to the main thread's assertions
            outcome.append(error)

    with store.session() as session:
        decide(session, item_id, [(IT, Decimal("698.00"))], decided_by="ola.hansen@example.no", source="human")
        thread = threading.Thread(target=second_decision)
        thread.start()
        if store.engine.dialect.name == "postgresql":
            _wait_for_lock_wait(store)

    thread.join(timeout=30)
    assert not thread.is_alive()
    assert len(outcome) == 1
    assert isinstance(outcome[0], AlreadyDecided)
    assert outcome[0].decided_by == "ola.hansen@example.no"
    with store.session() as session:
        assert session.exec(select(AllocationLine.cost_center)).all() == ["400"]


def _wait_for_lock_wait(store, timeout: float = 10.0) -> None:
    """Poll until a backend of this database waits for a lock."""
    deadline = time.monotonic() + timeout
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    with store.engine.connect() as connection:
        while connection.execute(query).scalar_one() == 0:
            assert time.monotonic() < deadline, "the second decision never waited for the first one's row lock"
            time.sleep(0.02)
            connection.rollback()


# --- postings ----------------------------------------------------------------


def test_allocation_posted_once(store):
    item_id = _item_with_amount(store)
    allocation = _decide(store, item_id, [(IT, Decimal("698.00"))])

    with store.session() as session:
        voucher = add_voucher(session, connector="file", grouping="item", document_id=None,
                              voucher_date=date(2026, 11, 3))
        assert claim_allocations(session, voucher, [allocation.id])
        assert record_posted(session, voucher.id, "ext-1") == [allocation.id]
    with store.session() as session:
        second = add_voucher(session, connector="file", grouping="item", document_id=None,
                             voucher_date=date(2026, 11, 3))
        assert not claim_allocations(session, second, [allocation.id])

    with store.session() as session:
        assert _count(session, Posting) == 1
        assert session.get(AmazonItem, item_id).state == "posted"
        assert unposted_allocations(session) == []


def test_only_approved_allocations_are_posted(store):
    with store.session() as session:
        document = add_document(session, kind="order_report", filename="ordrerapport.csv", sha256=_sha(1))
        items, _ = add_report_items(session, document, REPORT)
        for item in items:
            link_item_to_charge(session, item.id, None, item.net_total)
    hub, coffee, more_coffee = items

    rejected = _decide(store, hub.id, [(IT, Decimal("698.00"))], status="rejected")
    _decide(store, coffee.id, [(CANTEEN, Decimal("219.90"))], status="pending_approval")
    approved = _decide(store, more_coffee.id, [(CANTEEN, Decimal("219.90"))])

    with store.session() as session:
        voucher = add_voucher(session, connector="file", grouping="item", document_id=None,
                              voucher_date=date(2026, 11, 3))
        with pytest.raises(ValueError, match=rf"allocations \[{rejected.id}\] are not approved"):
            claim_allocations(session, voucher, [rejected.id])
        unposted = unposted_allocations(session)

    # The session is closed: lines, item and order must have been loaded with the allocation.
    assert [allocation.id for allocation in unposted] == [approved.id]
    assert unposted[0].lines[0].amount == Decimal("219.90")
    assert unposted[0].item.order.order_id == "114-3941689-8772232"


# --- transactions ------------------------------------------------------------


def test_failed_transaction_leaves_nothing(store):
    with pytest.raises(SplitSumMismatch):
        with store.session() as session:
            document = add_document(session, kind="order_report", filename="ordrerapport.csv", sha256=_sha(1))
            (item, *_), _ = add_report_items(session, document, REPORT)
            link_item_to_charge(session, item.id, None, Decimal("698.00"))
            add_question(session, item.id, kind="question", asked_email="ola.hansen@example.no")
            decide(session, item.id, [(IT, Decimal("1.00"))], decided_by="ola", source="human")

    with store.session() as session:
        assert _count(session, Document) == 0
        assert _count(session, AmazonOrder) == 0
        assert _count(session, AmazonItem) == 0
        assert _count(session, Question) == 0
