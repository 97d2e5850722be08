"""Reads and writes of the flow's records: documents, items, card charges, decisions and postings.

Every function works in the caller's session and never commits, so one
``Store.session()`` block is one transaction. A function that rejects its
input raises before it writes anything. The audit log functions live in
``bot.store.audit`` and are importable from here as well.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import case, delete, exists, update
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from bot.records import Allocation, CardCharge, ReportItem, Statement, Suggestion, occurrence_keys
from bot.store.audit import audit, verify_audit_chain
from bot.store.models import (
    ALLOCATION_SOURCES,
    ALLOCATION_STATUSES,
    DOCUMENT_KINDS,
    MONEY,
    QUESTION_KINDS,
    AllocationLine,
    AllocationRow,
    AmazonItem,
    AmazonOrder,
    CardTransaction,
    Document,
    Posting,
    Question,
    StoreModel,
    SuggestionRow,
    utc_now,
)
from bot.store.upsert import dialect_insert

__all__ = [
    "AlreadyDecided",
    "AlreadyLinked",
    "AlreadyPosted",
    "DuplicateDocument",
    "NotFound",
    "SplitSumMismatch",
    "add_card_charges",
    "add_card_item",
    "add_document",
    "add_question",
    "add_refund_item",
    "add_report_items",
    "audit",
    "decide",
    "link_item_to_charge",
    "mark_duplicate",
    "record_posting",
    "reject",
    "save_suggestions",
    "set_item_state",
    "unposted_allocations",
    "verify_audit_chain",
]

log = logging.getLogger(__name__)

# Item states before the final decision. Linking, suggesting, asking and a
# final decision are allowed only in these.
OPEN_STATES = ("new", "suggested", "asked", "awaiting_approval")

# Item states in which a decision that still needs a manager's approval may
# be recorded: once one is recorded, the item is awaiting_approval.
UNDECIDED_STATES = ("new", "suggested", "asked")

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")

_Row = TypeVar("_Row", bound=StoreModel)


class DuplicateDocument(Exception):
    """The file was stored before, as document ``document_id``."""

    def __init__(self, document_id: int, sha256: str) -> None:
        super().__init__(f"document with SHA-256 {sha256} is already stored as document {document_id}")
        self.document_id = document_id
        self.sha256 = sha256


class AlreadyDecided(Exception):
    """The item is decided already, or awaits approval of a decision. The earlier decision stays.

    ``decided_by`` and ``decided_at`` are None when the item has no recorded
    decision, for example when it was moved to awaiting_approval directly.
    """

    def __init__(self, item_id: int, state: str, decided_by: str | None, decided_at: datetime | None) -> None:
        message = f"amazon item {item_id} is already {state}"
        if decided_by is not None and decided_at is not None:
            message += f", decided by {decided_by} at {decided_at.isoformat()}"
        super().__init__(message)
        self.item_id = item_id
        self.state = state
        self.decided_by = decided_by
        self.decided_at = decided_at


class AlreadyPosted(Exception):
    """The allocation was posted before, as voucher ``voucher_number``."""

    def __init__(self, allocation_id: int, voucher_number: str, posted_at: datetime) -> None:
        super().__init__(
            f"allocation {allocation_id} is already posted as voucher {voucher_number} at {posted_at.isoformat()}"
        )
        self.allocation_id = allocation_id
        self.voucher_number = voucher_number
        self.posted_at = posted_at


class AlreadyLinked(Exception):
    """The card line has an item of its own, or pays back this item, already."""

    def __init__(self, transaction_id: int) -> None:
        super().__init__(f"card transaction {transaction_id} is linked to such an item already")
        self.transaction_id = transaction_id


class NotFound(LookupError):
    """No row has the id that was given."""


class SplitSumMismatch(ValueError):
    """The allocation lines do not add up to the item's NOK amount."""

    def __init__(self, item_id: int, lines_total: Decimal, item_amount: Decimal) -> None:
        super().__init__(
            f"allocation lines of amazon item {item_id} sum to {lines_total} NOK, "
            f"but the item's amount is {item_amount} NOK"
        )
        self.item_id = item_id
        self.lines_total = lines_total
        self.item_amount = item_amount


# --- documents and what was read from them -----------------------------------


