"""The mailbox job of allocbot run: it picks up new mail while it waits with IDLE, and outlives a server restart."""

from __future__ import annotations

import time

from bot.mail.watcher import MailboxWatcher

from .test_mail_intake import make_intake, mail_rows, small_mail, write_config
from .test_mail_intake import sample, secrets  # noqa: F401 - fixtures used by name

LOGO = [("logo.png", "image/png", b"\x89PNG\r\n\x1a\n")]


def wait_for_rows(intake, count: int, timeout: float = 20.0) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = mail_rows(intake)
        if len(rows) >= count and all(row.status != "claimed" for row in rows):
            return rows
        time.sleep(0.1)
    raise AssertionError(f"the mailbox job handled {len(mail_rows(intake))} of {count} messages in {timeout} s")


def test_watcher_picks_up_mail_while_idling(tmp_path, sample, dovecot, smtp_sink, secrets):
    intake = make_intake(write_config(tmp_path, sample, dovecot, smtp_sink), dovecot)
    watcher = MailboxWatcher(intake, poll_seconds=30)
    watcher.start()
    try:
        time.sleep(1)
        dovecot.append(small_mail(message_id="<idle@example.no>", attachments=LOGO))

        # IDLE wakes the job long before its 30 s poll interval ends.
        rows = wait_for_rows(intake, 1, timeout=10)
    finally:
        watcher.stop()

    assert rows[0].message_id == "<idle@example.no>"


def test_watcher_survives_server_restart(tmp_path, sample, dovecot, smtp_sink, secrets):
    intake = make_intake(write_config(tmp_path, sample, dovecot, smtp_sink), dovecot)
    watcher = MailboxWatcher(intake, poll_seconds=1)
    watcher.start()
    try:
        dovecot.append(small_mail(message_id="<before@example.no>", attachments=LOGO))
        wait_for_rows(intake, 1)
        dovecot.restart()
        dovecot.append(small_mail(message_id="<after@example.no>", attachments=LOGO))

        rows = wait_for_rows(intake, 2)
    finally:
        watcher.stop()

    assert [row.message_id for row in rows] == ["<before@example.no>", "<after@example.no>"]
    assert not watcher.thread.is_alive()
