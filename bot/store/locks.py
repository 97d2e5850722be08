"""Named locks that one thread of one replica at a time holds, and that a crash releases at once.

PostgreSQL gets a session-level advisory lock, keyed by a hash of the
name, on a connection of its own. The server releases it when that
connection ends, also when the process is killed. A SQLite file gets an
flock on a lock file beside it, which the operating system releases when
the process ends. An in-memory SQLite database belongs to one process,
so a thread lock is enough. The posting run (``bot.store.posting_lock``)
and the monthly report (``bot.report.monthly``) wait for theirs without a limit.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import text

from bot.store.database import Store

log = logging.getLogger(__name__)

RETRY_SECONDS = 0.2

_memory_locks: weakref.WeakKeyDictionary[Store, dict[str, threading.Lock]] = weakref.WeakKeyDictionary()
_memory_guard = threading.Lock()


@contextmanager
def store_lock(store: Store, name: str, *, wait_seconds: float | None,
               on_wait: Callable[[], None] | None = None) -> Iterator[bool]:
    """Hold the lock ``name`` of ``store`` for the ``with`` block; yield False when it stayed taken for ``wait_seconds``.

    With ``wait_seconds`` None it waits as long as the holder keeps the
    lock and always yields True. ``on_wait`` is called once when the lock
    is taken at the first try, before the wait. The block runs either
    way, so the caller decides what to skip without it.
    """
    if store.engine.dialect.name == "postgresql":
        with _advisory_lock(store, name, wait_seconds, on_wait) as held:
            yield held
        return

    database = store.url.database
    if not database or database == ":memory:":
        with _memory_lock(store, name, wait_seconds, on_wait) as held:
            yield held
        return
    with _file_lock(f"{database}.{name}.lock", wait_seconds, on_wait) as held:
        yield held


def _advisory_key(name: str) -> int:
    """Return a signed 64-bit key for ``name``, as pg_advisory_lock takes it."""
    return int.from_bytes(hashlib.sha256(f"allocbot:{name}".encode()).digest()[:8], "big", signed=True)


def _deadline(wait_seconds: float | None) -> float:
    return time.monotonic() + wait_seconds if wait_seconds is not None else float("inf")


@contextmanager
def _advisory_lock(store: Store, name: str, wait_seconds: float | None,
                   on_wait: Callable[[], None] | None) -> Iterator[bool]:
    key = _advisory_key(name)
    deadline = _deadline(wait_seconds)
    with store.engine.connect() as connection:
        held = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())
        if not held and on_wait is not None:
            on_wait()
        if not held and wait_seconds is None:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            held = True
        while not held and time.monotonic() < deadline:
            time.sleep(RETRY_SECONDS)
            held = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())
        connection.commit()
        try:
            yield held
        finally:
            if held:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()


@contextmanager
def _file_lock(path: str, wait_seconds: float | None, on_wait: Callable[[], None] | None) -> Iterator[bool]:
    deadline = _deadline(wait_seconds)
    with open(path, "a") as handle:
        held = _try_flock(handle)
        if not held and on_wait is not None:
            on_wait()
        if not held and wait_seconds is None:
            fcntl.flock(handle, fcntl.LOCK_EX)
            held = True
        while not held and time.monotonic() < deadline:
            time.sleep(RETRY_SECONDS)
            held = _try_flock(handle)
        try:
            yield held
        finally:
            if held:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _try_flock(handle) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def _memory_lock(store: Store, name: str, wait_seconds: float | None,
                 on_wait: Callable[[], None] | None) -> Iterator[bool]:
    with _memory_guard:
        lock = _memory_locks.setdefault(store, {}).setdefault(name, threading.Lock())
    held = lock.acquire(blocking=False)
    if not held and on_wait is not None:
        on_wait()
    if not held:
        held = lock.acquire(timeout=-1 if wait_seconds is None else wait_seconds)
    try:
        yield held
    finally:
        if held:
            lock.release()
