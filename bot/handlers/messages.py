"""Slack messages that ask where items go, ask for approval, remind people, or tell them something.

Each builder takes card values, a Translator and plain parameters and returns
a ``Message``: the notification text and the Block Kit blocks for
``chat.postMessage`` or ``chat.update``. The blocks are built with slack_sdk's
models, whose ``to_dict`` raises ``SlackObjectFormationError`` when a text,
id or list exceeds Slack's limits. Texts from outside the bot (titles, names,
reasons) are escaped for mrkdwn so that they cannot mention, link or
broadcast.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.handlers.cards import Choice, ItemCard, OptionCatalog, Outcome, Target
from bot.handlers.options import catalog_select, shorten
from bot.i18n import Translator

log = logging.getLogger(__name__)

# Identifiers that the interaction handlers match on. Every open item has one
# actions block with block_id "q:<question_id>". A question's choice buttons
# carry the value "<question_id>:<rank>", and every other button "<question_id>".
QUESTION_BLOCK_PREFIX = "q:"
CHOOSE_ACTION_PREFIX = "choose:"
OTHER_ACTION = "other"
SPLIT_ACTION = "split"
PRIVATE_ACTION = "private"
APPROVE_ACTION = "approve"
REJECT_ACTION = "reject"
CHANGE_ACTION = "change"

# Cards one message can carry within Slack's limit of 50 blocks: each open card
# takes 4 blocks, and header, page line and intro take 3 more.
MAX_CARDS = 10
DEFAULT_TIMEZONE = "Europe/Oslo"

# Slack's limits, in characters, for the texts built here.
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75

# NOTE: Slack rejects a message whose blocks contain too much text in total
# (error msg_blocks_too_long). It documents 12,000 characters only for markdown
# blocks, and users have measured about 13,000 for other blocks. Whether the
# options of a static select count is not documented, so they are counted here.
MAX_MESSAGE_TEXT = 12_000

# Widths of the parts of a card, in characters once escaped. They keep one
# card's section far below MAX_SECTION_TEXT.
TITLE_WIDTH = 150
NAME_WIDTH = 60
INTRO_WIDTH = 1000
REASON_WIDTH = 500
SPLIT_LINE_WIDTH = 300
LINK_LIST_WIDTH = 2800


@dataclass(frozen=True)
class _Layout:
    """Widths and select kind of one attempt to fit a question message into MAX_MESSAGE_TEXT."""

    allow_static: bool
    title_width: int
    detail_width: int
    why_width: int
    choice_width: int


# Tried in order until the message fits: first as wide as readable, then with
# searched selects in place of static ones, then with shorter texts.
LAYOUTS = (
    _Layout(allow_static=True, title_width=TITLE_WIDTH, detail_width=100, why_width=300, choice_width=400),
    _Layout(allow_static=False, title_width=TITLE_WIDTH, detail_width=100, why_width=300, choice_width=400),
    _Layout(allow_static=False, title_width=100, detail_width=60, why_width=120, choice_width=150),
)


@dataclass(frozen=True)
class Message:
    """A Slack message: ``text`` is what notifications show, ``blocks`` the Block Kit JSON."""

    text: str
    blocks: list[dict]


def question_block_id(question_id: int) -> str:
    return f"{QUESTION_BLOCK_PREFIX}{question_id}"


def escape_mrkdwn(text: str) -> str:
    """Escape ``&``, ``<`` and ``>``, the only characters Slack's mrkdwn needs escaped."""
    return html.escape(text, quote=False)


def fit_mrkdwn(text: str, width: int) -> str:
    """Shorten plain ``text`` so that it is at most ``width`` characters once escaped for mrkdwn."""
    limit = width
    while True:
        escaped = escape_mrkdwn(shorten(text, limit))
        if len(escaped) <= width:
            return escaped
        limit -= len(escaped) - width


def format_percent(value: float | Decimal, translator: Translator) -> str:
    """Format a percentage (87 means 87 %) with two decimals only when it is not whole."""
    whole = Decimal(str(value)) == Decimal(str(value)).to_integral_value()
    return translator("{number}%", number=translator.number(float(value), digits=0 if whole else 2))


