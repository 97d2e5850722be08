"""Every message the command line shows has a Norwegian translation with the same placeholders.

A message may live in any catalog file of the language except nlp.po, which the NLP tests check.
"""

from pathlib import Path
from string import Formatter

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import bot
import connectors

PACKAGE = Path(bot.__file__).parent
KEYWORDS = {"_": None, "N_": None, "translator": None}
CATALOG_FILES = tuple(sorted(path.name for path in (PACKAGE / "locale" / "nb" / "LC_MESSAGES").glob("*.po")
                            if path.name != "nlp.po"))


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def read_catalog(language: str, filename: str) -> dict[str, str]:
    with (PACKAGE / "locale" / language / "LC_MESSAGES" / filename).open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return {message.id: message.string for message in catalog if message.id and not message.fuzzy}


def norwegian_catalog() -> dict[str, str]:
    merged: dict[str, str] = {}
    for filename in CATALOG_FILES:
        merged |= read_catalog("nb", filename)
    return merged


def used_messages() -> set[str]:
    """Messages marked in bot/ outside bot/nlp, which keeps its own catalog, and in connectors/."""
    in_bot = {
        message
        for filename, _, message, *_ in extract_from_dir(PACKAGE, keywords=KEYWORDS)
        if not filename.startswith("nlp/") and isinstance(message, str)
    }
    in_connectors = {
        message
        for _, _, message, *_ in extract_from_dir(Path(connectors.__file__).parent, keywords=KEYWORDS)
        if isinstance(message, str)
    }
    return in_bot | in_connectors


def test_every_used_message_translated():
    catalog = norwegian_catalog()

    missing = sorted(used_messages() - set(catalog))
    assert missing == []


def test_no_unused_translations():
    unused = sorted(set(norwegian_catalog()) - used_messages())

    assert unused == []


def test_translations_keep_placeholders():
    for message, translation in norwegian_catalog().items():
        assert translation, f"empty translation for {message!r}"
        assert placeholders(translation) == placeholders(message), message


def test_no_message_in_two_files():
    catalogs = [set(read_catalog("nb", filename)) for filename in CATALOG_FILES]

    for index, first in enumerate(catalogs):
        for second in catalogs[index + 1:]:
            assert sorted(first & second) == []


def test_english_errors_match_norwegian():
    """The English catalog lists the same error ids, with empty texts that fall back to the ids."""
    english = read_catalog("en", "errors.po")

    assert set(english) == set(read_catalog("nb", "errors.po"))
    assert [message for message, text in english.items() if text] == []
