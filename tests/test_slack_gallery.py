"""docs/slack.md and the plain-text sketch of Block Kit blocks it is made of."""

from pathlib import Path

import pytest

from bot.handlers.gallery import main, render_page, render_text

PAGE = Path(__file__).parent.parent / "docs" / "slack.md"


def test_page_matches_generated():
    """Regenerate with: python -m bot.handlers.gallery > docs/slack.md"""
    assert PAGE.read_text(encoding="utf-8") == render_page()


def test_page_deterministic():
    assert render_page() == render_page()


def test_page_has_both_languages():
    page = render_page()

    assert "Hvor skal disse kjøpene føres?" in page
    assert "Where should these purchases be booked?" in page


def test_main_prints_page(capsys):
    main()

    assert capsys.readouterr().out == render_page()


def test_render_header():
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": "Hei"}}]

    assert render_text(blocks) == "Hei\n==="


def test_render_section_link_and_escapes():
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*A* &amp; <https://x.example/p|B> &lt;C&gt;"}}]

    assert render_text(blocks) == "*A* & B <C>"


def test_render_section_fields():
    blocks = [{"type": "section", "fields": [{"type": "mrkdwn", "text": "one"}, {"type": "mrkdwn", "text": "two"}]}]

    assert render_text(blocks) == "one\ntwo"


def test_render_context_indented():
    blocks = [{"type": "context", "elements": [{"type": "mrkdwn", "text": "a\nb"}]}]

    assert render_text(blocks) == "  a\n  b"


def test_render_actions():
    blocks = [{"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "Godkjenn"}},
        {"type": "static_select", "placeholder": {"type": "plain_text", "text": "Annen føring…"}},
        {"type": "external_select", "placeholder": {"type": "plain_text", "text": "Konto"},
         "initial_option": {"text": {"type": "plain_text", "text": "6551 Datautstyr"}, "value": "a:6551"}},
    ]}]

    assert render_text(blocks) == "[Godkjenn] [Annen føring… ▾] [6551 Datautstyr ▾]"


def test_render_inputs():
    blocks = [
        {"type": "input", "label": {"type": "plain_text", "text": "Andel"},
         "element": {"type": "plain_text_input"}},
        {"type": "input", "label": {"type": "plain_text", "text": "Andel"},
         "element": {"type": "plain_text_input", "initial_value": "60"}},
        {"type": "input", "label": {"type": "plain_text", "text": "Fordel etter"},
         "element": {"type": "radio_buttons", "initial_option": {"value": "b"}, "options": [
             {"text": {"type": "plain_text", "text": "A"}, "value": "a"},
             {"text": {"type": "plain_text", "text": "B"}, "value": "b"}]}},
    ]

    assert render_text(blocks).split("\n") == ["Andel: ____", "Andel: 60", "Fordel etter: ( ) A  (•) B"]


def test_render_divider():
    assert set(render_text([{"type": "divider"}])) == {"─"}


def test_render_unknown_block():
    with pytest.raises(ValueError, match="image"):
        render_text([{"type": "image"}])
