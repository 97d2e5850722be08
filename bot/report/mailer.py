"""The report by email: one message with a plain-text body and the chart attached, to every recipient at once.

It goes through the [smtp] server that replies use, with the same TLS,
login and password variable (see ``bot.mail.smtp``). Connection errors and
temporary (4xx) replies are retried on a new connection after waits of 1, 2
and 4 s. Permanent (5xx) replies are not retried.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from collections.abc import Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from bot.config import Settings
from bot.errors import ConfigError
from bot.i18n import N_
# The reply sender's helpers, so that both read the password and classify SMTP errors alike.
from bot.mail.smtp import DISPLAY_NAME, TIMEOUT_SECONDS, _close, _describe, _is_temporary, _password

log = logging.getLogger(__name__)

ATTEMPTS = 4
BACKOFF_SECONDS = 1.0  # the first wait; each further wait doubles it


class ReportMailError(RuntimeError):
    """The report was not sent; the message names the server and the SMTP error."""


def build_message(settings: Settings, *, subject: str, body: str, plot: bytes, plot_filename: str) -> EmailMessage:
    """Build the report message from smtp.from_address to report.recipients, with the PNG attached."""
    if not settings.smtp.from_address:
        raise ConfigError(settings.source or "config.toml", N_("no sender address for the monthly report"),
                          location=N_("key {key}"), key="smtp.from_address",
                          fix=N_("set smtp.from_address to the address the report is sent from"))
    sender = Address(DISPLAY_NAME, addr_spec=settings.smtp.from_address)

    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(settings.report.recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.domain)
    # RFC 3834: automatic responders must not respond to a generated report.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body, charset="utf-8", cte="quoted-printable")
    message.add_attachment(plot, maintype="image", subtype="png", filename=plot_filename)
    message["Content-Language"] = settings.language
    return message


def send_message(settings: Settings, message: EmailMessage, recipients: Sequence[str], *,
                 ssl_context: ssl.SSLContext | None = None) -> None:
    """Send ``message`` to ``recipients`` over [smtp], retrying temporary failures; raise ReportMailError."""
    smtp = settings.smtp
    password = _password(smtp, settings.source or "config.toml")
    context = ssl_context or ssl.create_default_context()

    for attempt in range(1, ATTEMPTS + 1):
        try:
            _deliver(settings, message, recipients, password, context)
            break
        except OSError as exc:  # smtplib's errors are OSErrors too
            if not _is_temporary(exc) or attempt == ATTEMPTS:
                log.error("monthly report %s not sent via %s:%d after %d attempts: %s", message["Message-ID"],
                          smtp.host, smtp.port, attempt, exc)
                raise ReportMailError(f"the report to {len(recipients)} recipients was not sent via "
                                      f"{smtp.host}:{smtp.port}: {_describe(exc)}") from exc
            wait = BACKOFF_SECONDS * 2 ** (attempt - 1)
            log.warning("monthly report %s failed (attempt %d of %d), retrying in %.0f s: %s", message["Message-ID"],
                        attempt, ATTEMPTS, wait, exc)
            time.sleep(wait)
    log.info("monthly report %s sent to %d recipients via %s:%d", message["Message-ID"], len(recipients), smtp.host,
             smtp.port)


def _deliver(settings: Settings, message: EmailMessage, recipients: Sequence[str], password: str | None,
             context: ssl.SSLContext) -> None:
    """Send the message over one new connection, with STARTTLS or TLS from the first byte."""
    smtp = settings.smtp
    if smtp.security == "tls":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=TIMEOUT_SECONDS, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=TIMEOUT_SECONDS)

    try:
        if smtp.security == "starttls":
            client.starttls(context=context)
        if smtp.username:
            client.login(smtp.username, password)
        client.send_message(message, from_addr=smtp.from_address, to_addrs=list(recipients))
    finally:
        _close(client)
