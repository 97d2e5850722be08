"""Vouchers and postings in the store: claimed before they are sent, then marked posted or rejected.

A posting run inserts a voucher row and one posting row per allocation and
commits before it sends the voucher. The unique ``posting.allocation_id``
lets only one voucher claim an allocation, also when two runs claim at the
same time. Once the ERP responds, ``record_posted`` or ``record_rejected``
stores the outcome in one transaction. So a voucher is always "sending"
(the ERP's outcome is unknown), "posted" (all its postings posted and
their items in state "posted"), or "rejected". A rejected voucher keeps
its postings, in status "rejected", so that no later run posts its
allocations again before a controller has corrected the cause and
released them with ``release_rejected``, which deletes the postings. A
voucher abandoned with ``abandon_voucher`` is rejected and released at
once.

Like ``bot.store.repository``, every function works in the caller's
session and never commits.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, update
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from bot.records import BOT_ACTOR
from bot.store.audit import audit
from bot.store.models import (
    AllocationRow,
    AmazonItem,
    CardTransaction,
    Document,
    InstallationRow,
    Posting,
    VoucherRow,
    utc_now,
)
from bot.store.upsert import dialect_insert

log = logging.getLogger(__name__)


# The installation tag's characters: A-Z and 2-9 without I, L and O, which read like 1 and 0.
TAG_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
TAG_LENGTH = 4


def voucher_number(tag: str, voucher_id: int) -> str:
    """Return the number of the voucher with this id in the store with this tag, such as ABK7QM0000042.

    The number is "AB", the tag and the id in at least seven digits: only
    letters and digits, starting with a letter, and far below the 36
    characters of DATEV's Belegfeld 1, the shortest field a connector
    writes it to.
    """
    return f"AB{tag}{voucher_id:07d}"


def installation_tag(session: Session) -> str:
    """Return the store's installation tag, making a new one if its row is missing.

    Migration 0007 makes the tag. A store whose row was deleted, as when
    every table is emptied, gets a new random tag here, which keeps its
    numbers apart from those it sent before.
    """
    tag = session.exec(select(InstallationRow.tag)).first()
    if tag is not None:
        return tag

    new_tag = "".join(secrets.choice(TAG_ALPHABET) for _ in range(TAG_LENGTH))
    session.exec(dialect_insert(session, InstallationRow)
                 .values(id=1, tag=new_tag, created_at=utc_now())
                 .on_conflict_do_nothing(index_elements=["id"]))
    tag = session.exec(select(InstallationRow.tag)).one()
    log.warning("the store had no installation tag; new voucher numbers carry the tag %s", tag)
    return tag


@dataclass(frozen=True)
class StatementFile:
    """A card statement as vouchers show it: its file, its period, and the PDF to attach if there is one."""

    document_id: int
    filename: str
    period_start: date
    period_end: date
    attachment: Path | None


# --- reading what vouchers are built from --------------------------------------


def unposted_allocations(session: Session) -> list[AllocationRow]:
    """Return the approved allocations without a posting, oldest first, with lines, item and order loaded."""
    posted = select(Posting.id).where(col(Posting.allocation_id) == col(AllocationRow.id)).exists()
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


def card_lines(session: Session, transaction_ids: set[int]) -> dict[int, CardTransaction]:
    """Return the card statement lines with these ids, by id."""
    if not transaction_ids:
        return {}
    rows = session.exec(select(CardTransaction).where(col(CardTransaction.id).in_(transaction_ids)))
    return {row.id: row for row in rows}


def statement_files(session: Session, document_ids: set[int]) -> dict[int, StatementFile]:
    """Return the statements with these document ids, by id.

    A statement's period is the one it prints, widened where needed to
    cover its first and last card line. The attachment is the statement file if it is a PDF that still exists,
    else a PDF statement that came in the same message. A bank's CSV and
    PDF of one statement store each card line once, under the file read
    first, so the PDF is often the other document.
    """
    if not document_ids:
        return {}
    periods = session.exec(
        select(CardTransaction.document_id, func.min(CardTransaction.date), func.max(CardTransaction.date))
        .where(col(CardTransaction.document_id).in_(document_ids))
        .group_by(col(CardTransaction.document_id))
    ).all()
    documents = {row.id: row for row in session.exec(select(Document).where(col(Document.id).in_(document_ids)))}

    statements = {}
    for document_id, first, last in periods:
        document = documents[document_id]
        start = min(first, document.period_start or first)
        end = max(last, document.period_end or last)
        statements[document_id] = StatementFile(document_id, document.filename, start, end,
                                                _statement_pdf(session, document))
    return statements


def _statement_pdf(session: Session, document: Document) -> Path | None:
    candidates = [document]
    if document.message_id is not None:
        candidates += session.exec(
            select(Document).where(Document.message_id == document.message_id, Document.kind == "statement",
                                   col(Document.id) != document.id).order_by(col(Document.id))
        ).all()
    for candidate in candidates:
        if candidate.path and candidate.path.lower().endswith(".pdf") and Path(candidate.path).is_file():
            return Path(candidate.path)
    return None


# --- claiming ----------------------------------------------------------------


def add_voucher(session: Session, *, connector: str, grouping: str, document_id: int | None,
                voucher_date: date) -> VoucherRow:
    """Insert a voucher in status "sending" and give it the number that its id and the store's tag yield.

    The caller stores the payload and claims the allocations next, in the
    same transaction.
    """
    tag = installation_tag(session)
    # A unique stand-in number until the id is known, visible to no other transaction.
    row = VoucherRow(number=f"new-{uuid.uuid4().hex}", connector=connector, grouping=grouping,
                     document_id=document_id, date=voucher_date)
    session.add(row)
    session.flush()
    row.number = voucher_number(tag, row.id)
    session.flush()
    return row


def claim_allocations(session: Session, voucher: VoucherRow, allocation_ids: list[int]) -> bool:
    """Insert a posting of ``voucher`` for each allocation, or none at all when one is taken.

    Returns False when another voucher claimed one of the allocations
    first. Then the voucher row and the postings inserted for it are
    deleted again, so the caller's transaction contains nothing of it. On
    PostgreSQL the insert waits for a concurrent, uncommitted claim of the
    same allocation and then skips it. Raises ValueError, before it writes
    anything, for an allocation that is not approved.
    """
    approved = set(session.exec(select(AllocationRow.id).where(col(AllocationRow.id).in_(allocation_ids),
                                                               AllocationRow.status == "approved")).all())
    not_approved = sorted(set(allocation_ids) - approved)
    if not_approved:
        raise ValueError(f"allocations {not_approved} are not approved: only approved allocations are posted")

    rows = [{"allocation_id": allocation_id, "voucher_id": voucher.id, "status": "sending"}
            for allocation_id in allocation_ids]
    statement = (dialect_insert(session, Posting).on_conflict_do_nothing(index_elements=["allocation_id"])
                 .returning(col(Posting.allocation_id)))
    claimed = set(session.exec(statement, params=rows).scalars().all())
    if claimed == set(allocation_ids):
        return True

    taken = sorted(set(allocation_ids) - claimed)
    log.warning("voucher %s not claimed: allocations %s are on another voucher already", voucher.number, taken)
    session.exec(delete(Posting).where(col(Posting.voucher_id) == voucher.id))
    session.delete(voucher)
    session.flush()
    return False


# --- sending and its outcome ---------------------------------------------------


def sending_vouchers(session: Session) -> list[VoucherRow]:
    """Return the vouchers whose ERP outcome is unknown, oldest first."""
    return list(session.exec(select(VoucherRow).where(VoucherRow.status == "sending").order_by(col(VoucherRow.id))))


def count_attempt(session: Session, voucher_ids: list[int]) -> None:
    """Count one more send of each of these vouchers."""
    if voucher_ids:
        session.exec(update(VoucherRow).where(col(VoucherRow.id).in_(voucher_ids))
                     .values(attempts=VoucherRow.attempts + 1))


def voucher_allocations(session: Session, voucher_id: int) -> list[tuple[int, int]]:
    """Return the allocation id and item id of each posting of the voucher, by allocation id."""
    rows = session.exec(
        select(Posting.allocation_id, AllocationRow.item_id)
        .join(AllocationRow, col(AllocationRow.id) == col(Posting.allocation_id))
        .where(Posting.voucher_id == voucher_id)
        .order_by(col(Posting.allocation_id))
    )
    return list(rows.all())


def record_posted(session: Session, voucher_id: int, external_id: str, note: str = "") -> list[int] | None:
    """Mark a sending voucher and its postings posted, its items "posted", and audit each item.

    ``note`` is what the ERP did not take, such as the attachment; it is
    stored with the voucher. Returns the voucher's allocation ids, or None
    when the voucher was not "sending" (another run stored its outcome
    already) and nothing changed.
    """
    voucher = _take_sending(session, voucher_id, status="posted", external_id=external_id, note=note or None,
                            posted_at=utc_now())
    if voucher is None:
        return None

    allocations = voucher_allocations(session, voucher_id)
    item_ids = [item_id for _, item_id in allocations]
    session.exec(update(Posting).where(col(Posting.voucher_id) == voucher_id).values(status="posted"))
    session.exec(update(AmazonItem).where(col(AmazonItem.id).in_(item_ids)).values(state="posted"))
    for allocation_id, item_id in allocations:
        data = {"voucher": voucher.number, "connector": voucher.connector, "external_id": external_id,
                "allocation_id": allocation_id}
        if note:
            data["note"] = note
        audit(session, actor=BOT_ACTOR, action="posted", subject_type="item", subject_id=str(item_id), data=data)
    log.info("voucher %s posted via %s as %s: allocations %s%s", voucher.number, voucher.connector, external_id,
             [allocation_id for allocation_id, _ in allocations], f"; note: {note}" if note else "")
    return [allocation_id for allocation_id, _ in allocations]


def record_rejected(session: Session, voucher_id: int, message: str) -> list[int] | None:
    """Mark a sending voucher and its postings rejected with the ERP's message, and audit each item.

    The postings stay, so later runs leave the allocations alone until
    ``release_rejected`` frees them. Returns their ids, or None when the
    voucher was not "sending" and nothing changed.
    """
    voucher = _take_sending(session, voucher_id, status="rejected", error=message)
    if voucher is None:
        return None

    allocations = voucher_allocations(session, voucher_id)
    session.exec(update(Posting).where(col(Posting.voucher_id) == voucher_id).values(status="rejected"))
    for allocation_id, item_id in allocations:
        audit(session, actor=BOT_ACTOR, action="posting_rejected", subject_type="item", subject_id=str(item_id),
              data={"voucher": voucher.number, "connector": voucher.connector, "message": message,
                    "allocation_id": allocation_id})
    log.warning("voucher %s rejected by %s: %s; allocations %s wait for allocbot post --retry-rejected",
                voucher.number, voucher.connector, message, [allocation_id for allocation_id, _ in allocations])
    return [allocation_id for allocation_id, _ in allocations]


# --- what a controller does about a voucher -------------------------------------


def voucher_by_number(session: Session, number: str) -> VoucherRow | None:
    return session.exec(select(VoucherRow).where(VoucherRow.number == number)).first()


def waiting_rejections(session: Session) -> list[VoucherRow]:
    """Return the rejected vouchers whose allocations are not released yet, oldest first."""
    held = select(Posting.id).where(col(Posting.voucher_id) == col(VoucherRow.id)).exists()
    return list(session.exec(select(VoucherRow).where(VoucherRow.status == "rejected", held)
                             .order_by(col(VoucherRow.id))))


def release_rejected(session: Session, voucher: VoucherRow, actor: str) -> list[int]:
    """Delete a rejected voucher's postings, so the next run posts its allocations on a new voucher.

    ``actor`` is the person who released them, for the audit log. Returns
    the allocation ids, none when they were released before.
    """
    allocations = voucher_allocations(session, voucher.id)
    session.exec(delete(Posting).where(col(Posting.voucher_id) == voucher.id))
    for allocation_id, item_id in allocations:
        audit(session, actor=actor, action="posting_released", subject_type="item", subject_id=str(item_id),
              data={"voucher": voucher.number, "connector": voucher.connector, "allocation_id": allocation_id})
    log.info("voucher %s: %s released allocations %s for a new voucher", voucher.number, actor,
             [allocation_id for allocation_id, _ in allocations])
    return [allocation_id for allocation_id, _ in allocations]


def abandon_voucher(session: Session, voucher_id: int, actor: str, at: datetime) -> list[int] | None:
    """Mark a sending voucher that the ERP does not have rejected, free its allocations, and audit each item.

    The caller has looked the number up in the ERP first. Returns the
    allocation ids, or None when the voucher was not "sending" and nothing
    changed.
    """
    message = f"abandoned by {actor} at {at.isoformat(timespec='seconds')}"
    voucher = _take_sending(session, voucher_id, status="rejected", error=message)
    if voucher is None:
        return None

    allocations = voucher_allocations(session, voucher_id)
    session.exec(delete(Posting).where(col(Posting.voucher_id) == voucher_id))
    for allocation_id, item_id in allocations:
        audit(session, actor=actor, action="posting_abandoned", subject_type="item", subject_id=str(item_id),
              data={"voucher": voucher.number, "connector": voucher.connector, "allocation_id": allocation_id})
    log.warning("voucher %s abandoned by %s: not in %s; allocations %s are free to be posted again",
                voucher.number, actor, voucher.connector, [allocation_id for allocation_id, _ in allocations])
    return [allocation_id for allocation_id, _ in allocations]


def _take_sending(session: Session, voucher_id: int, **values: Any) -> VoucherRow | None:
    """Set ``values`` on the voucher if it is still "sending" and return it, else return None."""
    result = session.exec(update(VoucherRow).where(col(VoucherRow.id) == voucher_id, VoucherRow.status == "sending")
                          .values(**values))
    if result.rowcount == 0:
        log.warning("voucher %s is no longer sending; its outcome was stored before", voucher_id)
        return None
    return session.get(VoucherRow, voucher_id, populate_existing=True)
