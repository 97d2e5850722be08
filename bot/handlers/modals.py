"""Modals that split an item over several targets, change a proposed target, or reject an approval.

The builders return view dicts for ``views.open`` and ``views.update``. The
readers turn a submitted ``view.state.values`` back into codes. Checking a
submission against the master data and the amount is the caller's work.

Each input of line i has block_id "<field>:<i>" and action_id "value", so
Slack keeps what a person typed when the view is updated with one line more
or fewer: it preserves inputs whose block_id and action_id stay the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
)
from slack_sdk.models.blocks import Option as SlackOption
from slack_sdk.models.views import View

from bot.handlers.cards import ItemCard, Option, OptionCatalog, Target
from bot.handlers.messages import escape_mrkdwn, item_summary
from bot.handlers.options import Kind, catalog_select, options_of_kind
from bot.i18n import Translator

SPLIT_CALLBACK = "split"
CHANGE_CALLBACK = "change"
REJECT_CALLBACK = "reject"

# Every input element of these modals has this action_id, so only the block_id distinguishes them.
VALUE_ACTION = "value"
MODE_BLOCK = "mode"
REASON_BLOCK = "reason"
LINES_BLOCK = "lines"
ADD_LINE_ACTION = "add_line"
REMOVE_LINE_ACTION = "remove_line"

# Fields of a line, each an input with block_id "<field>:<line>", and the option kind each selects.
COST_CENTER_FIELD = "cc"
PROJECT_FIELD = "project"
ACCOUNT_FIELD = "account"
SHARE_FIELD = "share"
FIELD_KINDS: dict[str, Kind] = {COST_CENTER_FIELD: "cc", PROJECT_FIELD: "p", ACCOUNT_FIELD: "a"}

MODES = ("percent", "amount")
MIN_LINES = 2
MAX_LINES = 6
MAX_REASON_LENGTH = 500


def line_block_id(field: str, line: int) -> str:
    return f"{field}:{line}"


def split_modal(
    card: ItemCard,
    catalog: OptionCatalog,
    *,
    translator: Translator,
    private_metadata: str,
    lines: int = MIN_LINES,
    mode: str = "percent",
    initial: Sequence[Target] = (),
) -> dict:
    """Build the modal that splits an item over 2 to 6 lines by percent or by NOK amount.

    ``initial`` prefills the first lines. Its ``share`` fills the share field
    in percent mode, and its ``amount_nok`` in amount mode.
    """
    if not MIN_LINES <= lines <= MAX_LINES:
        raise ValueError(f"a split has {MIN_LINES} to {MAX_LINES} lines; got {lines}")
    if mode not in MODES:
        raise ValueError(f"unknown split mode {mode!r}; expected one of {', '.join(MODES)}")

    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=item_summary(card, translator))),
        ContextBlock(elements=[MarkdownTextObject(text=escape_mrkdwn(translator(
            "The shares must add up to exactly 100%, or to exactly {amount} when you split by amount.",
            amount=translator.money(card.amount_nok))))]),
        _mode_input(mode, translator),
    ]
    for line in range(1, lines + 1):
        target = initial[line - 1] if line <= len(initial) else None
        blocks.append(SectionBlock(text=MarkdownTextObject(text=translator("*Line {number}*", number=line))))
        blocks.extend(_target_inputs(line, target, catalog, translator))
        blocks.append(_share_input(line, target, mode, translator))
    blocks.append(_line_buttons(lines, translator))

    return _modal(SPLIT_CALLBACK, translator("Split purchase"), translator("Save"), blocks,
                  private_metadata, translator)


def change_modal(
    card: ItemCard,
    catalog: OptionCatalog,
    *,
    translator: Translator,
    private_metadata: str,
    initial: Sequence[Target] = (),
) -> dict:
    """Build the modal that books an item to one other target, prefilled from ``initial``."""
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=item_summary(card, translator))),
        ContextBlock(elements=[MarkdownTextObject(
            text=translator("Choose where this purchase should be booked instead."))]),
        *_target_inputs(1, initial[0] if initial else None, catalog, translator),
    ]
    return _modal(CHANGE_CALLBACK, translator("Change booking"), translator("Save"), blocks,
                  private_metadata, translator)


def reject_modal(card: ItemCard, *, translator: Translator, private_metadata: str) -> dict:
    """Build the modal that asks an approver why they reject an item."""
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=item_summary(card, translator))),
        InputBlock(
            block_id=REASON_BLOCK,
            label=translator("Reason"),
            hint=translator("The controllers will see the reason."),
            element=PlainTextInputElement(action_id=VALUE_ACTION, multiline=True, max_length=MAX_REASON_LENGTH),
        ),
    ]
    return _modal(REJECT_CALLBACK, translator("Reject purchase"), translator("Reject"), blocks,
                  private_metadata, translator)


def line_count(view: dict) -> int:
    """Return how many lines a split or change view shows, counted by its cost center inputs."""
    prefix = f"{COST_CENTER_FIELD}:"
    return sum(1 for block in view.get("blocks", []) if block.get("block_id", "").startswith(prefix))


def read_mode(values: dict) -> str:
    """Return the split mode chosen in ``view.state.values``: "percent" (also when absent) or "amount"."""
    option = values.get(MODE_BLOCK, {}).get(VALUE_ACTION, {}).get("selected_option")
    return option["value"] if option else "percent"


def read_lines(values: dict, lines: int, *, with_share: bool) -> list[dict]:
    """Read each line's codes and share text from ``view.state.values``.

    Returns one dict per line with ``cost_center``, ``project``, ``account``
    (codes without their "cc:", "p:" or "a:" prefix) and ``share_text`` (the
    stripped input). A field left empty, or without an input, is None;
    ``share_text`` is always None without ``with_share``.
    """
    result = []
    for line in range(1, lines + 1):
        codes = {field: _selected_code(values, field, line) for field in FIELD_KINDS}
        share = _typed_text(values, line_block_id(SHARE_FIELD, line)) if with_share else None
        result.append({
            "cost_center": codes[COST_CENTER_FIELD],
            "project": codes[PROJECT_FIELD],
            "account": codes[ACCOUNT_FIELD],
            "share_text": share,
        })
    return result


def _modal(callback_id: str, title: str, submit: str, blocks: list[Block], private_metadata: str,
           translator: Translator) -> dict:
    view = View(type="modal", callback_id=callback_id, title=title, submit=submit, close=translator("Cancel"),
                private_metadata=private_metadata, blocks=blocks)
    return view.to_dict()


def _mode_input(mode: str, translator: Translator) -> InputBlock:
    options = [
        SlackOption(value="percent", label=translator("Percent")),
        SlackOption(value="amount", label=translator("Amount (NOK)")),
    ]
    return InputBlock(
        block_id=MODE_BLOCK,
        label=translator("Split by"),
        element=RadioButtonsElement(action_id=VALUE_ACTION, options=options,
                                    initial_option=options[MODES.index(mode)]),
    )


def _target_inputs(line: int, target: Target | None, catalog: OptionCatalog,
                   translator: Translator) -> list[InputBlock]:
    """Build the cost center, project and account inputs of one line.

    The project input is optional, and left out when the catalog has no projects.
    """
    inputs = [_select_input(COST_CENTER_FIELD, line, translator("Cost center"), translator("Choose a cost center"),
                            _initial(catalog, "cc", target.cost_center, target.cost_center_name) if target else None,
                            catalog, translator)]

    if catalog.projects:
        initial = None
        if target and target.project:
            initial = _initial(catalog, "p", target.project, target.project_name or "")
        inputs.append(_select_input(PROJECT_FIELD, line, translator("Project"), translator("Choose a project"),
                                    initial, catalog, translator, optional=True))

    inputs.append(_select_input(ACCOUNT_FIELD, line, translator("Account"), translator("Choose an account"),
                                _initial(catalog, "a", target.account, target.account_name) if target else None,
                                catalog, translator))
    return inputs


def _select_input(field: str, line: int, label: str, placeholder: str, initial: Option | None,
                  catalog: OptionCatalog, translator: Translator, *, optional: bool = False) -> InputBlock:
    element = catalog_select(catalog, action_id=VALUE_ACTION, placeholder=placeholder, translator=translator,
                             kinds=(FIELD_KINDS[field],), initial=initial)
    return InputBlock(block_id=line_block_id(field, line), label=label, element=element, optional=optional)


def _initial(catalog: OptionCatalog, kind: Kind, code: str, name: str) -> Option:
    """Return the catalog's option for ``code``, or one made from the target when the catalog lacks it."""
    value = f"{kind}:{code}"
    listed = next((option for option in options_of_kind(catalog, kind) if option.value == value), None)
    return listed or Option(value=value, label=f"{code} {name}".strip())


