"""The mailbox job of allocbot run: it picks up new mail while it waits with IDLE, and outlives a server restart."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import update

from bot.lease_keeper import LeaseKeeper
from bot.mail.watcher import MailboxWatcher
from bot.store.models import Lease, utc_now

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


def test_watcher_stops_between_messages_when_lease_lost(tmp_path, sample, dovecot, smtp_sink, secrets):
    intake = make_intake(write_config(tmp_path, sample, dovecot, smtp_sink), dovecot)
    store = intake.pipeline.store
    for number in range(3):
        dovecot.append(small_mail(message_id=f"<lease-{number}@example.no>", attachments=LOGO))
    keeper = LeaseKeeper(store, "mailbox", "a", lease_seconds=3)
    send_reply = intake.reply

    def reply_then_lose_lease(*args, **kwargs):
        # Another replica takes the lease while this one handles its first message.
        with store.session() as session:
            session.exec(update(Lease).where(Lease.name == "mailbox")
                         .values(holder="b", expires_at=utc_now() + timedelta(minutes=5)))
        deadline = time.monotonic() + 10
        while keeper.held.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
        return send_reply(*args, **kwargs)

    intake.reply = reply_then_lose_lease
    watcher = MailboxWatcher(intake, poll_seconds=1, lease=keeper)
    watcher.start()
    try:
        wait_for_rows(intake, 1)
        time.sleep(2)
        rows = mail_rows(intake)
    finally:
        watcher.stop()

    assert not keeper.held.is_set()
    assert [row.message_id for row in rows] == ["<lease-0@example.no>"]
    assert len(dovecot.uids("INBOX")) == 2


def wait_for_health(watcher: MailboxWatcher, healthy: bool, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and watcher.healthy() != healthy:
        time.sleep(0.1)
    return watcher.healthy()


def test_watcher_unhealthy_while_server_down(tmp_path, sample, dovecot, smtp_sink, secrets):
    intake = make_intake(write_config(tmp_path, sample, dovecot, smtp_sink), dovecot)
    watcher = MailboxWatcher(intake, poll_seconds=1)
    watcher.start()
    try:
        dovecot.append(small_mail(message_id="<up@example.no>", attachments=LOGO))
        wait_for_rows(intake, 1)
        assert watcher.healthy()

        dovecot.stop()
        # Failing for longer than one poll interval turns the check red; the job keeps running.
        assert wait_for_health(watcher, False) is False
        assert watcher.thread.is_alive()

        dovecot.start()
        assert wait_for_health(watcher, True, timeout=30) is True
    finally:
        watcher.stop()
