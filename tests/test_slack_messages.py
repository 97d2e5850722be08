"""Question, approval, reminder and notice messages, the "other" select and its search answers."""

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bot.handlers.cards import Choice, ItemCard, Option, OptionCatalog, Outcome, Target
from bot.handlers.messages import notice, question_message, reminder_message
from bot.handlers.options import search_options
from bot.i18n import Translator

NB = Translator("nb")
EN = Translator("en")

IT_EQUIPMENT = Target("400", "IT", None, None, "6551", "Datautstyr", "1")
HAMAR = Target("400", "IT", "P-1042", "Ombygging Hamar stasjon", "6551", "Datautstyr", "1")
SUPPLIES = Target("400", "IT", None, None, "6800", "Kontorrekvisita", "1")
SMALL_CATALOG = OptionCatalog(
    cost_centers=(Option("cc:400", "400 IT"), Option("cc:200", "200 Salg")),
    projects=(Option("p:P-1042", "P-1042 Ombygging Hamar stasjon"),),
    accounts=(Option("a:6551", "6551 Datautstyr"), Option("a:7420", "7420 Gave")),
)

# Slack's Block Kit limits for messages, counted in characters.
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_HEADER_TEXT = 150
MAX_ID = 255
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_CONFIRM_TITLE = 100
MAX_CONFIRM_TEXT = 300
MAX_CONFIRM_BUTTON = 30


def make_card(question_id=7, kind="question", **changes) -> ItemCard:
    card = ItemCard(
        question_id=question_id, kind=kind, item_id=900 + question_id, title="Anker USB-C lader 65W",
        quantity=2, amount_nok=Decimal("1234.50"), amount_original=Decimal("105.00"), currency="EUR",
        order_date=date(2026, 12, 3), order_id="402-7714523-1187534", requester_name="Ola Hansen",
        delivery_place="Hamar stasjon", why="Du bestilte varen.",
        choices=(
            Choice(1, IT_EQUIPMENT, 0.87, ("ligner 14 tidligere kjøp",)),
            Choice(2, HAMAR, 0.08),
            Choice(3, SUPPLIES, 0.03),
        ),
    )
    return replace(card, **changes)


def build(cards, translator=NB, catalog=SMALL_CATALOG, recipient="Ola Hansen", **options):
    return question_message(cards, recipient_name=recipient, page=options.pop("page", 1),
                            pages=options.pop("pages", 1), catalog=catalog, translator=translator, **options)


def catalog_of_size(size: int, label_length: int = 20) -> OptionCatalog:
    """A catalog with ``size`` options spread over the three kinds, labels padded to ``label_length``."""
    def label(code: str) -> str:
        return (code + " " + "Ærlig øl på Åsgårdstrand ").ljust(label_length, "x")[:label_length]
    third = size // 3
    return OptionCatalog(
        cost_centers=tuple(Option(f"cc:{100 + i}", label(str(100 + i))) for i in range(third)),
        projects=tuple(Option(f"p:P-{i}", label(f"P-{i}")) for i in range(third)),
        accounts=tuple(Option(f"a:{6000 + i}", label(str(6000 + i))) for i in range(size - 2 * third)),
    )


def actions_blocks(blocks: list[dict]) -> list[dict]:
    return [block for block in blocks if block["type"] == "actions"]


