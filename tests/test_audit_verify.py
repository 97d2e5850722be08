"""allocbot audit verify and audit prune through the command line, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from bot.store.audit import GENESIS_HASH, AuditChainBroken, audit, event_hash, prune_audit, retention_cutoff
from bot.store.models import AuditAnchor, AuditEvent
from cli_helpers import run_cli

# Two events from 2019, one from 2021 and one from 2026: with five years kept, on
# 2026-12-05 the events written before 2021-01-01 (Norwegian time) go.
TIMES = [datetime(2019, 3, 1, 9, 0, tzinfo=timezone.utc), datetime(2019, 12, 31, 22, 30, tzinfo=timezone.utc),
         datetime(2021, 6, 1, 9, 0, tzinfo=timezone.utc), datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)]
NOW = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)


def config(store, tmp_path, language="en"):
    path = tmp_path / f"config-{language}.toml"
    url = store.engine.url.render_as_string(hide_password=False)
    path.write_text(f'language = "{language}"\n[store]\nurl = "{url}"\n', encoding="utf-8")
    return str(path)


def write_events(store, times=None) -> list[AuditEvent]:
    """Write one event per time in ``times`` (now when None), each with its time set before it is hashed."""
    events = []
    with store.session() as session:
        for number, at in enumerate(times or [None] * 4, start=1):
            event = audit(session, actor="allocbot", action="suggested", subject_type="item", subject_id=str(number),
                          data={"suggestions": [{"allocation": "400/-/6551/1", "confidence": 0.9}]},
                          model_version="model-1")
            if at is not None:
                _rehash(session, event, at)
            events.append(event)
    return events


def _rehash(session, event: AuditEvent, at: datetime) -> None:
    """Give a just-written event an older time, as if written then, with its hash and its successor's link."""
    with _guard_lifted(session.connection()):
        event.at = at
        event.hash = event_hash(event)
        session.flush()


