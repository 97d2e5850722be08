"""Block Kit validation with the limits that Slack enforces on messages, modals and home tabs.

The limits come from Slack's Block Kit reference (docs.slack.dev/reference/block-kit:
blocks, block elements, composition objects and views). Each problem is reported as
Slack reports it, "<what> [json-pointer:<path>]", for example
"must be less than 3001 characters [json-pointer:/blocks/0/text/text]".

NOTE: Length and item-count messages copy Slack's wording; the other messages are
this module's own. Lengths are counted in code points, as Python's len() does.

Slack also rejects some messages whose blocks JSON is longer than about 13 000
characters in total. That limit is undocumented, so this module does not enforce it.
"""

from __future__ import annotations

from typing import Any

MESSAGE = "message"
MODAL = "modal"
HOME = "home"

MAX_BLOCKS = {MESSAGE: 50, MODAL: 100, HOME: 100}

# NOTE: Slack also has video, file, markdown and table blocks, which this module
# rejects as unsupported because allocbot does not use them.
BLOCK_TYPES = {"section", "divider", "header", "context", "actions", "input", "image", "rich_text"}

SELECT_TYPES = {"static_select", "multi_static_select"}
EXTERNAL_SELECT_TYPES = {"external_select", "multi_external_select"}
CHOICE_TYPES = {"radio_buttons", "checkboxes"}

# Elements that Slack accepts only as the element of an input block.
INPUT_ONLY_TYPES = {
    "plain_text_input",
    "email_text_input",
    "url_text_input",
    "number_input",
    "rich_text_input",
    "file_input",
}

# Elements that are accepted here without checks beyond action_id, placeholder and confirm.
OTHER_ELEMENT_TYPES = {
    "users_select",
    "multi_users_select",
    "conversations_select",
    "multi_conversations_select",
    "channels_select",
    "multi_channels_select",
    "datepicker",
    "timepicker",
    "datetimepicker",
}

ELEMENT_TYPES = {"button", "overflow"} | SELECT_TYPES | EXTERNAL_SELECT_TYPES | CHOICE_TYPES
ELEMENT_TYPES |= INPUT_ONLY_TYPES | OTHER_ELEMENT_TYPES


def validate_blocks(blocks: Any, surface: str, path: str = "/blocks") -> list[str]:
    """Return Slack's error messages for a list of blocks on a surface (MESSAGE, MODAL or HOME)."""
    validator = _Validator(surface)
    validator.blocks(blocks, path)
    return validator.errors


def validate_view(view: Any, expected_type: str) -> list[str]:
    """Return Slack's error messages for a view of `expected_type` (MODAL or HOME) under /view."""
    validator = _Validator(expected_type)
    validator.view(view, "/view", expected_type)
    return validator.errors


def validate_options_response(response: Any) -> list[str]:
    """Return the problems in an app's response to a block_suggestion request.

    Slack shows no options at all when the response breaks a limit, so a test that
    checks the response finds the problem that a person would only see as an empty menu.
    """
    validator = _Validator(MODAL)
    if not isinstance(response, dict):
        validator.fail("", "must be an object")
    else:
        validator.option_list(response, "")
    return validator.errors


def _child(path: str, key: str | int) -> str:
    return f"{path}/{key}"


