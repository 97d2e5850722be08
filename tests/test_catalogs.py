"""Every message the command line shows has a Norwegian translation with the same placeholders."""

from pathlib import Path
from string import Formatter

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import bot

PACKAGE = Path(bot.__file__).parent
KEYWORDS = {"_": None, "N_": None, "translator": None}


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def norwegian_catalog() -> dict[str, str]:
    with (PACKAGE / "locale" / "nb" / "LC_MESSAGES" / "allocbot.po").open("rb") as handle:
        catalog = read_po(handle, locale="nb")
    return {message.id: message.string for message in catalog if message.id and not message.fuzzy}


def used_messages() -> set[str]:
    """Messages marked in the application outside bot/nlp, which keeps its own catalog."""
    return {
        message
        for filename, _, message, *_ in extract_from_dir(PACKAGE, keywords=KEYWORDS)
        if not filename.startswith("nlp/") and isinstance(message, str)
    }


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
