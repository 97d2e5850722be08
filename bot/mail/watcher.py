"""The mailbox job of ``allocbot run``: poll, wait for new mail with IDLE, poll again, until stopped.

The job keeps one connection open and waits with IDLE when the server
offers it, else sleeps ``mailbox.poll_seconds``; IDLE also returns after
that many seconds, so a missed notification delays a message by one
interval at most. After a dropped connection or a server restart it
reconnects with backoff, from 1 s doubling to ``MAX_BACKOFF_SECONDS``.
"""

from __future__ import annotations

import logging
import threading

from imapclient.exceptions import IMAPClientError, LoginError

from bot.errors import AllocbotError
from bot.mail.intake import MailIntake

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300


class MailboxWatcher:
    def __init__(self, intake: MailIntake, poll_seconds: float) -> None:
        self.intake = intake
        self.poll_seconds = poll_seconds
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="mailbox", daemon=True)

    def start(self) -> None:
        self.thread.start()
        log.info("mailbox job started, polling every %s s", self.poll_seconds)

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=self.poll_seconds + 10)
        log.info("mailbox job stopped")

    def _run(self) -> None:
        backoff = 1.0
        while not self.stop_event.is_set():
            try:
                with self.intake.mailbox_factory() as mailbox:
                    backoff = 1.0
                    while not self.stop_event.is_set():
                        self.intake.poll(mailbox)
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
            self.stop_event.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
