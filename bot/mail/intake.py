"""Reading forwarded statements and reports from the mailbox, each message once.

For every message in ``mailbox.folder``:

1. read its headers; from an allowed sender, parse it in memory (no
   slow work yet);
2. claim it in the store by account, folder, UIDVALIDITY and UID, with its
   Message-ID and the SHA-256 of its attachments;
3. a sender who is not allowed: move it to ``rejected_folder``, no reply;
4. otherwise store its documents and process them through the pipeline,
   which parses every file before it writes anything;
5. reply to the sender (unless a program sent it), and move the message to
   ``processed_folder``, or to ``failed_folder`` with the error stored.

A message whose claim is already final was handled before (the move was
lost, say, in a dropped connection), so it is only moved now. A claim
younger than the claim lease (``CLAIM_LEASE``, or ``service.lease_seconds``
in ``allocbot run``) belongs to another poller at work, so it is left
alone. The poller at work renews its claim every third of that lease
while it handles the message, so a slow message (OCR) keeps its claim.
An older claim was left by a crash, and the message is handled again by
the one poller whose compare-and-set on ``claimed_at`` succeeds. Its
documents are recognised by their SHA-256, so nothing is stored twice.
Mail is never deleted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.parser import BytesHeaderParser
from email.utils import parseaddr

from imapclient.exceptions import IMAPClientError, LoginError
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings
from bot.errors import InputError
from bot.failpoints import failpoint
from bot.mail.eml import ReceivedMail, parse_mail
from bot.mail.mailbox import Mailbox
from bot.mail.senders import sender_allowed
from bot.pipeline import Pipeline
from bot.records import BOT_ACTOR
from bot.store.mail import MailKey, claim_message, finish_message, reclaim_message, record_move
from bot.store.repository import audit
from bot.store.models import MailMessage, utc_now

log = logging.getLogger(__name__)

# Reconnect after a dropped connection or a server restart: waits of 1, 2, 4 and 8 s, then give up
# until the next poll.
RECONNECT_ATTEMPTS = 5
RECONNECT_BASE_SECONDS = 1.0

Reply = Callable[..., str | None]

# A claim younger than this belongs to a poller still at work; an older one was left by a crash.
CLAIM_LEASE = timedelta(minutes=15)

# Ignored attachments that the reply does not mention.
QUIET_REASONS = ("image", "signature", "empty")


@dataclass
class PollResult:
    """The number of messages of one poll by final status."""

    processed: int = 0
    failed: int = 0
    rejected: int = 0
    empty: int = 0
    moved_again: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def count(self, status: str) -> None:
        setattr(self, status, getattr(self, status) + 1)


class MailIntake:
    """Polls the mailbox and hands each message to the pipeline; ``reply`` sends the reply to the sender."""

    def __init__(self, settings: Settings, pipeline: Pipeline, reply: Reply,
                 mailbox_factory: Callable[[], Mailbox] | None = None, lock: threading.Lock | None = None,
                 claim_lease: timedelta = CLAIM_LEASE) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.reply = reply
        self.mailbox_factory = mailbox_factory or (lambda: Mailbox(settings.mailbox, source=settings.source))
        # A claim older than this was left by a poller that died or stopped, because a live one renews its
        # claim every third of it.
        self.claim_lease = claim_lease
        # Shared with the Slack app's decisions in ``allocbot run``: the classifier is not thread-safe.
        self.lock = lock or threading.Lock()
        # Messages sent by programs, which are handled but not answered.
        self._silent: set[int] = set()

    def poll_once(self) -> PollResult:
        """Handle every message in the folder; reconnect with backoff when the connection drops."""
        result = PollResult()
        for attempt in range(1, RECONNECT_ATTEMPTS + 1):
            try:
                with self.mailbox_factory() as mailbox:
                    self.poll(mailbox, result)
                return result
            except LoginError:
                # A rejected password or token stays rejected; trying again only earns a longer auth penalty.
                raise
            except (IMAPClientError, OSError) as exc:
                if attempt == RECONNECT_ATTEMPTS:
                    log.error("mailbox %s unreachable after %d attempts: %s", self.settings.mailbox.host,
                              attempt, exc)
                    raise
                wait = RECONNECT_BASE_SECONDS * 2 ** (attempt - 1)
                log.warning("mailbox connection failed (attempt %d of %d), reconnecting in %.0f s: %s",
                            attempt, RECONNECT_ATTEMPTS, wait, exc)
                time.sleep(wait)
        return result

    def poll(self, mailbox: Mailbox, result: PollResult | None = None, stop: threading.Event | None = None,
             lease_held: threading.Event | None = None) -> PollResult:
        """Handle every message now in the folder over an open connection; add to ``result`` when given.

        When ``stop`` is set, or ``lease_held`` (the "mailbox" lease of
        ``allocbot run``) is cleared, the poll returns after the message in progress.
        """
        result = result if result is not None else PollResult()
        settings = self.settings.mailbox
        mailbox.ensure_folders(settings.processed_folder, settings.failed_folder, settings.rejected_folder)
        uidvalidity = mailbox.select(settings.folder)
        uids = mailbox.uids()
        log.info("mailbox %s: %d messages in %s", mailbox.account, len(uids), settings.folder)
        for uid in uids:
            if stop is not None and stop.is_set():
                log.info("mailbox poll stopped before UID %d", uid)
                break
            if lease_held is not None and not lease_held.is_set():
                log.warning("mailbox poll stopped before UID %d: this replica lost the mailbox lease", uid)
                break
            raw = mailbox.fetch(uid)
            if raw is None:
                continue
            key = MailKey(mailbox.account, settings.folder, uidvalidity, uid)
            status = self._handle(mailbox, key, raw)
            result.count(status)
        return result

    def _handle(self, mailbox: Mailbox, key: MailKey, raw: bytes) -> str:
        """Handle one message and return its final status ("moved_again" for one handled before)."""
        settings = self.settings.mailbox
        label = f"{key.folder} UID {key.uid}"
        headers = BytesHeaderParser().parsebytes(raw)
        sender = parseaddr(str(headers.get("From", "")))[1].lower()
        message_id = str(headers.get("Message-ID", "")).strip()
        subject = str(headers.get("Subject", ""))
        automatic = _is_automatic(headers, sender)

        # The sender is checked before the attachments are unpacked, so strangers' archives are never opened.
        allowed = sender_allowed(sender, settings.allowed_senders)
        mail: ReceivedMail | None = None
        problem: InputError | None = None
        if allowed:
            try:
                mail = parse_mail(raw, label=label,
                                  max_attachment_bytes=int(settings.max_attachment_mb * 1024 * 1024))
            except InputError as exc:
                problem = exc
        attachments = [{"filename": a.filename, "sha256": a.sha256} for a in (mail.attachments if mail else ())]

        with self.pipeline.store.session() as session:
            row, claimed = claim_message(session, key, message_id=message_id, sender=sender, subject=subject,
                                         attachments=attachments)
        if not claimed and row.status != "claimed":
            self._move(mailbox, row, key.uid, self._folder_for(row.status))
            return "moved_again"
        if not claimed and utc_now() - row.claimed_at < self.claim_lease:
            # Another poller (allocbot run beside allocbot poll --once) is handling it right now.
            log.info("mail %s (%s) is being handled by another poller; skipping it", label, message_id)
            return "skipped"
        if not claimed:
            now = utc_now()
            with self.pipeline.store.session() as session:
                taken_over = reclaim_message(session, row.id, row.claimed_at, now=now)
            if not taken_over:
                log.info("mail %s (%s) was taken over by another poller; skipping it", label, message_id)
                return "skipped"
            log.warning("mail %s (%s) was interrupted before; handling it again", label, message_id)
            row.claimed_at = now
        with self._claim_kept(row):
            return self._handle_claimed(mailbox, key, row, mail, problem, allowed=allowed, automatic=automatic)

    def _handle_claimed(self, mailbox: Mailbox, key: MailKey, row: MailMessage, mail: ReceivedMail | None,
                        problem: InputError | None, *, allowed: bool, automatic: bool) -> str:
        settings = self.settings.mailbox
        label = f"{key.folder} UID {key.uid}"
        failpoint("mail.after_claim")

        if not allowed:
            log.warning("mail %s rejected: sender not allowed", label)
            self._finish(row, "rejected", error=f"sender {row.sender} not allowed")
            self._move(mailbox, row, key.uid, settings.rejected_folder)
            return "rejected"
        if problem is not None:
            return self._fail(mailbox, row, key.uid, problem)

        if automatic:
            # Bounces and out-of-office answers get no reply, which could start a loop between robots.
            log.info("mail %s is an automatic message; handling it without a reply", label)
            self._silent.add(row.id)
        return self._process(mailbox, row, key.uid, mail)

    @contextmanager
    def _claim_kept(self, row: MailMessage) -> Iterator[None]:
        """Renew the claim of ``row`` every third of the claim lease in a thread while the block runs."""
        done = threading.Event()
        keeper = threading.Thread(target=self._renew_claim, args=(row.id, row.claimed_at, done),
                                  name=f"mail-claim-{row.id}", daemon=True)
        keeper.start()
        try:
            yield
        finally:
            done.set()
            keeper.join()

    def _renew_claim(self, row_id: int, claimed_at: datetime, done: threading.Event) -> None:
        interval = self.claim_lease.total_seconds() / 3
        while not done.wait(interval):
            now = utc_now()
            try:
                with self.pipeline.store.session() as session:
                    renewed = reclaim_message(session, row_id, claimed_at, now=now)
            except SQLAlchemyError as exc:
                log.error("cannot renew the claim of mail message %s, trying again in %.0f s: %s", row_id,
                          interval, exc)
                continue
            if not renewed:
                # Finished meanwhile, or taken over by a poller that found the claim stale.
                log.debug("claim of mail message %s is no longer renewed: it changed meanwhile", row_id)
                return
            claimed_at = now

    def _process(self, mailbox: Mailbox, row: MailMessage, uid: int, mail: ReceivedMail) -> str:
        settings = self.settings.mailbox
        refused = [(part.filename, part.size) for part in mail.oversized]
        # Logos and signatures come with almost every mail; the reply names only files that looked meant to be read.
        ignored = [part.filename for part in mail.ignored if part.reason not in QUIET_REASONS]
        if not mail.attachments:
            # Here every ignored file is named, logos included, so the reply does not claim the mail had none.
            every_ignored = [part.filename for part in mail.ignored]
            reply_id = self._send(row, mail, "nothing_found", ignored=every_ignored, refused=refused)
            self._finish(row, "empty", error="no usable attachment", reply_message_id=reply_id)
            self._move(mailbox, row, uid, settings.failed_folder)
            return "empty"

        try:
            with self.lock:
                paths = self.pipeline.save_attachments(mail.attachments)
                report = self.pipeline.ingest_files(paths, message_id=mail.message_id, sender=mail.sender)
                report = self.pipeline.process(report)
        except InputError as exc:
            return self._fail(mailbox, row, uid, exc, mail)
        failpoint("mail.after_store")

        reply_id = self._send(row, mail, "receipt", report=report, ignored=ignored, refused=refused)
        self._finish(row, "processed", reply_message_id=reply_id)
        self._move(mailbox, row, uid, settings.processed_folder)
        return "processed"

    def _fail(self, mailbox: Mailbox, row: MailMessage, uid: int, error: InputError,
              mail: ReceivedMail | None = None) -> str:
        log.warning("mail message %s (UID %d) failed: %s", row.id, uid, error)
        with self.pipeline.store.session() as session:
            audit(session, actor=BOT_ACTOR, action="mail_failed", subject_type="mail", subject_id=str(row.id),
                  data={"message_id": row.message_id, "sender": row.sender, "error": error.describe()})
        reply_id = self._send(row, mail, "failure", error=error)
        self._finish(row, "failed", error=str(error), reply_message_id=reply_id)
        self._move(mailbox, row, uid, self.settings.mailbox.failed_folder)
        return "failed"

    def _send(self, row: MailMessage, mail: ReceivedMail | None, kind: str, **content) -> str | None:
        """Reply to the sender; a failed reply is logged, because the documents are stored either way."""
        if row.id in self._silent:
            return None
        try:
            return self.reply(kind, to=row.sender, subject=row.subject, message_id=row.message_id,
                              references=mail.references if mail else "", **content)
        except Exception as exc:  # noqa: BLE001 - any SMTP or network failure; the message itself is handled
            log.error("reply to the sender of mail message %s failed: %s", row.id, exc)
            return None

    def _finish(self, row: MailMessage, status: str, **values) -> None:
        with self.pipeline.store.session() as session:
            finish_message(session, row.id, status, **values)
        row.status = status

    def _move(self, mailbox: Mailbox, row: MailMessage, uid: int, folder: str) -> None:
        mailbox.move(uid, folder)
        with self.pipeline.store.session() as session:
            record_move(session, row.id, folder)

    def _folder_for(self, status: str) -> str:
        settings = self.settings.mailbox
        return {"processed": settings.processed_folder, "rejected": settings.rejected_folder}.get(
            status, settings.failed_folder)


def _is_automatic(headers, sender: str) -> bool:
    """Tell whether a message was sent by a program: a bounce, an out-of-office answer or a list (RFC 3834)."""
    if str(headers.get("Auto-Submitted", "no")).strip().lower() != "no":
        return True
    if str(headers.get("Precedence", "")).strip().lower() in ("bulk", "junk", "list", "auto_reply"):
        return True
    return sender.partition("@")[0] in ("mailer-daemon", "postmaster", "noreply", "no-reply")