def add_document(
    session: Session,
    *,
    kind: str,
    filename: str,
    sha256: str,
    message_id: str | None = None,
    sender: str | None = None,
) -> Document:
    """Store a received file, or raise DuplicateDocument when a file with this SHA-256 is stored already.

    ``sha256`` is the lowercase hex digest of the file's bytes.
    """
    _require_one_of("document kind", kind, DOCUMENT_KINDS)
    if not _SHA256_HEX.fullmatch(sha256):
        raise ValueError(f"invalid SHA-256 {sha256!r}: expected 64 lowercase hex digits")

    row = Document(kind=kind, filename=filename, sha256=sha256, message_id=message_id, sender=sender)
    document = _insert_unless_taken(session, row, "sha256")
    if document is None:
        existing_id = session.exec(select(Document.id).where(Document.sha256 == sha256)).one()
        raise DuplicateDocument(existing_id, sha256)

    log.info("Stored document %s: %s %s from %s", document.id, kind, filename, sender or "unknown sender")
    return document


PROGRESS_STEP = 500


def add_report_items(
    session: Session, document: Document, items: Sequence[ReportItem],
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[AmazonItem], int]:
    """Store the items of an order report or invoice and return the new rows and the number skipped as stored before.

    An item counts as stored before in two cases. An earlier document had an
    item with the same order id and ASIN at the same occurrence number, so
    overlapping reports add each item once. The payment reference is left
    out of that key, because a report exported before Amazon charged a
    shipment has none. Or an earlier document had as many items with the
    same order, payment reference and ASIN, so an invoice and a report of
    the same shipment add each item once. A skipped item fills in what the
    stored one lacks: the payment columns while the item is still new, and
    the refund columns at any time. Order-level amounts and the order
    status are updated from the latest document that gives them.

    ``progress`` is called with the items done and the item count every
    `PROGRESS_STEP` items, because a report of 20 000 items takes about 40 s
    to store on SQLite.
    """
    order_row_ids: dict[str, int] = {}
    for item in items:
        if item.order_id not in order_row_ids:
            order_row_ids[item.order_id] = _order_row_id(session, item)
    earlier_rows = _charged_rows_elsewhere(session, list(order_row_ids.values()), document.id)
    charged_rows: Counter[tuple[int, str, str | None]] = Counter()
    stored: list[AmazonItem] = []

    for done, (item, item_key) in enumerate(zip(items, occurrence_keys(items))):
        if progress is not None and done % PROGRESS_STEP == 0:
            progress(done, len(items))
        order_row_id = order_row_ids[item.order_id]
        if item.payment_reference:
            charge_row = (order_row_id, item.payment_reference, item.asin)
            charged_rows[charge_row] += 1
            earlier = earlier_rows.get(charge_row, [])
            if len(earlier) >= charged_rows[charge_row]:
                _fill_later_columns(session, earlier[charged_rows[charge_row] - 1], item)
                continue

        row = _insert_unless_taken(session, _item_row(item, document, order_row_id, item_key), "item_key")
        if row is None:
            taken = session.exec(select(AmazonItem).where(AmazonItem.item_key == item_key)).one()
            if item.payment_reference and taken.payment_reference not in (None, item.payment_reference):
                # Another shipment of the same order and ASIN took the occurrence key first.
                row = _insert_unless_taken(
                    session, _item_row(item, document, order_row_id, f"{item_key}:{item.payment_reference}"),
                    "item_key")
            if row is None:
                _fill_later_columns(session, taken.id, item)
        if row is not None:
            stored.append(row)

    if progress is not None:
        progress(len(items), len(items))
    duplicates = len(items) - len(stored)
    log.info("Document %s: stored %d report items, skipped %d stored before", document.id, len(stored), duplicates)
    return stored, duplicates


def add_card_charges(
    session: Session, document: Document, statement: Statement
) -> tuple[list[CardTransaction], int]:
    """Store the lines of a card statement and return the new rows and the number skipped as stored before.

    Lines are matched across files by their fingerprint (see
    ``CardTransaction``), so the same statement as CSV and as PDF, or two
    statements that overlap, store each charge once.
    """
    occurrences: Counter[str] = Counter()
    stored: list[CardTransaction] = []

    for charge in statement.charges:
        identity = _charge_identity(charge)
        occurrences[identity] += 1

        row = CardTransaction(
            document_id=document.id,
            line=charge.line,
            date=charge.date,
            description=charge.description,
            amount=charge.amount,
            original_amount=charge.original_amount,
            original_currency=charge.original_currency,
            rate=charge.rate,
            booked_on=charge.booked_on,
            card=charge.card,
            fingerprint=f"{identity}|{occurrences[identity]}",
        )
        transaction = _insert_unless_taken(session, row, "fingerprint")
        if transaction is not None:
            stored.append(transaction)

    duplicates = len(statement.charges) - len(stored)
    log.info("Document %s: stored %d card charges, skipped %d stored before", document.id, len(stored), duplicates)
    return stored, duplicates