def _share_input(line: int, target: Target | None, mode: str, translator: Translator) -> InputBlock:
    initial = None
    if target is not None:
        share = target.share if mode == "percent" else target.amount_nok
        initial = _number_text(share, translator) if share is not None else None
    return InputBlock(
        block_id=line_block_id(SHARE_FIELD, line),
        label=translator("Share"),
        element=PlainTextInputElement(action_id=VALUE_ACTION, initial_value=initial,
                                      placeholder=translator("e.g. 50")),
    )


def _number_text(value: Decimal, translator: Translator) -> str:
    """Format a number for an input field: without grouping, with two decimals only when it is not whole."""
    whole = value == value.to_integral_value()
    return translator.number(value, digits=0 if whole else 2)


def _line_buttons(lines: int, translator: Translator) -> ActionsBlock:
    """Build the buttons that add or remove a line. Each carries the current line count."""
    buttons = []
    if lines < MAX_LINES:
        buttons.append(ButtonElement(text=translator("Add line"), action_id=ADD_LINE_ACTION, value=str(lines)))
    if lines > MIN_LINES:
        buttons.append(ButtonElement(text=translator("Remove line"), action_id=REMOVE_LINE_ACTION, value=str(lines)))
    return ActionsBlock(block_id=LINES_BLOCK, elements=buttons)


def _selected_code(values: dict, field: str, line: int) -> str | None:
    """Return the code chosen in a select without its kind prefix, or None when nothing is chosen."""
    block_id = line_block_id(field, line)
    option = values.get(block_id, {}).get(VALUE_ACTION, {}).get("selected_option")
    if not option:
        return None

    kind, _, code = option["value"].partition(":")
    if kind != FIELD_KINDS[field]:
        raise ValueError(f"block {block_id!r} contains option {option['value']!r}; "
                         f"expected a value starting with {FIELD_KINDS[field]!r}:")
    return code


def _typed_text(values: dict, block_id: str) -> str | None:
    text = values.get(block_id, {}).get(VALUE_ACTION, {}).get("value")
    if text is None or not text.strip():
        return None
    return text.strip()