def all_text(blocks: list[dict]) -> str:
    """Every text of the blocks joined, for checks that only need to find a phrase."""
    texts: list[str] = []

    def walk(value):
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "text" and isinstance(item, str):
                    texts.append(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(blocks)
    return "\n".join(texts)


def limit_violations(blocks: list[dict]) -> list[str]:
    """List every place where the blocks break one of Slack's documented message limits."""
    problems = []
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks")

    def check(condition: bool, problem: str) -> None:
        if not condition:
            problems.append(problem)

    def check_element(element: dict, where: str) -> None:
        check(len(element.get("action_id", "")) <= MAX_ID, f"{where}: action_id")
        if element["type"] == "button":
            check(len(element["text"]["text"]) <= MAX_BUTTON_TEXT, f"{where}: button text")
            check(len(element.get("value", "")) <= MAX_BUTTON_VALUE, f"{where}: button value")
            confirm = element.get("confirm")
            if confirm:
                check(len(confirm["title"]["text"]) <= MAX_CONFIRM_TITLE, f"{where}: confirm title")
                check(len(confirm["text"]["text"]) <= MAX_CONFIRM_TEXT, f"{where}: confirm text")
                check(len(confirm["confirm"]["text"]) <= MAX_CONFIRM_BUTTON, f"{where}: confirm button")
                check(len(confirm["deny"]["text"]) <= MAX_CONFIRM_BUTTON, f"{where}: deny button")
        options = list(element.get("options", []))
        groups = element.get("option_groups", [])
        check(len(groups) <= MAX_OPTIONS, f"{where}: option groups")
        for group in groups:
            check(len(group["label"]["text"]) <= MAX_OPTION_TEXT, f"{where}: group label")
            options.extend(group["options"])
        check(len(options) <= MAX_OPTIONS, f"{where}: {len(options)} options")
        for option in options:
            check(len(option["text"]["text"]) <= MAX_OPTION_TEXT, f"{where}: option text")
            check(len(option["value"]) <= MAX_OPTION_VALUE, f"{where}: option value")

    for index, block in enumerate(blocks):
        where = f"block {index} ({block['type']})"
        check(len(block.get("block_id", "")) <= MAX_ID, f"{where}: block_id")
        if block["type"] == "section":
            check(len(block.get("text", {}).get("text", "")) <= MAX_SECTION_TEXT, f"{where}: text")
            fields = block.get("fields", [])
            check(len(fields) <= MAX_FIELDS, f"{where}: fields")
            for field in fields:
                check(len(field["text"]) <= MAX_FIELD_TEXT, f"{where}: field text")
        elif block["type"] == "context":
            check(len(block["elements"]) <= MAX_CONTEXT_ELEMENTS, f"{where}: elements")
            for element in block["elements"]:
                check(len(element["text"]) <= MAX_SECTION_TEXT, f"{where}: element text")
        elif block["type"] == "header":
            check(len(block["text"]["text"]) <= MAX_HEADER_TEXT, f"{where}: header text")
        elif block["type"] == "actions":
            check(len(block["elements"]) <= MAX_ACTIONS_ELEMENTS, f"{where}: elements")
            for element in block["elements"]:
                check_element(element, where)
    return problems


# -- identifiers -------------------------------------------------------------------


def test_question_actions_block_id():
    blocks = build([make_card(question_id=42)]).blocks

    assert [block["block_id"] for block in actions_blocks(blocks)] == ["q:42"]


def test_question_action_ids_in_order():
    actions = actions_blocks(build([make_card()]).blocks)[0]

    assert [element["action_id"] for element in actions["elements"]] == [
        "choose:1", "choose:2", "choose:3", "other", "split", "private"]


def test_question_button_values():
    actions = actions_blocks(build([make_card(question_id=42)]).blocks)[0]
    values = [element.get("value") for element in actions["elements"]]

    assert values == ["42:1", "42:2", "42:3", None, "42", "42"]


def test_choice_buttons_follow_rank():
    card = make_card(choices=(Choice(2, HAMAR, 0.08), Choice(1, IT_EQUIPMENT, 0.87)))
    actions = actions_blocks(build([card]).blocks)[0]

    assert [element["action_id"] for element in actions["elements"][:2]] == ["choose:1", "choose:2"]


def test_only_first_choice_primary():
    actions = actions_blocks(build([make_card()]).blocks)[0]
    styles = [element.get("style") for element in actions["elements"]]

    assert styles == ["primary", None, None, None, None, None]


def test_approval_buttons():
    actions = actions_blocks(build([make_card(question_id=9, kind="approval", proposal=(IT_EQUIPMENT,))]).blocks)[0]
    elements = actions["elements"]

    assert actions["block_id"] == "q:9"
    assert [element["action_id"] for element in elements] == ["approve", "reject", "change"]
    assert [element.get("style") for element in elements] == ["primary", "danger", None]
    assert [element["value"] for element in elements] == ["9", "9", "9"]
    assert "confirm" not in elements[1]


# -- texts ----------------------------------------------------------------------------


def test_choice_button_text_nb():
    button = actions_blocks(build([make_card()]).blocks)[0]["elements"][0]

    assert button["text"]["text"] == "400 IT · 6551 Datautstyr – 87 %"


def test_choice_button_text_en():
    button = actions_blocks(build([make_card()], translator=EN).blocks)[0]["elements"][0]

    assert button["text"]["text"] == "400 IT · 6551 Datautstyr – 87%"


def test_choice_button_long_names_keep_codes():
    long_target = Target("400", "Informasjonsteknologi og digitale tjenester", "P-1042",
                         "Ombygging og modernisering av Hamar stasjon", "6551", "Datautstyr og programvare", "1")
    card = make_card(choices=(Choice(1, long_target, 0.5),))
    text = actions_blocks(build([card]).blocks)[0]["elements"][0]["text"]["text"]

    assert len(text) <= MAX_BUTTON_TEXT
    assert text.startswith("400")
    assert "P-1042" in text
    assert "6551" in text
    assert text.endswith("– 50 %")


def test_greeting_question_nb():
    header = build([make_card(), make_card(question_id=8)]).blocks[0]

    assert header["type"] == "header"
    assert header["text"]["text"] == "Hei Ola Hansen! Hvor skal disse kjøpene føres?"


def test_greeting_single_approval_nb():
    header = build([make_card(kind="approval", proposal=(IT_EQUIPMENT,))], recipient="Kari").blocks[0]

    assert header["text"]["text"] == "Hei Kari! Dette kjøpet må godkjennes av deg."


def test_item_amount_with_original_currency():
    text = build([make_card()]).blocks[1]["text"]["text"]

    assert "1\u00a0234,50 kr (105,00 EUR)" in text


def test_item_amount_nok_only():
    card = make_card(currency="NOK", amount_original=Decimal("1234.50"))
    text = build([card]).blocks[1]["text"]["text"]

    assert "1\u00a0234,50 kr" in text
    assert "(" not in text.split("\n")[1]


def test_item_details_nb():
    lines = build([make_card()]).blocks[1]["text"]["text"].split("\n")

    assert lines[0] == "*Anker USB-C lader 65W*"
    assert lines[1] == "2 stk. · 1\u00a0234,50 kr (105,00 EUR)"
    assert lines[2] == "Bestilt 03.12.2026 · ordre 402-7714523-1187534 · levert til Hamar stasjon"
    assert lines[3] == "_Du bestilte varen._"


def test_requester_hidden_for_recipient():
    text = build([make_card()], recipient="Ola Hansen").blocks[1]["text"]["text"]

    assert "Bestilt av" not in text


def test_requester_shown_for_other_recipient():
    text = build([make_card()], recipient="Lise Berg").blocks[1]["text"]["text"]

    assert "Bestilt av Ola Hansen" in text


def test_requester_shown_for_own_approval():
    card = make_card(kind="approval", proposal=(IT_EQUIPMENT,))
    text = build([card], recipient="Ola Hansen").blocks[1]["text"]["text"]

    assert "Bestilt av Ola Hansen" in text


def test_choice_reasons_context():
    context = build([make_card()]).blocks[2]

    assert context["type"] == "context"
    first_line = context["elements"][0]["text"].split("\n")[0]
    assert first_line == "1 · 400 IT · 6551 Datautstyr – 87 %: ligner 14 tidligere kjøp"


def test_approval_proposal_split_lines():
    lines = (replace(IT_EQUIPMENT, share=Decimal("60"), amount_nok=Decimal("740.70")),
             replace(HAMAR, share=Decimal("40"), amount_nok=Decimal("493.80")))
    card = make_card(kind="approval", proposal=lines)
    context = build([card]).blocks[2]["elements"][0]["text"].split("\n")

    assert context[0] == "Foreslått fordeling:"
    assert context[1] == "• 60 % · 740,70 kr · 400 IT · 6551 Datautstyr · mva-kode 1"
    assert context[2].startswith("• 40 % · 493,80 kr · 400 IT · P-1042 Ombygging Hamar stasjon")


def test_page_line_shown():
    blocks = build([make_card()], page=2, pages=7).blocks

    assert blocks[1]["type"] == "context"
    assert blocks[1]["elements"][0]["text"] == "Side 2 av 7"


def test_page_line_absent_single_page():
    assert "Side" not in all_text(build([make_card()]).blocks)


def test_intro_first_and_escaped():
    message = build([make_card()], intro="Kari avviste <!channel> & co")

    assert message.blocks[0]["type"] == "section"
    assert message.blocks[0]["text"]["text"] == "Kari avviste &lt;!channel&gt; &amp; co"
    assert message.text == "Kari avviste &lt;!channel&gt; &amp; co"


def test_title_escaped():
    text = build([make_card(title="Kabel <USB> & lader")]).blocks[1]["text"]["text"]

    assert text.startswith("*Kabel &lt;USB&gt; &amp; lader*")


def test_summary_text_questions():
    cards = [make_card(question_id=i) for i in range(3)]

    assert build(cards).text == "3 kjøp trenger svar fra deg"


def test_summary_text_one_approval_en():
    card = make_card(kind="approval", proposal=(IT_EQUIPMENT,))

    assert build([card], translator=EN).text == "A purchase needs your approval"


def test_private_button_confirm():
    button = actions_blocks(build([make_card()]).blocks)[0]["elements"][-1]

    assert button["text"]["text"] == "Privat kjøp"
    assert "1\u00a0234,50 kr" in button["confirm"]["text"]["text"]
    assert "personopplysning" in button["confirm"]["text"]["text"]


def test_mixed_kinds_rejected():
    with pytest.raises(ValueError, match="one kind"):
        build([make_card(), make_card(question_id=8, kind="approval")])


def test_more_than_ten_cards_rejected():
    with pytest.raises(ValueError, match="maximum is 10"):
        build([make_card(question_id=i) for i in range(11)])


# -- outcomes -----------------------------------------------------------------------


def decided(card: ItemCard, status="decided", at=datetime(2026, 12, 5, 13, 3, tzinfo=UTC), **changes) -> ItemCard:
    outcome = Outcome(status=status, by_name=changes.pop("by_name", "Ola Hansen"), at=at, **changes)
    return replace(card, outcome=outcome)


def test_outcome_has_no_actions():
    blocks = build([decided(make_card(), lines=(IT_EQUIPMENT,))]).blocks

    assert actions_blocks(blocks) == []


def test_outcome_decided_nb():
    text = build([decided(make_card(), lines=(IT_EQUIPMENT,))]).blocks[1]["text"]["text"]

    assert text.split("\n")[1] == "✅ Ført på 400 IT · 6551 Datautstyr · mva-kode 1 av Ola Hansen 05.12.2026 kl. 14:03"


def test_outcome_time_en():
    text = build([decided(make_card(), lines=(IT_EQUIPMENT,))], translator=EN).blocks[1]["text"]["text"]

    assert text.endswith("by Ola Hansen 2026-12-05 14:03")


def test_outcome_time_summer():
    card = decided(make_card(), at=datetime(2026, 7, 1, 12, 0, tzinfo=UTC), lines=(IT_EQUIPMENT,))
    text = build([card]).blocks[1]["text"]["text"]

    assert text.endswith("01.07.2026 kl. 14:00")


def test_outcome_split_lines():
    lines = (replace(IT_EQUIPMENT, share=Decimal("60"), amount_nok=Decimal("740.70")),
             replace(SUPPLIES, share=Decimal("40"), amount_nok=Decimal("493.80")))
    text = build([decided(make_card(), lines=lines)]).blocks[1]["text"]["text"].split("\n")

    assert text[1] == "✅ Ført av Ola Hansen 05.12.2026 kl. 14:03:"
    assert text[2] == "• 60 % · 740,70 kr · 400 IT · 6551 Datautstyr · mva-kode 1"
    assert text[3] == "• 40 % · 493,80 kr · 400 IT · 6800 Kontorrekvisita · mva-kode 1"


def test_outcome_pending_approval():
    card = decided(make_card(), status="pending_approval", lines=(IT_EQUIPMENT,), approver_name="Kari Nordmann")
    text = build([card]).blocks[1]["text"]["text"].split("\n")

    assert text[1] == "⏳ Venter på godkjenning fra Kari Nordmann"
    assert text[2] == "Valgt av Ola Hansen 05.12.2026 kl. 14:03: 400 IT · 6551 Datautstyr · mva-kode 1"


def test_outcome_rejected_with_reason():
    card = decided(make_card(kind="approval"), status="rejected", by_name="Kari Nordmann", reason="for dyrt")
    text = build([card]).blocks[1]["text"]["text"]

    assert text.split("\n")[1] == "❌ Avvist av Kari Nordmann 05.12.2026 kl. 14:03: «for dyrt»"


def test_outcome_approved_uses_proposal():
    card = decided(make_card(kind="approval", proposal=(IT_EQUIPMENT,)), status="approved", by_name="Kari")
    text = build([card]).blocks[1]["text"]["text"]

    assert text.split("\n")[1] == "✅ Godkjent av Kari 05.12.2026 kl. 14:03: 400 IT · 6551 Datautstyr · mva-kode 1"


def test_outcome_private():
    text = build([decided(make_card(), status="private")]).blocks[1]["text"]["text"].split("\n")

    assert text[1] == "🔒 Privat kjøp – tilbakebetales av den ansatte"
    assert text[2] == "Markert av Ola Hansen 05.12.2026 kl. 14:03"


def test_all_answered_greeting():
    message = build([decided(make_card(), lines=(IT_EQUIPMENT,))])

    assert message.blocks[0]["text"]["text"] == "Takk, Ola Hansen! Her er alt besvart."
    assert message.text == "Alt her er besvart"


# -- the "other" select -----------------------------------------------------------


def other_select(blocks: list[dict]) -> dict:
    elements = actions_blocks(blocks)[0]["elements"]
    return next(element for element in elements if element["action_id"] == "other")


def test_other_select_static_at_100():
    select = other_select(build([make_card()], catalog=catalog_of_size(100)).blocks)

    assert select["type"] == "static_select"
    assert sum(len(group["options"]) for group in select["option_groups"]) == 100


def test_other_select_group_labels_nb():
    select = other_select(build([make_card()]).blocks)

    assert [group["label"]["text"] for group in select["option_groups"]] == ["Kostnadssteder", "Prosjekter", "Kontoer"]


def test_other_select_omits_empty_group():
    catalog = OptionCatalog(cost_centers=(Option("cc:400", "400 IT"),), accounts=(Option("a:6551", "6551 Data"),))
    select = other_select(build([make_card()], catalog=catalog, translator=EN).blocks)

    assert [group["label"]["text"] for group in select["option_groups"]] == ["Cost centers", "Accounts"]


def test_other_select_external_above_100():
    select = other_select(build([make_card()], catalog=catalog_of_size(101)).blocks)

    assert select["type"] == "external_select"
    assert select["min_query_length"] == 0
    assert "option_groups" not in select


def test_other_select_external_when_text_too_long():
    """Ten cards with 100 long options each exceed the message's text budget, so the menus are searched."""
    cards = [make_card(question_id=i) for i in range(10)]
    blocks = build(cards, catalog=catalog_of_size(100, label_length=75)).blocks

    assert {other_select([block])["type"] for block in actions_blocks(blocks)} == {"external_select"}


def test_other_select_option_text_shortened():
    catalog = OptionCatalog(accounts=(Option("a:6551", "6551 " + "Datautstyr og programvare " * 10),))
    option = other_select(build([make_card()], catalog=catalog).blocks)["option_groups"][0]["options"][0]

    assert len(option["text"]["text"]) <= MAX_OPTION_TEXT
    assert option["text"]["text"].endswith("…")
    assert option["value"] == "a:6551"


# -- worst case -----------------------------------------------------------------------


def worst_card(question_id: int, kind: str = "question") -> ItemCard:
    """An item with every text far beyond what Slack allows, in multibyte characters and emoji."""
    long_name = "Økonomi og årsoppgjør for særskilte formål 🧾 " * 8
    target = Target("4" * 30, long_name, "P-" + "9" * 30, long_name, "6" * 30, long_name, "1")
    reasons = tuple(f"grunn {n}: " + "ære og øre på Åsgårdstrand « & » 🚀 " * 20 for n in range(3))
    return ItemCard(
        question_id=question_id, kind=kind, item_id=question_id,
        title="Ærlig talt – kjøkkenutstyr & «tilbehør» 🍽️ " * 100,
        quantity=999, amount_nok=Decimal("12345678.90"), amount_original=Decimal("1234567.89"), currency="EUR",
        order_date=date(2026, 12, 3), order_id="402-" + "7" * 300, requester_name="Åse Ødegård-Ærø " * 20,
        delivery_place="Søndre Øvre Årdal stasjon " * 20, why="Fordi æ, ø og å " * 100,
        choices=tuple(Choice(rank, target, 0.333, reasons) for rank in (1, 2, 3)),
        proposal=tuple(replace(target, share=Decimal("16.67"), amount_nok=Decimal("2057613.15")) for _ in range(6)),
    )


@pytest.mark.parametrize("kind", ["question", "approval"])
@pytest.mark.parametrize("translator", [NB, EN], ids=["nb", "en"])
def test_worst_case_within_limits(kind, translator):
    cards = [worst_card(question_id=10**12 + i, kind=kind) for i in range(10)]
    intro = "Kari Nordmann avviste dette kjøpet: " + "«for dyrt» " * 500

    message = question_message(cards, recipient_name="Ola " * 100, page=99, pages=100,
                               catalog=catalog_of_size(100, label_length=200), translator=translator, intro=intro)

    assert limit_violations(message.blocks) == []
    assert len(actions_blocks(message.blocks)) == 10


def test_worst_case_outcomes_within_limits():
    card = worst_card(1)
    lines = card.proposal
    cards = [decided(replace(card, question_id=i), lines=lines, by_name="Åse " * 100, reason="nei " * 200,
                     approver_name="Kari " * 100, status=status)
             for i, status in enumerate(["decided", "approved", "pending_approval", "rejected", "private"] * 2)]

    message = build(cards, recipient="Ola " * 100)

    assert limit_violations(message.blocks) == []


def test_limit_checker_finds_long_button():
    """The checker itself must catch an overlong button, or the worst-case tests prove nothing."""
    blocks = [{"type": "actions", "elements": [{"type": "button", "action_id": "x", "text": {"text": "x" * 76}}]}]

    assert limit_violations(blocks) == ["block 0 (actions): button text"]


# -- reminder and notice -----------------------------------------------------------


def test_reminder_text_nb():
    message = reminder_message(3, ["https://example.slack.com/archives/D1/p1"], recipient_name="Ola",
                               hours=24, translator=NB)

    assert message.text == "Påminnelse: du har 3 ubesvarte spørsmål om kortkjøp"
    assert message.blocks[0]["text"]["text"] == (
        "Hei Ola! Du har 3 ubesvarte spørsmål om kortkjøp. De har ventet i over 1 dag.")


def test_reminder_single_en():
    message = reminder_message(1, [], recipient_name="Ola", hours=5, translator=EN)

    assert message.text == "Reminder: you have an unanswered question about a card purchase"
    assert message.blocks[0]["text"]["text"].endswith("It has waited for more than 5 hours.")
    assert len(message.blocks) == 1


def test_reminder_links():
    links = ["https://example.slack.com/archives/D1/p1", "https://example.slack.com/archives/D1/p2"]
    message = reminder_message(2, links, recipient_name="Ola", hours=48, translator=NB)

    assert message.blocks[1]["text"]["text"] == (
        "• <https://example.slack.com/archives/D1/p1|Melding 1>\n"
        "• <https://example.slack.com/archives/D1/p2|Melding 2>")


def test_reminder_many_links_counted():
    links = [f"https://example.slack.com/archives/D1/p{n:020d}" for n in range(200)]
    text = reminder_message(200, links, recipient_name="Ola", hours=48, translator=NB).blocks[1]["text"]["text"]
    shown_count = text.count("<https://")

    assert len(text) <= MAX_SECTION_TEXT
    assert text.endswith(f"… og {200 - shown_count} til")


def test_notice_escaped():
    message = notice("Kjøpet er ført <@U123>")

    assert message.text == "Kjøpet er ført &lt;@U123&gt;"
    assert message.blocks == [{"type": "section", "text": {"type": "mrkdwn", "text": "Kjøpet er ført &lt;@U123&gt;"}}]


# -- search responses ---------------------------------------------------------------


SEARCH_CATALOG = OptionCatalog(
    cost_centers=(Option("cc:100", "100 Administrasjon"), Option("cc:400", "400 IT")),
    projects=(Option("p:P-1042", "P-1042 Ombygging Hamar stasjon"), Option("p:P-1051", "P-1051 Ny nettbutikk")),
    accounts=(Option("a:6551", "6551 Datautstyr"), Option("a:6800", "6800 Kontorrekvisita"),
              Option("a:4000", "4000 Innkjøp av varer")),
)


def answer_values(answer: dict) -> list[str]:
    if "options" in answer:
        return [option["value"] for option in answer["options"]]
    return [option["value"] for group in answer["option_groups"] for option in group["options"]]


def test_search_code_prefix_first():
    answer = search_options(SEARCH_CATALOG, "4", NB, kinds=("a",))

    assert answer_values(answer)[0] == "a:4000"


def test_search_fuzzy_label():
    answer = search_options(SEARCH_CATALOG, "datautstyr", NB, kinds=("a",))

    assert answer_values(answer) == ["a:6551"]


def test_search_typo_matches():
    answer = search_options(SEARCH_CATALOG, "hamr stasjon", NB, kinds=("p",))

    assert answer_values(answer)[0] == "p:P-1042"


def test_search_no_match_empty():
    answer = search_options(SEARCH_CATALOG, "zzzz", NB, kinds=("cc",))

    assert answer == {"options": []}


def test_search_groups_for_all_kinds():
    answer = search_options(SEARCH_CATALOG, "", EN)

    assert [group["label"]["text"] for group in answer["option_groups"]] == ["Cost centers", "Projects", "Accounts"]
    assert len(answer_values(answer)) == 7


def test_search_empty_query_first_100():
    answer = search_options(catalog_of_size(300), "", NB)
    values = answer_values(answer)

    assert len(values) == 100
    assert values[0] == "cc:100"
    assert values[-1] == "cc:199"


def test_search_caps_matches_at_100():
    answer = search_options(catalog_of_size(300), "Ærlig øl", NB)

    assert len(answer_values(answer)) == 100
