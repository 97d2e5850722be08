"""Reads and writes of messages read from the IMAP mailbox.

Like the repository, every function works in the caller's session and
never commits. A claim is one INSERT ... ON CONFLICT, so of two pollers that fetch the
same message only one claims it. The other leaves it alone while the
claim is fresh (see ``bot.mail.intake.CLAIM_LEASE``), and the claiming
poller keeps it fresh while it handles the message.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.store.models import MailMessage, utc_now
from bot.store.upsert import dialect_insert

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MailKey:
    """Where a message sits: the IMAP account, the folder, its UIDVALIDITY and the message's UID."""

    account: str
    folder: str
    uidvalidity: int
    uid: int


def claim_message(session: Session, key: MailKey, *, message_id: str, sender: str, subject: str,
                  attachments: Sequence[dict[str, str]]) -> tuple[MailMessage, bool]:
    """Record a message before handling it; return its row and whether this call claimed it.

    A row that exists already means the message was seen before: it is
    finished, or it is still "claimed" because the process stopped while
    handling it, in which case the caller handles it again.
    """
    values = {
        "account": key.account, "folder": key.folder, "uidvalidity": key.uidvalidity, "uid": key.uid,
        "message_id": message_id, "sender": sender, "subject": subject, "attachments": list(attachments),
        "status": "claimed", "error": "", "claimed_at": utc_now(),
    }
    inserted = session.exec(
        dialect_insert(session, MailMessage)
        .values(values)
        .on_conflict_do_nothing(index_elements=["account", "folder", "uidvalidity", "uid"])
        .returning(MailMessage.id)
    ).first()
    row = session.exec(
        select(MailMessage).where(MailMessage.account == key.account, MailMessage.folder == key.folder,
                                  MailMessage.uidvalidity == key.uidvalidity, MailMessage.uid == key.uid)
        .execution_options(populate_existing=True)
    ).one()
    return row, inserted is not None


def reclaim_message(session: Session, row_id: int, seen_claimed_at: datetime, *, now: datetime | None = None) -> bool:
    """Move a claim's ``claimed_at`` to ``now`` if it is still ``seen_claimed_at``; return whether it was.

    A poller calls it to take over a claim left by a crash, and to renew
    its own claim while it handles the message. Of two pollers that saw the
    same ``claimed_at``, only the first to update wins.
    """
    result = session.exec(
        update(MailMessage)
        .where(col(MailMessage.id) == row_id, col(MailMessage.status) == "claimed",
               col(MailMessage.claimed_at) == seen_claimed_at)
        .values(claimed_at=now or utc_now())
    )
    return result.rowcount == 1


def finish_message(session: Session, row_id: int, status: str, *, error: str = "",
                   reply_message_id: str | None = None) -> None:
    """Record how handling a message ended."""
    session.exec(
        update(MailMessage).where(col(MailMessage.id) == row_id)
        .values(status=status, error=error, reply_message_id=reply_message_id, finished_at=utc_now())
    )
    log.info("mail message %s: %s%s", row_id, status, f" ({error})" if error else "")


def record_move(session: Session, row_id: int, folder: str) -> None:
    session.exec(update(MailMessage).where(col(MailMessage.id) == row_id).values(moved_to=folder))
