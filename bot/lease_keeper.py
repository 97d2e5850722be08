"""Holding a named lease, such as "mailbox", for as long as a replica lives.

A keeper thread tries to take the lease every ``lease_seconds / 3``
and, once it holds it, renews it at the same interval, so the lease
outlives two failed renewals. When a renewal finds the lease taken by
another replica (this one was paused or cut off from the database for
longer than the lease), ``held`` is cleared and the work it guards
stops. When the database cannot be reached, the keeper counts the lease
as held until the time it would expire, and no longer.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.exc import SQLAlchemyError

from bot.store.database import Store
from bot.store.leases import acquire_lease, release_lease

log = logging.getLogger(__name__)


class LeaseKeeper:
    """Takes and renews the lease ``name`` for ``holder`` in a daemon thread; ``held`` is set while it has it."""

    def __init__(self, store: Store, name: str, holder: str, lease_seconds: float) -> None:
        self.store = store
        self.name = name
        self.holder = holder
        self.lease_seconds = lease_seconds
        self.held = threading.Event()
        self._stop = threading.Event()
        self._valid_until = 0.0
        self._stopping = threading.Lock()
        self.thread = threading.Thread(target=self._run, name=f"lease-{name}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        """Stop renewing and release the lease, so another replica can take it at once; a second call does nothing."""
        self._stop.set()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(timeout=10)
        with self._stopping:
            was_held = self.held.is_set()
            self.held.clear()
        if not was_held:
            return
        try:
            with self.store.session() as session:
                release_lease(session, self.name, self.holder)
            log.info("lease %s released by %s", self.name, self.holder)
        except SQLAlchemyError as exc:
            log.error("cannot release lease %s; another replica takes it when it expires: %s", self.name, exc)

    def wait_until_held(self, stop: threading.Event, poll_seconds: float = 1.0) -> bool:
        """Wait until the lease is held or ``stop`` is set; return whether it is held."""
        while not stop.is_set():
            if self.held.wait(poll_seconds):
                return True
        return False

    def _run(self) -> None:
        interval = self.lease_seconds / 3
        while not self._stop.is_set():
            self.try_acquire()
            self._stop.wait(interval)

    def try_acquire(self) -> bool:
        """Take or renew the lease once; return whether it is held."""
        started = time.monotonic()
        try:
            with self.store.session() as session:
                acquired = acquire_lease(session, self.name, self.holder, seconds=self.lease_seconds)
        except SQLAlchemyError as exc:
            still_valid = time.monotonic() < self._valid_until
            log.error("cannot renew lease %s (%s until it expires): %s", self.name,
                      "held" if still_valid and self.held.is_set() else "not held", exc)
            if not still_valid:
                self._lose("the database could not be reached")
            return self.held.is_set()

        if acquired:
            self._valid_until = started + self.lease_seconds
            if not self.held.is_set():
                log.info("lease %s acquired by %s", self.name, self.holder)
                self.held.set()
        else:
            self._lose("another replica holds it")
        return acquired

    def _lose(self, reason: str) -> None:
        if self.held.is_set():
            log.warning("lease %s lost by %s: %s", self.name, self.holder, reason)
            self.held.clear()
