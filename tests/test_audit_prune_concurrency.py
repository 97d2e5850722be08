"""allocbot audit prune and privacy erase against a concurrent prune, on PostgreSQL with real processes.

A test session holds the chain's advisory lock by appending an event
without committing. Each command runs as its own process and waits for
that lock; the session then prunes and commits, and the command goes on.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from bot.store.audit import PRUNED_ACTION, audit, prune_audit, verify_audit_chain
from bot.store.models import AuditEvent, SlackUser
from test_audit_verify import TIMES, config, write_events

pytestmark = pytest.mark.parametrize("store", ["postgresql"], indirect=True)

ALLOCBOT = [sys.executable, "-m", "bot.cli"]


def wait_for_lock_waiter(store, locktype: str, timeout: float = 20.0) -> None:
    """Return once a backend of the store's database waits for a lock of ``locktype``; fail after ``timeout`` s."""
    query = text("SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = :locktype AND pid IN "
                 "(SELECT pid FROM pg_stat_activity WHERE datname = current_database())")
    deadline = time.monotonic() + timeout
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        while time.monotonic() < deadline:
            if connection.execute(query, {"locktype": locktype}).scalar():
                return
            time.sleep(0.05)
    pytest.fail(f"no backend waited for a {locktype} lock within {timeout} s")


def start(store, tmp_path: Path, *arguments: str) -> subprocess.Popen:
    return subprocess.Popen([*ALLOCBOT, "--config", config(store, tmp_path), *arguments], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent)


def hold_chain_lock(session) -> None:
    """Take the chain's advisory lock in ``session`` until it commits, as any append does."""
    audit(session, actor="allocbot", action="model_trained", subject_type="model", subject_id="holder", data={})


def test_prune_prints_what_it_deleted(store, tmp_path):
    # Two events from 2019, older than any retention of five years, and two from now.
    write_events(store, [*TIMES[:2], None, None])

    with store.session() as holder:
        hold_chain_lock(holder)
        command = start(store, tmp_path, "audit", "prune")
        wait_for_lock_waiter(store, "advisory")
        assert prune_audit(holder, retention_years=5) == 2
    out, err = command.communicate(timeout=30)

    # The command planned two deletions before the lock, but the concurrent prune deleted them.
    assert command.returncode == 0, err
    assert out.startswith("No audit events are older than 5 fiscal years;"), out


def test_erase_and_prune_do_not_deadlock(store, tmp_path):
    write_events(store, [*TIMES[:2], None, None])
    with store.session() as session:
        session.add(SlackUser(email="ola.hansen@example.no", user_id="U0OLA", name="Ola Hansen"))

    with store.session() as holder:
        hold_chain_lock(holder)
        command = start(store, tmp_path, "privacy", "erase", "ola.hansen@example.no")
        # The erasure has read audit_event to count kept events and now waits to append its own.
        wait_for_lock_waiter(store, "advisory")
        # DISABLE TRIGGER takes SHARE ROW EXCLUSIVE, which does not wait for the erasure's ACCESS SHARE.
        assert prune_audit(holder, retention_years=5) == 2
    out, err = command.communicate(timeout=30)

    assert command.returncode == 0, err
    with store.session() as session:
        assert verify_audit_chain(session) == []
        actions = session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == [PRUNED_ACTION, "person_erased"]
