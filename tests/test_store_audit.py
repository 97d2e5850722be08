"""The audit log's hash chain and its append-only guard, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from bot.store.audit import GENESIS_HASH
from bot.store.models import AuditEvent
from bot.store.repository import audit, verify_audit_chain


def _write_events(store) -> list[AuditEvent]:
    """Write four events: three in one transaction, one in the next, as the pipeline would."""
    with store.session() as session:
        audit(
            session, actor="allocbot", action="document.received", subject_type="document", subject_id="1",
            data={"filename": "kort-2026-03.csv", "sender": "regnskap@example.no"},
        )
        audit(
            session, actor="allocbot", action="item.suggested", subject_type="item", subject_id="7",
            data={"top": "400/-/6551/1", "confidence": 0.81}, model_version="model-7",
        )
        audit(
            session, actor="ola.hansen@example.no", action="item.decided", subject_type="item", subject_id="7",
            data={"lines": [{"label": "400/-/6551/1", "amount": Decimal("698.00")}], "order_date": date(2026, 3, 3)},
        )
    with store.session() as session:
        audit(
            session, actor="allocbot", action="allocation.posted", subject_type="allocation", subject_id="3",
            data={"voucher": "V-1001", "connector": "file"},
        )
    with store.session() as session:
        return list(session.exec(select(AuditEvent).order_by(AuditEvent.id)))


def _tamper(store, statement: str, **params) -> None:
    """Change the log behind the application's back, as someone with database access could."""
    with store.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Replica mode skips ordinary triggers, among them the append-only guard.
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            connection.execute(text("DROP TRIGGER audit_event_no_update"))
            connection.execute(text("DROP TRIGGER audit_event_no_delete"))
        connection.execute(text(statement), params)


def _problems(store) -> list[str]:
    with store.session() as session:
        return [str(problem) for problem in verify_audit_chain(session)]


def test_audit_chain_verifies(store):
    events = _write_events(store)

    assert _problems(store) == []
    assert events[0].prev_hash == GENESIS_HASH
    for previous, event in zip(events, events[1:]):
        assert event.prev_hash == previous.hash
    assert events[1].model_version == "model-7"
    assert events[2].data == {"lines": [{"label": "400/-/6551/1", "amount": "698.00"}], "order_date": "2026-03-03"}
    assert all(event.at.utcoffset().total_seconds() == 0 for event in events)


def test_audit_detects_changed_event(store):
    events = _write_events(store)

    _tamper(store, "UPDATE audit_event SET data = :data WHERE id = :id",
            data=json.dumps({"top": "600/P-1042/6551/1", "confidence": 0.81}), id=events[1].id)

    assert _problems(store) == [
        f"audit event {events[1].id}: hash does not match the stored content, so the event was changed"
    ]


def test_audit_detects_changed_event_with_recomputed_hash(store):
    events = _write_events(store)

    _tamper(store, "UPDATE audit_event SET actor = 'kari', hash = :forged WHERE id = :id", forged="f" * 64, id=events[2].id)

    problems = _problems(store)
    assert len(problems) == 2
    assert problems[0].startswith(f"audit event {events[2].id}: hash does not match")
    assert problems[1].startswith(f"audit event {events[3].id}: prev_hash does not match the hash of audit event {events[2].id}")


def test_audit_detects_removed_event(store):
    events = _write_events(store)

    _tamper(store, "DELETE FROM audit_event WHERE id = :id", id=events[1].id)

    assert _problems(store) == [
        f"audit event {events[2].id}: prev_hash does not match the hash of audit event {events[0].id}, "
        "so an event before it was removed, inserted or changed together with its hash"
    ]


def test_audit_log_rejects_update_and_delete(store):
    events = _write_events(store)

    with pytest.raises(DBAPIError, match="append-only"):
        with store.engine.begin() as connection:
            connection.execute(text("UPDATE audit_event SET actor = 'kari' WHERE id = :id"), {"id": events[0].id})
    with pytest.raises(DBAPIError, match="append-only"):
        with store.engine.begin() as connection:
            connection.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": events[0].id})
    if store.engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"):
            with store.engine.begin() as connection:
                connection.execute(text("TRUNCATE audit_event"))

    assert _problems(store) == []


def test_audit_rejects_data_that_is_not_json(store):
    with store.session() as session:
        with pytest.raises(TypeError, match="not JSON-serializable"):
            audit(session, actor="allocbot", action="x", subject_type="item", subject_id="1", data={"value": object()})
        with pytest.raises(ValueError):
            audit(session, actor="allocbot", action="x", subject_type="item", subject_id="1", data={"value": float("nan")})
