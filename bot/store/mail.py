"""Reads and writes of messages read from the IMAP mailbox.

Like the repository, every function works in the caller's session and
never commits. A claim is one INSERT ... ON CONFLICT, so of two pollers that fetch the
same message only one claims it. The other leaves it alone while the
claim is fresh (see ``bot.mail.intake.CLAIM_LEASE``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

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


def reclaim_message(session: Session, row_id: int) -> None:
    """Renew a claim left by a crash, so that another poller leaves the message alone meanwhile."""
    session.exec(update(MailMessage).where(col(MailMessage.id) == row_id).values(claimed_at=utc_now()))


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
