"""Unpack the files of a ZIP archive or of a TNEF attachment (winmail.dat), within limits against hostile input.

Controllers zip several statements into one attachment, and Outlook sends
"Rich Text" messages with all attachments packed into one TNEF stream. Both
come from outside, so every size and count is capped before the bytes are
read, and again while they are read.

Errors are raised as `ArchiveError`, which carries the message id, fix and
parameters of the `bot.errors.InputError` that the caller raises with the
name of the message and attachment.
"""

from __future__ import annotations

import io
import logging
import mimetypes
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from tnefparse.mapi import IMESSAGE_SIG
from tnefparse.properties import MAPI_ATTACH_MIME_TAG
from tnefparse.tnef import TNEF, TNEFAttachment

from bot.i18n import N_
from bot.mail.filenames import printable_path

log = logging.getLogger(__name__)

# A month's statements of every card and the order reports fit in far fewer
# files. More entries than this mark an archive that is not such a forward.
# Folders count, and so do the metadata entries macOS adds for each file.
MAX_ZIP_ENTRIES = 50

# The sample company's CSV files (bot.sample) compress 4 to 7 times with
# zlib level 9, and its PDF and XLSX files about 1.2 times, so a member that
# expands more than 100 times is taken for a ZIP bomb. Members below 1 MiB
# are exempt, because they cannot exhaust memory whatever their ratio.
MAX_COMPRESSION_RATIO = 100
RATIO_EXEMPT_BYTES = 1024 * 1024

# The bytes unpacked from all archives of one message together. Four
# members at the attachment limit fit, so the cap only stops an archive
# built to fill memory.
MAX_EXTRACTED_BYTES = 100 * 1024 * 1024

READ_CHUNK_BYTES = 1024 * 1024

CENTRAL_DIRECTORY_SIGNATURE = b"PK\x01\x02"

ZIP_ENCRYPTED_FLAG = 0x1
ZIP_UTF8_FLAG = 0x800
MACOS_METADATA_FOLDER = "__MACOSX/"

# tnefparse 1.4.0 copies the rest of the stream for every object it reads,
# so parsing takes time proportional to objects times bytes. In one run on a
# development machine, 2,000 objects before a 5 MB attachment took 2.6 s and
# 20,000 took 26 s. The library defines 24 message attributes and 8 attachment
# attributes. With each written once, 256 objects carry 29 attachments.
MAX_TNEF_OBJECTS = 256
TNEF_MAGIC = b"\x78\x9f\x3e\x22"  # the signature 0x223E9F78, little-endian
TNEF_HEADER_BYTES = 6  # signature and key
TNEF_OBJECT_OVERHEAD = 11  # level, id, type, length and checksum around an object's data
TNEF_MIN_OBJECT_BYTES = 12  # tnefparse stops reading when fewer bytes are left

# Errors tnefparse 1.4.0 lets through on a damaged stream. It unpacks fixed
# fields with struct and decodes strings, and it fails on an unbound local
# variable when an attachment's field comes before the field that starts it.
TNEF_ERRORS = (ValueError, LookupError, struct.error, NameError, AssertionError, OverflowError, TypeError,
               RecursionError)

FALLBACK_TYPE = "application/octet-stream"
ZIP_REREAD_FIX = N_("create the ZIP archive again, or attach the files without a ZIP archive")
TNEF_FIX = N_("forward the message again in HTML or plain-text format, not Rich Text")


class ArchiveError(Exception):
    """An archive that cannot be unpacked: the message id, fix and parameters of the error to report."""

    def __init__(self, message: str, *, fix: str, **params: object):
        self.message = message
        self.fix = fix
        self.params = params
        super().__init__(message.format(**params))


@dataclass(frozen=True)
class Member:
    """One file unpacked from an archive.

    ``path`` is its name inside the archive, folders included and control
    characters removed, for messages only: it may contain "..".
    """

    path: str
    content: bytes
    content_type: str


@dataclass(frozen=True)
class Unpacked:
    """The files of an archive: those read, and those left unread because they are larger than the limit."""

    members: tuple[Member, ...]
    oversized: tuple[tuple[str, int], ...]  # (path, uncompressed size in bytes)


