"""Reads and writes of the flow's records: documents, items, card charges and decisions.

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
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import bindparam, case, delete, update
from sqlmodel import Session, col, select

from bot.records import BOT_ACTOR, Allocation, CardCharge, ReportItem, Statement, Suggestion, occurrence_keys
from bot.store.audit import audit, verify_audit_chain
from bot.store.audit_data import suggestions_data
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
    Question,
    StoreModel,
    SuggestionRow,
    utc_now,
)
from bot.store.upsert import dialect_insert, insert_many_unless_taken

__all__ = [
    "AlreadyDecided",
    "AlreadyLinked",
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
    "reject",
    "save_suggestions",
    "set_item_state",
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
_Value = TypeVar("_Value")


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
    path: str | None = None,
) -> Document:
    """Store a received file, or raise DuplicateDocument when a file with this SHA-256 is stored already.

    ``sha256`` is the lowercase hex digest of the file's bytes, and ``path``
    where it was read from.
    """
    _require_one_of("document kind", kind, DOCUMENT_KINDS)
    if not _SHA256_HEX.fullmatch(sha256):
        raise ValueError(f"invalid SHA-256 {sha256!r}: expected 64 lowercase hex digits")

    row = Document(kind=kind, filename=filename, sha256=sha256, message_id=message_id, sender=sender, path=path)
    document = _insert_unless_taken(session, row, "sha256")
    if document is None:
        existing_id = session.exec(select(Document.id).where(Document.sha256 == sha256)).one()
        raise DuplicateDocument(existing_id, sha256)

    log.info("Stored document %s: %s %s", document.id, kind, filename)
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

    The new rows come back in the order of ``items``. The items are stored
    in batches of `PROGRESS_STEP`, with a few multi-row statements each, and
    ``progress`` is called with the items done and the item count before
    each batch and at the end.
    """
    order_row_ids = _order_row_ids(session, items)
    earlier_rows = _charged_rows_elsewhere(session, list(order_row_ids.values()), document.id)
    charged_rows: Counter[tuple[int, str, str | None]] = Counter()
    keyed_items = list(zip(items, occurrence_keys(items)))
    stored: list[AmazonItem] = []

    for start in range(0, len(items), PROGRESS_STEP):
        if progress is not None:
            progress(start, len(items))
        batch = keyed_items[start:start + PROGRESS_STEP]
        stored.extend(_store_item_batch(session, document, batch, order_row_ids, earlier_rows, charged_rows))

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
    """Record the card charge behind an item and the item's share of it in NOK, and audit it as charge_linked.

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
    audit(session, actor=BOT_ACTOR, action="charge_linked", subject_type="item", subject_id=str(item_id),
          data={"card_transaction": transaction_id, "amount_nok": amount_nok})
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
    audit(session, actor=BOT_ACTOR, action="refund_item_created", subject_type="item", subject_id=str(stored.id),
          data={"refund_of": original_id, "card_transaction": transaction_id, "amount_nok": amount_nok})
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


# --- suggestions, decisions and questions -----------------------------------


def save_suggestions(session: Session, item_id: int, suggestions: Sequence[Suggestion], model_version: str) -> None:
    """Replace the item's suggestions with ``suggestions``, ranked in the given order, and audit them.

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
    audit(session, actor=BOT_ACTOR, action="suggested", subject_type="item", subject_id=str(item_id),
          model_version=model_version, data={"suggestions": suggestions_data(suggestions)})
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
    log.info("Amazon item %s: rejected", item_id)


def set_item_state(session: Session, item_id: int, state: str) -> None:
    """Move an undecided item to another open state, such as asked or awaiting_approval.

    decide() sets decided and bot.store.postings.record_posted() sets posted, so
    this function rejects those states. It raises AlreadyDecided for a decided item.
    """
    if state in ("decided", "posted"):
        raise ValueError(f"invalid item state {state!r} for set_item_state(): decide() sets decided, "
                         "record_posted() sets posted")
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

    log.info("Amazon item %s: %s %s opened", item_id, kind, question.id)
    return question


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


def _order_row_ids(session: Session, items: Sequence[ReportItem]) -> dict[str, int]:
    """Store the new orders of ``items``, update the stored ones, and return each order's row id.

    An order's first item gives its columns. A stored order gets the
    order-level values that this item has and keeps the others.
    """
    first_items: dict[str, ReportItem] = {}
    for item in items:
        first_items.setdefault(item.order_id, item)

    row_ids = _stored_order_row_ids(session, list(first_items))
    new_orders = [_order_values(item) for order_id, item in first_items.items() if order_id not in row_ids]
    inserted_orders = insert_many_unless_taken(session, AmazonOrder, new_orders, "order_id")
    inserted = {order.order_id: order.id for order in inserted_orders}
    # A concurrent transaction stored these orders between the select and the insert.
    lost = [order_id for order_id in first_items if order_id not in row_ids and order_id not in inserted]
    row_ids.update(_stored_order_row_ids(session, lost))

    _update_order_level_columns(session, [(row_ids[order_id], first_items[order_id]) for order_id in row_ids])
    row_ids.update(inserted)
    return row_ids


