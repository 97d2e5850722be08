"""One sender of monthly reports at a time per database, across processes and replicas.

A sender holds this lock while it checks which deliveries of a month are
recorded, sends the others and records them, so a second sender waits and
then finds them recorded. The lock works as ``bot.store.posting_lock``
does: PostgreSQL gets a session-level advisory lock on a connection of its
own, which the server releases when that connection ends, also after a
crash. A SQLite file gets an flock on a lock file beside it, which the
operating system releases when the process ends. An in-memory SQLite
database belongs to one process and needs no lock.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from bot.store.database import Store

log = logging.getLogger(__name__)

# Key of the advisory lock; it only has to differ from the other keys the bot locks ("allocrpt" in ASCII).
_REPORT_LOCK_KEY = 0x616C6C6F63727074


@contextmanager
def report_lock(store: Store) -> Iterator[None]:
    """Hold the store's report lock for the ``with`` block, waiting while another sender holds it."""
    if store.engine.dialect.name == "postgresql":
        with _advisory_lock(store):
            yield
        return

    database = store.url.database
    if not database or database == ":memory:":
        yield
        return
    with _file_lock(f"{database}.report.lock"):
        yield


@contextmanager
def _advisory_lock(store: Store) -> Iterator[None]:
    with store.engine.connect() as connection:
        locked = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": _REPORT_LOCK_KEY}).scalar()
        if not locked:
            log.info("report lock of %s is taken by another sender; waiting for it to finish", store.display_url)
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _REPORT_LOCK_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _REPORT_LOCK_KEY})
            connection.commit()


@contextmanager
def _file_lock(path: str) -> Iterator[None]:
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("report lock %s is taken by another sender; waiting for it to finish", path)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