@dataclass
class ExtractionBudget:
    """The bytes unpacked so far from the archives of one message, and their limit."""

    limit: int = MAX_EXTRACTED_BYTES
    used: int = 0

    def take(self, size: int) -> None:
        """Count ``size`` more bytes unpacked; raise `ArchiveError` when the total passes the limit."""
        if self.used + size > self.limit:
            raise ArchiveError(
                N_("the files in the message's archives are larger than {limit} bytes in total"),
                fix=N_("send the files in several messages"),
                limit=self.limit,
            )
        self.used += size


def unpack_zip(content: bytes, *, max_member_bytes: int, budget: ExtractionBudget) -> Unpacked:
    """Read the files of a ZIP archive; folders and macOS metadata (``__MACOSX/``) are skipped.

    A member larger than ``max_member_bytes`` is listed in ``oversized``
    unread. Raises `ArchiveError` for an unreadable or encrypted archive or
    member, for more than `MAX_ZIP_ENTRIES` entries, for a member that
    expands more than `MAX_COMPRESSION_RATIO` times, and when ``budget``
    runs out.
    """
    count = count_zip_entries(content)
    if count > MAX_ZIP_ENTRIES:
        raise ArchiveError(
            N_("ZIP archive has {count} entries, more than the limit of {limit}"),
            fix=N_("put at most {limit} files in one ZIP archive, or attach the files directly"),
            count=count,
            limit=MAX_ZIP_ENTRIES,
        )

    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise ArchiveError(N_("ZIP archive cannot be read: {reason}"), fix=ZIP_REREAD_FIX, reason=str(error)) from None

    with archive:
        members: list[Member] = []
        oversized: list[tuple[str, int]] = []
        for entry in archive.infolist():
            if entry.is_dir() or entry.filename.startswith(MACOS_METADATA_FOLDER):
                continue

            path = printable_path(_member_name(entry))
            if entry.flag_bits & ZIP_ENCRYPTED_FLAG:
                raise ArchiveError(
                    N_("file '{member}' in the ZIP archive is encrypted"),
                    fix=N_("attach the file without a password, or pack it again without encryption"),
                    member=path,
                )
            if entry.file_size > max_member_bytes:
                oversized.append((path, entry.file_size))
                continue

            _check_declared_ratio(entry, path)
            budget.take(entry.file_size)
            content_type = mimetypes.guess_type(path)[0] or FALLBACK_TYPE
            members.append(Member(path, _read_member(archive, entry, path), content_type))

    return Unpacked(tuple(members), tuple(oversized))


def unpack_tnef(content: bytes) -> tuple[Member, ...]:
    """Return the files of a TNEF stream, including those of messages embedded in it.

    Raises `ArchiveError` when the stream is damaged or has more than
    `MAX_TNEF_OBJECTS` objects.
    """
    if not content.startswith(TNEF_MAGIC):
        raise ArchiveError(N_("attachment is declared as TNEF (winmail.dat) but does not start with the TNEF signature"),
                           fix=TNEF_FIX)

    _check_tnef_object_count(content)
    try:
        parsed = TNEF(content)
    except TNEF_ERRORS as error:
        # The library's messages name its internals, so they are logged, not shown.
        log.warning("tnefparse cannot read a TNEF stream: %s: %s", type(error).__name__, error)
        raise ArchiveError(N_("TNEF attachment (winmail.dat) is damaged"), fix=TNEF_FIX) from None
    return tuple(_tnef_members(parsed, ""))


def count_zip_entries(content: bytes) -> int:
    """Count the central directory records of a ZIP archive without opening it.

    zipfile builds an object for every record when it opens an archive. In
    one run on a development machine, 250,000 empty entries (22 MB) took
    7 s, so the count comes first. Compressed data may contain the 4-byte
    signature by chance, so the count may be a little high, but never low.
    """
    return content.count(CENTRAL_DIRECTORY_SIGNATURE)


def _member_name(entry: zipfile.ZipInfo) -> str:
    """Return a member's name as its creator wrote it.

    The ZIP format reads names without the UTF-8 flag as code page 437.
    But macOS writes such names in UTF-8, and Windows' built-in ZIP folders
    before Windows 11 24H2 write them in the OEM code page, which is 850 in
    Western Europe. So UTF-8 is tried first, then code page 850.
    """
    if entry.flag_bits & ZIP_UTF8_FLAG:
        return entry.filename

    # zipfile decoded the name as code page 437, which maps all 256 bytes, so this returns the bytes.
    raw = entry.filename.encode("cp437")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp850")


