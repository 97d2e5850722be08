"""Parse a received message with mail-parser: headers, body and the documents attached.

`parse_mail` reads a message's bytes, as fetched over IMAP or read from an
.eml file, and `read_eml` reads a file.

Controllers forward the bank's and Amazon's mails, so the documents often sit
inside a forwarded message (a ``message/rfc822`` part). The standard
library's ``Message.walk()`` descends into such parts, so their files are
found with the outer ones (see `bot.mail.attachments`, which also unpacks
ZIP and TNEF attachments and decides by content what is a document).

One case needs its own step: some clients send the forwarded message in
base64, which RFC 2046 forbids for ``message/rfc822``. The standard library
then parses the base64 text as a message without headers, and the nested
files are lost. Such parts are decoded here with the standard library's
``email`` package before the files are collected.

The input is untrusted: file names are reduced to a safe base name, and the
message size, the number of attachments, each attachment's size and what
archives unpack to are capped.
"""

from __future__ import annotations

import base64
import binascii
import email.message
import logging
from dataclasses import dataclass
from datetime import datetime
from email.feedparser import BytesFeedParser
from pathlib import Path

import mailparser

from bot.errors import InputError
from bot.i18n import N_
from bot.mail.attachments import Attachment, IgnoredPart, OversizedPart, collect_files

__all__ = ["Attachment", "IgnoredPart", "OversizedPart", "ReceivedMail", "parse_mail", "read_eml"]

log = logging.getLogger(__name__)

# Common mail services (Gmail, Outlook.com) reject messages above 20 to 25 MB,
# so a genuine forward is smaller. The message limit is higher because base64
# makes the message file about a third larger than its attachments.
MAX_MESSAGE_BYTES = 40 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024

NO_MESSAGE_ID = "(no Message-ID)"


@dataclass(frozen=True)
class ReceivedMail:
    """A parsed message.

    ``message_id`` and ``references`` are the Message-ID and References
    headers as written, unfolded, for threading a reply; each is "" when
    missing. ``date`` is the Date header in UTC (timezone-aware), or None
    when it is missing or invalid. ``body`` is the text of all plain-text
    parts, including those of forwarded messages. ``attachments`` are the
    documents, ``ignored`` the files that are no documents, and
    ``oversized`` the files above the attachment limit, left unread.
    """

    message_id: str
    references: str
    sender: str
    subject: str
    date: datetime | None
    body: str
    attachments: tuple[Attachment, ...]
    ignored: tuple[IgnoredPart, ...]
    oversized: tuple[OversizedPart, ...]


def parse_mail(raw: bytes, *, label: str, max_attachment_bytes: int = MAX_ATTACHMENT_BYTES) -> ReceivedMail:
    """Parse a message and collect its documents, including those of forwarded messages and archives.

    ``label`` names the message in errors, such as "INBOX UID 42" or a file
    name. A file above ``max_attachment_bytes`` is listed in ``oversized``
    and the others are still read. Raises `InputError` when the message has
    no file at all, is larger than `MAX_MESSAGE_BYTES`, or has a part or
    archive that cannot be read or breaks a limit of `bot.mail.attachments`.
    """
    if len(raw) > MAX_MESSAGE_BYTES:
        raise InputError(
            label,
            N_("message is {size} bytes, more than the limit of {limit}"),
            fix=N_("send the order report and the statement in a smaller message"),
            size=len(raw),
            limit=MAX_MESSAGE_BYTES,
        )

    try:
        message = _parse_bytes(raw)
        _decode_forwarded_messages(label, message)
        mail = mailparser.MailParser(message)
        message_id = _header_text(message, "Message-ID")
        message_label = message_id or NO_MESSAGE_ID
        files = collect_files(
            message, source=label, message_label=message_label, max_attachment_bytes=max_attachment_bytes
        )
    except RecursionError:
        raise InputError(
            label,
            N_("message nests parts too deeply to be read"),
            fix=N_("forward the original message with the documents attached"),
        ) from None

    if not (files.attachments or files.ignored or files.oversized):
        raise InputError(
            label,
            N_("message {label} has no attachments"),
            fix=N_("attach the Amazon Business order report and the card statement and send the message again"),
            label=message_label,
        )

    received = ReceivedMail(
        message_id=message_id,
        references=_header_text(message, "References"),
        sender=_sender(mail),
        subject=mail.subject or "",
        date=mail.date,
        body="\n".join(mail.text_plain) if mail.text_plain else mail.body,
        attachments=files.attachments,
        ignored=files.ignored,
        oversized=files.oversized,
    )
    log.info(
        "read message %s (%s) from %s: documents %s, ignored %s, oversized %s",
        message_label,
        label,
        received.sender,
        [attachment.display_name for attachment in received.attachments],
        [(part.filename, part.reason) for part in received.ignored],
        [(part.filename, part.size) for part in received.oversized],
    )
    return received


def read_eml(path: Path, *, max_attachment_bytes: int = MAX_ATTACHMENT_BYTES) -> ReceivedMail:
    """Parse a message file with `parse_mail`, naming the file in errors."""
    return parse_mail(_read_capped(path), label=path.name, max_attachment_bytes=max_attachment_bytes)


def _read_capped(path: Path) -> bytes:
    try:
        size = path.stat().st_size
    except OSError as error:
        raise InputError(path.name, N_("file cannot be read: {reason}"), reason=error.strerror) from None

    if size > MAX_MESSAGE_BYTES:
        raise InputError(
            path.name,
            N_("message is {size} bytes, more than the limit of {limit}"),
            fix=N_("send the order report and the statement in a smaller message"),
            size=size,
            limit=MAX_MESSAGE_BYTES,
        )

    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(path.name, N_("file cannot be read: {reason}"), reason=error.strerror) from None


def _parse_bytes(data: bytes) -> email.message.Message:
    # The feed parser keeps CR LF and 8-bit bytes of unencoded parts, as
    # mail-parser's own parse_from_file does, so the SHA-256 of a CSV sent
    # as 8bit matches the file the sender attached.
    parser = BytesFeedParser()
    parser.feed(data)
    return parser.close()


def _decode_forwarded_messages(source: str, message: email.message.Message) -> None:
    """Replace each base64-encoded ``message/rfc822`` part by the message it contains.

    ``walk()`` descends into a part after it is yielded, so a forward nested
    in the replaced message is decoded too.
    """
    for part in message.walk():
        encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
        if part.get_content_type() != "message/rfc822" or encoding != "base64":
            continue

        try:
            # The parser took the base64 text for the body of a headerless message.
            encoded = part.get_payload(0).get_payload()
            inner = _parse_bytes(base64.b64decode(encoded))
        except (binascii.Error, IndexError, TypeError):
            raise InputError(
                source,
                N_("forwarded message cannot be decoded from base64"),
                fix=N_("forward the original message again"),
            ) from None
        del part["Content-Transfer-Encoding"]
        part.set_payload([inner])
        log.debug("%s: decoded a base64-encoded forwarded message", source)


def _header_text(message: email.message.Message, name: str) -> str:
    """Return a header unfolded, with 8-bit bytes that are not UTF-8 replaced by U+FFFD, or "" when missing."""
    value = message.get(name)
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _sender(mail: mailparser.MailParser) -> str:
    """Return the address of the first From mailbox, or "" when there is none."""
    for _name, address in mail.from_:
        if address:
            return address
    return ""
