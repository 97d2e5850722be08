"""Overviews of open questions: the App Home tab and the status command's ephemeral response.

Both list the open questions oldest first, grouped by the person asked
(a controller's overview covers everyone). Slack allows 100 blocks in a
Home tab and 50 in a message. When the entries need more, the oldest
ones are shown and the rest are counted in a last line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from bot.handlers.cards import OpenEntry, Overview
from bot.handlers.messages import (
    MAX_SECTION_TEXT,
    NAME_WIDTH,
    escape_mrkdwn,
    fit_mrkdwn,
    format_age,
    format_amount,
)
from bot.i18n import Translator

HOME_MAX_BLOCKS = 100
MESSAGE_MAX_BLOCKS = 50
HOME_TITLE_WIDTH = 80
STATUS_TITLE_WIDTH = 50
# Room left in a section for a person's name heading and the escaping of names.
SECTION_BUDGET = MAX_SECTION_TEXT - 200


@dataclass
class _Group:
    """The sections listing one person's entries. Each section is a list of mrkdwn lines."""

    name: str
    sections: list[list[str]] = field(default_factory=list)
    length: int = 0


def home_view(overview: Overview, *, translator: Translator) -> dict:
    """Build the App Home view: a header, a summary and the open questions, at most 100 blocks."""
    if overview.everyone:
        title = translator("Open questions about card purchases – everyone")
    else:
        title = translator("Open questions about card purchases")

    blocks: list[Block] = [HeaderBlock(text=title)]
    blocks.extend(_overview_blocks(overview, translator, max_blocks=HOME_MAX_BLOCKS - 1,
                                   title_width=HOME_TITLE_WIDTH))
    return {"type": "home", "blocks": [block.to_dict() for block in blocks]}


def status_blocks(overview: Overview, *, translator: Translator) -> list[dict]:
    """Build the blocks of the status command's ephemeral response, at most 50 blocks."""
    blocks = _overview_blocks(overview, translator, max_blocks=MESSAGE_MAX_BLOCKS, title_width=STATUS_TITLE_WIDTH)
    return [block.to_dict() for block in blocks]


def _overview_blocks(overview: Overview, translator: Translator, *, max_blocks: int,
                     title_width: int) -> list[Block]:
    """Build the summary and as many of the oldest entries as fit into ``max_blocks`` blocks."""
    entries = sorted(overview.entries, key=lambda entry: entry.age_hours, reverse=True)
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=_summary(overview, entries, translator)))]
    if not entries:
        return blocks

    # One block stays free for the line that counts the entries left out.
    budget = max_blocks - len(blocks) - 1
    groups, shown_count = _fit_entries(entries, overview.everyone, translator, budget, title_width)
    for group in groups:
        for index, lines in enumerate(group.sections):
            text = "\n".join(lines)
            if overview.everyone and index == 0:
                text = f"*{fit_mrkdwn(group.name, NAME_WIDTH)}*\n{text}"
            blocks.append(SectionBlock(text=MarkdownTextObject(text=text)))

    if shown_count < len(entries):
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=translator("… and {count} more", count=len(entries) - shown_count))]))
    return blocks


def _fit_entries(entries: Sequence[OpenEntry], everyone: bool, translator: Translator, budget: int,
                 title_width: int) -> tuple[list[_Group], int]:
    """Group the oldest entries by person until the sections would exceed ``budget`` blocks.

    Entries come oldest first, so each one is appended to the end of its
    person's list and people appear in the order of their oldest entry.
    Returns the groups and how many entries they show.
    """
    groups: dict[str, _Group] = {}
    used = 0
    for shown_count, entry in enumerate(entries):
        name = entry.asked_name if everyone else ""
        line = _entry_line(entry, translator, title_width)
        group = groups.get(name)

        new_section = group is None or group.length + len(line) + 1 > SECTION_BUDGET
        if new_section and used == budget:
            return list(groups.values()), shown_count

        if group is None:
            group = groups[name] = _Group(name)
        if new_section:
            group.sections.append([])
            group.length = 0
            used += 1
        group.sections[-1].append(line)
        group.length += len(line) + 1
    return list(groups.values()), len(entries)


def _entry_line(entry: OpenEntry, translator: Translator, title_width: int) -> str:
    """Return "• <title, linked to its message> · amount · age", marking approvals."""
    title = fit_mrkdwn(entry.card.title, title_width)
    if entry.permalink:
        title = f"<{entry.permalink}|{title}>"

    parts = [title, escape_mrkdwn(format_amount(entry.card, translator)), format_age(entry.age_hours, translator)]
    if entry.card.kind == "approval":
        parts.append(translator("approval"))
    return "• " + " · ".join(parts)


def _summary(overview: Overview, entries: Sequence[OpenEntry], translator: Translator) -> str:
    if not entries:
        if overview.everyone:
            return translator("Nobody has open questions 🎉")
        return translator("You have no open questions 🎉")

    count = len(entries)
    age = format_age(entries[0].age_hours, translator)
    if not overview.everyone:
        if count == 1:
            return translator("You have an open question. It has waited for {age}.", age=age)
        return translator("You have {count} open questions. The oldest has waited for {age}.", count=count, age=age)

    people = {entry.asked_name for entry in entries}
    if count == 1:
        return translator("An open question, for {name}. It has waited for {age}.",
                          name=fit_mrkdwn(entries[0].asked_name, NAME_WIDTH), age=age)
    if len(people) == 1:
        return translator("{count} open questions, all for {name}. The oldest has waited for {age}.",
                          count=count, name=fit_mrkdwn(entries[0].asked_name, NAME_WIDTH), age=age)
    return translator("{count} open questions for {people} people. The oldest has waited for {age}.",
                      count=count, people=len(people), age=age)
