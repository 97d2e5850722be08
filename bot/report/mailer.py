"""The report by email: one message with a plain-text body and the chart attached, to every recipient at once.

It goes through the [smtp] server that replies use, with the same TLS,
login, password variable and retries (see ``bot.mail.smtp.deliver``).
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from bot.config import Settings
from bot.errors import ConfigError
from bot.i18n import N_
from bot.mail.smtp import DISPLAY_NAME, SendError, deliver, smtp_password


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
    password = smtp_password(settings.smtp, settings.source or "config.toml")
    label = f"monthly report {message['Message-ID']} to {len(recipients)} recipients"
    try:
        deliver(settings.smtp, message, list(recipients), password, label=label, ssl_context=ssl_context)
    except SendError as exc:
        raise ReportMailError(str(exc)) from exc
