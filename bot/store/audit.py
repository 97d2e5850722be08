"""The audit log: an append-only chain of events, each hashed together with its predecessor.

An event's ``hash`` is the SHA-256 (hex) of its ``prev_hash`` followed by
the canonical JSON (sorted keys, no spaces, UTF-8) of ``at``, ``actor``,
``action``, ``subject_type``, ``subject_id``, ``data`` and
``model_version``. The first event's ``prev_hash`` is 64 zeros. Changing,
inserting or removing an event breaks the chain, with one exception: the
chain alone cannot show that its newest events were removed, so compare the
newest hash with a copy kept outside the database to detect that.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.store.models import AuditEvent, utc_now

log = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64

# Key of the PostgreSQL advisory lock that lets one transaction at a time
# append. Any constant will do as long as no other code locks the same key.
_CHAIN_LOCK_KEY = 0x616C6C6F63626F74  # "allocbot" in ASCII


def audit(
    session: Session,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    data: dict[str, Any],
    model_version: str | None = None,
) -> AuditEvent:
    """Append an event to the audit log and return it.

    ``data`` must be JSON-serializable, except that Decimal, date and
    datetime values are accepted and stored as strings. On PostgreSQL,
    writers wait for each other until commit. On SQLite, the unique
    ``prev_hash`` makes the later of two racing writers fail with an
    IntegrityError, so its whole transaction rolls back and can be retried.
    """
    _lock_chain(session)
    newest_hash = session.exec(select(AuditEvent.hash).order_by(col(AuditEvent.id).desc()).limit(1)).first()

    event = AuditEvent(
        at=utc_now(),
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        # Store the canonical form, so that the stored data hashes exactly as written.
        data=json.loads(canonical_json(data)),
        model_version=model_version,
        prev_hash=newest_hash or GENESIS_HASH,
        hash="",
    )
    event.hash = event_hash(event)
    session.add(event)
    session.flush()

    log.debug("Audit event %s: %s %s %s by %s", event.id, action, subject_type, subject_id, actor)
    return event


def verify_audit_chain(session: Session) -> list[str]:
    """Recompute every event's hash and link, and return one message per problem (empty when intact)."""
    problems: list[str] = []
    expected_prev_hash = GENESIS_HASH
    previous_id: int | None = None

    # populate_existing reads the stored values, also for events already loaded in this session.
    statement = select(AuditEvent).order_by(col(AuditEvent.id)).execution_options(populate_existing=True, yield_per=1000)
    for event in session.exec(statement):
        if event.prev_hash != expected_prev_hash:
            before = f"audit event {previous_id}" if previous_id is not None else "the start of the chain"
            problems.append(
                f"audit event {event.id}: prev_hash does not match the hash of {before}, "
                "so an event before it was removed, inserted or changed together with its hash"
            )
        if event_hash(event) != event.hash:
            problems.append(f"audit event {event.id}: hash does not match the stored content, so the event was changed")

        expected_prev_hash = event.hash
        previous_id = event.id

    if problems:
        log.error("Audit chain is broken: %d problem(s), the first: %s", len(problems), problems[0])
    return problems


def event_hash(event: AuditEvent) -> str:
    """Return the hex SHA-256 of the event's ``prev_hash`` and content."""
    digest = hashlib.sha256(event.prev_hash.encode("ascii"))
    digest.update(canonical_json(hashed_content(event)).encode("utf-8"))
    return digest.hexdigest()


def hashed_content(event: AuditEvent) -> dict[str, Any]:
    """Return the fields the event's hash covers, with ``at`` in the exact form that is hashed."""
    return {
        "at": event.at.astimezone(timezone.utc).isoformat(timespec="microseconds"),
        "actor": event.actor,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "data": event.data,
        "model_version": event.model_version,
    }


def canonical_json(value: Any) -> str:
    """Serialize ``value`` the same way every time: sorted keys, no spaces, no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_to_json)


def _to_json(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"audit data value {value!r} of type {type(value).__name__} is not JSON-serializable")


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.exec(select(func.pg_advisory_xact_lock(_CHAIN_LOCK_KEY))).one()
