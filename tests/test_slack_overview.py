"""The App Home view and the status command's blocks."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from bot.handlers.cards import ItemCard, OpenEntry, Overview
from bot.handlers.overview import home_view, status_blocks
from bot.i18n import Translator

NB = Translator("nb")
EN = Translator("en")

CARD = ItemCard(
    question_id=1, kind="question", item_id=1, title="Anker USB-C lader 65W", quantity=1,
    amount_nok=Decimal("599.80"), amount_original=Decimal("599.80"), currency="NOK",
    order_date=date(2026, 12, 1), order_id="402-1", requester_name="Ola Hansen", delivery_place="", why="",
)
MAX_HOME_BLOCKS = 100
MAX_MESSAGE_BLOCKS = 50
MAX_SECTION_TEXT = 3000


def entry(name: str, hours: float, title: str = "Anker USB-C lader 65W", **changes) -> OpenEntry:
    return OpenEntry(asked_name=name, card=replace(CARD, title=title, **changes), age_hours=hours,
                     permalink=None)


def texts(blocks: list[dict]) -> list[str]:
    result = []
    for block in blocks:
        if block["type"] == "section":
            result.append(block["text"]["text"])
        elif block["type"] in ("context",):
            result.extend(element["text"] for element in block["elements"])
        elif block["type"] == "header":
            result.append(block["text"]["text"])
    return result


def test_home_is_home_view():
    view = home_view(Overview("Ola", False), translator=NB)

    assert view["type"] == "home"
    assert view["blocks"][0]["type"] == "header"


def test_home_nothing_open_nb():
    view = home_view(Overview("Ola", False), translator=NB)

    assert texts(view["blocks"]) == ["Åpne spørsmål om kortkjøp", "Du har ingen åpne spørsmål 🎉"]


def test_status_nothing_open_for_controller_en():
    assert texts(status_blocks(Overview("Lise", True), translator=EN)) == ["Nobody has open questions 🎉"]


def test_personal_summary_and_lines():
    overview = Overview("Ola", False, (entry("Ola", 5.5, "Lader"), entry("Ola", 50, "Skjerm")))

    assert texts(status_blocks(overview, translator=NB)) == [
        "Du har 2 åpne spørsmål. Det eldste har ventet i 2 dager.",
        "• Skjerm · 599,80 kr · 2 dager\n• Lader · 599,80 kr · 5 timer",
    ]


def test_entry_link_and_approval():
    item = replace(entry("Ola", 0.5, "Skjerm", kind="approval"),
                   permalink="https://example.slack.com/archives/D1/p1")
    lines = texts(status_blocks(Overview("Ola", False, (item,)), translator=EN))

    assert lines[0] == "You have an open question. It has waited for less than an hour."
    assert lines[1] == "• <https://example.slack.com/archives/D1/p1|Skjerm> · NOK 599.80 · less than an hour · approval"


def test_entry_title_escaped():
    lines = texts(status_blocks(Overview("Ola", False, (entry("Ola", 2, "Kabel <USB> & co"),)), translator=NB))

    assert lines[1].startswith("• Kabel &lt;USB&gt; &amp; co ·")


def test_controller_groups_by_person_oldest_first():
    overview = Overview("Lise", True, (
        entry("Ola", 3, "A"), entry("Kari", 30, "B"), entry("Ola", 80, "C"), entry("Per", 1, "D")))
    lines = texts(home_view(overview, translator=NB)["blocks"])

    assert lines[1] == "4 åpne spørsmål til 3 personer. Det eldste har ventet i 3 dager."
    assert lines[2:] == [
        "*Ola*\n• C · 599,80 kr · 3 dager\n• A · 599,80 kr · 3 timer",
        "*Kari*\n• B · 599,80 kr · 1 dag",
        "*Per*\n• D · 599,80 kr · 1 time",
    ]


def test_controller_one_person():
    overview = Overview("Lise", True, (entry("Ola", 3), entry("Ola", 4)))

    assert texts(status_blocks(overview, translator=NB))[0] == (
        "2 åpne spørsmål, alle til Ola. Det eldste har ventet i 4 timer.")


def test_controller_one_entry_en():
    overview = Overview("Lise", True, (entry("Ola", 26),))

    assert texts(status_blocks(overview, translator=EN))[0] == "An open question, for Ola. It has waited for 1 day."


def test_home_caps_people_and_counts_rest():
    """200 people with one entry each need 200 sections; the Home tab shows the oldest that fit."""
    entries = tuple(entry(f"Person {n}", hours=n, title=f"Vare {n}") for n in range(200))
    blocks = home_view(Overview("Lise", True, entries), translator=NB)["blocks"]
    shown_count = sum(1 for block in blocks if block["type"] == "section") - 1

    assert len(blocks) == MAX_HOME_BLOCKS
    assert blocks[-1]["elements"][0]["text"] == f"… og {200 - shown_count} til"
    assert blocks[2]["text"]["text"].startswith("*Person 199*")


def test_status_caps_at_50_blocks():
    entries = tuple(entry(f"Person {n}", hours=n) for n in range(200))
    blocks = status_blocks(Overview("Lise", True, entries), translator=NB)

    assert len(blocks) == MAX_MESSAGE_BLOCKS
    assert blocks[-1]["type"] == "context"


def test_many_entries_of_one_person_split_sections():
    entries = tuple(entry("Ola", hours=n, title="Ærlig talt – kjøkkenutstyr " * 10) for n in range(300))
    blocks = home_view(Overview("Ola", False, entries), translator=NB)["blocks"]
    sections = [block for block in blocks if block["type"] == "section"]

    assert len(sections) > 2
    assert max(len(section["text"]["text"]) for section in sections) <= MAX_SECTION_TEXT
    assert len(blocks) <= MAX_HOME_BLOCKS


def test_all_entries_shown_when_they_fit():
    entries = tuple(entry("Ola", hours=n) for n in range(20))
    blocks = home_view(Overview("Ola", False, entries), translator=NB)["blocks"]

    assert sum(text.count("• ") for text in texts(blocks)) == 20
    assert blocks[-1]["type"] == "section"
