"""The audit log: an append-only chain of events, each hashed together with its predecessor.

An event's ``hash`` is the SHA-256 (hex) of its ``prev_hash`` followed by
the canonical JSON (sorted keys, no spaces, UTF-8) of ``at``, ``actor``,
``action``, ``subject_type``, ``subject_id``, ``data`` and
``model_version``. The first event's ``prev_hash`` is 64 zeros.

The hash has no key, so the chain alone detects only edits that leave the
later hashes as they were: a changed, inserted or removed event whose
successors were not rewritten. Anyone who can write the database can change
an event and recompute every later hash, remove the newest events, or
remove recent events and add an anchor with a matching ``audit_pruned``
event, and the chain still verifies. Those edits are detected only by
comparing an event's hash with a copy taken earlier and kept outside the
database: every monthly report carries the newest one, and
``allocbot audit verify --expect`` compares a copy with the log.

``prune_audit`` deletes the events older than the retention period from
the front of the chain. It stores an ``AuditAnchor`` with the id and hash
of the newest deleted event and appends an ``audit_pruned`` event that
records the same values. The chain then starts at the newest anchor, and
an anchor that no ``audit_pruned`` event records counts as forged.
NOTE: verify cannot check that the deleted events were older than the
retention cutoff, because their times are gone and the ``audit_pruned``
event that records the cutoff is as writable as the rest.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from bot.records import BOT_ACTOR
from bot.store.models import AuditAnchor, AuditEvent, utc_now

log = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
PRUNED_ACTION = "audit_pruned"

# Norwegian fiscal years are calendar years in Norwegian time.
FISCAL_TIMEZONE = ZoneInfo("Europe/Oslo")

# Key of the PostgreSQL advisory lock that lets one transaction at a time
# append. Any constant will do as long as no other code locks the same key.
_CHAIN_LOCK_KEY = 0x616C6C6F63626F74  # "allocbot" in ASCII

# The append-only triggers of migration 0001 that reject deletes.
_POSTGRESQL_GUARD = "audit_event_append_only"
_SQLITE_DELETE_GUARD = "audit_event_no_delete"


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
    (event,) = audit_each(session, actor=actor, action=action, subject_type=subject_type,
                          entries=[(subject_id, data)], model_version=model_version)
    return event


def audit_each(
    session: Session,
    *,
    actor: str,
    action: str,
    subject_type: str,
    entries: Sequence[tuple[str | int, dict[str, Any]]],
    model_version: str | None = None,
) -> list[AuditEvent]:
    """Append one event per ``(subject_id, data)`` entry, in order, with one read of the chain's end.

    For the many items of one order report, which one ``audit`` call each
    would append with a query per item.
    """
    _lock_chain(session)
    prev_hash = _chain_end(session)

    events = []
    for subject_id, data in entries:
        event = AuditEvent(
            at=utc_now(),
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=str(subject_id),
            # Store the canonical form, so that the stored data hashes exactly as written.
            data=json.loads(canonical_json(data)),
            model_version=model_version,
            prev_hash=prev_hash,
            hash="",
        )
        event.hash = event_hash(event)
        prev_hash = event.hash
        events.append(event)
    session.add_all(events)
    session.flush()

    for event in events:
        log.debug("Audit event %s: %s %s %s by %s", event.id, action, subject_type, event.subject_id, actor)
    return events


# --- verification ----------------------------------------------------------------


@dataclass(frozen=True)
class ChainProblem:
    """The first place where the chain does not verify.

    ``kind`` is "changed" (the event's hash does not match its content),
    "unlinked" (its ``prev_hash`` is not the hash of ``previous_id``, or of
    the chain's start when that is None), "anchor_unlinked" (the oldest
    event does not follow the newest anchor) or "anchor_unrecorded" (no
    ``audit_pruned`` event records the newest anchor). ``event`` is None
    only for "anchor_unrecorded".
    """

    kind: str
    event: AuditEvent | None
    previous_id: int | None = None
    anchor: AuditAnchor | None = None

    def __str__(self) -> str:
        """Describe the problem in English, for logs."""
        if self.kind == "anchor_unrecorded":
            return (f"audit anchor {self.anchor.id} (through event {self.anchor.through_id}) is recorded by no "
                    f"{PRUNED_ACTION} event, so it was forged or changed")
        where = f"audit event {self.event.id}"
        if self.kind == "changed":
            return f"{where}: hash does not match the stored content, so the event was changed"
        if self.kind == "anchor_unlinked":
            return (f"{where}: prev_hash does not match the hash of audit event {self.anchor.through_id}, the "
                    "newest deleted one, so an event after it was removed, inserted or changed with its hash")
        before = f"audit event {self.previous_id}" if self.previous_id is not None else "the start of the chain"
        return (f"{where}: prev_hash does not match the hash of {before}, "
                "so an event before it was removed, inserted or changed together with its hash")


@dataclass(frozen=True)
class ChainStatus:
    """The result of a full check: the events checked, the newest one, and every problem, the root cause first."""

    count: int
    newest: AuditEvent | None
    problems: list[ChainProblem]


def check_audit_chain(session: Session) -> ChainStatus:
    """Recompute every event's hash and link from the newest anchor (or the start) on, and check that anchor.

    Events are read in id order. An event with an id at or below the
    anchor's ``through_id`` is still checked, so an event inserted into
    the deleted range breaks the chain too.
    """
    anchor = newest_anchor(session)
    problems: list[ChainProblem] = []
    expected_prev_hash = anchor.through_hash if anchor is not None else GENESIS_HASH
    previous: AuditEvent | None = None
    anchor_recorded = False
    count = 0

    # populate_existing reads the stored values, also for events already loaded in this session.
    statement = select(AuditEvent).order_by(col(AuditEvent.id)).execution_options(populate_existing=True, yield_per=1000)
    for event in session.exec(statement):
        count += 1
        if event.prev_hash != expected_prev_hash:
            kind = "anchor_unlinked" if previous is None and anchor is not None else "unlinked"
            problems.append(ChainProblem(kind, event, previous.id if previous else None, anchor))
        if event_hash(event) != event.hash:
            problems.append(ChainProblem("changed", event))
        if anchor is not None and _records(event, anchor):
            anchor_recorded = True

        expected_prev_hash = event.hash
        previous = event

    if anchor is not None and not anchor_recorded:
        # First, because a forged anchor is the cause of the link problem it makes at the oldest event.
        problems.insert(0, ChainProblem("anchor_unrecorded", None, anchor=anchor))
    if problems:
        log.error("Audit chain is broken: %d problem(s), the first: %s", len(problems), problems[0])
    return ChainStatus(count, previous, problems)


def verify_audit_chain(session: Session) -> list[ChainProblem]:
    """Check the whole chain and return its problems, the root cause first (empty when intact)."""
    return check_audit_chain(session).problems


def prune_event(session: Session, anchor: AuditAnchor) -> AuditEvent | None:
    """Return the ``audit_pruned`` event that records ``anchor``, or None when none does."""
    statement = select(AuditEvent).where(AuditEvent.action == PRUNED_ACTION, AuditEvent.subject_id == str(anchor.id))
    return next((event for event in session.exec(statement) if _records(event, anchor)), None)


def newest_anchor(session: Session) -> AuditAnchor | None:
    return session.exec(select(AuditAnchor).order_by(col(AuditAnchor.id).desc()).limit(1)).first()


def _records(event: AuditEvent, anchor: AuditAnchor) -> bool:
    """Return whether ``event`` is the ``audit_pruned`` event that recorded ``anchor``."""
    return (event.action == PRUNED_ACTION and event.id > anchor.through_id
            and event.data.get("anchor") == anchor.id
            and event.data.get("through_id") == anchor.through_id
            and event.data.get("through_hash") == anchor.through_hash
            and event.data.get("events_deleted") == anchor.events_deleted)


# --- retention ---------------------------------------------------------------------


class AuditChainBroken(Exception):
    """The chain does not verify, so no events are deleted; ``problem`` is the first problem."""

    def __init__(self, problem: ChainProblem) -> None:
        super().__init__(f"audit chain broken, so no events were deleted: {problem}")
        self.problem = problem


@dataclass(frozen=True)
class PrunePlan:
    """The events a prune deletes: ``count`` of them, through ``through`` (None when there are none)."""

    cutoff: datetime
    count: int
    through: AuditEvent | None


def retention_cutoff(now: datetime, retention_years: int) -> datetime:
    """Return the start of the oldest fiscal year still kept, in UTC.

    An event is kept until ``retention_years`` full fiscal years have
    passed after the end of the (calendar) fiscal year it was written in,
    so on 2026-01-01 with five years the events of 2020 and before go.
    """
    if retention_years < 1:
        raise ValueError(f"invalid audit retention of {retention_years} years: expected at least 1")
    local_year = now.astimezone(FISCAL_TIMEZONE).year
    return datetime(local_year - retention_years, 1, 1, tzinfo=FISCAL_TIMEZONE).astimezone(timezone.utc)


def plan_prune(session: Session, *, retention_years: int, now: datetime | None = None) -> PrunePlan:
    """Find the prefix of the chain, by id, whose events are all older than the retention period.

    The newest event always stays, even when it is old: SQLite gives a new
    row the highest remaining id plus one, so an emptied table would hand
    out ids at or below the anchor's ``through_id`` again.
    """
    cutoff = retention_cutoff(now or utc_now(), retention_years)
    first_kept = session.exec(
        select(AuditEvent.id).where(col(AuditEvent.at) >= cutoff).order_by(col(AuditEvent.id)).limit(1)
    ).first()
    if first_kept is None:
        first_kept = session.exec(select(func.max(AuditEvent.id))).one()
    if first_kept is None:
        return PrunePlan(cutoff, 0, None)

    through = session.exec(
        select(AuditEvent).where(col(AuditEvent.id) < first_kept).order_by(col(AuditEvent.id).desc()).limit(1)
    ).first()
    if through is None:
        return PrunePlan(cutoff, 0, None)

    count = session.exec(select(func.count()).select_from(AuditEvent).where(col(AuditEvent.id) <= through.id)).one()
    return PrunePlan(cutoff, count, through)


def prune_audit(session: Session, *, retention_years: int, now: datetime | None = None,
                actor: str = BOT_ACTOR) -> int:
    """Delete the events older than the retention period and return how many were deleted.

    Only a prefix of the chain is deleted: the first event within the
    retention period, by id, and every event after it stay. The whole
    chain is verified first, and AuditChainBroken is raised when it is
    broken, because deleting events could otherwise remove the evidence,
    for example of events whose time was moved back. The anchor and the
    ``audit_pruned`` event are written in the caller's transaction, so a
    failure leaves nothing deleted. On PostgreSQL the append-only trigger
    is disabled until the end of the transaction, which needs the table's
    owner (the role that ran the migrations).
    """
    # Checked before the lock, so that appends wait only for the deletion. An event
    # appended meanwhile is newer than the cutoff and stays.
    problems = verify_audit_chain(session)
    if problems:
        raise AuditChainBroken(problems[0])
    _lock_chain(session)
    plan = plan_prune(session, retention_years=retention_years, now=now)
    if plan.through is None:
        log.info("Audit retention: no events before %s to delete", plan.cutoff.isoformat())
        return 0

    # Written first, so that on SQLite the guard's DROP TRIGGER runs inside the transaction the INSERT opened.
    anchor = AuditAnchor(through_id=plan.through.id, through_hash=plan.through.hash, events_deleted=plan.count)
    session.add(anchor)
    session.flush()

    with _deletes_allowed(session):
        session.exec(delete(AuditEvent).where(col(AuditEvent.id) <= plan.through.id))
    audit(session, actor=actor, action=PRUNED_ACTION, subject_type="audit_log", subject_id=str(anchor.id),
          data={"anchor": anchor.id, "through_id": anchor.through_id, "through_hash": anchor.through_hash,
                "events_deleted": anchor.events_deleted, "cutoff": plan.cutoff,
                "retention_years": retention_years})

    log.info("Audit retention: deleted %d events through %s, written before %s; anchor %s",
             plan.count, plan.through.id, plan.cutoff.isoformat(), anchor.id)
    return plan.count


@contextmanager
def _deletes_allowed(session: Session) -> Iterator[None]:
    """Lift the append-only guard against deletes for the statements in the block, within the transaction.

    DDL is transactional on both databases, so an exception in the block
    rolls back the guard's removal together with the deletes.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # DISABLE TRIGGER takes a SHARE ROW EXCLUSIVE lock (PostgreSQL 9.5 and later), which waits for writers of
        # the table but not for readers. Writers append only under the chain lock, which the caller holds, so a
        # transaction that read audit_event and now waits for the chain lock, such as an erasure, cannot deadlock here.
        connection.exec_driver_sql(f"ALTER TABLE audit_event DISABLE TRIGGER {_POSTGRESQL_GUARD}")
        yield
        connection.exec_driver_sql(f"ALTER TABLE audit_event ENABLE TRIGGER {_POSTGRESQL_GUARD}")
        return

    # SQLite cannot disable a trigger, so it is dropped and created again from its stored definition.
    definition = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (_SQLITE_DELETE_GUARD,)
    ).scalar()
    if definition is None:
        raise RuntimeError(f"trigger {_SQLITE_DELETE_GUARD} not found: the audit_event table is not append-only")
    connection.exec_driver_sql(f"DROP TRIGGER {_SQLITE_DELETE_GUARD}")
    yield
    connection.exec_driver_sql(definition)


# --- hashing -------------------------------------------------------------------------


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


def _chain_end(session: Session) -> str:
    """Return the hash a new event links to: the newest event's, else the newest anchor's, else genesis."""
    newest_hash = session.exec(select(AuditEvent.hash).order_by(col(AuditEvent.id).desc()).limit(1)).first()
    if newest_hash is not None:
        return newest_hash
    anchor = newest_anchor(session)
    return anchor.through_hash if anchor is not None else GENESIS_HASH


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.exec(select(func.pg_advisory_xact_lock(_CHAIN_LOCK_KEY))).one()
