"""Free text for DATEV files: Windows-1252 only, no line breaks, no formula start, and a visible cut.

DATEV reads EXTF files as Windows-1252 (cp1252). A character outside it
is replaced by its letter without accents where Unicode decomposes it
(``ő`` becomes ``o``), by a listed spelling (``ł`` becomes ``l``), or
else by ``?``, so an emoji becomes ``?``. Control characters such as
tab and line breaks become spaces.

Text longer than its field is cut and ends with ``…`` (0x85 in cp1252),
so a reader sees that it was shortened. Every character left after the
conversion is one byte in cp1252 and one code point, so a cut by code
points never splits a character.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from connectors.spreadsheet import neutralise

ENCODING = "cp1252"
CUT_MARKER = "\u2026"    # "…", one byte (0x85) in cp1252
UNKNOWN = "?"

# Letters that Unicode does not decompose into a cp1252 letter, such as the Sámi and Polish ones.
TRANSLITERATIONS = {
    "đ": "d", "Đ": "D", "ŋ": "n", "Ŋ": "N", "ŧ": "t", "Ŧ": "T", "ł": "l", "Ł": "L", "ı": "i",
    "ħ": "h", "Ħ": "H", "ẞ": "SS", "\u2010": "-", "\u2011": "-", "\u2212": "-",
}


def to_cp1252(text: str) -> str:
    """Return ``text`` with only characters that cp1252 encodes, and spaces for control characters."""
    return "".join(_convert(character) for character in unicodedata.normalize("NFC", text))


def shorten(text: str, limit: int) -> str:
    """Return ``text`` cut to ``limit`` characters, ending with the cut marker when it was longer."""
    if len(text) <= limit:
        return text
    return text[:limit - 1].rstrip() + CUT_MARKER


def text_field(text: str, limit: int) -> str:
    """Convert free text for a DATEV text field of at most ``limit`` characters.

    The formula check runs before the conversion, so that a leading tab
    still counts. It runs again after it, because the conversion can turn
    a fullwidth ``＝`` into ``=``.
    """
    return shorten(neutralise(to_cp1252(neutralise(text))), limit)


def encodable(text: str) -> bool:
    """Return True when cp1252 encodes every character of ``text`` and none is a control character."""
    return all(_cp1252_printable(character) for character in text)


@lru_cache(maxsize=4096)
def _convert(character: str) -> str:
    if unicodedata.category(character) == "Cc":
        return " "
    if _cp1252_printable(character):
        return character
    if character in TRANSLITERATIONS:
        return TRANSLITERATIONS[character]

    # Keep the base letters of a decomposition and drop its accents, as in ő -> o or ﬁ -> fi.
    decomposed = unicodedata.normalize("NFKD", character)
    base = "".join(part for part in decomposed if not unicodedata.combining(part))
    if base and all(_cp1252_printable(part) for part in base):
        return base
    # Joiners, variation selectors and stray accents carry no letter of their own.
    if unicodedata.category(character) in ("Cf", "Mn", "Me"):
        return ""
    return UNKNOWN


@lru_cache(maxsize=4096)
def _cp1252_printable(character: str) -> bool:
    if unicodedata.category(character) == "Cc":
        return False
    try:
        character.encode(ENCODING)
    except UnicodeEncodeError:
        return False
    return True
