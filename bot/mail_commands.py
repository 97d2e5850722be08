"""``allocbot poll --once``: read the mailbox once, answer the senders, and print what happened."""

from __future__ import annotations

import logging

from bot.commands import build_pipeline, prepare_classifier, settings_file
from bot.config import Settings
from imapclient.exceptions import IMAPClientError, LoginError

from bot.errors import ConfigError, InputError, UsageError
from bot.i18n import N_, Translator
from bot.mail.intake import MailIntake
from bot.mail.replier import MailReplier

log = logging.getLogger(__name__)


def poll(settings: Settings, *, once: bool) -> int:
    """Poll the configured mailbox once; the continuous job runs inside ``allocbot run``."""
    if not once:
        raise UsageError("poll", N_("allocbot poll reads the mailbox once and needs --once"),
                         fix=N_("run allocbot poll --once, or allocbot run to keep polling"))
    if not settings.mailbox.host:
        raise ConfigError(settings_file(settings), N_("no mailbox is configured"), location=N_("key {key}"),
                          key="mailbox.host", fix=N_("set mailbox.host, mailbox.username and the password variable"))

    translator = Translator(settings.language)
    pipeline = build_pipeline(settings, translator=translator)
    prepare_classifier(pipeline, translator)
    intake = MailIntake(settings, pipeline, MailReplier(settings, pipeline.master, translator))
    address = f"{settings.mailbox.host}:{settings.mailbox.port}"
    try:
        result = intake.poll_once()
    except LoginError as exc:
        raise ConfigError(settings_file(settings), N_("the mailbox {address} rejected the login: {reason}"),
                          location=N_("key {key}"), key="mailbox.username",
                          fix=N_("check mailbox.username and the password or token in its environment variable"),
                          address=address, reason=_text(exc)) from None
    except (IMAPClientError, OSError) as exc:
        raise InputError(address, N_("cannot read the mailbox: {reason}"),
                         fix=N_("check mailbox.host, mailbox.port and mailbox.security, and that the server runs"),
                         reason=_text(exc)) from None

    print(translator("Mailbox read: {processed} processed, {failed} failed, {empty} without documents, "
                     "{rejected} from senders not allowed.", processed=result.processed, failed=result.failed,
                     empty=result.empty, rejected=result.rejected))
    return 0


def _text(error: Exception) -> str:
    """Return an error's message as text; imaplib's come as bytes."""
    reason = error.args[0] if error.args else error
    return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