def link_item_to_charge(session: Session, item_id: int, transaction_id: int | None, amount_nok: Decimal) -> None:
    """Record the card charge behind an item and the item's share of it in NOK.

    ``transaction_id`` is None when the NOK amount is known without a card
    charge. Only a new item without a charge can be linked: AlreadyDecided
    (with the item's state) is raised once it was linked, asked or decided.
    """
    MONEY.check(amount_nok)

    # Only a new, unlinked item may be linked, so two concurrent runs cannot link it to two charges.
    result = session.exec(
        update(AmazonItem)
        .where(col(AmazonItem.id) == item_id, AmazonItem.state == "new",
               col(AmazonItem.card_transaction_id).is_(None))
        .values(card_transaction_id=transaction_id, amount_nok=amount_nok)
    )
    if result.rowcount == 0:
        raise _missing_or_decided(session, item_id)
    log.debug("Amazon item %s: linked to card transaction %s, %s NOK", item_id, transaction_id, amount_nok)


def add_card_item(session: Session, transaction_id: int, *, requester_email: str | None) -> AmazonItem:
    """Store a card line of another merchant as one item, linked to the line and with its NOK amount.

    The item belongs to a stand-in order ``card-<transaction id>``, its
    title and seller are the line's text, and its amount in its own currency is the
    line's original amount when the statement shows one. Raises NotFound
    for an unknown line and AlreadyLinked when the line has an item already.
    """
    transaction = session.get(CardTransaction, transaction_id)
    if transaction is None:
        raise NotFound(f"card transaction {transaction_id} not found")
    foreign = transaction.original_amount is not None and transaction.original_currency not in (None, "NOK")
    currency = transaction.original_currency if foreign else "NOK"
    amount = transaction.original_amount if foreign else transaction.amount
    email = _normalise_email(requester_email)

    order = AmazonOrder(order_id=f"card-{transaction_id}", order_date=transaction.date, currency=currency,
                        requester_email=email)
    order_row = _insert_unless_taken(session, order, "order_id")
    if order_row is None:
        raise AlreadyLinked(transaction_id)

    item = AmazonItem(
        origin="card",
        amazon_order_id=order_row.id,
        document_id=transaction.document_id,
        item_key=f"card:{transaction_id}",
        line=transaction.line,
        title=transaction.description,
        quantity=1,
        unit_price=amount,
        net_total=amount,
        currency=currency,
        amount_nok=transaction.amount,
        card_transaction_id=transaction_id,
        seller=transaction.description,
        payment_date=transaction.date,
        requester_email=email,
    )
    session.add(item)
    session.flush()
    log.info("Card transaction %s: stored as item %s of %s NOK", transaction_id, item.id, transaction.amount)
    return item


def add_refund_item(session: Session, original_id: int, transaction_id: int, amount_nok: Decimal) -> AmazonItem:
    """Store the part of a credit line that pays back one item, as an item of its own linked to the line.

    ``amount_nok`` is negative. The refund item copies what the classifier
    and the voucher read from the original (order, title, product, requester,
    delivery address) and names it in ``refund_of_id``. Its ``net_total`` is
    the original's net total scaled by the share of the original's NOK amount
    that is paid back, or the whole net total, negated, when the original has
    no NOK amount yet. Raises NotFound for an unknown item or line.
    """
    MONEY.check(amount_nok)
    if amount_nok >= 0:
        raise ValueError(f"refund of amazon item {original_id} must be negative, got {amount_nok} NOK")
    original = session.get(AmazonItem, original_id)
    transaction = session.get(CardTransaction, transaction_id)
    if original is None:
        raise NotFound(f"amazon item {original_id} not found")
    if transaction is None:
        raise NotFound(f"card transaction {transaction_id} not found")

    if original.amount_nok:
        net_total = (original.net_total * amount_nok / original.amount_nok).quantize(Decimal("0.01"))
    else:
        net_total = -original.net_total
    item = AmazonItem(
        origin="refund",
        refund_of_id=original_id,
        amazon_order_id=original.amazon_order_id,
        document_id=transaction.document_id,
        item_key=f"refund:{transaction_id}:{original_id}",
        line=transaction.line,
        title=original.title,
        quantity=original.quantity,
        unit_price=original.unit_price,
        net_total=net_total,
        currency=original.currency,
        amount_nok=amount_nok,
        card_transaction_id=transaction_id,
        asin=original.asin,
        unspsc=original.unspsc,
        category=original.category,
        brand=original.brand,
        seller=original.seller,
        shipping_address=original.shipping_address,
        payment_date=transaction.date,
        requester_email=original.requester_email,
        custom_fields=dict(original.custom_fields or {}),
    )
    stored = _insert_unless_taken(session, item, "item_key")
    if stored is None:
        raise AlreadyLinked(transaction_id)
    log.info("Card transaction %s: refund item %s pays back %s NOK of item %s", transaction_id, stored.id,
             -amount_nok, original_id)
    return stored


