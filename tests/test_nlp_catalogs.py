from pathlib import Path
from string import Formatter

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import bot
from bot.nlp import reasons

PACKAGE = Path(bot.__file__).parent


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def read_catalog(language: str) -> dict[str, str]:
    with (PACKAGE / "locale" / language / "LC_MESSAGES" / "nlp.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return {message.id: message.string for message in catalog if message.id and not message.fuzzy}


def marked_templates() -> set[str]:
    return {entry[2] for entry in extract_from_dir(PACKAGE / "nlp", keywords={"N_": None})}


def test_templates_marked_for_extraction():
    constants = {value for name, value in vars(reasons).items() if name.isupper() and isinstance(value, str)}

    assert constants <= marked_templates()


@pytest.mark.parametrize("language", ["nb", "en"])
def test_catalog_holds_every_template(language):
    assert set(read_catalog(language)) == marked_templates()


def test_norwegian_catalog_placeholders():
    for template, translation in read_catalog("nb").items():
        assert translation, f"no Norwegian translation for {template!r}"
        assert translation != template
        assert placeholders(translation) == placeholders(template), template


def test_english_catalog_placeholders():
    for template, translation in read_catalog("en").items():
        assert not translation or placeholders(translation) == placeholders(template), template