def _stored_order_row_ids(session: Session, order_ids: list[str]) -> dict[str, int]:
    row_ids: dict[str, int] = {}
    for chunk in _chunks(order_ids):
        statement = select(AmazonOrder.order_id, AmazonOrder.id).where(col(AmazonOrder.order_id).in_(chunk))
        row_ids.update(session.exec(statement).all())
    return row_ids


def _order_values(item: ReportItem) -> dict[str, object]:
    return {
        "order_id": item.order_id,
        "order_date": item.order_date,
        "currency": item.currency,
        "requester_email": _normalise_email(item.account_user_email),
        "po_number": item.po_number,
        **_order_level_values(item),
    }


def _order_level_values(item: ReportItem) -> dict[str, object]:
    """Return the order-level amounts and status that ``item`` gives, leaving out those it lacks."""
    values = {"shipping": item.order_shipping, "promotion": item.order_promotion, "tax": item.order_tax,
              "net_total": item.order_net_total, "status": item.order_status}
    return {column: value for column, value in values.items() if value is not None}


def _update_order_level_columns(session: Session, orders: list[tuple[int, ReportItem]]) -> None:
    """Set the order-level values that each item gives on its stored order, with one executemany per set of columns."""
    updates: dict[tuple[str, ...], list[dict[str, object]]] = {}
    for order_row_id, item in orders:
        values = _order_level_values(item)
        if values:
            updates.setdefault(tuple(sorted(values)), []).append({"order_row_id": order_row_id, **values})

    # The Table, not the model, so that the parameter list runs as a plain executemany.
    table = AmazonOrder.__table__
    for columns, parameters in updates.items():
        statement = update(table).where(table.c.id == bindparam("order_row_id")).values(
            {column: bindparam(column) for column in columns})
        session.exec(statement, params=parameters)
        for row in parameters:
            _expire_loaded(session, AmazonOrder, row["order_row_id"], columns)


def _store_item_batch(
    session: Session, document: Document, batch: list[tuple[ReportItem, str]], order_row_ids: dict[str, int],
    earlier_rows: dict[tuple[int, str, str | None], list[int]], charged_rows: Counter[tuple[int, str, str | None]],
) -> list[AmazonItem]:
    """Store a batch of items with their occurrence keys as add_report_items() describes, and return the new rows.

    Rows come back in batch order. ``charged_rows`` counts the items per
    order row, payment reference and ASIN across batches.
    """
    duplicate_of: dict[int, int] = {}
    new_rows: dict[int, dict[str, object]] = {}
    for position, (item, item_key) in enumerate(batch):
        order_row_id = order_row_ids[item.order_id]
        earlier_id = _earlier_charged_row(item, order_row_id, earlier_rows, charged_rows)
        if earlier_id is not None:
            duplicate_of[position] = earlier_id
        else:
            new_rows[position] = _item_values(item, document, order_row_id, item_key)

    stored, existing = _insert_items_unless_taken(session, new_rows)

    fallback_rows: dict[int, dict[str, object]] = {}
    for position, (existing_id, existing_reference) in existing.items():
        reference = batch[position][0].payment_reference
        if reference and existing_reference not in (None, reference):
            # Another shipment of the same order and ASIN took the occurrence key first.
            item_key = f"{new_rows[position]['item_key']}:{reference}"
            fallback_rows[position] = {**new_rows[position], "item_key": item_key}
        else:
            duplicate_of[position] = existing_id

    stored_fallbacks, existing_fallbacks = _insert_items_unless_taken(session, fallback_rows)
    stored.update(stored_fallbacks)
    for position in existing_fallbacks:
        # The fallback key is taken too, so the item fills in the row with its occurrence key.
        duplicate_of[position] = existing[position][0]

    _fill_later_columns(session, [(duplicate_of[position], batch[position][0]) for position in sorted(duplicate_of)])
    return [stored[position] for position in sorted(stored)]