def mark_duplicate(session: Session, item_id: int) -> None:
    """Set a new, unlinked item to duplicate: another document reports the same shipment, which is booked once.

    Raises AlreadyDecided when the item is linked to a charge or past new.
    """
    result = session.exec(
        update(AmazonItem)
        .where(col(AmazonItem.id) == item_id, AmazonItem.state == "new",
               col(AmazonItem.card_transaction_id).is_(None))
        .values(state="duplicate")
    )
    if result.rowcount == 0:
        raise _missing_or_decided(session, item_id)
    log.info("Amazon item %s: duplicate of a shipment stored before", item_id)


# --- suggestions, decisions, questions and postings --------------------------


def save_suggestions(session: Session, item_id: int, suggestions: Sequence[Suggestion], model_version: str) -> None:
    """Replace the item's suggestions with ``suggestions``, ranked in the given order.

    A new item becomes suggested, and an item in a later open state keeps
    its state. Raises AlreadyDecided for a decided item, so the suggestions that
    were shown for a decision stay as they were.
    """
    next_state = case((col(AmazonItem.state) == "new", "suggested"), else_=col(AmazonItem.state))
    result = session.exec(
        update(AmazonItem)
        .where(col(AmazonItem.id) == item_id, col(AmazonItem.state).in_(OPEN_STATES))
        .values(state=next_state)
    )
    if result.rowcount == 0:
        raise _missing_or_decided(session, item_id)

    session.exec(delete(SuggestionRow).where(col(SuggestionRow.item_id) == item_id))
    for rank, suggestion in enumerate(suggestions, start=1):
        target = suggestion.allocation
        session.add(
            SuggestionRow(
                item_id=item_id,
                rank=rank,
                cost_center=target.cost_center,
                project=target.project,
                account=target.account,
                tax_code=target.tax_code,
                confidence=suggestion.confidence,
                source=suggestion.source,
                reasons=[{"template": reason.template, "params": dict(reason.params)} for reason in suggestion.reasons],
                model_version=model_version,
            )
        )
    session.flush()
    log.debug("Amazon item %s: saved %d suggestions of model %s", item_id, len(suggestions), model_version)


