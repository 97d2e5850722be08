"""Collect the documents of a parsed message: its file parts, and the files inside its ZIP and TNEF attachments.

Every file part is classified by content (`bot.mail.content.classify`).
PDF, XLSX, XLS, ODS and CSV files become `Attachment`s. ZIP archives and TNEF streams
(winmail.dat) are unpacked, and their files are classified the same way. An
archive inside an archive is unpacked too, but one more level is not. Files
that are no documents, such as signature logos, are listed in ``ignored``,
and files above the size limit are listed in ``oversized``, so the caller
can reply about them and still take in the rest.
"""

from __future__ import annotations

import email.message
import hashlib
from dataclasses import dataclass, field
from email.errors import InvalidBase64LengthDefect
from typing import Literal

from bot.errors import InputError
from bot.i18n import N_
from bot.mail.archives import ArchiveError, ExtractionBudget, unpack_tnef, unpack_zip
from bot.mail.content import classify
from bot.mail.filenames import part_filename, safe_filename

# A monthly forward carries three documents, plus perhaps signature images
# and a few extra files. A message with more is not a forward to process.
MAX_ATTACHMENTS = 20

# Parts of this depth or deeper are not unpacked: 0 is a part of the
# message, 1 a file in its archive, 2 a file in an archive in that archive.
MAX_ARCHIVE_DEPTH = 2

BODY_TYPES = ("text/plain", "text/html")
DOCUMENT_KINDS = ("pdf", "xlsx", "xls", "ods", "csv")
ATTACHMENT_LOCATION = N_("message {label}, attachment '{filename}'")

# "image", "signature", "empty", "outlook_msg" (an Outlook .msg file, which
# nothing installed reads), "not_a_document" (any other file, calendar
# entries and contact cards included) and "nested_archive" (an archive
# deeper than MAX_ARCHIVE_DEPTH).
IgnoreReason = Literal["image", "signature", "not_a_document", "empty", "outlook_msg", "nested_archive"]


@dataclass(frozen=True)
class Attachment:
    """One document of a message, with the SHA-256 hex digest of its content.

    ``filename`` is a safe base name to store the file under.
    ``display_name`` names the file in messages: the same name for a part of
    the message, ``<archive>/<path in the archive>`` for a file unpacked from
    a ZIP or TNEF attachment. ``content_type`` is the declared type, or for
    an unpacked file the type its name suggests. Only the content decided
    that the file is a PDF, XLSX or CSV document.
    """

    filename: str
    content: bytes
    content_type: str
    sha256: str
    display_name: str


@dataclass(frozen=True)
class IgnoredPart:
    """A file of the message that is not a document, named as in `Attachment.display_name`."""

    filename: str
    reason: IgnoreReason


@dataclass(frozen=True)
class OversizedPart:
    """A file larger than the attachment limit, left unread.

    ``size`` is in bytes, and ``error`` is the `InputError` to show the
    sender, which names the message and the file.
    """

    filename: str
    size: int
    error: InputError = field(compare=False, repr=False)


@dataclass(frozen=True)
class MessageFiles:
    """The files of a message, sorted into documents, ignored files and files above the size limit."""

    attachments: tuple[Attachment, ...]
    ignored: tuple[IgnoredPart, ...]
    oversized: tuple[OversizedPart, ...]


def collect_files(
    message: email.message.Message, *, source: str, message_label: str, max_attachment_bytes: int
) -> MessageFiles:
    """Sort the file parts of ``message``, forwarded messages included, unpacking archives.

    ``source`` and ``message_label`` name the message in errors. Raises
    `InputError` for more than `MAX_ATTACHMENTS` file parts, for a part that
    cannot be decoded and for an archive that cannot be unpacked (see
    `bot.mail.archives`).
    """
    parts = [part for part in message.walk() if _is_file_part(part)]
    if len(parts) > MAX_ATTACHMENTS:
        raise InputError(
            source,
            N_("message {label} has {count} attachments, more than the limit of {limit}"),
            fix=N_("send only the order report and the card statement"),
            label=message_label,
            count=len(parts),
            limit=MAX_ATTACHMENTS,
        )

    collector = _Collector(source, message_label, max_attachment_bytes)
    for part in parts:
        name = safe_filename(part_filename(part))
        collector.add(name, _decode_payload(collector, part, name), part.get_content_type(), depth=0)
    return MessageFiles(tuple(collector.attachments), tuple(collector.ignored), tuple(collector.oversized))


