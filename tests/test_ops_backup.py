"""The backup and restore steps of docs/operations.md, taken while another connection keeps writing.

Each test backs up a store that a writer thread appends audit events to,
restores the copy into a new place, and checks the result the way the
docs say: ``allocbot audit verify`` exits 0 and names the newest event
that the backup holds.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from bot import cli
from bot.store.audit import audit
from bot.store.database import Store
from bot.store.models import AuditEvent

EVENTS_BEFORE_BACKUP = 20


@contextmanager
def writing(url: str) -> Iterator[threading.Event]:
    """Append audit events to the store at ``url`` on a thread until the block ends; yield a first-write event."""
    store = Store(url)
    stop = threading.Event()
    wrote = threading.Event()
    failures: list[BaseException] = []

    def write() -> None:
        number = 0
        try:
            while not stop.is_set():
                with store.session() as session:
                    audit(session, actor="backup-test", action="test_write", subject_type="test",
                          subject_id=str(number), data={"number": number})
                number += 1
                wrote.set()
        except BaseException as error:  # reported after the block, not lost on the thread
            failures.append(error)
            wrote.set()

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    try:
        yield wrote
    finally:
        stop.set()
        thread.join(timeout=30)
        store.close()
    assert failures == []


def fill(url: str) -> None:
    store = Store(url)
    store.migrate()
    with store.session() as session:
        for number in range(EVENTS_BEFORE_BACKUP):
            audit(session, actor="backup-test", action="test_fill", subject_type="test", subject_id=str(number),
                  data={"number": number})
    store.close()


def newest_event(url: str) -> tuple[int, str]:
    store = Store(url)
    with store.session() as session:
        event = session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(1)).one()
    store.close()
    return event.id, event.hash


def wait_for_event_after(url: str, event_id: int, timeout: float = 30.0) -> bool:
    """Wait until the store at ``url`` has an event newer than ``event_id``: the writer went on after the backup."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if newest_event(url)[0] > event_id:
            return True
        time.sleep(0.05)
    return False


def verify(tmp_path: Path, url: str, capsys) -> str:
    """Run ``allocbot audit verify`` on ``url`` and return its output; fail unless it exits 0."""
    config = tmp_path / "verify.toml"
    config.write_text(f'language = "en"\n[store]\nurl = "{url}"\n', encoding="utf-8")
    capsys.readouterr()

    status = cli.main(["--config", str(config), "audit", "verify"])

    output = capsys.readouterr().out
    assert status == 0, output
    return output


def test_sqlite_backup_restore(tmp_path: Path, capsys):
    live = tmp_path / "var" / "allocbot.db"
    live_url = f"sqlite:///{live}"
    fill(live_url)
    backup = tmp_path / "backup" / "allocbot.db"
    backup.parent.mkdir()

    # What `sqlite3 allocbot.db ".backup FILE"` does, through the same SQLite backup API.
    with writing(live_url) as wrote:
        assert wrote.wait(timeout=30)
        with sqlite3.connect(live, timeout=10) as source, sqlite3.connect(backup) as target:
            source.backup(target)
        source.close()
        target.close()
        backup_id, backup_hash = newest_event(f"sqlite:///{backup}")
        assert wait_for_event_after(live_url, backup_id)

    with sqlite3.connect(backup) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    check.close()
    assert backup_id > EVENTS_BEFORE_BACKUP

    restored = tmp_path / "restored" / "allocbot.db"
    restored.parent.mkdir()
    shutil.copyfile(backup, restored)
    output = verify(tmp_path, f"sqlite:///{restored}", capsys)

    assert f"the newest is event {backup_id} with hash {backup_hash}" in output


@pytest.mark.skipif(shutil.which("sqlite3") is None and os.environ.get("CI") != "true",
                    reason="the sqlite3 command-line shell is not installed")
def test_sqlite_shell_backup(tmp_path: Path, capsys):
    live = tmp_path / "allocbot.db"
    live_url = f"sqlite:///{live}"
    fill(live_url)
    backup = tmp_path / "allocbot-backup.db"

    with writing(live_url) as wrote:
        assert wrote.wait(timeout=30)
        subprocess.run(["sqlite3", "-cmd", ".timeout 10000", str(live), f".backup {backup}"], check=True,
                       capture_output=True, timeout=60)
        backup_id, backup_hash = newest_event(f"sqlite:///{backup}")
        assert wait_for_event_after(live_url, backup_id)

    output = verify(tmp_path, f"sqlite:///{backup}", capsys)

    assert backup_id > EVENTS_BEFORE_BACKUP
    assert f"the newest is event {backup_id} with hash {backup_hash}" in output


@pytest.mark.postgres
def test_postgres_dump_restore(postgres_url: str, tmp_path: Path, capsys):
    server = make_url(postgres_url)
    names = {kind: f"allocbot_backup_{kind}_{secrets.token_hex(4)}" for kind in ("live", "restored")}
    admin = create_engine(server.set(database="test"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in names.values():
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    live_url = server.set(database=names["live"]).render_as_string(hide_password=False)
    restored_url = server.set(database=names["restored"]).render_as_string(hide_password=False)
    connection_options = ["-h", server.host, "-p", str(server.port), "-U", server.username]
    dump = tmp_path / "allocbot.dump"

    try:
        fill(live_url)
        with writing(live_url) as wrote:
            assert wrote.wait(timeout=30)
            subprocess.run(["pg_dump", *connection_options, "-Fc", "-f", str(dump), names["live"]], check=True,
                           capture_output=True, timeout=60)
            dumped_through = newest_event(live_url)[0]
        subprocess.run(["pg_restore", *connection_options, "--no-owner", "--exit-on-error", "-d",
                        names["restored"], str(dump)], check=True, capture_output=True, timeout=60)

        restored_id, restored_hash = newest_event(restored_url)
        output = verify(tmp_path, restored_url, capsys)
        live_id = newest_event(live_url)[0]
    finally:
        with admin.connect() as connection:
            for name in names.values():
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    assert EVENTS_BEFORE_BACKUP < restored_id <= dumped_through <= live_id
    assert f"the newest is event {restored_id} with hash {restored_hash}" in output
