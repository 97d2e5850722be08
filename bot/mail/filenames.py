"""Attachment file names: decode them as mail clients write them, and make them safe to store.

Clients write a non-ASCII name in one of four ways, and Norwegian names such
as "Kontoutskrift november – Ødegård.pdf" arrive in all of them:

- RFC 2231 parameters (``filename*=UTF-8''...``, continued as ``filename*0*=``),
- RFC 2047 encoded words (``=?UTF-8?B?...?=``), which RFC 2047 forbids inside
  a quoted parameter but Outlook and others write there anyway,
- raw UTF-8 or Windows-1252 bytes in the header, against RFC 2045,
- the ``name`` parameter of Content-Type when Content-Disposition has no
  ``filename``.
"""

from __future__ import annotations

import email.header
import email.message
import email.utils
import unicodedata
from email.errors import HeaderParseError

FALLBACK_FILENAME = "attachment"

# Parameters that name a part, in the order they are tried.
NAME_PARAMETERS = (("content-disposition", "filename"), ("content-type", "name"))


def part_filename(part: email.message.Message) -> str | None:
    """Return the decoded file name of a MIME part, or None when it has none.

    The result is the name as the sender wrote it, not yet safe to store:
    pass it through `safe_filename` or `printable_path`.
    """
    for header, parameter in NAME_PARAMETERS:
        value = _parameter(part, header, parameter)
        if value:
            return _decode_encoded_words(value)
    return None


def safe_filename(name: str | None) -> str:
    """Reduce an attachment's file name to a base name without control characters.

    POSIX and Windows path separators are removed with the directories
    before them. Control and format characters (such as right-to-left
    overrides) are dropped. An empty or dot-only result becomes
    ``attachment``.
    """
    text = _printable(name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if text.strip(".") == "":
        return FALLBACK_FILENAME
    return text


def printable_path(name: str | None) -> str:
    """Return a member path of an archive for messages, without control or format characters."""
    text = _printable(name or "").replace("\\", "/").strip()
    return text or FALLBACK_FILENAME


def _printable(text: str) -> str:
    return "".join(character for character in text if unicodedata.category(character) not in ("Cc", "Cf"))


def _parameter(part: email.message.Message, header: str, parameter: str) -> str | None:
    """Return a header parameter, preferring its RFC 2231 form.

    Clients send ``filename="ASCII fallback"; filename*=UTF-8''...`` and the
    standard library's ``get_filename()`` returns the first of the two, the
    fallback. The RFC 2231 form carries the name exactly, so it wins.
    """
    # The header is copied with its 8-bit bytes decoded, because the parsed
    # part returns such a header with the bytes replaced by U+FFFD.
    view = email.message.Message()
    for key, value in part.raw_items():
        if key.lower() == header:
            view[key] = _decode_raw_bytes(str(value))

    values = [value for key, value in view.get_params(header=header, failobj=[]) if key == parameter]
    encoded = [value for value in values if isinstance(value, tuple)]
    if encoded:
        return email.utils.collapse_rfc2231_value(encoded[0])
    if values:
        return str(values[0])
    return None


def _decode_raw_bytes(text: str) -> str:
    """Decode 8-bit header bytes, which the parser keeps as surrogate escapes, as UTF-8 or Windows-1252."""
    if not any("\udc80" <= character <= "\udcff" for character in text):
        return text

    data = text.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Windows-1252 leaves five bytes undefined, which become U+FFFD.
        return data.decode("cp1252", "replace")


def _decode_encoded_words(text: str) -> str:
    if "=?" not in text:
        return text
    try:
        return str(email.header.make_header(email.header.decode_header(text)))
    except (HeaderParseError, LookupError, UnicodeError):
        # With an unknown charset or a broken word, the name stays as written.
        return text