def _is_file_part(part: email.message.Message) -> bool:
    """Return whether a part is a file rather than a container or the message text.

    ``walk()`` yields forwarded messages and multipart containers before
    their parts, so those are skipped here and their parts are seen on their
    own. A named part, or one marked as an attachment, is a file even when
    it is text. Otherwise plain text and HTML are the message text, and
    everything else is a file, such as a PDF that a client sent inline
    without a name.
    """
    if part.is_multipart() or part.get_content_maintype() in ("multipart", "message"):
        return False
    if part.get_content_disposition() == "attachment" or part_filename(part):
        return True
    return part.get_content_type() not in BODY_TYPES


def _decode_payload(collector: _Collector, part: email.message.Message, name: str) -> bytes:
    content = part.get_payload(decode=True) or b""
    # The standard library decodes what it can of damaged base64 and records a
    # defect. Only a wrong length leaves it nothing to decode.
    if any(isinstance(defect, InvalidBase64LengthDefect) for defect in part.defects):
        raise collector.error(
            name,
            N_("attachment cannot be decoded: {reason}"),
            fix=N_("attach the file again"),
            reason="its base64 text has an invalid length",
        )
    return content


class _Collector:
    """The files found so far in one message, and the unpacking budget they share."""

    def __init__(self, source: str, message_label: str, max_attachment_bytes: int):
        self.source = source
        self.message_label = message_label
        self.max_attachment_bytes = max_attachment_bytes
        self.budget = ExtractionBudget()
        self.attachments: list[Attachment] = []
        self.ignored: list[IgnoredPart] = []
        self.oversized: list[OversizedPart] = []

    def add(self, display_name: str, content: bytes, content_type: str, *, depth: int) -> None:
        """Sort one file into documents, ignored or oversized files, unpacking it when it is an archive."""
        if len(content) > self.max_attachment_bytes:
            self.add_oversized(display_name, len(content))
            return

        filename = safe_filename(display_name)
        kind = classify(content, filename=filename, content_type=content_type)
        if kind in DOCUMENT_KINDS:
            digest = hashlib.sha256(content).hexdigest()
            self.attachments.append(Attachment(filename, content, content_type, digest, display_name))
        elif kind not in ("zip", "tnef"):
            self.ignored.append(IgnoredPart(display_name, kind))
        elif depth >= MAX_ARCHIVE_DEPTH:
            self.ignored.append(IgnoredPart(display_name, "nested_archive"))
        else:
            self.unpack(display_name, content, kind, depth=depth)

    def unpack(self, display_name: str, content: bytes, kind: Literal["zip", "tnef"], *, depth: int) -> None:
        try:
            if kind == "zip":
                unpacked = unpack_zip(content, max_member_bytes=self.max_attachment_bytes, budget=self.budget)
                members, oversized = unpacked.members, unpacked.oversized
            else:
                members, oversized = unpack_tnef(content), ()
        except ArchiveError as error:
            raise self.error(display_name, error.message, fix=error.fix, **error.params) from None

        if not members and not oversized:
            self.ignored.append(IgnoredPart(display_name, "empty"))
        for path, size in oversized:
            self.add_oversized(f"{display_name}/{path}", size)
        for member in members:
            self.add(f"{display_name}/{member.path}", member.content, member.content_type, depth=depth + 1)

    def add_oversized(self, display_name: str, size: int) -> None:
        error = self.error(
            display_name,
            N_("attachment is {size} bytes, more than the limit of {limit}"),
            fix=N_("send the document as CSV or a smaller PDF"),
            size=size,
            limit=self.max_attachment_bytes,
        )
        self.oversized.append(OversizedPart(display_name, size, error))

    def error(self, display_name: str, message: str, *, fix: str, **params: object) -> InputError:
        """Build an `InputError` located at one file of the message."""
        return InputError(
            self.source,
            message,
            location=ATTACHMENT_LOCATION,
            fix=fix,
            label=self.message_label,
            filename=display_name,
            **params,
        )