def _earlier_charged_row(item: ReportItem, order_row_id: int,
                         earlier_rows: dict[tuple[int, str, str | None], list[int]],
                         charged_rows: Counter[tuple[int, str, str | None]]) -> int | None:
    """Count the item's charge row and return the id of the other document's item it repeats, or None.

    The n-th item of an order row, payment reference and ASIN repeats the
    n-th such item of other documents, when there is one.
    """
    if not item.payment_reference:
        return None
    charge_row = (order_row_id, item.payment_reference, item.asin)
    charged_rows[charge_row] += 1
    earlier = earlier_rows.get(charge_row, [])
    if len(earlier) < charged_rows[charge_row]:
        return None
    return earlier[charged_rows[charge_row] - 1]


def _insert_items_unless_taken(
    session: Session, rows: dict[int, dict[str, object]]
) -> tuple[dict[int, AmazonItem], dict[int, tuple[int, str | None]]]:
    """Insert the item rows whose ``item_key`` is free, keyed by batch position.

    Returns the inserted rows, and the id and payment reference of the
    stored item that has the key of each other row. The select before
    the insert spares a report sent again most of the insert's work. The
    insert's ON CONFLICT clause still guards against a concurrent
    transaction that stores the same key.
    """
    positions = {values["item_key"]: position for position, values in rows.items()}
    existing = _stored_items_by_key(session, list(positions))
    free_rows = [values for values in rows.values() if values["item_key"] not in existing]
    inserted = insert_many_unless_taken(session, AmazonItem, free_rows, "item_key")

    inserted_keys = {row.item_key for row in inserted}
    # A concurrent transaction stored these keys between the select and the insert.
    lost = [values["item_key"] for values in free_rows if values["item_key"] not in inserted_keys]
    existing.update(_stored_items_by_key(session, lost))

    stored = {positions[row.item_key]: row for row in inserted}
    return stored, {positions[item_key]: stored_item for item_key, stored_item in existing.items()}


def _stored_items_by_key(session: Session, item_keys: list[str]) -> dict[str, tuple[int, str | None]]:
    """Return the id and payment reference of the stored items with these keys."""
    found: dict[str, tuple[int, str | None]] = {}
    for chunk in _chunks(item_keys):
        statement = (select(AmazonItem.item_key, AmazonItem.id, AmazonItem.payment_reference)
                     .where(col(AmazonItem.item_key).in_(chunk)))
        for item_key, item_id, payment_reference in session.exec(statement):
            found[item_key] = (item_id, payment_reference)
    return found


def _charged_rows_elsewhere(session: Session, order_row_ids: list[int],
                            document_id: int) -> dict[tuple[int, str, str | None], list[int]]:
    """Return the ids of Amazon items of other documents by order row, payment reference and ASIN, oldest first."""
    rows: dict[tuple[int, str, str | None], list[int]] = {}
    for chunk in _chunks(order_row_ids):
        statement = (
            select(AmazonItem.id, AmazonItem.amazon_order_id, AmazonItem.payment_reference, AmazonItem.asin)
            .where(col(AmazonItem.amazon_order_id).in_(chunk),
                   col(AmazonItem.payment_reference).is_not(None), col(AmazonItem.document_id) != document_id,
                   AmazonItem.origin == "amazon")
            .order_by(col(AmazonItem.id))
        )
        for item_id, order_row_id, reference, asin in session.exec(statement):
            rows.setdefault((order_row_id, reference, asin), []).append(item_id)
    return rows


def _fill_later_columns(session: Session, duplicates: list[tuple[int, ReportItem]]) -> None:
    """Give stored items what a later document adds: payment columns and refund columns.

    ``duplicates`` pairs a stored item's id with the item read again. The
    payment columns are filled only while the item is new and not linked to
    a charge, because reconciliation may have used them since. A select
    first leaves out the UPDATEs that cannot match, which are almost all of
    them for a report sent again. Each UPDATE still has its full condition.
    NOTE: when a later report splits one row over two shipments, the stored
    row keeps its first quantity and the second shipment becomes a new item.
    """
    duplicates = [(item_id, item) for item_id, item in duplicates
                  if item.payment_reference or item.refund_amount is not None]
    payment_closed, refunded = _items_with_filled_columns(session, [item_id for item_id, _ in duplicates])

    # A second UPDATE of an item would not match: the first filled the columns, or found them closed.
    for item_id, item in duplicates:
        if item.payment_reference and item_id not in payment_closed:
            _fill_payment_columns(session, item_id, item)
            payment_closed.add(item_id)
        if item.refund_amount is not None and item_id not in refunded:
            _fill_refund_columns(session, item_id, item)
            refunded.add(item_id)