class _guard_lifted:
    """Let UPDATE and DELETE through the append-only triggers, as someone with database access could."""

    def __init__(self, connection):
        self.connection = connection

    def __enter__(self):
        if self.connection.dialect.name == "postgresql":
            self.connection.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            self.definitions = self.connection.execute(text(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_event'")).scalars().all()
            self.connection.execute(text("DROP TRIGGER audit_event_no_update"))
            self.connection.execute(text("DROP TRIGGER audit_event_no_delete"))

    def __exit__(self, *exc):
        if self.connection.dialect.name == "postgresql":
            self.connection.execute(text("SET LOCAL session_replication_role = origin"))
        else:
            for definition in self.definitions:
                self.connection.execute(text(definition))


def tamper(store, statement: str, **params) -> None:
    with store.engine.begin() as connection, _guard_lifted(connection):
        connection.execute(text(statement), params)


def test_verify_intact_prints_count_and_newest_hash(store, tmp_path):
    events = write_events(store)

    status, out, err = run_cli(["--config", config(store, tmp_path), "audit", "verify"])

    assert status == 0, err
    assert out == (f"Audit log intact: 4 events checked; the newest is event {events[-1].id} "
                   f"with hash {events[-1].hash}.\n")


def test_verify_empty_log(store, tmp_path):
    status, out, _ = run_cli(["--config", config(store, tmp_path, "nb"), "audit", "verify"])

    assert status == 0
    assert out == "Revisjonsloggen er intakt: ingen hendelser ennå.\n"


def test_verify_names_changed_event(store, tmp_path):
    events = write_events(store)
    tamper(store, "UPDATE audit_event SET data = :data WHERE id = :id",
           data=json.dumps({"suggestions": [{"allocation": "600/P-1042/6551/1", "confidence": 0.9}]}),
           id=events[1].id)

    status, out, _ = run_cli(["--config", config(store, tmp_path), "audit", "verify"])

    assert status == 1
    assert out.count("\n") == 1
    assert out.startswith(f"Audit log damaged at event {events[1].id} (2026-")
    assert ", suggested, item 2): its content does not match its hash, so it was changed after it was written.\n" \
        in out


def test_verify_names_event_after_deleted_one(store, tmp_path):
    events = write_events(store)
    tamper(store, "DELETE FROM audit_event WHERE id = :id", id=events[1].id)

    status, out, _ = run_cli(["--config", config(store, tmp_path, "nb"), "audit", "verify"])

    assert status == 1
    assert out.startswith(f"Revisjonsloggen er skadet ved hendelse {events[2].id} (")
    assert out.endswith(f"suggested, item 3): den følger ikke etter hendelse {events[0].id}: en hendelse mellom dem "
                        "ble slettet, eller denne hendelsen ble satt inn eller endret sammen med hashen.\n")


def test_verify_names_inserted_event(store, tmp_path):
    events = write_events(store)
    forged = AuditEvent(id=events[1].id + 1, at=datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc), actor="mallory",
                        action="approved", subject_type="item", subject_id="2",
                        data={"lines": [{"allocation": "600/P-1042/6551/1", "amount_nok": "99.00"}]},
                        model_version=None, prev_hash="1" * 64, hash="")
    forged.hash = event_hash(forged)
    # The later events move up one id to make room, which the hashes do not cover.
    tamper(store, "UPDATE audit_event SET id = id + 100 WHERE id > :id", id=events[1].id)
    tamper(store, "INSERT INTO audit_event (id, at, actor, action, subject_type, subject_id, data, model_version, "
                  "prev_hash, hash) VALUES (:id, :at, :actor, :action, :subject_type, :subject_id, :data, NULL, "
                  ":prev_hash, :hash)",
           id=forged.id, at=forged.at, actor=forged.actor, action=forged.action, subject_type=forged.subject_type,
           subject_id=forged.subject_id, data=json.dumps(forged.data), prev_hash=forged.prev_hash, hash=forged.hash)

    status, out, _ = run_cli(["--config", config(store, tmp_path), "audit", "verify"])

    assert status == 1
    assert out == (f"Audit log damaged at event {forged.id} (2026-12-01 13:00, approved, item 2): it does not "
                   f"follow event {events[1].id}: an event between them was deleted, or this event was inserted or "
                   "changed together with its hash.\n")


def test_verify_names_forged_first_event(store, tmp_path):
    events = write_events(store)
    tamper(store, "DELETE FROM audit_event WHERE id = :id", id=events[0].id)

    status, out, _ = run_cli(["--config", config(store, tmp_path), "audit", "verify"])

    assert status == 1
    assert f"at event {events[1].id} (" in out
    assert out.endswith("it does not follow the start of the log: events before it were deleted, or this event "
                        "was inserted.\n")


def test_prune_deletes_events_before_retention(store, tmp_path):
    events = write_events(store, TIMES)

    with store.session() as session:
        deleted = prune_audit(session, retention_years=5, now=NOW)

    assert deleted == 2
    with store.session() as session:
        kept = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
        (anchor,) = session.exec(select(AuditAnchor)).all()
    assert [event.id for event in kept[:2]] == [events[2].id, events[3].id]
    assert anchor.through_id == events[1].id
    assert anchor.through_hash == events[1].hash
    assert anchor.events_deleted == 2
    pruned = kept[-1]
    assert pruned.action == "audit_pruned"
    assert pruned.data == {"anchor": anchor.id, "through_id": events[1].id, "through_hash": events[1].hash,
                           "events_deleted": 2, "cutoff": "2020-12-31T23:00:00+00:00", "retention_years": 5}
    assert pruned.prev_hash == events[3].hash
    status, out, _ = run_cli(["--config", config(store, tmp_path), "audit", "verify"])
    assert status == 0, out
    assert out.startswith("Audit log intact: 3 events checked;")
    assert f"Events through {events[1].id} were deleted after the retention period." in out


def test_prune_keeps_log_append_only(store, tmp_path):
    write_events(store, TIMES)

    with store.session() as session:
        prune_audit(session, retention_years=5, now=NOW)

    with pytest.raises(DBAPIError, match="append-only"):
        with store.engine.begin() as connection:
            connection.execute(text("DELETE FROM audit_event"))
    with store.session() as session:
        assert len(session.exec(select(AuditEvent)).all()) == 3


def test_prune_twice_and_all_events(store, tmp_path):
    write_events(store, TIMES)
    with store.session() as session:
        assert prune_audit(session, retention_years=5, now=NOW) == 2
    with store.session() as session:
        assert prune_audit(session, retention_years=5, now=NOW) == 0

    # Ten years on, every event is old, and all but the newest, the first prune's event, go.
    later = datetime(2036, 12, 5, tzinfo=timezone.utc)
    with store.session() as session:
        assert prune_audit(session, retention_years=5, now=later) == 2
    with store.session() as session:
        audit(session, actor="allocbot", action="suggested", subject_type="item", subject_id="9", data={})

    status, out, _ = run_cli(["--config", config(store, tmp_path), "audit", "verify"])
    assert status == 0, out
    assert out.startswith("Audit log intact: 3 events checked;")


def test_prune_refuses_broken_chain(store, tmp_path):
    events = write_events(store, TIMES)
    tamper(store, "UPDATE audit_event SET actor = 'mallory' WHERE id = :id", id=events[3].id)

    with store.session() as session, pytest.raises(AuditChainBroken, match=f"audit event {events[3].id}"):
        prune_audit(session, retention_years=5, now=NOW)

    with store.session() as session:
        assert len(session.exec(select(AuditEvent)).all()) == 4
        assert session.exec(select(AuditAnchor)).all() == []


def test_verify_detects_changed_anchor(store, tmp_path):
    write_events(store, TIMES)
    with store.session() as session:
        prune_audit(session, retention_years=5, now=NOW)
    tamper(store, "UPDATE audit_anchor SET through_hash = :forged", forged="f" * 64)

    status, out, _ = run_cli(["--config", config(store, tmp_path), "audit", "verify"])

    assert status == 1
    with store.session() as session:
        anchor = session.exec(select(AuditAnchor)).one()
    assert out == (f"Audit log damaged: anchor {anchor.id}, which says events through {anchor.through_id} were "
                   "deleted, is recorded by no audit_pruned event, so it was forged or changed.\n")


def test_verify_detects_forged_anchor(store, tmp_path):
    """Deleting old events and adding an anchor that matches them is detected, because no prune recorded it."""
    events = write_events(store, TIMES)
    tamper(store, "DELETE FROM audit_event WHERE id <= :id", id=events[1].id)
    tamper(store, "INSERT INTO audit_anchor (through_id, through_hash, events_deleted, created_at) "
                  "VALUES (:id, :hash, 2, :at)", id=events[1].id, hash=events[1].hash, at=NOW)

    status, out, _ = run_cli(["--config", config(store, tmp_path), "audit", "verify"])

    assert status == 1
    assert "is recorded by no audit_pruned event, so it was forged or changed." in out


def test_verify_detects_deleted_anchor(store, tmp_path):
    events = write_events(store, TIMES)
    with store.session() as session:
        prune_audit(session, retention_years=5, now=NOW)
    tamper(store, "DELETE FROM audit_anchor")

    status, out, _ = run_cli(["--config", config(store, tmp_path), "audit", "verify"])

    assert status == 1
    assert out.startswith(f"Audit log damaged at event {events[2].id} (")
    assert "it does not follow the start of the log" in out


def test_prune_command_dry_run_then_prune(store, tmp_path, monkeypatch):
    events = write_events(store, [*TIMES[:3], None])
    monkeypatch.setenv("USER", "kari")

    status, dry, _ = run_cli(["--config", config(store, tmp_path), "audit", "prune", "--dry-run"])

    assert status == 0
    cutoff = retention_cutoff(datetime.now(timezone.utc), 5)
    assert cutoff.year >= 2020
    assert dry.startswith("Dry run: ")
    assert f"through event {events[-2].id if cutoff.year > 2021 else events[1].id}, would be deleted." in dry
    with store.session() as session:
        assert len(session.exec(select(AuditEvent)).all()) == 4

    status, out, _ = run_cli(["--config", config(store, tmp_path, "nb"), "audit", "prune"])

    assert status == 0
    assert out.startswith("Slettet ")
    with store.session() as session:
        newest = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert newest.action == "audit_pruned"
    assert newest.actor == "kari"

    status, again, _ = run_cli(["--config", config(store, tmp_path), "audit", "prune"])
    assert status == 0
    assert again.startswith("No audit events are older than 5 fiscal years;")


def test_retention_cutoff_is_fiscal_year_start_in_oslo():
    assert retention_cutoff(datetime(2026, 1, 1, 0, 30, tzinfo=timezone.utc), 5) == \
        datetime(2020, 12, 31, 23, 0, tzinfo=timezone.utc)
    # 23:30 UTC on 31 December is already the new year in Oslo.
    assert retention_cutoff(datetime(2025, 12, 31, 23, 30, tzinfo=timezone.utc), 5) == \
        datetime(2020, 12, 31, 23, 0, tzinfo=timezone.utc)
    assert retention_cutoff(datetime(2025, 12, 31, 22, 30, tzinfo=timezone.utc), 5) == \
        datetime(2019, 12, 31, 23, 0, tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="at least 1"):
        retention_cutoff(NOW, 0)


def test_first_event_links_to_genesis(store):
    events = write_events(store)

    assert events[0].prev_hash == GENESIS_HASH


def test_show_and_export_after_prune(store, tmp_path):
    """After a prune the kept events still show, and the JSON file links its oldest event to the anchor."""
    from posting_store import Company

    write_events(store, TIMES)
    company = Company(store)
    (line,) = company.statement([(3, "AMAZON", "99.00")])
    item_id, _ = company.item(line, "99.00", title="USB-C-kabel")
    with store.session() as session:
        prune_audit(session, retention_years=5, now=NOW)
    output = tmp_path / "audit.json"

    status, shown, err = run_cli(["--config", config(store, tmp_path), "audit", "show", str(item_id)])
    assert status == 0, err
    assert "Linked to card line" in shown

    status, out, err = run_cli(["--config", config(store, tmp_path), "audit", "export", "--format", "json",
                            "--output", str(output)])

    assert status == 0, err
    assert "Audit log intact." in out
    document = json.loads(output.read_text(encoding="utf-8"))
    with store.session() as session:
        anchor = session.exec(select(AuditAnchor)).one()
        stored = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert document["anchor"] == {"id": anchor.id, "through_id": anchor.through_id,
                                  "through_hash": anchor.through_hash, "events_deleted": 2}
    records = document["events"]
    assert [record["id"] for record in records] == [event.id for event in stored]
    previous = document["anchor"]["through_hash"]
    for record in records:
        rebuilt = AuditEvent(**{**record, "at": datetime.fromisoformat(record["at"])})
        assert record["prev_hash"] == previous
        assert event_hash(rebuilt) == record["hash"]
        previous = record["hash"]


def test_prune_command_on_broken_log_exits_1(store, tmp_path):
    events = write_events(store, TIMES)
    tamper(store, "DELETE FROM audit_event WHERE id = :id", id=events[2].id)

    status, out, err = run_cli(["--config", config(store, tmp_path), "audit", "prune"])

    assert status == 1
    assert out.startswith(f"Audit log damaged at event {events[3].id} (")
    assert "no audit events deleted, because the log is damaged" in err
    with store.session() as session:
        assert len(session.exec(select(AuditEvent)).all()) == 3


@pytest.mark.parametrize("dry_run", [False, True])
def test_prune_command_checks_chain_with_nothing_to_delete(store, tmp_path, dry_run):
    events = write_events(store)
    tamper(store, "UPDATE audit_event SET actor = 'mallory' WHERE id = :id", id=events[1].id)

    status, out, err = run_cli(["--config", config(store, tmp_path), "audit", "prune"] + (["--dry-run"] if dry_run else []))

    assert status == 1
    assert out.startswith(f"Audit log damaged at event {events[1].id} (")
    assert "no audit events deleted, because the log is damaged" in err