def _check_declared_ratio(entry: zipfile.ZipInfo, path: str) -> None:
    if entry.file_size > RATIO_EXEMPT_BYTES and entry.file_size > MAX_COMPRESSION_RATIO * entry.compress_size:
        raise _bomb_error(path, entry.file_size, entry.compress_size)


def _read_member(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, path: str) -> bytes:
    """Read a member in chunks, stopping as soon as it passes its declared size.

    The declared size has passed the size and ratio checks, so the bytes
    read stay within them. CPython's zipfile stops at the declared size and
    then fails the CRC check, so the check here only guards against a
    zipfile that does not.
    """
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(entry) as stream:
            while chunk := stream.read(READ_CHUNK_BYTES):
                size += len(chunk)
                if size > entry.file_size:
                    raise ArchiveError(
                        N_("file '{member}' in the ZIP archive is larger than its header states"),
                        fix=ZIP_REREAD_FIX,
                        member=path,
                    )
                chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, OSError, ValueError) as error:
        raise ArchiveError(
            N_("file '{member}' in the ZIP archive cannot be read: {reason}"),
            fix=ZIP_REREAD_FIX,
            member=path,
            reason=str(error),
        ) from None
    return b"".join(chunks)


def _bomb_error(path: str, size: int, compressed_size: int) -> ArchiveError:
    return ArchiveError(
        N_("file '{member}' in the ZIP archive expands from {compressed} to {size} bytes, "
           "more than {ratio} times, so it is rejected as a possible ZIP bomb"),
        fix=N_("attach the file without a ZIP archive"),
        member=path,
        compressed=compressed_size,
        size=size,
        ratio=MAX_COMPRESSION_RATIO,
    )


def _check_tnef_object_count(content: bytes) -> None:
    """Count the objects of the stream and of each embedded message before tnefparse reads them.

    An embedded message starts after `IMESSAGE_SIG` inside an attachment
    object. Its end is not known without parsing, so its count runs to the
    end of the whole stream and may include a few misread objects after it.
    """
    count = _count_tnef_objects(content, 0)
    start = content.find(IMESSAGE_SIG)
    while start != -1 and count <= MAX_TNEF_OBJECTS:
        count += _count_tnef_objects(content, start + len(IMESSAGE_SIG))
        start = content.find(IMESSAGE_SIG, start + 1)

    if count > MAX_TNEF_OBJECTS:
        raise ArchiveError(
            N_("TNEF attachment (winmail.dat) has more than {limit} objects"),
            fix=TNEF_FIX,
            limit=MAX_TNEF_OBJECTS,
        )


def _count_tnef_objects(content: bytes, start: int) -> int:
    """Walk the object headers from ``start`` as tnefparse 1.4.0 does, stopping one past the limit."""
    offset = start + TNEF_HEADER_BYTES
    count = 0
    while offset + TNEF_MIN_OBJECT_BYTES < len(content) and count <= MAX_TNEF_OBJECTS:
        (length,) = struct.unpack_from("<I", content, offset + 5)
        offset += length + TNEF_OBJECT_OVERHEAD
        count += 1
    return count


def _tnef_members(parsed: TNEF, prefix: str) -> Iterator[Member]:
    for attachment in parsed.attachments:
        path = prefix + printable_path(_tnef_filename(attachment))
        embedded = getattr(attachment, "embed", None)
        if embedded is not None:
            # An Outlook message attached to the message: its files count as the outer message's.
            yield from _tnef_members(embedded, path + "/")
            continue
        yield Member(path, attachment.data, _tnef_content_type(attachment, path))


def _tnef_filename(attachment: TNEFAttachment) -> str:
    try:
        return attachment.long_filename()
    except UnicodeDecodeError:
        # tnefparse 1.4.0 decodes the short name as UTF-8, but Outlook writes
        # it in the message's code page. Its private field contains the bytes.
        return attachment._name.decode(attachment.codepage or "cp1252", "replace")


def _tnef_content_type(attachment: TNEFAttachment, path: str) -> str:
    for attribute in attachment.mapi_attrs:
        if attribute.name == MAPI_ATTACH_MIME_TAG and isinstance(attribute.data, str):
            return attribute.data.strip().lower() or FALLBACK_TYPE
    return mimetypes.guess_type(path)[0] or FALLBACK_TYPE