def decide(
    session: Session,
    item_id: int,
    lines: Sequence[tuple[Allocation, Decimal]],
    *,
    decided_by: str,
    source: str,
    status: str = "approved",
    from_states: Sequence[str] | None = None,
) -> AllocationRow:
    """Record the decision for an item: where its NOK amount is booked, split into lines.

    The line amounts must add up exactly to the item's ``amount_nok``
    (SplitSumMismatch otherwise). A single conditional UPDATE of the item's
    state claims the item, so of two concurrent decisions one wins and the
    other raises AlreadyDecided. Status ``pending_approval`` moves the item
    to awaiting_approval, and a later ``approved`` or ``rejected`` decision
    (usually the manager's) replaces that pending decision and its lines.
    ``from_states`` narrows the states the item may be in, so that an
    answer to a question cannot overtake a pending approval.
    """
    _require_one_of("allocation source", source, ALLOCATION_SOURCES)
    _require_one_of("allocation status", status, ALLOCATION_STATUSES)
    if not lines:
        raise ValueError(f"no allocation lines for amazon item {item_id}: a decision needs at least one")

    pending = status == "pending_approval"
    allowed_states = UNDECIDED_STATES if pending else OPEN_STATES
    if from_states is not None:
        allowed_states = tuple(state for state in allowed_states if state in from_states)
    lines_total = sum((MONEY.check(amount) for _, amount in lines), Decimal(0))

    # These checks give the clearest error, but the conditional UPDATE below is what guards the item.
    item = session.get(AmazonItem, item_id, populate_existing=True)
    if item is None or item.state not in allowed_states:
        raise _missing_or_decided(session, item_id)
    if item.amount_nok is None:
        raise ValueError(f"amazon item {item_id} has no NOK amount yet: link it to its card charge before deciding")
    if lines_total != item.amount_nok:
        raise SplitSumMismatch(item_id, lines_total, item.amount_nok)

    result = session.exec(
        update(AmazonItem)
        .where(
            col(AmazonItem.id) == item_id,
            col(AmazonItem.state).in_(allowed_states),
            # The amount is part of the claim, so a concurrent re-link cannot slip in after the check above.
            col(AmazonItem.amount_nok) == lines_total,
        )
        .values(state="awaiting_approval" if pending else "decided")
    )
    if result.rowcount == 0:
        current = session.get(AmazonItem, item_id, populate_existing=True)
        if current is not None and current.amount_nok is not None and current.amount_nok != lines_total:
            raise SplitSumMismatch(item_id, lines_total, current.amount_nok)
        raise _missing_or_decided(session, item_id)

    allocation = session.exec(select(AllocationRow).where(AllocationRow.item_id == item_id)).first()
    if allocation is None:
        allocation = AllocationRow(item_id=item_id, source=source, decided_by=decided_by, status=status)
        session.add(allocation)
    else:
        # The item was awaiting approval: this decision replaces the pending one.
        allocation.source = source
        allocation.decided_by = decided_by
        allocation.decided_at = utc_now()
        allocation.status = status
        allocation.lines.clear()
        # Delete the old lines before inserting new ones with the same positions.
        session.flush()

    allocation.lines = [
        AllocationLine(
            position=position,
            cost_center=target.cost_center,
            project=target.project,
            account=target.account,
            tax_code=target.tax_code,
            amount=amount,
        )
        for position, (target, amount) in enumerate(lines, start=1)
    ]
    session.flush()

    log.info(
        "Amazon item %s: %s allocation %s by %s (%s), %d lines",
        item_id, status, allocation.id, decided_by, source, len(lines),
    )
    return allocation


def reject(session: Session, item_id: int, *, rejected_by: str) -> None:
    """Reject an item awaiting approval: it goes back to asked, and a pending decision becomes rejected.

    One conditional UPDATE of the item's state claims the item, as in
    decide(), so an approval and a rejection at once cannot both win. The
    loser raises AlreadyDecided. The rejected decision and its lines stay
    for the record until someone decides the item anew.
    """
    result = session.exec(
        update(AmazonItem)
        .where(col(AmazonItem.id) == item_id, AmazonItem.state == "awaiting_approval")
        .values(state="asked")
    )
    if result.rowcount == 0:
        raise _missing_or_decided(session, item_id)

    allocation = session.exec(select(AllocationRow).where(AllocationRow.item_id == item_id)).first()
    if allocation is not None:
        allocation.status = "rejected"
        allocation.decided_by = rejected_by
        allocation.decided_at = utc_now()
        session.flush()
    log.info("Amazon item %s: rejected by %s", item_id, rejected_by)


def set_item_state(session: Session, item_id: int, state: str) -> None:
    """Move an undecided item to another open state, such as asked or awaiting_approval.

    decide() and record_posting() set decided and posted, so this function
    rejects those states. It raises AlreadyDecided for a decided item.
    """
    if state in ("decided", "posted"):
        raise ValueError(f"invalid item state {state!r} for set_item_state(): decide() sets decided, record_posting() sets posted")
    _require_one_of("item state", state, OPEN_STATES)

    result = session.exec(
        update(AmazonItem)
        .where(col(AmazonItem.id) == item_id, col(AmazonItem.state).in_(OPEN_STATES))
        .values(state=state)
    )
    if result.rowcount == 0:
        raise _missing_or_decided(session, item_id)
    log.debug("Amazon item %s: state %s", item_id, state)