def format_amount(card: ItemCard, translator: Translator) -> str:
    """Format the NOK amount, followed by the original amount when the item was bought in another currency."""
    amount = translator.money(card.amount_nok)
    if card.currency == "NOK":
        return amount
    return f"{amount} ({translator.money(card.amount_original, card.currency)})"


def format_target(target: Target, translator: Translator, *, with_tax_code: bool = False) -> str:
    """Format a target as "400 IT · P-1042 Ombygging Hamar stasjon · 6551 Datautstyr" (plain text)."""
    parts = [f"{target.cost_center} {target.cost_center_name}"]
    if target.project:
        parts.append(f"{target.project} {target.project_name or ''}".strip())
    parts.append(f"{target.account} {target.account_name}")
    if with_tax_code:
        parts.append(translator("VAT code {code}", code=target.tax_code))
    return " · ".join(parts)


def format_split_line(target: Target, translator: Translator) -> str:
    """Format one line of a split as "60 % · 740,70 kr · <target>" (plain text)."""
    parts = []
    if target.share is not None:
        parts.append(format_percent(target.share, translator))
    if target.amount_nok is not None:
        parts.append(translator.money(target.amount_nok))
    parts.append(format_target(target, translator, with_tax_code=True))
    return " · ".join(parts)


def format_time(moment: datetime, translator: Translator, timezone: str = DEFAULT_TIMEZONE) -> str:
    """Format an aware datetime in local time: "05.12.2026 kl. 14:03" (nb) or "2026-12-05 14:03" (en)."""
    local = moment.astimezone(ZoneInfo(timezone))
    return translator("{date} {time}", date=translator.date(local.date()), time=local.strftime("%H:%M"))


def format_age(hours: float, translator: Translator) -> str:
    """Format a waiting time: whole hours below a day ("5 timer"), whole days above ("3 dager")."""
    if hours < 1:
        return translator("less than an hour")
    if hours < 24:
        whole_hours = int(hours)
        if whole_hours == 1:
            return translator("1 hour")
        return translator("{count} hours", count=whole_hours)
    days = int(hours // 24)
    if days == 1:
        return translator("1 day")
    return translator("{count} days", count=days)


def question_message(
    cards: Sequence[ItemCard],
    *,
    recipient_name: str,
    page: int,
    pages: int,
    catalog: OptionCatalog,
    translator: Translator,
    intro: str | None = None,
    timezone: str = DEFAULT_TIMEZONE,
) -> Message:
    """Build the message that asks one person about up to 10 items, or asks them to approve them.

    Open cards get buttons, and cards with an outcome show the decision
    instead. ``intro`` is translated plain text shown first, such as the
    reason for an escalation. ``timezone`` is the zone in which decision
    times are shown. The "other" menus are static selects while the catalog
    has at most 100 options and the message stays within MAX_MESSAGE_TEXT.
    Otherwise they are external selects, and long texts are cut shorter if
    needed.
    """
    _check_cards(cards)
    kind = cards[0].kind
    open_count = sum(1 for card in cards if card.outcome is None)

    for layout in LAYOUTS:
        blocks = _question_blocks(cards, recipient_name, page, pages, catalog, translator, intro, timezone, layout)
        size = text_length(blocks)
        if size <= MAX_MESSAGE_TEXT:
            break
    else:
        log.warning("message about questions %s contains %d characters of text, more than the %d Slack may accept",
                    ",".join(str(card.question_id) for card in cards), size, MAX_MESSAGE_TEXT)

    text = escape_mrkdwn(intro) if intro else _summary(kind, open_count, translator)
    return Message(text=text, blocks=blocks)


def reminder_message(
    count: int,
    permalinks: Sequence[str],
    *,
    recipient_name: str,
    hours: float,
    translator: Translator,
) -> Message:
    """Build a reminder of ``count`` open questions that have waited more than ``hours``.

    ``permalinks`` are the messages that show them, each linked on its own
    line. Links that do not fit into one section are counted instead.
    """
    if count == 1:
        text = translator("Reminder: you have an unanswered question about a card purchase")
        body = translator("Hi {name}! You have an unanswered question about a card purchase. "
                          "It has waited for more than {age}.",
                          name=escape_mrkdwn(shorten(recipient_name, NAME_WIDTH)), age=format_age(hours, translator))
    else:
        text = translator("Reminder: you have {count} unanswered questions about card purchases", count=count)
        body = translator("Hi {name}! You have {count} unanswered questions about card purchases. "
                          "They have waited for more than {age}.",
                          name=escape_mrkdwn(shorten(recipient_name, NAME_WIDTH)), count=count,
                          age=format_age(hours, translator))

    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=body))]
    if permalinks:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_link_list(permalinks, translator))))
    return Message(text=text, blocks=[block.to_dict() for block in blocks])


