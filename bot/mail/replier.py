"""Replies to the senders of forwarded mail: which text for which outcome, sent through the SMTP settings."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Sequence

from bot.config import Settings
from bot.errors import InputError
from bot.i18n import Translator
from bot.mail.replies import failure, nothing_found, receipt, subject_for
from bot.mail.smtp import send_reply
from bot.masterdata import MasterData
from bot.pipeline import RunReport

log = logging.getLogger(__name__)


class MailReplier:
    """Write and send a reply; returns its Message-ID, or None when no SMTP server is configured."""

    def __init__(self, settings: Settings, master: MasterData, translator: Translator, *,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self.master = master
        self.translator = translator
        self.ssl_context = ssl_context

    def __call__(self, kind: str, *, to: str, subject: str, message_id: str, references: str,
                 report: RunReport | None = None, error: InputError | None = None,
                 ignored: Sequence[str] = (), refused: Sequence[tuple[str, int]] = ()) -> str | None:
        if not self.settings.smtp.host:
            log.info("no SMTP server configured: no reply to %s for %s", to, message_id)
            return None

        _ = self.translator
        if kind == "receipt":
            body = receipt(report, master=self.master, translator=_, refused=refused, ignored=ignored,
                           max_attachment_mb=self.settings.mailbox.max_attachment_mb)
        elif kind == "failure":
            body = failure(error, translator=_)
        else:
            body = nothing_found(translator=_, ignored=ignored, refused=refused,
                                 max_attachment_mb=self.settings.mailbox.max_attachment_mb)
        return send_reply(self.settings.smtp, to=to, subject=subject_for(subject, _), body=body,
                          in_reply_to=message_id, references=references, language=self.settings.language,
                          ssl_context=self.ssl_context, source=self.settings.source or "config.toml")
