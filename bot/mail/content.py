"""Decide what an attachment contains from its bytes, before its declared type or name.

Mail clients declare PDFs as ``application/octet-stream``, mark them inline,
or drop the file name, so the first bytes decide wherever a format has a
signature. The declared type and name decide only the rest: images in other
formats, signature files, Outlook messages, calendar entries and contact
cards. Whether a document is an order report or a card statement is decided
later, by `bot.documents.detect_kind`, which reads the same formats.
"""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Literal

from bot.documents.detect import PDF_MAGIC
from bot.documents.table import DELIMITERS, decode_text
from bot.documents.workbook import ODS_MIMETYPE, ZIP_MAGIC
from bot.errors import InputError
from bot.mail.archives import MAX_ZIP_ENTRIES, TNEF_MAGIC, count_zip_entries

# "pdf", "xlsx", "xls", "ods" and "csv" are documents, "zip" and "tnef" are
# containers to unpack, and the rest are reasons to leave a file out.
ContentKind = Literal[
    "pdf", "xlsx", "xls", "ods", "csv", "zip", "tnef", "empty", "image", "signature", "outlook_msg",
    "not_a_document"
]

EMPTY_ZIP_MAGIC = b"PK\x05\x06"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Outlook .msg, and also old .xls and .doc
# An Excel 97-2003 file is an OLE2 file with a stream named "Workbook", or
# "Book" in Excel 5. The OLE2 directory stores these names in UTF-16LE.
OLE2_WORKBOOK_STREAMS = ("Workbook\0".encode("utf-16-le"), "Book\0".encode("utf-16-le"))
IMAGE_MAGICS = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")

SIGNATURE_TYPES = frozenset({
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
    "application/pgp-signature",
})
SIGNATURE_SUFFIXES = (".p7s", ".asc", ".sig")
OUTLOOK_MESSAGE_TYPE = "application/vnd.ms-outlook"
TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
# Text formats that are not tables, although their lines may contain ";" or ",".
OTHER_TEXT_TYPES = frozenset({"text/calendar", "text/vcard", "text/x-vcard", "text/directory", "text/html", "text/rtf",
                              "application/rtf", "application/ics"})
OTHER_TEXT_SUFFIXES = (".ics", ".vcf", ".vcs", ".htm", ".html", ".rtf")

# The bytes a CSV check reads: enough for the first records, and cheap for a
# 20 MB file because only the start is decoded.
SAMPLE_BYTES = 64 * 1024
ALLOWED_CONTROLS = frozenset("\t\r\n")


def classify(content: bytes, *, filename: str, content_type: str) -> ContentKind:
    """Return what ``content`` is: a document format, a container to unpack, or why it is left out."""
    name = filename.lower()

    if not content.strip():
        return "empty"
    if content.startswith(PDF_MAGIC):
        return "pdf"
    if content.startswith(TNEF_MAGIC) or content_type in TNEF_TYPES:
        # A declared TNEF part without the signature fails to unpack with an error naming it.
        return "tnef"
    if content.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        return _classify_zip(content)
    if content.startswith(IMAGE_MAGICS) or content_type.startswith("image/"):
        return "image"
    if content_type in SIGNATURE_TYPES or name.endswith(SIGNATURE_SUFFIXES):
        return "signature"
    if content_type == OUTLOOK_MESSAGE_TYPE or (content.startswith(OLE2_MAGIC) and name.endswith(".msg")):
        return "outlook_msg"
    if content.startswith(OLE2_MAGIC) and any(stream in content for stream in OLE2_WORKBOOK_STREAMS):
        return "xls"
    if content_type in OTHER_TEXT_TYPES or name.endswith(OTHER_TEXT_SUFFIXES):
        return "not_a_document"
    if _is_table_text(filename, content):
        return "csv"
    return "not_a_document"


def _classify_zip(content: bytes) -> ContentKind:
    """Tell an XLSX or ODS workbook from other office files and from a plain ZIP archive.

    An archive that cannot be read, or has too many entries to open, is
    returned as "zip", so unpacking it raises the error that names it.
    """
    if count_zip_entries(content) > MAX_ZIP_ENTRIES:
        return "zip"
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, ValueError, OSError):
        return "zip"

    if mimetype.strip() == ODS_MIMETYPE:
        return "ods"
    if mimetype:
        # An OpenDocument text or presentation, which contains no table.
        return "not_a_document"
    if "[Content_Types].xml" not in names:
        return "zip"
    if any(name.startswith("xl/") for name in names):
        return "xlsx"
    # A Word or PowerPoint file, which is an archive too but contains no table.
    return "not_a_document"


def _is_table_text(filename: str, content: bytes) -> bool:
    """Return whether the start of ``content`` reads as delimited text, as `bot.documents.table` reads it.

    The first two records must split into the same number of fields, at
    least two, so prose, RTF and HTML with a stray ";" are not taken for a
    table.
    """
    sample = content[:SAMPLE_BYTES]
    if len(content) > SAMPLE_BYTES and b"\n" in sample:
        # Cut at a line end, which never splits a UTF-8 character.
        sample = sample[:sample.rindex(b"\n") + 1]
    try:
        text = decode_text(filename, sample)
    except InputError:
        return False
    if any(ord(character) < 32 and character not in ALLOWED_CONTROLS for character in text):
        return False

    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return False
    delimiter = max(DELIMITERS, key=lines[0].count)
    records = list(csv.reader(io.StringIO("\n".join(lines[:2])), delimiter=delimiter))
    counts = {len(record) for record in records}
    return len(counts) == 1 and counts.pop() >= 2