def notice(text: str) -> Message:
    """Build a message of one section showing plain ``text``."""
    section = SectionBlock(text=MarkdownTextObject(text=fit_mrkdwn(text, MAX_SECTION_TEXT)))
    return Message(text=escape_mrkdwn(text), blocks=[section.to_dict()])


def item_summary(card: ItemCard, translator: Translator) -> str:
    """Return the mrkdwn line "*<title>* · <amount>" that heads compact views of an item."""
    return f"*{fit_mrkdwn(card.title, TITLE_WIDTH)}* · {escape_mrkdwn(format_amount(card, translator))}"


def text_length(value: object) -> int:
    """Count the characters of every text in a block structure, the measure of Slack's limit per message."""
    if isinstance(value, dict):
        return sum(len(item) if key == "text" and isinstance(item, str) else text_length(item)
                   for key, item in value.items())
    if isinstance(value, list):
        return sum(text_length(item) for item in value)
    return 0


def _question_blocks(cards: Sequence[ItemCard], recipient_name: str, page: int, pages: int,
                     catalog: OptionCatalog, translator: Translator, intro: str | None, timezone: str,
                     layout: _Layout) -> list[dict]:
    kind = cards[0].kind
    open_count = sum(1 for card in cards if card.outcome is None)

    blocks: list[Block] = []
    if intro:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=fit_mrkdwn(intro, INTRO_WIDTH))))
    blocks.append(HeaderBlock(text=shorten(_greeting(kind, len(cards), open_count, recipient_name, translator),
                                           MAX_HEADER_TEXT)))
    if pages > 1:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=translator("Page {page} of {pages}", page=page, pages=pages))]))

    for card in cards:
        if card.outcome is None:
            blocks.extend(_open_card_blocks(card, recipient_name, catalog, translator, layout))
        else:
            blocks.append(_outcome_block(card, card.outcome, translator, timezone))
        blocks.append(DividerBlock())
    return [block.to_dict() for block in blocks]


def _check_cards(cards: Sequence[ItemCard]) -> None:
    if not cards:
        raise ValueError("a question message needs at least one item card")
    if len(cards) > MAX_CARDS:
        raise ValueError(f"{len(cards)} item cards do not fit into one Slack message; the maximum is {MAX_CARDS}")
    kinds = {card.kind for card in cards}
    if len(kinds) > 1:
        raise ValueError(f"item cards of one message must be of one kind; got {', '.join(sorted(kinds))}")


def _greeting(kind: str, card_count: int, open_count: int, name: str, translator: Translator) -> str:
    name = shorten(name, NAME_WIDTH)
    if open_count == 0:
        return translator("Thanks, {name}! Everything here is answered.", name=name)
    if kind == "approval":
        if card_count == 1:
            return translator("Hi {name}! This purchase needs your approval.", name=name)
        return translator("Hi {name}! These purchases need your approval.", name=name)
    if card_count == 1:
        return translator("Hi {name}! Where should this purchase be booked?", name=name)
    return translator("Hi {name}! Where should these purchases be booked?", name=name)


def _summary(kind: str, open_count: int, translator: Translator) -> str:
    if open_count == 0:
        return translator("Everything here is answered")
    if kind == "approval":
        if open_count == 1:
            return translator("A purchase needs your approval")
        return translator("{count} purchases need your approval", count=open_count)
    if open_count == 1:
        return translator("A purchase needs your answer")
    return translator("{count} purchases need your answer", count=open_count)


