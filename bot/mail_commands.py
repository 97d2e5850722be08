"""``allocbot poll --once``: read the mailbox once, reply to the senders, and print what happened."""

from __future__ import annotations

import logging

from bot.commands import build_pipeline, prepare_classifier, settings_file
from bot.config import Settings, environment_secret
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

    _check_smtp_password(settings)
    translator = Translator(settings.language)
    pipeline = build_pipeline(settings, translator=translator)
    prepare_classifier(pipeline, translator)
    intake = MailIntake(settings, pipeline, MailReplier(settings, pipeline.master, translator))
    address = f"{settings.mailbox.host}:{settings.mailbox.port}"
    try:
        result = intake.poll_once()
    except LoginError as exc:
        variable = settings.mailbox.oauth2_token_env or settings.mailbox.password_env
        raise ConfigError(settings_file(settings), N_("the mailbox {address} rejected the login: {reason}"),
                          location=N_("key {key}"), key="mailbox.username",
                          fix=N_("check mailbox.username and the password or token in {variable}"),
                          address=address, reason=_text(exc), variable=variable) from None
    except (IMAPClientError, OSError) as exc:
        raise InputError(address, N_("cannot read the mailbox: {reason}"),
                         fix=N_("check mailbox.host, mailbox.port and mailbox.security, and that the server runs"),
                         reason=_text(exc)) from None

    print(translator("Mailbox read: {processed} processed, {failed} failed, {empty} without documents, "
                     "{rejected} from senders not allowed.", processed=result.processed, failed=result.failed,
                     empty=result.empty, rejected=result.rejected))
    return 0


def _text(error: Exception) -> str:
    """Return an error's reason as readable text.

    imaplib passes the server's answer as bytes, sometimes already turned
    into the text "b'...'"; an OSError's first argument is its errno, so
    its strerror (or an SSLError's reason) is the readable part.
    """
    if isinstance(error, OSError) and not isinstance(error, IMAPClientError):
        return getattr(error, "reason", None) or error.strerror or str(error)
    reason = error.args[0] if error.args else error
    if isinstance(reason, bytes):
        return reason.decode("utf-8", "replace")
    text = str(reason)
    if len(text) > 3 and text[:2] in ("b'", 'b"') and text[-1] == text[1]:
        return text[2:-1]
    return text


def _check_smtp_password(settings: Settings) -> None:
    """Stop before reading any mail when replies could not be sent, because a message is moved either way."""
    smtp = settings.smtp
    if smtp.host and smtp.username and not environment_secret(smtp.password_env):
        raise ConfigError(settings_file(settings), N_("environment variable {variable} is not set"),
                          location=N_("key {key}"), key="smtp.password_env",
                          fix=N_("export {variable} with the SMTP server's password"), variable=smtp.password_env)