class _Validator:
    """Collects the errors of one surface, in the order that the checks find them."""

    def __init__(self, surface: str) -> None:
        self.surface = surface
        self.errors: list[str] = []
        self.block_ids: set[str] = set()

    def fail(self, path: str, message: str) -> None:
        self.errors.append(f"{message} [json-pointer:{path}]")

    # ----- primitives

    def max_length(self, value: Any, limit: int, path: str) -> None:
        if not isinstance(value, str):
            self.fail(path, "must be a string")
        elif len(value) > limit:
            self.fail(path, f"must be less than {limit + 1} characters")

    def item_list(self, value: Any, limit: int, path: str, *, minimum: int = 1) -> list[Any]:
        """Check the count of an array and return its items, or [] when it is no array."""
        if not isinstance(value, list):
            self.fail(path, "must be an array")
            return []
        if len(value) < minimum:
            self.fail(path, f"must provide at least {minimum} items")
        if len(value) > limit:
            self.fail(path, f"no more than {limit} items allowed")
        return value

    def text(self, value: Any, limit: int, path: str, *, plain_only: bool = False) -> None:
        if not isinstance(value, dict):
            self.fail(path, "must be a text object")
            return

        if value.get("type") not in ("plain_text", "mrkdwn"):
            self.fail(_child(path, "type"), "must be plain_text or mrkdwn")
        elif plain_only and value["type"] != "plain_text":
            self.fail(_child(path, "type"), "must be plain_text")

        text = value.get("text")
        if isinstance(text, str) and not text:
            self.fail(_child(path, "text"), "must be more than 0 characters")
        else:
            self.max_length(text, limit, _child(path, "text"))

    def optional_text(
        self, owner: dict[str, Any], key: str, limit: int, path: str, *, plain_only: bool = False
    ) -> None:
        if key in owner:
            self.text(owner[key], limit, _child(path, key), plain_only=plain_only)

    def optional_length(self, owner: dict[str, Any], key: str, limit: int, path: str) -> None:
        if key in owner:
            self.max_length(owner[key], limit, _child(path, key))

    # ----- views

    def view(self, view: Any, path: str, expected_type: str) -> None:
        if not isinstance(view, dict):
            self.fail(path, "must be an object")
            return

        if view.get("type") != expected_type:
            self.fail(_child(path, "type"), f"must be {expected_type}")
            return

        if expected_type == MODAL:
            if "title" not in view:
                self.fail(path, "missing required field: title")
            self.optional_text(view, "title", 24, path, plain_only=True)
            self.optional_text(view, "submit", 24, path, plain_only=True)
            self.optional_text(view, "close", 24, path, plain_only=True)

        self.optional_length(view, "private_metadata", 3000, path)
        self.optional_length(view, "callback_id", 255, path)
        self.optional_length(view, "external_id", 255, path)

        blocks = view.get("blocks")
        if blocks is None:
            self.fail(path, "missing required field: blocks")
            return
        self.blocks(blocks, _child(path, "blocks"))

        if expected_type == MODAL and "submit" not in view and isinstance(blocks, list):
            for index, block in enumerate(blocks):
                if isinstance(block, dict) and block.get("type") == "input":
                    block_path = _child(_child(path, "blocks"), index)
                    self.fail(block_path, "must define `submit` to use an `input` block in modals")

    # ----- blocks

    def blocks(self, blocks: Any, path: str) -> None:
        for index, block in enumerate(self.item_list(blocks, MAX_BLOCKS[self.surface], path, minimum=0)):
            self.block(block, _child(path, index))

    def block(self, block: Any, path: str) -> None:
        if not isinstance(block, dict):
            self.fail(path, "must be an object")
            return

        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            self.fail(_child(path, "type"), f"unsupported type: {kind}")
            return

        if "block_id" in block:
            self.block_id(block["block_id"], _child(path, "block_id"))

        if kind == "section":
            self.section(block, path)
        elif kind == "header":
            self.text(block.get("text"), 150, _child(path, "text"), plain_only=True)
        elif kind == "context":
            for index, element in enumerate(self.item_list(block.get("elements"), 10, _child(path, "elements"))):
                self.context_element(element, _child(_child(path, "elements"), index))
        elif kind == "actions":
            for index, element in enumerate(self.item_list(block.get("elements"), 25, _child(path, "elements"))):
                self.element(element, _child(_child(path, "elements"), index), in_input=False)
        elif kind == "input":
            self.input(block, path)
        elif kind == "image":
            self.image(block, path)

    def block_id(self, block_id: Any, path: str) -> None:
        self.max_length(block_id, 255, path)
        if not isinstance(block_id, str):
            return
        if block_id in self.block_ids:
            self.fail(path, f"duplicate block_id: {block_id}")
        self.block_ids.add(block_id)

    def section(self, block: dict[str, Any], path: str) -> None:
        if "text" not in block and "fields" not in block:
            self.fail(path, "must define either `text` or `fields`")

        self.optional_text(block, "text", 3000, path)

        if "fields" in block:
            fields_path = _child(path, "fields")
            for index, field in enumerate(self.item_list(block["fields"], 10, fields_path)):
                self.text(field, 2000, _child(fields_path, index))

        if "accessory" in block:
            accessory = block["accessory"]
            if isinstance(accessory, dict) and accessory.get("type") == "image":
                self.image_element(accessory, _child(path, "accessory"))
            else:
                self.element(accessory, _child(path, "accessory"), in_input=False)

    def input(self, block: dict[str, Any], path: str) -> None:
        if self.surface != MODAL:
            self.fail(_child(path, "type"), f"unsupported type: input, which only modals accept, not a {self.surface}")
            return

        if "label" not in block:
            self.fail(path, "missing required field: label")
        self.optional_text(block, "label", 2000, path, plain_only=True)
        self.optional_text(block, "hint", 2000, path, plain_only=True)

        if "element" not in block:
            self.fail(path, "missing required field: element")
        else:
            self.element(block["element"], _child(path, "element"), in_input=True)

    def image(self, block: dict[str, Any], path: str) -> None:
        if "image_url" not in block and "slack_file" not in block:
            self.fail(path, "must define either `image_url` or `slack_file`")
        self.optional_length(block, "image_url", 3000, path)
        self.max_length(block.get("alt_text"), 2000, _child(path, "alt_text"))
        self.optional_text(block, "title", 2000, path, plain_only=True)

    def context_element(self, element: Any, path: str) -> None:
        if isinstance(element, dict) and element.get("type") == "image":
            self.image_element(element, path)
        else:
            self.text(element, 3000, path)

    def image_element(self, element: dict[str, Any], path: str) -> None:
        if "image_url" not in element and "slack_file" not in element:
            self.fail(path, "must define either `image_url` or `slack_file`")
        self.optional_length(element, "image_url", 3000, path)
        self.max_length(element.get("alt_text"), 2000, _child(path, "alt_text"))

    # ----- block elements

    def element(self, element: Any, path: str, *, in_input: bool) -> None:
        if not isinstance(element, dict):
            self.fail(path, "must be an object")
            return

        kind = element.get("type")
        if kind not in ELEMENT_TYPES or (kind in INPUT_ONLY_TYPES and not in_input):
            self.fail(_child(path, "type"), f"unsupported type: {kind}")
            return

        self.optional_length(element, "action_id", 255, path)
        self.optional_text(element, "placeholder", 150, path, plain_only=True)
        if "confirm" in element:
            self.confirm(element["confirm"], _child(path, "confirm"))

        if kind == "button":
            self.button(element, path)
        elif kind in SELECT_TYPES:
            self.option_list(element, path)
        elif kind in EXTERNAL_SELECT_TYPES:
            self.external_select(element, path)
        elif kind == "overflow":
            for index, option in enumerate(self.item_list(element.get("options"), 5, _child(path, "options"))):
                self.option(option, _child(_child(path, "options"), index), plain_only=True)
        elif kind in CHOICE_TYPES:
            for index, option in enumerate(self.item_list(element.get("options"), 10, _child(path, "options"))):
                self.option(option, _child(_child(path, "options"), index), plain_only=False)
        elif kind == "plain_text_input":
            self.optional_length(element, "initial_value", 3000, path)

    def button(self, element: dict[str, Any], path: str) -> None:
        if "text" not in element:
            self.fail(path, "missing required field: text")
        self.optional_text(element, "text", 75, path, plain_only=True)
        self.optional_length(element, "value", 2000, path)
        self.optional_length(element, "url", 3000, path)
        if element.get("style", "primary") not in ("primary", "danger"):
            self.fail(_child(path, "style"), "must be primary or danger")

    def external_select(self, element: dict[str, Any], path: str) -> None:
        for key in ("options", "option_groups"):
            if key in element:
                self.fail(_child(path, key), f"invalid additional property: {key}")
        if "min_query_length" in element and not isinstance(element["min_query_length"], int):
            self.fail(_child(path, "min_query_length"), "must be an integer")

    def option_list(self, owner: dict[str, Any], path: str) -> None:
        """Check the options or option_groups of a static select or of an options response."""
        has_options = "options" in owner
        has_groups = "option_groups" in owner
        if has_options == has_groups:
            self.fail(path, "must define either `options` or `option_groups`")
            return

        if has_options:
            options_path = _child(path, "options")
            for index, option in enumerate(self.item_list(owner["options"], 100, options_path)):
                self.option(option, _child(options_path, index), plain_only=True)
            return

        groups_path = _child(path, "option_groups")
        for group_index, group in enumerate(self.item_list(owner["option_groups"], 100, groups_path)):
            group_path = _child(groups_path, group_index)
            if not isinstance(group, dict):
                self.fail(group_path, "must be an object")
                continue
            self.text(group.get("label"), 75, _child(group_path, "label"), plain_only=True)
            options_path = _child(group_path, "options")
            for index, option in enumerate(self.item_list(group.get("options"), 100, options_path)):
                self.option(option, _child(options_path, index), plain_only=True)

    def option(self, option: Any, path: str, *, plain_only: bool) -> None:
        """Check an option object. Select menus and overflow menus take plain_text only."""
        if not isinstance(option, dict):
            self.fail(path, "must be an object")
            return
        self.text(option.get("text"), 75, _child(path, "text"), plain_only=plain_only)
        self.max_length(option.get("value"), 150, _child(path, "value"))
        self.optional_text(option, "description", 75, path, plain_only=plain_only)
        self.optional_length(option, "url", 3000, path)

    def confirm(self, dialog: Any, path: str) -> None:
        if not isinstance(dialog, dict):
            self.fail(path, "must be an object")
            return
        self.text(dialog.get("title"), 100, _child(path, "title"), plain_only=True)
        self.text(dialog.get("text"), 300, _child(path, "text"))
        self.text(dialog.get("confirm"), 30, _child(path, "confirm"), plain_only=True)
        self.text(dialog.get("deny"), 30, _child(path, "deny"), plain_only=True)