def _open_card_blocks(card: ItemCard, recipient_name: str, catalog: OptionCatalog, translator: Translator,
                      layout: _Layout) -> list[Block]:
    """Build an open card: the item's details, the suggestions or proposal, and the buttons."""
    text = _item_text(card, recipient_name, translator, layout)
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text))]

    if card.kind == "approval":
        context = _proposal_text(card.proposal, translator, layout.choice_width)
        actions = _approval_buttons(card, translator)
    else:
        context = "\n".join(_choice_line(choice, translator, layout.choice_width) for choice in card.choices)
        actions = _question_elements(card, catalog, translator, layout.allow_static)
    if context:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=context)]))

    blocks.append(ActionsBlock(block_id=question_block_id(card.question_id), elements=actions))
    return blocks


def _item_text(card: ItemCard, recipient_name: str, translator: Translator, layout: _Layout) -> str:
    """Return the mrkdwn details of an item: title, quantity and amount, order, requester and why."""
    lines = [
        f"*{fit_mrkdwn(card.title, layout.title_width)}*",
        translator("{quantity} pcs · {amount}", quantity=card.quantity,
                   amount=escape_mrkdwn(format_amount(card, translator))),
    ]

    order = [translator("Ordered {date}", date=translator.date(card.order_date))]
    if card.order_id:
        order.append(translator("order {order_id}", order_id=fit_mrkdwn(card.order_id, layout.detail_width)))
    if card.delivery_place:
        order.append(translator("delivered to {place}", place=fit_mrkdwn(card.delivery_place, layout.detail_width)))
    lines.append(" · ".join(order))

    if card.kind == "approval" or card.requester_name != recipient_name:
        lines.append(translator("Ordered by {name}", name=fit_mrkdwn(card.requester_name, NAME_WIDTH)))
    if card.personal_data:
        lines.append(translator("🔒 Personal data: a private purchase or a person's name in the title"))
    if card.why:
        lines.append(f"_{fit_mrkdwn(card.why, layout.why_width)}_")
    return "\n".join(lines)


def _choice_line(choice: Choice, translator: Translator, width: int) -> str:
    """Return "1 · 400 IT · 6551 Datautstyr – 87 %: reason; reason" as mrkdwn."""
    line = (f"{choice.rank} · {format_target(choice.target, translator)} – "
            f"{format_percent(round(choice.confidence * 100), translator)}")
    if choice.reasons:
        line += ": " + "; ".join(choice.reasons)
    return fit_mrkdwn(line, width)


def _proposal_text(proposal: Sequence[Target], translator: Translator, width: int) -> str:
    if not proposal:
        return ""
    if len(proposal) == 1:
        line = translator("Proposal: {target}", target=format_target(proposal[0], translator, with_tax_code=True))
        return fit_mrkdwn(line, width)
    lines = [translator("Proposed split:")]
    lines.extend(f"• {format_split_line(target, translator)}" for target in proposal)
    return "\n".join(fit_mrkdwn(line, width) for line in lines)


def _question_elements(card: ItemCard, catalog: OptionCatalog, translator: Translator, allow_static: bool) -> list:
    """Build a question's actions: one button per choice, the "other" select, split and private."""
    elements: list = []
    for choice in sorted(card.choices, key=lambda choice: choice.rank):
        elements.append(ButtonElement(
            text=_choice_button_text(choice.target, choice.confidence, translator),
            action_id=f"{CHOOSE_ACTION_PREFIX}{choice.rank}",
            value=f"{card.question_id}:{choice.rank}",
            style="primary" if not elements else None,
        ))

    elements.append(catalog_select(catalog, action_id=OTHER_ACTION, placeholder=translator("Other booking…"),
                                   translator=translator, allow_static=allow_static))
    elements.append(ButtonElement(text=translator("Split…"), action_id=SPLIT_ACTION, value=str(card.question_id)))
    elements.append(ButtonElement(
        text=translator("Private purchase"),
        action_id=PRIVATE_ACTION,
        value=str(card.question_id),
        confirm=ConfirmObject(
            title=translator("Private purchase?"),
            text=translator("The employee repays {amount} to the company. "
                            "That the purchase was private is stored as personal data about them.",
                            amount=escape_mrkdwn(translator.money(card.amount_nok))),
            confirm=translator("Yes, private"),
            deny=translator("Cancel"),
        ),
    ))
    return elements


