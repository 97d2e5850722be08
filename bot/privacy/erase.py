"""Pseudonymise a former employee in the store wherever bookkeeping does not need the name.

The person's email address and full name are replaced by one pseudonym,
such as ``slettet-1a2b3c4d``, so rows that named the same person still
belong together. The pseudonym comes from a random value, not from the
address, so it cannot be traced back. It is recorded in a ``person_erased``
audit event with the counts, never with the address.

Open questions asked of the person, or escalated to them, go to the
controllers: their Slack messages are in the person's direct messages, so
they are marked unsent and asked of the controllers, and the delivery job
posts them again in the controller channel, where reminders and
escalation follow them.

What the Bookkeeping Act (bokføringsloven) requires as posting
documentation is kept for its five years: vouchers as sent to the ERP,
the approver of approved allocations, and the text of the purchases (item
titles, card statement lines, received file names). Audit events are kept
because each event's hash covers its content, so editing one breaks the
chain. They go when the audit retention deletes them.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, or_, update
from sqlmodel import Session, col, select

from bot.policy import CONTROLLERS
from bot.store.audit import audit
from bot.store.models import (
    AllocationRow,
    AmazonItem,
    AmazonOrder,
    AuditEvent,
    CardTransaction,
    Document,
    EmployeeRow,
    MailMessage,
    ProjectRow,
    Question,
    SlackUser,
    StoreModel,
    SuggestionRow,
    VoucherRow,
)

log = logging.getLogger(__name__)

PSEUDONYM_PREFIX = "slettet-"

# Columns that hold exactly one person's email address, as "table.column".
# Allocations that are approved keep their approver (see KEPT).
_EMAIL_COLUMNS: tuple[tuple[type[StoreModel], str], ...] = (
    (AmazonItem, "requester_email"),
    (AmazonOrder, "requester_email"),
    (Question, "asked_email"),
    (Question, "answered_by"),
    (Question, "escalated_to"),
    (ProjectRow, "lead"),
    (EmployeeRow, "manager"),
)

# Free text and JSON columns in which the address or the full name is replaced where it occurs.
_TEXT_COLUMNS: tuple[tuple[type[StoreModel], str], ...] = (
    (AmazonItem, "shipping_address"),
    (AmazonItem, "custom_fields"),
    (SuggestionRow, "reasons"),
    (Question, "note"),
    (Document, "sender"),
    (MailMessage, "sender"),
    (MailMessage, "subject"),
    (MailMessage, "error"),
    (VoucherRow, "error"),
    (VoucherRow, "note"),
)

# Rows locked per SELECT ... FOR UPDATE, well below SQLite's limit of bound parameters.
_LOCK_BATCH = 500

# The kinds of kept data. ``bot.privacy.commands`` prints the reason for each.
KEPT = ("vouchers", "approvals", "purchase_text", "audit_events")


@dataclass(frozen=True)
class Person:
    """The person to erase: the address, the names to replace, and the pseudonym that replaces both."""

    email: str
    names: tuple[str, ...]
    pseudonym: str

    def pattern(self) -> re.Pattern[str]:
        """Return a pattern matching the address or a full name as whole words, ignoring case."""
        texts = sorted({self.email, *self.names}, key=len, reverse=True)
        alternatives = "|".join(r"\s+".join(map(re.escape, text.split())) for text in texts)
        return re.compile(rf"(?<![\w.@-])(?:{alternatives})(?![\w@-])", re.IGNORECASE)


@dataclass
class Erasure:
    """The result of an erasure: rows changed per "table.column", and rows kept per ``KEPT`` key."""

    pseudonym: str
    changed: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    # Ids of the open questions now asked of the controllers instead of the person.
    handed_to_controllers: list[int] = field(default_factory=list)

    @property
    def changed_rows(self) -> int:
        return sum(self.changed.values())

    @property
    def found(self) -> bool:
        """Return whether the store contained the person anywhere, changed, handed over or kept."""
        return self.changed_rows > 0 or bool(self.handed_to_controllers) or any(self.kept.values())


def new_pseudonym() -> str:
    """Return a fresh pseudonym such as ``slettet-1a2b3c4d``, random so it cannot be traced to the person."""
    return PSEUDONYM_PREFIX + secrets.token_hex(4)


def person_names(session: Session, email: str, master_names: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Return the full names the store and the master data give ``email``: employee row and Slack cache."""
    names = set(master_names)
    employee = session.exec(select(EmployeeRow.name).where(func.lower(EmployeeRow.email) == email)).first()
    slack_name = session.exec(select(SlackUser.name).where(func.lower(SlackUser.email) == email)).first()
    names.update(name for name in (employee, slack_name) if name)
    # A single word such as a Slack display name "ola" would replace ordinary words in free text.
    return tuple(sorted(name.strip() for name in names if len(name.split()) > 1))


