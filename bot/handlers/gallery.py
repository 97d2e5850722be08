"""Example messages and modals rendered as docs/slack.md, in Norwegian and English.

Run ``python -m bot.handlers.gallery > docs/slack.md`` after changing a
builder or a text. A test compares the page with this output. The examples
use fixed dates and times, so the page changes only when a builder does.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal

from bot.handlers.cards import Choice, ItemCard, OpenEntry, Option, OptionCatalog, Outcome, Overview, Target
from bot.handlers.messages import Message, question_message, reminder_message
from bot.handlers.modals import reject_modal, split_modal
from bot.handlers.overview import home_view, status_blocks
from bot.i18n import LANGUAGES, Translator
from bot.nlp import reasons

LANGUAGE_NAMES = {"nb": "Norwegian (nb)", "en": "English (en)"}
DIVIDER_WIDTH = 40

INTRO = """\
# Slack messages and views

This page shows every message and modal that allocbot sends in Slack, built
from example purchases by the same builders and message catalogs the bot
runs; the purchases, counts and reasons are examples. Norwegian bokmål is
the default language. With `language = "en"` in the configuration, the bot
writes English. Each example shows a plain-text sketch of the layout
(`[…]` is a button, `[… ▾]` a select menu, `____` a text field) and the
Block Kit JSON that the bot sends. Do not edit this page by hand: it is
generated with `python -m bot.handlers.gallery > docs/slack.md`, and a test
fails when it no longer matches the code.
"""

# The reason the approver typed when rejecting the gift, in the language of each example.
REJECT_REASONS = {
    "nb": "Julegaver til kunder føres på 200 Salg, ikke på IT",
    "en": "Christmas gifts to customers go to 200 Salg, not to IT",
}


def _texts(translator: Translator) -> dict:
    """Return the item's "why" and the model's reasons as the bot words them, from the same message ids.

    The counts and targets are examples; the ids are those that the policy
    and the classifier's reasons use.
    """
    _ = translator
    reject_reason = REJECT_REASONS[translator.language]
    return {
        "why_requester": _("unsure suggestion"),
        "why_approval": _("at or above the review threshold"),
        "why_controller": _("Rejected by {name}: “{reason}”", name=MANAGER, reason=reject_reason),
        "charger_1": (_(reasons.SIMILAR_TITLE,
                        target="400 IT · 6551", count=14),
                      _(reasons.REQUESTER_COST_CENTER, cost_center="400")),
        "charger_2": (_(reasons.REQUESTER_PROJECT_HISTORY,
                        requester="Ola Hansen", project="P-1042", count=3),),
        "charger_3": (_(reasons.TERM_HISTORY,
                        term="USB-C", account="6800", count=2),),
        "screen_1": (_(reasons.TERM_HISTORY,
                       term="skjerm", account="6551", count=9),
                     _(reasons.REQUESTER_COST_CENTER, cost_center="400")),
        "screen_2": (_(reasons.CUSTOMER_SITE, project="P-1042"),),
        "coffee_1": (_(reasons.TERM_HISTORY,
                       term="kaffe", account="6800", count=2),),
        "gift_1": (_(reasons.TITLE_MATCHES_ACCOUNT, word="gaveeske",
                     account="7420", name="Gave til forretningsforbindelse"),),
        "gift_2": (_(reasons.REQUESTER_COST_CENTER, cost_center="400"),),
        "reject_reason": reject_reason,
    }


CATALOG = OptionCatalog(
    cost_centers=(
        Option("cc:100", "100 Administrasjon"),
        Option("cc:200", "200 Salg"),
        Option("cc:300", "300 Drift"),
        Option("cc:400", "400 IT"),
    ),
    projects=(
        Option("p:P-1042", "P-1042 Ombygging Hamar stasjon"),
        Option("p:P-1051", "P-1051 Ny nettbutikk"),
    ),
    accounts=(
        Option("a:6540", "6540 Inventar"),
        Option("a:6551", "6551 Datautstyr"),
        Option("a:6800", "6800 Kontorrekvisita"),
        Option("a:6860", "6860 Møter, kurs"),
        Option("a:7420", "7420 Gave, fradragsberettiget"),
    ),
)

IT_EQUIPMENT = Target("400", "IT", None, None, "6551", "Datautstyr", "1")
IT_SUPPLIES = Target("400", "IT", None, None, "6800", "Kontorrekvisita", "1")
HAMAR_EQUIPMENT = Target("400", "IT", "P-1042", "Ombygging Hamar stasjon", "6551", "Datautstyr", "1")
SALES_GIFT = Target("200", "Salg", None, None, "7420", "Gave, fradragsberettiget", "0")
IT_GIFT = Target("400", "IT", None, None, "7420", "Gave, fradragsberettiget", "0")
ADMIN_GIFT = Target("100", "Administrasjon", None, None, "7420", "Gave, fradragsberettiget", "0")

EMPLOYEE = "Ola Hansen"
MANAGER = "Kari Nordmann"
CONTROLLER = "Lise Berg"
PERMALINKS = (
    "https://example.slack.com/archives/D07ABCDE123/p1764925380000100",
    "https://example.slack.com/archives/D07ABCDE123/p1765011780000200",
)


@dataclass(frozen=True)
class Step:
    """One rendering of an example, built for one language: a message, a view, or bare blocks."""

    name: str
    build: Callable[[Translator], Message | dict | list[dict]]


@dataclass(frozen=True)
class Example:
    heading: str
    description: str
    steps: tuple[Step, ...]


def render_text(blocks: Sequence[dict]) -> str:
    """Render Block Kit blocks as a plain-text sketch: buttons "[Text]", selects "[Text ▾]", inputs "Label: ____"."""
    lines: list[str] = []
    for block in blocks:
        lines.extend(_render_block(block))
    return "\n".join(lines)


def render_page() -> str:
    """Return docs/slack.md: the intro and every example in both languages."""
    parts = [INTRO]
    for number, example in enumerate(_examples(), start=1):
        parts.append(f"## {number}. {example.heading}\n\n{example.description}\n")
        for step in example.steps:
            for language in LANGUAGES:
                parts.append(_render_step(step, language))
    return "\n".join(parts)


def main() -> None:
    sys.stdout.write(render_page())


def _render_step(step: Step, language: str) -> str:
    built = step.build(Translator(language))
    if isinstance(built, Message):
        sketch = render_text(built.blocks)
        payload = {"text": built.text, "blocks": built.blocks}
    elif isinstance(built, list):
        sketch = render_text(built)
        payload = {"blocks": built}
    else:
        sketch = _render_view(built)
        payload = built
    code = json.dumps(payload, ensure_ascii=False, indent=2)
    return (f"### {step.name} · {LANGUAGE_NAMES[language]}\n\n"
            f"```text\n{sketch}\n```\n\n"
            f"<details><summary>Block Kit JSON</summary>\n\n```json\n{code}\n```\n\n</details>\n")


def _render_view(view: dict) -> str:
    """Render a modal with its title above and its close and submit buttons below, or a Home tab as blocks."""
    if view["type"] == "home":
        return render_text(view["blocks"])
    buttons = " ".join(f"[{view[key]['text']}]" for key in ("close", "submit") if key in view)
    return "\n".join([f"┌ {view['title']['text']} ┐", render_text(view["blocks"]), buttons])


def _render_block(block: dict) -> list[str]:
    kind = block["type"]
    if kind == "header":
        text = block["text"]["text"]
        return [text, "=" * len(text)]
    if kind == "section":
        lines = _plain(block["text"]["text"]).split("\n") if "text" in block else []
        lines.extend(_plain(field["text"]) for field in block.get("fields", []))
        if "accessory" in block:
            lines.append(_render_element(block["accessory"]))
        return lines
    if kind == "context":
        return ["  " + line for element in block["elements"] for line in _plain(element["text"]).split("\n")]
    if kind == "divider":
        return ["─" * DIVIDER_WIDTH]
    if kind == "actions":
        return [" ".join(_render_element(element) for element in block["elements"])]
    if kind == "input":
        return [f"{block['label']['text']}: {_render_element(block['element'])}"]
    raise ValueError(f"cannot render block type {kind!r}")


def _render_element(element: dict) -> str:
    kind = element["type"]
    if kind == "button":
        return f"[{element['text']['text']}]"
    if kind in ("static_select", "external_select"):
        label = element.get("initial_option", {}).get("text") or element.get("placeholder")
        return f"[{label['text'] if label else ''} ▾]"
    if kind == "plain_text_input":
        return element.get("initial_value") or "____"
    if kind == "radio_buttons":
        chosen = element.get("initial_option", {}).get("value")
        return "  ".join(f"({'•' if option['value'] == chosen else ' '}) {option['text']['text']}"
                         for option in element["options"])
    raise ValueError(f"cannot render element type {kind!r}")


def _plain(mrkdwn: str) -> str:
    """Turn Slack links "<url|text>" into their text and undo mrkdwn escaping."""
    text = re.sub(r"<([^|>]+)\|([^>]+)>", r"\2", mrkdwn)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _at(day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def _charger(texts: dict) -> ItemCard:
    return ItemCard(
        question_id=101, kind="question", item_id=5101, title="Anker USB-C lader 65W, 3 porter, GaN",
        quantity=2, amount_nok=Decimal("599.80"), amount_original=Decimal("579.00"), currency="SEK",
        order_date=date(2026, 12, 1), order_id="402-7714523-1187534", requester_name=EMPLOYEE,
        delivery_place="Hamar stasjon", why=texts["why_requester"],
        choices=(
            Choice(1, IT_EQUIPMENT, 0.87, texts["charger_1"]),
            Choice(2, HAMAR_EQUIPMENT, 0.08, texts["charger_2"]),
            Choice(3, IT_SUPPLIES, 0.03, texts["charger_3"]),
        ),
    )


def _screen(texts: dict) -> ItemCard:
    return ItemCard(
        question_id=102, kind="question", item_id=5102, title='Dell 27" skjerm S2725DS, QHD, 100 Hz',
        quantity=1, amount_nok=Decimal("3410.20"), amount_original=Decimal("289.00"), currency="EUR",
        order_date=date(2026, 12, 2), order_id="305-1190233-6627145", requester_name=EMPLOYEE,
        delivery_place="Hamar stasjon", why=texts["why_requester"],
        choices=(
            Choice(1, IT_EQUIPMENT, 0.71, texts["screen_1"]),
            Choice(2, HAMAR_EQUIPMENT, 0.24, texts["screen_2"]),
        ),
    )


def _coffee_maker(texts: dict) -> ItemCard:
    return ItemCard(
        question_id=103, kind="question", item_id=5103, title="Moccamaster KBG Select kaffetrakter, stål",
        quantity=1, amount_nok=Decimal("2880.54"), amount_original=Decimal("2790.00"), currency="SEK",
        order_date=date(2026, 12, 3), order_id="402-3381967-2204519", requester_name=EMPLOYEE,
        delivery_place="Hovedkontoret, Oslo", why=texts["why_requester"],
        choices=(Choice(1, Target("100", "Administrasjon", None, None, "6540", "Inventar", "1"), 0.52,
                        texts["coffee_1"]),),
    )


def _gift(texts: dict) -> ItemCard:
    return ItemCard(
        question_id=105, kind="approval", item_id=5105, title="Gaveeske julegave kunde, sjokolade og kaffe",
        quantity=12, amount_nok=Decimal("2388.00"), amount_original=Decimal("2388.00"), currency="NOK",
        order_date=date(2026, 12, 3), order_id="402-9920417-5530846", requester_name=EMPLOYEE,
        delivery_place="Hovedkontoret, Oslo", why=texts["why_approval"], proposal=(IT_GIFT,),
    )


def _split_lines(card: ItemCard) -> tuple[Target, ...]:
    """Split the coffee maker 60/40 between administration and operations."""
    first = card.amount_nok * Decimal("0.6")
    return (
        Target("100", "Administrasjon", None, None, "6540", "Inventar", "1",
               amount_nok=first, share=Decimal("60")),
        Target("300", "Drift", None, None, "6540", "Inventar", "1",
               amount_nok=card.amount_nok - first, share=Decimal("40")),
    )


def _question(translator: Translator) -> Message:
    texts = _texts(translator)
    return question_message([_charger(texts), _screen(texts)], recipient_name=EMPLOYEE, page=1, pages=1,
                            catalog=CATALOG, translator=translator)


def _answer(translator: Translator) -> Message:
    texts = _texts(translator)
    charger = replace(_charger(texts), outcome=Outcome("decided", EMPLOYEE, _at(5, 13, 3), (IT_EQUIPMENT,)))
    screen = replace(_screen(texts), outcome=Outcome("pending_approval", EMPLOYEE, _at(5, 13, 4), (IT_EQUIPMENT,),
                                                     approver_name=MANAGER))
    return question_message([charger, screen], recipient_name=EMPLOYEE, page=1, pages=1, catalog=CATALOG,
                            translator=translator)


def _split(translator: Translator) -> dict:
    card = _coffee_maker(_texts(translator))
    return split_modal(card, CATALOG, translator=translator, private_metadata="103", initial=_split_lines(card))


def _split_answer(translator: Translator) -> Message:
    card = _coffee_maker(_texts(translator))
    card = replace(card, outcome=Outcome("decided", EMPLOYEE, _at(5, 13, 10), _split_lines(card)))
    return question_message([card], recipient_name=EMPLOYEE, page=1, pages=1, catalog=CATALOG,
                            translator=translator)


def _approval(translator: Translator) -> Message:
    screen = replace(_screen(_texts(translator)), question_id=104, kind="approval", choices=(),
                     why=_texts(translator)["why_approval"], proposal=(IT_EQUIPMENT,))
    return question_message([screen, _gift(_texts(translator))], recipient_name=MANAGER, page=1, pages=1,
                            catalog=CATALOG, translator=translator)


def _decisions(translator: Translator) -> Message:
    texts = _texts(translator)
    screen = replace(_screen(texts), question_id=104, kind="approval", choices=(), why=texts["why_approval"],
                     proposal=(IT_EQUIPMENT,), outcome=Outcome("approved", MANAGER, _at(5, 14, 20), (IT_EQUIPMENT,)))
    gift = replace(_gift(texts), outcome=Outcome("rejected", MANAGER, _at(5, 14, 22), reason=texts["reject_reason"]))
    return question_message([screen, gift], recipient_name=MANAGER, page=1, pages=1, catalog=CATALOG,
                            translator=translator)


def _reject(translator: Translator) -> dict:
    return reject_modal(_gift(_texts(translator)), translator=translator, private_metadata="105")


def _controllers(translator: Translator) -> Message:
    texts = _texts(translator)
    card = replace(_gift(texts), question_id=106, kind="question", proposal=(), why=texts["why_controller"],
                   choices=(Choice(1, SALES_GIFT, 0.64, texts["gift_1"]), Choice(2, IT_GIFT, 0.22, texts["gift_2"]),
                            Choice(3, ADMIN_GIFT, 0.08)))
    intro = translator("{name} rejected this purchase: “{reason}”. Where should it be booked?",
                       name=MANAGER, reason=texts["reject_reason"])
    return question_message([card], recipient_name=CONTROLLER, page=1, pages=1, catalog=CATALOG,
                            translator=translator, intro=intro)


def _reminder(translator: Translator) -> Message:
    return reminder_message(3, PERMALINKS, recipient_name=EMPLOYEE, hours=24, translator=translator)


def _overview(translator: Translator) -> Overview:
    texts = _texts(translator)
    return Overview(viewer_name=CONTROLLER, everyone=True, entries=(
        OpenEntry(EMPLOYEE, _charger(texts), 26.5, PERMALINKS[0]),
        OpenEntry(EMPLOYEE, _screen(texts), 26.5, PERMALINKS[0]),
        OpenEntry(MANAGER, _gift(texts), 75.0, PERMALINKS[1]),
        OpenEntry("Per Olsen", _coffee_maker(texts), 3.2),
    ))


def _home(translator: Translator) -> dict:
    return home_view(_overview(translator), translator=translator)


def _status(translator: Translator) -> list[dict]:
    personal = Overview(viewer_name=EMPLOYEE, everyone=False,
                        entries=tuple(entry for entry in _overview(translator).entries if entry.asked_name == EMPLOYEE))
    return status_blocks(personal, translator=translator)


def _examples() -> tuple[Example, ...]:
    return (
        Example("Question", "An employee is asked where purchases go. The buttons offer the model's best "
                "targets, the select menu any other cost center, project or account.",
                (Step("Message", _question),)),
        Example("Answer", "After an answer the message shows the decision in place of the buttons. An item "
                "over the approval limit waits for the manager.", (Step("Message after the answers", _answer),)),
        Example("Split", "“Split…” opens a modal that spreads an item over several targets by percent or amount.",
                (Step("Modal", _split), Step("Message after the split", _split_answer))),
        Example("Approval", "A manager approves, rejects or changes the booking of expensive items.",
                (Step("Message", _approval),)),
        Example("Rejection", "“Reject…” asks for a reason. The manager's message then shows both decisions, "
                "and the controllers get the rejected item with the reason.",
                (Step("Modal", _reject), Step("Message after approving one item and rejecting the other", _decisions),
                 Step("Message to the controllers", _controllers))),
        Example("Reminder", "Sent when questions have waited longer than the configured number of hours.",
                (Step("Message", _reminder),)),
        Example("App Home and status", "The Home tab lists open questions (a controller sees everyone's); the "
                "status command answers with a shorter list.",
                (Step("Home tab", _home), Step("Status command", _status))),
    )


if __name__ == "__main__":
    main()
