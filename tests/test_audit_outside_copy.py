"""allocbot audit verify --expect: an outside copy of a hash detects what the unkeyed chain alone cannot.

Each tampering here rewrites the database as someone with write access
could, so that plain ``verify`` still finds the chain intact.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlmodel import select

from bot.cli import main
from bot.store.audit import PRUNED_ACTION, audit, event_hash
from bot.store.models import AuditAnchor, AuditEvent
from cli_helpers import run_cli
from test_audit_verify import _guard_lifted, config, tamper, write_events


def expect(store, tmp_path, event: AuditEvent, language: str = "en"):
    return run_cli(["--config", config(store, tmp_path, language), "audit", "verify", "--expect",
                f"{event.id}:{event.hash}"])


def rewrite_from(store, event_id: int) -> None:
    """Change the actor of event ``event_id`` and recompute its hash and every later link and hash."""
    with store.session() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.id >= event_id).order_by(AuditEvent.id)).all()
        with _guard_lifted(session.connection()):
            events[0].actor = "kari.nordmann@example.no"
            prev_hash = events[0].prev_hash
            for event in events:
                event.prev_hash = prev_hash
                event.hash = event_hash(event)
                prev_hash = event.hash
            session.flush()


def forge_prune(store, through: AuditEvent, deleted: int) -> None:
    """Delete the events through ``through`` and add an anchor and audit_pruned event that match them."""
    tamper(store, "DELETE FROM audit_event WHERE id <= :id", id=through.id)
    with store.session() as session:
        anchor = AuditAnchor(through_id=through.id, through_hash=through.hash, events_deleted=deleted)
        session.add(anchor)
        session.flush()
        audit(session, actor="allocbot", action=PRUNED_ACTION, subject_type="audit_log", subject_id=str(anchor.id),
              data={"anchor": anchor.id, "through_id": through.id, "through_hash": through.hash,
                    "events_deleted": deleted, "cutoff": datetime(2020, 12, 31, 23, tzinfo=timezone.utc),
                    "retention_years": 5})


def test_expect_matches_untouched_log(store, tmp_path):
    events = write_events(store)

    status, out, err = expect(store, tmp_path, events[-1])

    assert status == 0, err
    assert out.splitlines()[-1] == (f"Event {events[-1].id} still has hash {events[-1].hash}, so the events up to "
                                    "it are as they were when that hash was copied.")


def test_expect_detects_rewritten_suffix(store, tmp_path):
    events = write_events(store)
    rewrite_from(store, events[1].id)

    plain_status, plain_out, _ = run_cli(["--config", config(store, tmp_path), "audit", "verify"])
    status, out, _ = expect(store, tmp_path, events[-1])

    # The limit the outside copy exists for: the chain alone still verifies.
    assert plain_status == 0
    assert plain_out.startswith("Audit log intact: 4 events checked;")
    assert status == 1
    assert out.splitlines()[-1].startswith(f"Audit log changed: event {events[-1].id} has hash ")
    assert f"not {events[-1].hash}" in out


def test_expect_detects_removed_newest(store, tmp_path):
    events = write_events(store)
    tamper(store, "DELETE FROM audit_event WHERE id = :id", id=events[-1].id)

    status, out, _ = expect(store, tmp_path, events[-1], language="nb")

    assert status == 1
    assert out.splitlines()[0].startswith("Revisjonsloggen er intakt: 3 hendelser kontrollert;")
    assert out.splitlines()[-1] == (f"Revisjonsloggen er endret: hendelse {events[-1].id} finnes ikke i loggen, "
                                    "så den ble fjernet, eller id-en er feil.")


def test_expect_names_forged_prune_cutoff(store, tmp_path):
    events = write_events(store)
    forge_prune(store, events[2], deleted=3)

    plain_status, _, _ = run_cli(["--config", config(store, tmp_path), "audit", "verify"])
    status, out, _ = expect(store, tmp_path, events[2])

    assert plain_status == 0
    assert status == 1
    last = out.splitlines()[-1]
    assert last.startswith(f"Event {events[2].id} was deleted by the prune on ")
    # The copy was taken today, long after the recorded cutoff, which shows the prune was forged.
    assert "of the events written before 2021-01-01, so its hash cannot be compared." in last
    assert f"compare a copy taken after event {events[2].id}." in last


@pytest.mark.parametrize("reference", ["17", "17:abc", "x:" + "a" * 64, "17:" + "g" * 64])
def test_expect_rejects_invalid_reference(reference, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["audit", "verify", "--expect", reference])

    assert exited.value.code == 2
    assert "invalid audit reference" in capsys.readouterr().err
