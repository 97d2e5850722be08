from datetime import date
from decimal import Decimal

import pytest

import bot.i18n
from bot.i18n import Translator

NO_BREAK_SPACE = "\u00a0"

CATALOG = r"""# Norwegian translations for allocbot (test catalog).
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Language: nb\n"

msgid "Where does {title} belong?"
msgstr "Hvor hører {title} hjemme?"

msgid "Approve {amount}?"
msgstr "Godkjenne {amount}?"

msgid "Not translated yet"
msgstr ""

#, fuzzy
msgid "Booked automatically"
msgstr "Bokført av seg selv"

msgid "Ordered by {requester}"
msgstr "Bestilt av {bestiller}"
"""

SECOND_CATALOG = r"""msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"

msgid "Split"
msgstr "Del opp"
"""


@pytest.fixture(autouse=True)
def locale_dir(tmp_path, monkeypatch):
    """Point the translator at an empty catalog folder, so the bundled catalogs cannot change the results."""
    monkeypatch.setattr(bot.i18n, "LOCALE_DIR", tmp_path / "locale")
    bot.i18n._load_catalog.cache_clear()
    bot.i18n._warn_invalid_placeholders.cache_clear()
    yield tmp_path / "locale"
    bot.i18n._load_catalog.cache_clear()


@pytest.fixture
def catalogs(locale_dir):
    folder = locale_dir / "nb" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "handlers.po").write_text(CATALOG, encoding="utf-8")
    (folder / "reports.po").write_text(SECOND_CATALOG, encoding="utf-8")
    return folder


def test_money_nb_format():
    text = Translator("nb").money(Decimal("1234.50"))

    # Babel 2.19 uses CLDR's group separator for nb, a no-break space.
    assert text == f"1{NO_BREAK_SPACE}234,50 kr"
    assert text.replace(NO_BREAK_SPACE, " ") == "1 234,50 kr"


def test_money_nb_large_and_negative():
    translator = Translator("nb")

    assert translator.money(Decimal("1234567.891")) == f"1{NO_BREAK_SPACE}234{NO_BREAK_SPACE}567,89 kr"
    assert translator.money(Decimal("-316")) == "-316,00 kr"
    assert translator.money(Decimal("0.5")) == "0,50 kr"


def test_money_nb_foreign_currency():
    assert Translator("nb").money(Decimal("199.97"), "EUR") == "199,97 EUR"


def test_money_en_format():
    translator = Translator("en")

    assert translator.money(Decimal("1234.50")) == "NOK 1,234.50"
    assert translator.money(Decimal("199.97"), "EUR") == "EUR 199.97"


def test_date_formats():
    assert Translator("nb").date(date(2026, 3, 5)) == "05.03.2026"
    assert Translator("en").date(date(2026, 3, 5)) == "2026-03-05"


def test_percent_formats():
    assert Translator("nb").percent(0.925) == "92,5 %"
    assert Translator("en").percent(0.925) == "92.5 %"


def test_unknown_language_raises():
    with pytest.raises(ValueError, match="'de'"):
        Translator("de")


def test_translation_fills_placeholders(catalogs):
    translate = Translator("nb")

    assert translate("Where does {title} belong?", title="Makita DHP485Z") == "Hvor hører Makita DHP485Z hjemme?"


def test_catalog_files_are_merged(catalogs):
    assert Translator("nb")("Split") == "Del opp"


def test_missing_translation_falls_back(catalogs):
    translate = Translator("nb")

    assert translate("Not translated yet") == "Not translated yet"
    assert translate("Rejected by {person}", person="Siri Dahl") == "Rejected by Siri Dahl"


def test_english_uses_message_ids(catalogs):
    translate = Translator("en")

    assert translate("Approve {amount}?", amount=translate.money(Decimal("12500"))) == "Approve NOK 12,500.00?"


def test_fuzzy_translation_ignored(catalogs):
    assert Translator("nb")("Booked automatically") == "Booked automatically"


def test_broken_placeholder_falls_back(catalogs, caplog):
    translate = Translator("nb")

    text = translate("Ordered by {requester}", requester="Ola Hansen")

    assert text == "Ordered by Ola Hansen"
    assert "Ordered by {requester}" in caplog.text
