"""Read a received message (.eml) with mail-parser: headers, body and attachments.

Controllers forward the bank's and Amazon's mails, so the documents often sit
inside a forwarded message (a ``message/rfc822`` part). mail-parser 4.8 walks
the parts with the standard library's ``Message.walk()``, which descends
into such parts, so their attachments are listed with the outer ones. The
forwarded message itself is listed too. It is left out here, because its
files are already in the list.

One case needs its own step: some clients send the forwarded message in
base64, which RFC 2046 forbids for ``message/rfc822``. The standard library
then parses the base64 text as a message without headers, and the nested
files are lost. Such parts are decoded here with the standard library's
``email`` package before mail-parser reads the message.

The input is untrusted: file names are reduced to a safe base name, and the
message size, the number of attachments and each attachment's size are
capped.
"""

from __future__ import annotations

import base64
import binascii
import email.message
import hashlib
import logging
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from email.feedparser import BytesFeedParser
from pathlib import Path

import mailparser

from bot.errors import InputError
from bot.i18n import N_

log = logging.getLogger(__name__)

# Common mail services (Gmail, Outlook.com) reject messages above 20 to 25 MB,
# so a genuine forward is smaller. The message limit is higher because base64
# makes the message file about a third larger than its attachments.
MAX_MESSAGE_BYTES = 40 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024

# A monthly forward carries three documents, plus perhaps signature images
# and a few extra files. A message with more is not a forward to process.
MAX_ATTACHMENTS = 20

CONTAINER_TYPES = ("multipart/", "message/")
FALLBACK_FILENAME = "attachment"
ATTACHMENT_LOCATION = N_("message {label}, attachment '{filename}'")


@dataclass(frozen=True)
class Attachment:
    """One file of a message, with the SHA-256 hex digest of its content."""

    filename: str
    content: bytes
    content_type: str
    sha256: str


@dataclass(frozen=True)
class ReceivedMail:
    """A parsed message.

    ``date`` is the Date header in UTC (timezone-aware), or None when it is
    missing or invalid. ``body`` is the text of all plain-text parts,
    including those of forwarded messages. ``message_id`` is "" when the
    header is missing.
    """

    message_id: str
    sender: str
    subject: str
    date: datetime | None
    body: str
    attachments: tuple[Attachment, ...]


def read_eml(path: Path) -> ReceivedMail:
    """Parse a message file and collect its attachments, including those of forwarded messages.

    Raises `InputError` when the message has no attachments or breaks one
    of the limits above.
    """
    data = _read_capped(path)
    try:
        message = _parse_bytes(data)
        _decode_forwarded_messages(path, message)
        mail = mailparser.MailParser(message)
    except RecursionError:
        raise InputError(
            path.name,
            N_("message nests parts too deeply to be read"),
            fix=N_("forward the original message with the documents attached"),
        ) from None
    message_id = (mail.message_id or "").strip()
    label = message_id or "(no Message-ID)"

    attachments = _collect_attachments(path, label, mail)
    if not attachments:
        raise InputError(
            path.name,
            N_("message {label} has no attachments"),
            fix=N_("attach the Amazon Business order report and the card statement and send the message again"),
            label=label,
        )

    received = ReceivedMail(
        message_id=message_id,
        sender=_sender(mail),
        subject=mail.subject or "",
        date=mail.date,
        body="\n".join(mail.text_plain) if mail.text_plain else mail.body,
        attachments=attachments,
    )
    log.info(
        "read message %s from %s: %d attachments %s",
        message_id,
        received.sender,
        len(attachments),
        [attachment.filename for attachment in attachments],
    )
    return received


def safe_filename(name: str | None) -> str:
    """Reduce an attachment's file name to a base name without control characters.

    POSIX and Windows path separators are removed with the directories
    before them. Control and format characters (such as right-to-left
    overrides) are dropped. An empty or dot-only result becomes
    ``attachment``.
    """
    text = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(character for character in text if unicodedata.category(character) not in ("Cc", "Cf"))
    text = text.strip()
    if text.strip(".") == "":
        return FALLBACK_FILENAME
    return text


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


def _decode_forwarded_messages(path: Path, message: email.message.Message) -> None:
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
                path.name,
                N_("forwarded message cannot be decoded from base64"),
                fix=N_("forward the original message again"),
            ) from None
        del part["Content-Transfer-Encoding"]
        part.set_payload([inner])
        log.debug("%s: decoded a base64-encoded forwarded message", path.name)


def _collect_attachments(path: Path, label: str, mail: mailparser.MailParser) -> tuple[Attachment, ...]:
    parts = [part for part in mail.attachments if not part["mail_content_type"].startswith(CONTAINER_TYPES)]
    if len(parts) > MAX_ATTACHMENTS:
        raise InputError(
            path.name,
            N_("message {label} has {count} attachments, more than the limit of {limit}"),
            fix=N_("send only the order report and the card statement"),
            label=label,
            count=len(parts),
            limit=MAX_ATTACHMENTS,
        )
    # A forwarded message or other container is left out, because mail-parser
    # walks into it and lists its parts on their own.
    return tuple(_make_attachment(path, label, part) for part in parts)


def _make_attachment(path: Path, label: str, part: dict) -> Attachment:
    filename = safe_filename(part["filename"])
    content = _decode_payload(path, label, part)
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise InputError(
            path.name,
            N_("attachment is {size} bytes, more than the limit of {limit}"),
            location=ATTACHMENT_LOCATION,
            fix=N_("send the document as CSV or a smaller PDF"),
            label=label,
            filename=filename,
            size=len(content),
            limit=MAX_ATTACHMENT_BYTES,
        )
    return Attachment(
        filename=filename,
        content=content,
        content_type=part["mail_content_type"],
        sha256=hashlib.sha256(content).hexdigest(),
    )


def _decode_payload(path: Path, label: str, part: dict) -> bytes:
    """Return a leaf part's bytes, which mail-parser 4.8 hands over as base64 text."""
    try:
        return base64.b64decode(part["payload"])
    except binascii.Error as error:
        raise InputError(
            path.name,
            N_("attachment cannot be decoded: {reason}"),
            location=ATTACHMENT_LOCATION,
            fix=N_("attach the file again"),
            label=label,
            filename=safe_filename(part["filename"]),
            reason=str(error),
        ) from None


def _sender(mail: mailparser.MailParser) -> str:
    """Return the address of the first From mailbox, or "" when there is none."""
    for _name, address in mail.from_:
        if address:
            return address
    return ""
