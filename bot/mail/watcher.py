"""The mailbox job of ``allocbot run``: poll, wait for new mail with IDLE, poll again, until stopped.

The job keeps one connection open and waits with IDLE when the server
offers it, else sleeps ``mailbox.poll_seconds``; IDLE also returns after
that many seconds, so a missed notification delays a message by one
interval at most. After a dropped connection or a server restart it
reconnects with backoff, from 1 s doubling to ``MAX_BACKOFF_SECONDS``.

With a ``LeaseKeeper``, as in ``allocbot run``, the job polls only while
this replica holds the "mailbox" lease, so of several replicas one polls
and the others wait to take over when its lease lapses. When the lease is
lost, it stops after the message in progress, or after the IDLE wait in
progress ends.
"""

from __future__ import annotations

import logging
import threading
import time

from imapclient.exceptions import IMAPClientError, LoginError

from bot.errors import AllocbotError
from bot.lease_keeper import LeaseKeeper
from bot.mail.intake import MailIntake

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300


class MailboxWatcher:
    def __init__(self, intake: MailIntake, poll_seconds: float, lease: LeaseKeeper | None = None) -> None:
        self.intake = intake
        self.poll_seconds = poll_seconds
        self.lease = lease
        self.stop_event = threading.Event()
        # Held while messages are handled, so that stop() can wait for the message in progress.
        self._working = threading.Lock()
        # When the mailbox began to fail (monotonic seconds): a refused login or lost connection; None while it works.
        self._failing_since: float | None = None
        self.thread = threading.Thread(target=self._run, name="mailbox", daemon=True)

    def start(self) -> None:
        if self.lease is not None:
            self.lease.start()
        self.thread.start()
        log.info("mailbox job started, polling every %s s", self.poll_seconds)

    def stop(self, timeout: float | None = None) -> bool:
        """Stop after the message in progress and release the mailbox lease; return whether no message was cut off.

        Without ``timeout`` it waits up to one poll interval and 10 s for
        the thread to end. With ``timeout``, as ``allocbot run`` stops, it
        waits that long for the message in progress only; a thread that
        waits for new mail (IDLE) ends by itself when the wait does.
        """
        self.stop_event.set()
        if timeout is None:
            self.thread.join(timeout=self.poll_seconds + 10)
            finished = not self.thread.is_alive()
        else:
            finished = self._working.acquire(timeout=timeout)
            if finished:
                self._working.release()
        if self.lease is not None:
            self.lease.stop()
        if finished:
            log.info("mailbox job stopped")
        else:
            log.warning("mailbox job still handling a message after the shutdown wait; the next poll handles it "
                        "again")
        return finished

    def healthy(self) -> bool:
        """Tell whether the job runs and has not been failing to read the mailbox for a poll interval or longer.

        A replica that waits for the lease is healthy: another one polls.
        """
        failing_since = self._failing_since
        if not self.thread.is_alive():
            return False
        return failing_since is None or time.monotonic() - failing_since < self.poll_seconds

    def _may_poll(self) -> bool:
        return not self.stop_event.is_set() and (self.lease is None or self.lease.held.is_set())

    def _run(self) -> None:
        try:
            self._poll_until_stopped()
        finally:
            # Also after a configuration error, so that a replica that can read the mailbox takes over.
            if self.lease is not None:
                self.lease.stop()

    def _poll_until_stopped(self) -> None:
        backoff = 1.0
        while not self.stop_event.is_set():
            if self.lease is not None and not self.lease.wait_until_held(self.stop_event):
                return
            try:
                with self.intake.mailbox_factory() as mailbox:
                    backoff = 1.0
                    while self._may_poll():
                        with self._working:
                            self.intake.poll(mailbox, stop=self.stop_event,
                                             lease_held=self.lease.held if self.lease is not None else None)
                        self._failing_since = None
                        mailbox.wait(self.poll_seconds)
            except LoginError as exc:
                log.error("mailbox login rejected, trying again in %.0f s: %s", backoff, exc)
            except (IMAPClientError, OSError) as exc:
                log.warning("mailbox connection lost, reconnecting in %.0f s: %s", backoff, exc)
            except AllocbotError as exc:
                # A configuration error (such as a missing password) does not heal by itself; the log says what to fix.
                log.error("mailbox job cannot run: %s", exc)
                return
            except Exception:  # noqa: BLE001 - the job must outlive one bad message; the next round tries again
                log.exception("mailbox job failed, trying again in %.0f s", backoff)
            if self._failing_since is None:
                self._failing_since = time.monotonic()
            self.stop_event.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
