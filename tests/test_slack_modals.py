"""The split, change and reject modals, and reading their submitted values."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from bot.handlers.cards import ItemCard, Option, OptionCatalog, Target
from bot.handlers.modals import change_modal, line_count, read_lines, read_mode, reject_modal, split_modal
from bot.i18n import Translator

NB = Translator("nb")
EN = Translator("en")

CARD = ItemCard(
    question_id=7, kind="question", item_id=907, title="Moccamaster KBG Select kaffetrakter",
    quantity=1, amount_nok=Decimal("2880.54"), amount_original=Decimal("2790.00"), currency="SEK",
    order_date=date(2026, 12, 3), order_id="402-3381967-2204519", requester_name="Ola Hansen",
    delivery_place="Oslo", why="",
)
CATALOG = OptionCatalog(
    cost_centers=(Option("cc:100", "100 Administrasjon"), Option("cc:300", "300 Drift")),
    projects=(Option("p:P-1042", "P-1042 Ombygging Hamar stasjon"),),
    accounts=(Option("a:6540", "6540 Inventar"), Option("a:6551", "6551 Datautstyr")),
)
ADMIN = Target("100", "Administrasjon", None, None, "6540", "Inventar", "1",
               amount_nok=Decimal("1728.32"), share=Decimal("60"))
OPERATIONS = Target("300", "Drift", "P-1042", "Ombygging Hamar stasjon", "6540", "Inventar", "1",
                    amount_nok=Decimal("1152.22"), share=Decimal("40"))

# Slack's limits for modal views, in characters or blocks.
MAX_TITLE = 24
MAX_VIEW_BLOCKS = 100


def block(view: dict, block_id: str) -> dict:
    return next(item for item in view["blocks"] if item.get("block_id") == block_id)


def block_ids(view: dict) -> list[str]:
    return [item["block_id"] for item in view["blocks"] if "block_id" in item]


def make_split(**options) -> dict:
    return split_modal(CARD, options.pop("catalog", CATALOG), translator=options.pop("translator", NB),
                       private_metadata=options.pop("private_metadata", '{"q": 7}'), **options)


# -- split modal ---------------------------------------------------------------------


def test_split_callback_and_metadata():
    view = make_split(private_metadata='{"q": 7, "c": "D1"}')

    assert view["type"] == "modal"
    assert view["callback_id"] == "split"
    assert view["private_metadata"] == '{"q": 7, "c": "D1"}'


def test_split_block_ids_two_lines():
    assert block_ids(make_split()) == [
        "mode",
        "cc:1", "project:1", "account:1", "share:1",
        "cc:2", "project:2", "account:2", "share:2",
        "lines",
    ]


def test_split_six_lines():
    view = make_split(lines=6)

    assert "share:6" in block_ids(view)
    assert len(view["blocks"]) <= MAX_VIEW_BLOCKS


def test_split_inputs_use_value_action():
    view = make_split()
    inputs = [item for item in view["blocks"] if item["type"] == "input"]

    assert {item["element"]["action_id"] for item in inputs} == {"value"}


def test_split_project_optional_only():
    view = make_split()

    assert block(view, "project:1")["optional"] is True
    assert block(view, "cc:1").get("optional", False) is False
    assert block(view, "share:1").get("optional", False) is False


def test_split_mode_radio():
    element = block(make_split(mode="amount"), "mode")["element"]

    assert element["type"] == "radio_buttons"
    assert [option["value"] for option in element["options"]] == ["percent", "amount"]
    assert element["initial_option"]["value"] == "amount"


def test_split_line_buttons_at_two():
    elements = block(make_split(lines=2), "lines")["elements"]

    assert [(element["action_id"], element["value"]) for element in elements] == [("add_line", "2")]


def test_split_line_buttons_between():
    elements = block(make_split(lines=4), "lines")["elements"]

    assert [(element["action_id"], element["value"]) for element in elements] == [
        ("add_line", "4"), ("remove_line", "4")]


def test_split_line_buttons_at_six():
    elements = block(make_split(lines=6), "lines")["elements"]

    assert [element["action_id"] for element in elements] == ["remove_line"]


@pytest.mark.parametrize("lines", [1, 7])
def test_split_line_count_out_of_range(lines):
    with pytest.raises(ValueError, match="2 to 6 lines"):
        make_split(lines=lines)


def test_split_unknown_mode():
    with pytest.raises(ValueError, match="unknown split mode"):
        make_split(mode="ratio")


def test_split_static_selects_small_lists():
    element = block(make_split(), "cc:1")["element"]

    assert element["type"] == "static_select"
    assert [option["value"] for option in element["options"]] == ["cc:100", "cc:300"]


def test_split_external_select_long_list():
    accounts = tuple(Option(f"a:{4000 + n}", f"{4000 + n} Konto") for n in range(101))
    view = make_split(catalog=replace(CATALOG, accounts=accounts))
    element = block(view, "account:1")["element"]

    assert element["type"] == "external_select"
    assert element["min_query_length"] == 0
    assert block(view, "cc:1")["element"]["type"] == "static_select"


def test_split_without_projects_has_no_project_input():
    view = make_split(catalog=replace(CATALOG, projects=()))

    assert "project:1" not in block_ids(view)


def test_split_initial_values_percent():
    view = make_split(initial=(ADMIN, OPERATIONS))

    assert block(view, "cc:1")["element"]["initial_option"]["value"] == "cc:100"
    assert block(view, "account:1")["element"]["initial_option"]["value"] == "a:6540"
    assert "initial_option" not in block(view, "project:1")["element"]
    assert block(view, "project:2")["element"]["initial_option"]["value"] == "p:P-1042"
    assert block(view, "share:1")["element"]["initial_value"] == "60"
    assert block(view, "share:2")["element"]["initial_value"] == "40"


def test_split_initial_values_amount():
    view = make_split(mode="amount", initial=(ADMIN, OPERATIONS))

    assert block(view, "share:1")["element"]["initial_value"] == "1728,32"


def test_split_initial_option_equals_listed_option():
    """Slack rejects a static select whose initial option is not one of its options."""
    element = block(make_split(initial=(ADMIN,)), "cc:1")["element"]

    assert element["initial_option"] in element["options"]


def test_split_initial_unknown_code_left_out_of_static():
    closed = replace(ADMIN, cost_center="999", cost_center_name="Nedlagt")
    element = block(make_split(initial=(closed,)), "cc:1")["element"]

    assert "initial_option" not in element


def test_split_initial_unknown_code_kept_in_external():
    cost_centers = tuple(Option(f"cc:{n}", f"{n} Avdeling") for n in range(101))
    closed = replace(ADMIN, cost_center="999", cost_center_name="Nedlagt")
    element = block(make_split(catalog=replace(CATALOG, cost_centers=cost_centers), initial=(closed,)),
                    "cc:1")["element"]

    assert element["initial_option"]["value"] == "cc:999"
    assert element["initial_option"]["text"]["text"] == "999 Nedlagt"


def test_split_explains_sum():
    view = make_split()

    assert "nøyaktig 100 %" in view["blocks"][1]["elements"][0]["text"]
    assert "2\u00a0880,54 kr" in view["blocks"][1]["elements"][0]["text"]


def test_split_titles_fit_both_languages():
    for translator in (NB, EN):
        view = make_split(translator=translator)

        assert len(view["title"]["text"]) <= MAX_TITLE
        assert len(view["submit"]["text"]) <= MAX_TITLE
        assert len(view["close"]["text"]) <= MAX_TITLE


def test_split_title_nb():
    view = make_split()

    assert view["title"]["text"] == "Del opp kjøp"


# -- change and reject modals ------------------------------------------------------


def test_change_modal_one_line_without_share():
    view = change_modal(CARD, CATALOG, translator=NB, private_metadata="m", initial=(OPERATIONS,))

    assert view["callback_id"] == "change"
    assert view["title"]["text"] == "Endre føring"
    assert block_ids(view) == ["cc:1", "project:1", "account:1"]
    assert block(view, "project:1")["element"]["initial_option"]["value"] == "p:P-1042"


def test_change_modal_without_initial():
    view = change_modal(CARD, CATALOG, translator=EN, private_metadata="m")

    assert "initial_option" not in block(view, "cc:1")["element"]


def test_reject_modal():
    view = reject_modal(CARD, translator=NB, private_metadata='{"q": 7}')
    element = block(view, "reason")["element"]

    assert view["callback_id"] == "reject"
    assert view["private_metadata"] == '{"q": 7}'
    assert view["title"]["text"] == "Avvis kjøp"
    assert element["type"] == "plain_text_input"
    assert element["action_id"] == "value"
    assert element["multiline"] is True
    assert element["max_length"] == 500
    assert block(view, "reason").get("optional", False) is False


def test_reject_modal_titles_fit_en():
    view = reject_modal(CARD, translator=EN, private_metadata="")

    assert len(view["title"]["text"]) <= MAX_TITLE
    assert len(view["submit"]["text"]) <= MAX_TITLE


def test_modal_shows_item():
    view = reject_modal(CARD, translator=NB, private_metadata="")

    assert view["blocks"][0]["text"]["text"].startswith("*Moccamaster KBG Select kaffetrakter* · 2\u00a0880,54 kr")


# -- reading submissions ------------------------------------------------------------


def selected(value: str, kind: str = "static_select") -> dict:
    return {"value": {"type": kind, "selected_option": {"text": {"type": "plain_text", "text": value},
                                                        "value": value}}}


def typed(text: str | None) -> dict:
    return {"value": {"type": "plain_text_input", "value": text}}


STATE = {
    "mode": {"value": {"type": "radio_buttons", "selected_option": {"value": "amount"}}},
    "cc:1": selected("cc:100"),
    "project:1": {"value": {"type": "static_select", "selected_option": None}},
    "account:1": selected("a:6540", "external_select"),
    "share:1": typed(" 1728,32 "),
    "cc:2": selected("cc:300"),
    "project:2": selected("p:P-1042"),
    "account:2": {"value": {"type": "external_select", "selected_option": None}},
    "share:2": typed(None),
}


def test_read_lines_codes_and_shares():
    assert read_lines(STATE, 2, with_share=True) == [
        {"cost_center": "100", "project": None, "account": "6540", "share_text": "1728,32"},
        {"cost_center": "300", "project": "P-1042", "account": None, "share_text": None},
    ]


def test_read_lines_without_share():
    lines = read_lines(STATE, 1, with_share=False)

    assert lines[0]["share_text"] is None


def test_read_lines_missing_block():
    assert read_lines({}, 1, with_share=True) == [
        {"cost_center": None, "project": None, "account": None, "share_text": None}]


def test_read_lines_blank_share():
    lines = read_lines({"share:1": typed("   ")}, 1, with_share=True)

    assert lines[0]["share_text"] is None


def test_read_lines_wrong_kind():
    with pytest.raises(ValueError, match="cc:1"):
        read_lines({"cc:1": selected("a:6540")}, 1, with_share=False)


def test_read_mode_amount():
    assert read_mode(STATE) == "amount"


def test_read_mode_default():
    assert read_mode({}) == "percent"


def test_line_count_of_built_views():
    assert line_count(make_split(lines=5)) == 5
    assert line_count(change_modal(CARD, CATALOG, translator=NB, private_metadata="")) == 1


def test_line_count_reads_cost_center_blocks():
    view = {"blocks": [{"type": "input", "block_id": "cc:1"}, {"type": "input", "block_id": "account:1"},
                       {"type": "input", "block_id": "cc:2"}, {"type": "section"}]}

    assert line_count(view) == 2