def erase_person(session: Session, person: Person, *, actor: str) -> Erasure:
    """Pseudonymise ``person`` in the session's store and count what is kept; the caller commits or rolls back.

    An audit event ``person_erased`` records the pseudonym, the counts and
    the ids of the questions handed to the controllers when anything
    changed. A second run for the same address changes nothing and writes
    no event.
    """
    erasure = Erasure(person.pseudonym)
    pattern = person.pattern()

    _count_kept(session, person, pattern, erasure)

    # Before the address columns are pseudonymised, because it finds the questions by the address.
    erasure.handed_to_controllers = _hand_questions_to_controllers(session, person)
    for model, name in _EMAIL_COLUMNS:
        _count(erasure, model, name, _replace_email(session, model, name, person))
    _count(erasure, AllocationRow, "decided_by", _replace_unapproved_decider(session, person))
    for model, name in _TEXT_COLUMNS:
        _count(erasure, model, name, _replace_in_text(session, model, name, pattern, person.pseudonym))
    _count(erasure, EmployeeRow, "email", _pseudonymise_employee(session, person))
    _count(erasure, SlackUser, "email", _delete_slack_user(session, person))

    if erasure.changed_rows or erasure.handed_to_controllers:
        audit(session, actor=actor, action="person_erased", subject_type="person", subject_id=person.pseudonym,
              data={"pseudonym": person.pseudonym, "changed": erasure.changed, "kept": erasure.kept,
                    "questions_to_controllers": erasure.handed_to_controllers})
    log.info("erasure %s: %d rows changed, questions %s handed to the controllers, kept %s", person.pseudonym,
             erasure.changed_rows, erasure.handed_to_controllers, erasure.kept)
    return erasure


def _hand_questions_to_controllers(session: Session, person: Person) -> list[int]:
    """Ask the controllers the open questions asked of the person or escalated to them; return their ids.

    The Slack columns are cleared, so the delivery job posts each question
    in the controller channel as if it were new. From then on only the
    controllers may act on it (``bot.handlers.access``), also through the
    buttons of the old messages, which are no longer updated.
    """
    addressed = or_(func.lower(Question.asked_email) == person.email, func.lower(Question.escalated_to) == person.email)
    question_ids = list(session.exec(
        select(Question.id).where(Question.status == "open", addressed).order_by(col(Question.id)).with_for_update()
    ).all())
    if question_ids:
        statement = (update(Question)
                     .where(col(Question.id).in_(question_ids))
                     .values(asked_email=CONTROLLERS, delivery_key=None, slack_channel=None, slack_ts=None,
                             sent_at=None, reminded_at=None, escalated_at=None, escalated_to=None,
                             escalation_channel=None, escalation_ts=None))
        session.exec(statement.execution_options(synchronize_session=False))
    return question_ids


def _count(erasure: Erasure, model: type[StoreModel], column: str, rows: int) -> None:
    if rows:
        key = f"{model.__tablename__}.{column}"
        erasure.changed[key] = erasure.changed.get(key, 0) + rows


def _replace_email(session: Session, model: type[StoreModel], name: str, person: Person) -> int:
    column = getattr(model, name)
    statement = update(model).where(func.lower(column) == person.email).values({name: person.pseudonym})
    return session.exec(statement.execution_options(synchronize_session=False)).rowcount


def _replace_unapproved_decider(session: Session, person: Person) -> int:
    """Pseudonymise the decider of allocations that are not approved; an approval documents a posting."""
    statement = (update(AllocationRow)
                 .where(func.lower(AllocationRow.decided_by) == person.email, AllocationRow.status != "approved")
                 .values(decided_by=person.pseudonym))
    return session.exec(statement.execution_options(synchronize_session=False)).rowcount