def _items_with_filled_columns(session: Session, item_ids: list[int]) -> tuple[set[int], set[int]]:
    """Return the ids whose payment columns may no longer be filled, and the ids that have a refund already."""
    payment_closed: set[int] = set()
    refunded: set[int] = set()
    for chunk in _chunks(item_ids):
        statement = (select(AmazonItem.id, AmazonItem.payment_reference, AmazonItem.state,
                            AmazonItem.card_transaction_id, AmazonItem.refund_amount)
                     .where(col(AmazonItem.id).in_(chunk)))
        for item_id, payment_reference, state, card_transaction_id, refund_amount in session.exec(statement):
            if payment_reference is not None or state != "new" or card_transaction_id is not None:
                payment_closed.add(item_id)
            if refund_amount is not None:
                refunded.add(item_id)
    return payment_closed, refunded


# The UPDATEs that fill in a stored item's payment and refund columns. They
# are built once and on the Table, because building an ORM UPDATE per item
# took most of the time of filling in 20 000 items on SQLite. Instead of the
# ORM, _expire_loaded() brings the session's objects up to date.
_ITEMS = AmazonItem.__table__
_FILL_PAYMENT_COLUMNS = (
    update(_ITEMS)
    .where(_ITEMS.c.id == bindparam("item_id"), _ITEMS.c.payment_reference.is_(None), _ITEMS.c.state == "new",
           _ITEMS.c.card_transaction_id.is_(None))
    .values(payment_reference=bindparam("new_payment_reference"), payment_date=bindparam("new_payment_date"),
            payment_amount=bindparam("new_payment_amount"),
            payment_instrument=bindparam("new_payment_instrument"))
)
_FILL_REFUND_COLUMNS = (
    update(_ITEMS)
    .where(_ITEMS.c.id == bindparam("item_id"), _ITEMS.c.refund_amount.is_(None))
    .values(refund_amount=bindparam("new_refund_amount"), refund_date=bindparam("new_refund_date"))
)


def _fill_payment_columns(session: Session, item_id: int, item: ReportItem) -> None:
    result = session.exec(_FILL_PAYMENT_COLUMNS, params={
        "item_id": item_id, "new_payment_reference": item.payment_reference,
        "new_payment_date": item.payment_date, "new_payment_amount": item.payment_amount,
        "new_payment_instrument": item.payment_instrument,
    })
    if result.rowcount:
        _expire_loaded(session, AmazonItem, item_id,
                       ["payment_reference", "payment_date", "payment_amount", "payment_instrument"])
        log.info("Amazon item %s: payment reference %s filled in from a later report", item_id,
                 item.payment_reference)


def _fill_refund_columns(session: Session, item_id: int, item: ReportItem) -> None:
    result = session.exec(_FILL_REFUND_COLUMNS, params={
        "item_id": item_id, "new_refund_amount": item.refund_amount, "new_refund_date": item.refund_date,
    })
    if result.rowcount:
        _expire_loaded(session, AmazonItem, item_id, ["refund_amount", "refund_date"])
        log.info("Amazon item %s: refund of %s filled in from a later report", item_id, item.refund_amount)


def _expire_loaded(session: Session, model: type[StoreModel], row_id: int, attributes: Sequence[str]) -> None:
    """Expire the attributes of the row's object if it is in the session, so that it reloads what a Core UPDATE set."""
    loaded = session.identity_map.get(session.identity_key(model, row_id))
    if loaded is not None:
        session.expire(loaded, attributes)


def _item_values(item: ReportItem, document: Document, order_row_id: int, item_key: str) -> dict[str, object]:
    """Return the item's column values for an insert. Origin, state and flags get their column defaults."""
    return {
        "amazon_order_id": order_row_id,
        "document_id": document.id,
        "item_key": item_key,
        "line": item.line,
        "title": item.title,
        "quantity": item.quantity,
        "unit_price": item.unit_price,
        "net_total": item.net_total,
        "item_tax": item.item_tax,
        "currency": item.currency,
        "asin": item.asin,
        "unspsc": item.unspsc,
        "category": item.product_category,
        "brand": item.brand,
        "seller": item.seller,
        "shipping_address": item.shipping_address,
        "payment_reference": item.payment_reference,
        "payment_date": item.payment_date,
        "payment_amount": item.payment_amount,
        "payment_instrument": item.payment_instrument,
        "shipment_date": item.shipment_date,
        "subtotal": item.subtotal,
        "shipping": item.shipping,
        "promotion": item.promotion,
        "vat_rate": item.vat_rate,
        "invoice_number": item.invoice_number,
        "refund_amount": item.refund_amount,
        "refund_date": item.refund_date,
        "requester_email": _normalise_email(item.account_user_email),
        "custom_fields": dict(item.custom_fields),
    }


def _chunks(values: list[_Value]) -> Iterator[list[_Value]]:
    """Yield slices of 500, which keeps an IN list well under SQLite's limit of bound parameters."""
    for start in range(0, len(values), 500):
        yield values[start:start + 500]


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