def add_question(session: Session, item_id: int, *, kind: str, asked_email: str, note: str = "") -> Question:
    """Record an open question (or approval request) about an item to the person at ``asked_email``.

    ``note`` says why: a catalog message id, or the reason given for a rejection.
    """
    _require_one_of("question kind", kind, QUESTION_KINDS)
    if session.get(AmazonItem, item_id) is None:
        raise NotFound(f"amazon item {item_id} not found")

    question = Question(item_id=item_id, kind=kind, asked_email=asked_email.strip().lower(), note=note)
    session.add(question)
    session.flush()

    log.info("Amazon item %s: %s %s to %s", item_id, kind, question.id, question.asked_email)
    return question


def record_posting(
    session: Session, allocation_id: int, *, connector: str, voucher_number: str, external_id: str | None
) -> Posting:
    """Record that an approved allocation was booked as a voucher, and mark its item posted.

    Raises AlreadyPosted when the allocation has a posting already. The
    unique ``allocation_id`` guarantees this also for concurrent callers.
    """
    allocation = session.get(AllocationRow, allocation_id)
    if allocation is None:
        raise NotFound(f"allocation {allocation_id} not found")
    if allocation.status != "approved":
        raise ValueError(f"allocation {allocation_id} is {allocation.status}: only approved allocations are posted")

    row = Posting(allocation_id=allocation_id, connector=connector, voucher_number=voucher_number, external_id=external_id)
    posting = _insert_unless_taken(session, row, "allocation_id")
    if posting is None:
        earlier = session.exec(select(Posting).where(Posting.allocation_id == allocation_id)).one()
        raise AlreadyPosted(allocation_id, earlier.voucher_number, earlier.posted_at)

    session.exec(update(AmazonItem).where(col(AmazonItem.id) == allocation.item_id).values(state="posted"))
    log.info("Allocation %s: posted as voucher %s via %s", allocation_id, voucher_number, connector)
    return posting


def unposted_allocations(session: Session) -> list[AllocationRow]:
    """Return the approved allocations without a posting, oldest first, with lines, item and order loaded."""
    posted = exists().where(col(Posting.allocation_id) == col(AllocationRow.id))
    statement = (
        select(AllocationRow)
        .where(AllocationRow.status == "approved", ~posted)
        .options(
            selectinload(AllocationRow.lines),
            selectinload(AllocationRow.item).selectinload(AmazonItem.order),
        )
        .order_by(col(AllocationRow.id))
    )
    return list(session.exec(statement))


# --- helpers -----------------------------------------------------------------


def _insert_unless_taken(session: Session, row: _Row, unique_column: str) -> _Row | None:
    """Insert ``row`` unless another row has its ``unique_column`` value, and return the stored row or None."""
    model = type(row)
    statement = (
        dialect_insert(session, model)
        .values(row.model_dump(exclude={"id"}))
        .on_conflict_do_nothing(index_elements=[unique_column])
        .returning(model)
    )
    return session.exec(statement).scalars().first()


def _charged_rows_elsewhere(session: Session, order_row_ids: list[int],
                            document_id: int) -> dict[tuple[int, str, str | None], list[int]]:
    """Return the ids of Amazon items of other documents by order row, payment reference and ASIN, oldest first."""
    rows: dict[tuple[int, str, str | None], list[int]] = {}
    # Chunks keep the IN list under SQLite's limit of bound parameters.
    for start in range(0, len(order_row_ids), 500):
        statement = (
            select(AmazonItem.id, AmazonItem.amazon_order_id, AmazonItem.payment_reference, AmazonItem.asin)
            .where(col(AmazonItem.amazon_order_id).in_(order_row_ids[start:start + 500]),
                   col(AmazonItem.payment_reference).is_not(None), col(AmazonItem.document_id) != document_id,
                   AmazonItem.origin == "amazon")
            .order_by(col(AmazonItem.id))
        )
        for item_id, order_row_id, reference, asin in session.exec(statement):
            rows.setdefault((order_row_id, reference, asin), []).append(item_id)
    return rows