def _replace_in_text(session: Session, model: type[StoreModel], name: str, pattern: re.Pattern[str],
                     pseudonym: str) -> int:
    """Replace the address and names in one text or JSON column and return the rows changed.

    Rows are compared in Python, because SQLite's LOWER and LIKE fold only
    ASCII letters and the JSON columns store other letters escaped. The
    rows that match are then locked and read again (SELECT ... FOR UPDATE
    on PostgreSQL; SQLite lets one writer at a time), so a change another
    transaction committed after the scan is kept, not overwritten.
    """
    column = getattr(model, name)
    matching = [row_id for row_id, value in _scan(session, model, column)
                if _replace_value(value, pattern, pseudonym) != value]

    changed = 0
    for start in range(0, len(matching), _LOCK_BATCH):
        batch = matching[start:start + _LOCK_BATCH]
        locked = session.exec(select(model.id, column).where(col(model.id).in_(batch)).with_for_update()).all()
        for row_id, value in locked:
            replaced = _replace_value(value, pattern, pseudonym)
            if replaced == value:
                continue
            statement = update(model).where(model.id == row_id).values({name: replaced})
            session.exec(statement.execution_options(synchronize_session=False))
            changed += 1
    return changed


def _scan(session: Session, model: type[StoreModel], column: Any) -> Iterator[tuple[int, Any]]:
    statement = select(model.id, column).where(column.is_not(None)).execution_options(yield_per=1000)
    yield from session.exec(statement)


def _replace_value(value: Any, pattern: re.Pattern[str], pseudonym: str) -> Any:
    """Return ``value`` with every match replaced, in strings and in the strings of JSON lists and dicts."""
    if isinstance(value, str):
        return pattern.sub(pseudonym, value)
    if isinstance(value, list):
        return [_replace_value(entry, pattern, pseudonym) for entry in value]
    if isinstance(value, dict):
        return {key: _replace_value(entry, pattern, pseudonym) for key, entry in value.items()}
    return value


def _pseudonymise_employee(session: Session, person: Person) -> int:
    """Replace the store's employee row of the person by an inactive one under the pseudonym.

    The next ``allocbot masterdata sync`` brings the person back while the
    master data file still lists them.
    """
    statement = (update(EmployeeRow).where(func.lower(EmployeeRow.email) == person.email)
                 .values(email=person.pseudonym, name=person.pseudonym, active=False))
    return session.exec(statement.execution_options(synchronize_session=False)).rowcount


def _delete_slack_user(session: Session, person: Person) -> int:
    """Delete the cached Slack lookup, which contains the address and the display name and is only a cache."""
    statement = delete(SlackUser).where(func.lower(SlackUser.email) == person.email)
    return session.exec(statement.execution_options(synchronize_session=False)).rowcount


def _count_kept(session: Session, person: Person, pattern: re.Pattern[str], erasure: Erasure) -> None:
    erasure.kept["vouchers"] = sum(
        1 for _, payload in _scan(session, VoucherRow, VoucherRow.payload)
        if pattern.search(json.dumps(payload, ensure_ascii=False)))
    erasure.kept["approvals"] = session.exec(
        select(func.count()).select_from(AllocationRow)
        .where(func.lower(AllocationRow.decided_by) == person.email, AllocationRow.status == "approved")).one()
    erasure.kept["purchase_text"] = sum(
        1 for model, column in ((AmazonItem, AmazonItem.title), (CardTransaction, CardTransaction.description),
                                (Document, Document.filename))
        for _, text in _scan(session, model, column) if pattern.search(text))
    # Read in Python, because events written before names were left out of their data may hold a full name,
    # which the database's JSON text may spell with escapes.
    events = select(AuditEvent.actor, AuditEvent.subject_id, AuditEvent.data).execution_options(yield_per=1000)
    erasure.kept["audit_events"] = sum(
        1 for actor, subject_id, data in session.exec(events)
        if pattern.search(actor) or pattern.search(subject_id) or pattern.search(json.dumps(data, ensure_ascii=False)))
