"""One posting run at a time per database.

A run looks up the vouchers that an earlier run left "sending" and sends
again those the ERP does not hold. A second run at the same time could see
a voucher that the first has just claimed and is still sending, find it
missing in the ERP and send it too. So each run holds this lock from its
start to its end, and a second run waits for it.

PostgreSQL gets a session-level advisory lock on a connection of its own,
which the server releases when that connection ends, also after a crash.
A SQLite file gets an flock on a lock file beside it, which the operating
system releases when the process ends. An in-memory SQLite database
belongs to one process and needs no lock.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from bot.store.database import Store

log = logging.getLogger(__name__)

# Key of the advisory lock; it only has to differ from the other keys the bot locks ("allocpst" in ASCII).
_POSTING_LOCK_KEY = 0x616C6C6F63707374


@contextmanager
def posting_lock(store: Store) -> Iterator[None]:
    """Hold the store's posting lock for the ``with`` block, waiting while another run holds it."""
    if store.engine.dialect.name == "postgresql":
        with _advisory_lock(store):
            yield
        return

    database = store.url.database
    if not database or database == ":memory:":
        yield
        return
    with _file_lock(f"{database}.posting.lock"):
        yield


@contextmanager
def _advisory_lock(store: Store) -> Iterator[None]:
    with store.engine.connect() as connection:
        locked = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": _POSTING_LOCK_KEY}).scalar()
        if not locked:
            log.info("posting lock of %s is taken by another run; waiting for that run to finish", store.display_url)
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _POSTING_LOCK_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _POSTING_LOCK_KEY})
            connection.commit()


@contextmanager
def _file_lock(path: str) -> Iterator[None]:
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("posting lock %s is taken by another run; waiting for that run to finish", path)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
