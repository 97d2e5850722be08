"""Sending a reply to a forwarded mail over SMTP, threaded under the original message.

The connection uses STARTTLS (``smtplib.SMTP`` + ``starttls``) or TLS from
the first byte (``smtplib.SMTP_SSL``), never plain text, and logs in when
``smtp.username`` is set, with the password from the environment variable
that ``smtp.password_env`` names.

Connection errors and temporary (4xx) replies are retried on a new
connection after waits of 1, 2 and 4 s. A server that accepted the message
but dropped the connection before its 250 response arrived may get it
twice, as with any SMTP client that retries. Permanent (5xx) replies are not
retried.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid

from bot.config import SmtpSettings, environment_secret
from bot.errors import AllocbotError, ConfigError
from bot.i18n import N_

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30
ATTEMPTS = 4
BACKOFF_SECONDS = 1.0  # the first wait; each further wait doubles it
DISPLAY_NAME = "allocbot"


class SendError(AllocbotError):
    """A reply that could not be sent; ``temporary`` is True when the last error was a 4xx reply or a network error."""

    def __init__(self, message: str, *, temporary: bool):
        super().__init__(message)
        self.temporary = temporary


def send_reply(settings: SmtpSettings, *, to: str, subject: str, body: str, in_reply_to: str, references: str,
               language: str, ssl_context: ssl.SSLContext | None = None, source: object = "config.toml") -> str:
    """Send ``body`` as a reply to the message ``in_reply_to`` and return the reply's Message-ID.

    ``references`` is the original's References header, which gets the
    original's Message-ID appended. The message goes to ``to`` alone, which
    must be one address. ``source`` names the settings file in a
    `ConfigError` (a missing sender address or password). Raises `SendError`
    when the server rejects the message or stays unreachable.
    """
    recipient = _single_address(to)
    password = smtp_password(settings, source)
    message = _build_reply(settings, to=to, subject=subject, body=body, in_reply_to=in_reply_to,
                           references=references, language=language, source=source)
    message_id = str(message["Message-ID"])
    deliver(settings, message, [recipient], password, label=f"reply {message_id} to {recipient}",
            ssl_context=ssl_context)
    return message_id


def deliver(settings: SmtpSettings, message: EmailMessage, recipients: list[str], password: str | None, *,
            label: str, ssl_context: ssl.SSLContext | None = None) -> None:
    """Send ``message`` to ``recipients``, retrying connection errors and temporary (4xx) replies; raise SendError.

    Each attempt opens a new connection. ``label`` names the message in
    the log and in the error, such as "reply <id> to ola@firma.no".
    """
    context = ssl_context or ssl.create_default_context()
    for attempt in range(1, ATTEMPTS + 1):
        try:
            _deliver(settings, message, recipients, password, context)
            break
        except OSError as exc:  # smtplib's errors are OSErrors too
            temporary = _is_temporary(exc)
            if not temporary or attempt == ATTEMPTS:
                log.error("%s not sent via %s:%d after %d attempts: %s", label, settings.host, settings.port,
                          attempt, exc)
                raise SendError(f"{label} not sent via {settings.host}:{settings.port}: {_describe(exc)}",
                                temporary=temporary) from exc
            wait = BACKOFF_SECONDS * 2 ** (attempt - 1)
            log.warning("%s failed (attempt %d of %d), retrying in %.0f s: %s", label, attempt, ATTEMPTS, wait, exc)
            time.sleep(wait)

    log.info("sent %s via %s:%d", label, settings.host, settings.port)


def _build_reply(settings: SmtpSettings, *, to: str, subject: str, body: str, in_reply_to: str, references: str,
                language: str, source: object = "config.toml") -> EmailMessage:
    """Build the reply with its threading headers and a UTF-8 text body."""
    if not settings.from_address:
        raise ConfigError(source, N_("no sender address for replies"), location=N_("key {key}"),
                          key="smtp.from_address",
                          fix=N_("set smtp.from_address to the address of the mailbox that allocbot reads, "
                                 "so that answers to its replies reach it"))
    sender = Address(DISPLAY_NAME, addr_spec=settings.from_address)

    message = EmailMessage()
    message["From"] = sender
    message["To"] = _one_line(to)
    message["Subject"] = _one_line(subject)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.domain)

    original = _one_line(in_reply_to)
    if original:
        message["In-Reply-To"] = original
    thread = _one_line(references).split()
    if original and original not in thread:
        thread.append(original)
    if thread:
        message["References"] = " ".join(thread)

    # RFC 3834: vacation responders and other automatic responders must not respond to this message.
    message["Auto-Submitted"] = "auto-replied"
    # Exchange's own form of the same request ([MS-OXCMAIL] 2.1.3.2.20): no out-of-office or other
    # automatic replies. Delivery failure reports stay on, so a bounce still reaches the bot's mailbox.
    message["X-Auto-Response-Suppress"] = "OOF, AutoReply"

    # Quoted-printable keeps the body 7-bit, which every server accepts.
    message.set_content(body, charset="utf-8", cte="quoted-printable")
    # Set after the body, because set_content removes every Content-* header.
    message["Content-Language"] = language
    return message


def _deliver(settings: SmtpSettings, message: EmailMessage, recipients: list[str], password: str | None,
             context: ssl.SSLContext) -> None:
    """Send the message over one new connection."""
    if settings.security == "tls":
        client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT_SECONDS, context=context)
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)

    try:
        if settings.security == "starttls":
            client.starttls(context=context)
        if settings.username:
            client.login(settings.username, password)
        # The envelope names the recipient explicitly, so no header can add another.
        client.send_message(message, from_addr=settings.from_address, to_addrs=recipients)
    finally:
        _close(client)


def _close(client: smtplib.SMTP) -> None:
    """Send QUIT and close; a failing QUIT is ignored, because the message was sent or its error is raised already."""
    try:
        client.quit()
    except OSError:
        client.close()


def smtp_password(settings: SmtpSettings, source: object) -> str | None:
    """Read the SMTP password from the environment; None when no login is configured."""
    if not settings.username:
        return None
    if not settings.password_env:
        raise ConfigError(source, N_("no password variable for the SMTP user {username}"), location=N_("key {key}"),
                          key="smtp.password_env",
                          fix=N_("set smtp.password_env to the name of the environment variable with the password"),
                          username=settings.username)
    password = environment_secret(settings.password_env)
    if password is None:
        raise ConfigError(source, N_("environment variable {variable} is not set"), location=N_("key {key}"),
                          key="smtp.password_env",
                          fix=N_("export {variable} with the password of the SMTP user {username}"),
                          variable=settings.password_env, username=settings.username)
    # smtplib (checked in Python 3.11) encodes AUTH PLAIN and LOGIN as ASCII and would fail mid-login otherwise.
    if not password.isascii():
        raise ConfigError(source, N_("the password in {variable} has characters outside ASCII, "
                                     "which Python's smtplib cannot send"), location=N_("key {key}"),
                          key="smtp.password_env", fix=N_("choose an SMTP password of ASCII characters only"),
                          variable=settings.password_env)
    return password


def _is_temporary(error: OSError) -> bool:
    """Return whether another attempt may succeed: a 4xx reply or a network error."""
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(error, smtplib.SMTPException):
        # Such as a server without STARTTLS or without a common login method.
        return False
    if isinstance(error, ssl.SSLCertVerificationError):
        return False
    return True


def _describe(error: OSError) -> str:
    """Render an SMTP error with the server's reply as text, not as the bytes smtplib keeps."""
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error
        if isinstance(reply, bytes):
            reply = reply.decode("utf-8", "replace")
        return f"{error.smtp_code} {reply}"
    return str(error) or type(error).__name__


def _single_address(to: str) -> str:
    """Return the address in ``to``; raise ValueError unless it is exactly one address."""
    addresses = getaddresses([_one_line(to)])
    if len(addresses) != 1 or "@" not in addresses[0][1]:
        raise ValueError(f"invalid recipient {to!r}: expected exactly one address")
    return addresses[0][1]


def _one_line(value: str) -> str:
    """Collapse whitespace, so a folded or injected line break from the original headers cannot add a header."""
    return " ".join(value.split())