def _fill_later_columns(session: Session, item_id: int, item: ReportItem) -> None:
    """Give a stored item what a later document adds: payment columns and refund columns.

    The payment columns are filled only while the item is new and not
    linked to a charge, because reconciliation may have used them since.
    NOTE: when a later report splits one row over two shipments, the stored
    row keeps its first quantity and the second shipment becomes a new item.
    """
    if item.payment_reference:
        result = session.exec(
            update(AmazonItem)
            .where(col(AmazonItem.id) == item_id, col(AmazonItem.payment_reference).is_(None),
                   AmazonItem.state == "new", col(AmazonItem.card_transaction_id).is_(None))
            .values(payment_reference=item.payment_reference, payment_date=item.payment_date,
                    payment_amount=item.payment_amount, payment_instrument=item.payment_instrument)
        )
        if result.rowcount:
            log.info("Amazon item %s: payment reference %s filled in from a later report", item_id,
                     item.payment_reference)

    if item.refund_amount is not None:
        result = session.exec(
            update(AmazonItem)
            .where(col(AmazonItem.id) == item_id, col(AmazonItem.refund_amount).is_(None))
            .values(refund_amount=item.refund_amount, refund_date=item.refund_date)
        )
        if result.rowcount:
            log.info("Amazon item %s: refund of %s filled in from a later report", item_id, item.refund_amount)


def _order_row_id(session: Session, item: ReportItem) -> int:
    """Return the row id of the item's order, storing the order first or updating its order-level columns."""
    order_level = {
        column: value
        for column, value in (("shipping", item.order_shipping), ("promotion", item.order_promotion),
                              ("tax", item.order_tax), ("net_total", item.order_net_total),
                              ("status", item.order_status))
        if value is not None
    }
    order = AmazonOrder(
        order_id=item.order_id,
        order_date=item.order_date,
        currency=item.currency,
        requester_email=_normalise_email(item.account_user_email),
        po_number=item.po_number,
        **order_level,
    )
    stored = _insert_unless_taken(session, order, "order_id")
    if stored is not None:
        return stored.id

    order_row_id = session.exec(select(AmazonOrder.id).where(AmazonOrder.order_id == item.order_id)).one()
    if order_level:
        session.exec(update(AmazonOrder).where(col(AmazonOrder.id) == order_row_id).values(**order_level))
    return order_row_id


def _item_row(item: ReportItem, document: Document, order_row_id: int, item_key: str) -> AmazonItem:
    return AmazonItem(
        amazon_order_id=order_row_id,
        document_id=document.id,
        item_key=item_key,
        line=item.line,
        title=item.title,
        quantity=item.quantity,
        unit_price=item.unit_price,
        net_total=item.net_total,
        item_tax=item.item_tax,
        currency=item.currency,
        asin=item.asin,
        unspsc=item.unspsc,
        category=item.product_category,
        brand=item.brand,
        seller=item.seller,
        shipping_address=item.shipping_address,
        payment_reference=item.payment_reference,
        payment_date=item.payment_date,
        payment_amount=item.payment_amount,
        payment_instrument=item.payment_instrument,
        shipment_date=item.shipment_date,
        subtotal=item.subtotal,
        shipping=item.shipping,
        promotion=item.promotion,
        vat_rate=item.vat_rate,
        invoice_number=item.invoice_number,
        refund_amount=item.refund_amount,
        refund_date=item.refund_date,
        requester_email=_normalise_email(item.account_user_email),
        custom_fields=dict(item.custom_fields),
    )


def _charge_identity(charge: CardCharge) -> str:
    """Return booking date, amount and normalised description, the same for a CSV and a PDF line.

    NOTE: the card number is not part of it, because the bank CSV layout does
    not carry one. So two cards' statements with the same purchase on the same
    day and at the same amount store that charge once.
    """
    amount = format(charge.amount.normalize(), "f")
    return f"{charge.date.isoformat()}|{amount}|{_normalise_description(charge.description)}"


def _normalise_description(text: str) -> str:
    """Keep only letters and digits, case-folded: PDF text differs from CSV in spaces and punctuation."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(character for character in folded if character.isalnum())


def _normalise_email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    return email.strip().lower()


def _missing_or_decided(session: Session, item_id: int) -> Exception:
    """Return the error for an item that a conditional UPDATE did not match."""
    item = session.get(AmazonItem, item_id, populate_existing=True)
    if item is None:
        return NotFound(f"amazon item {item_id} not found")

    allocation = session.exec(select(AllocationRow).where(AllocationRow.item_id == item_id)).first()
    if allocation is None:
        return AlreadyDecided(item_id, item.state, None, None)
    return AlreadyDecided(item_id, item.state, allocation.decided_by, allocation.decided_at)


def _require_one_of(field_name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"invalid {field_name} {value!r}: expected one of {', '.join(allowed)}")