def _choice_button_text(target: Target, confidence: float, translator: Translator) -> str:
    """Fit "<cost center> · <project> · <account> – 87 %" into a button, dropping names before codes."""
    suffix = " – " + format_percent(round(confidence * 100), translator)
    width = MAX_BUTTON_TEXT - len(suffix)

    project = [target.project] if target.project else []
    candidates = [
        format_target(target, translator),
        " · ".join([f"{target.cost_center} {target.cost_center_name}", *project,
                    f"{target.account} {target.account_name}"]),
        " · ".join([target.cost_center, *project, f"{target.account} {target.account_name}"]),
        " · ".join([target.cost_center, *project, target.account]),
    ]
    fitting = next((candidate for candidate in candidates if len(candidate) <= width), candidates[-1])
    return shorten(fitting, width) + suffix


def _approval_buttons(card: ItemCard, translator: Translator) -> list:
    value = str(card.question_id)
    return [
        ButtonElement(text=translator("Approve"), action_id=APPROVE_ACTION, value=value, style="primary"),
        ButtonElement(text=translator("Reject…"), action_id=REJECT_ACTION, value=value, style="danger"),
        ButtonElement(text=translator("Change…"), action_id=CHANGE_ACTION, value=value),
    ]


def _outcome_block(card: ItemCard, outcome: Outcome, translator: Translator, timezone: str) -> SectionBlock:
    """Build the compact section that replaces an answered card: title, amount and the decision."""
    text = item_summary(card, translator) + "\n" + _decision_text(outcome, card.proposal, translator, timezone)
    return SectionBlock(text=MarkdownTextObject(text=text))


def _decision_text(outcome: Outcome, proposal: Sequence[Target], translator: Translator, timezone: str) -> str:
    """Return the mrkdwn lines that say what was decided, by whom and when."""
    name = fit_mrkdwn(outcome.by_name, NAME_WIDTH)
    when = format_time(outcome.at, translator, timezone)

    if outcome.status == "rejected":
        if outcome.reason:
            return translator("❌ Rejected by {name} {time}: “{reason}”", name=name, time=when,
                              reason=fit_mrkdwn(outcome.reason, REASON_WIDTH))
        return translator("❌ Rejected by {name} {time}", name=name, time=when)
    if outcome.status == "private":
        return (translator("🔒 Private purchase – repaid by the employee") + "\n"
                + translator("Marked by {name} {time}", name=name, time=when))

    lines = outcome.lines or tuple(proposal)
    if outcome.status == "decided" and len(lines) == 1:
        target = fit_mrkdwn(format_target(lines[0], translator, with_tax_code=True), SPLIT_LINE_WIDTH)
        return translator("✅ Booked to {target} by {name} {time}", target=target, name=name, time=when)

    if outcome.status == "approved":
        heading = translator("✅ Approved by {name} {time}", name=name, time=when)
    elif outcome.status == "pending_approval":
        approver = fit_mrkdwn(outcome.approver_name or "", NAME_WIDTH)
        heading = (translator("⏳ Waiting for approval from {name}", name=approver) + "\n"
                   + translator("Chosen by {name} {time}", name=name, time=when))
    else:
        heading = translator("✅ Booked by {name} {time}", name=name, time=when)
    return heading + _target_lines(lines, translator)


def _target_lines(lines: Sequence[Target], translator: Translator) -> str:
    """Return ": <target>" for one line, a bulleted list of split lines for more, nothing for none."""
    if not lines:
        return ""
    if len(lines) == 1:
        return ": " + fit_mrkdwn(format_target(lines[0], translator, with_tax_code=True), SPLIT_LINE_WIDTH)
    return ":\n" + "\n".join("• " + fit_mrkdwn(format_split_line(line, translator), SPLIT_LINE_WIDTH)
                                 for line in lines)


def _link_list(permalinks: Sequence[str], translator: Translator) -> str:
    """Return one mrkdwn link per message, and "… and N more" for links beyond LINK_LIST_WIDTH."""
    lines: list[str] = []
    length = 0
    for number, permalink in enumerate(permalinks, start=1):
        label = translator("Message {number}", number=number)
        line = f"• <{permalink}|{label}>"
        if length + len(line) > LINK_LIST_WIDTH:
            lines.append(translator("… and {count} more", count=len(permalinks) - number + 1))
            break
        lines.append(line)
        length += len(line) + 1
    return "\n".join(lines)
