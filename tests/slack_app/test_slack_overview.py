"""Views of open work over the real bolt app: ``/allocbot status``, the App Home tab and searched selects.

Also covers a retried delivery of an event, which the bot acknowledges
without acting on it again, and a bot configured for English.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from . import world
from .conftest import RunningBot, start_bot, stop_bot
from .helpers import MOUSE, NOTES, ask, blocks_text, purchase_by, wait_until
from .standin import SlackStandIn
from .world import EVE, OLA, SIRI, SLACK_IDS

CHARGER = ("Anker USB-C lader 65W", "599.80")

# More accounts than a static select may list (100), so the "other" menu becomes a searched select.
EXTRA_ACCOUNTS = "".join(
    f'\n[[accounts]]\nnumber = "{7100 + index}"\nname = "Driftskostnad {index}"\ndefault_tax_code = "1"\n'
    for index in range(100)
)


@pytest.fixture
def searched_bot(tmp_path: Path, standin: SlackStandIn, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningBot]:
    """Return a running bot whose master data has over 100 accounts."""
    monkeypatch.setattr(world, "MASTER_TOML", world.MASTER_TOML + EXTRA_ACCOUNTS)
    running = start_bot(tmp_path, standin)
    try:
        yield running
    finally:
        stop_bot(running)


def section_texts(blocks: list[dict]) -> list[str]:
    return [block["text"]["text"] for block in blocks if block["type"] == "section"]


def status_of(bot: RunningBot, email: str, channel: str | None = None) -> dict:
    """Send ``/allocbot status`` as the person with ``email`` and return the ephemeral message they get.

    The command is typed in ``channel``, by default the person's DM with the bot.
    """
    user_id = SLACK_IDS[email]
    response = bot.requests.command(user_id, text="status", channel=channel)
    assert response.status == 200
    ephemerals = wait_until(lambda: bot.standin.ephemerals(user_id), message=f"an ephemeral message to {email}")
    return ephemerals[-1]


def option_values(response: dict) -> list[str]:
    """Return the values of an options response, in order, from its groups or its flat list."""
    options = list(response.get("options", []))
    for group in response.get("option_groups", []):
        options.extend(group["options"])
    return [option["value"] for option in options]


def test_status_lists_own_questions(bot):
    ask(bot, purchase_by(OLA, MOUSE), purchase_by(OLA, NOTES, 2), purchase_by(EVE, CHARGER, 3))

    status = status_of(bot, OLA)

    assert status["channel"] == bot.dm(OLA)
    sections = section_texts(status["blocks"])
    assert sections[0].startswith("Du har 2 åpne spørsmål.")
    text = blocks_text(status["blocks"])
    assert MOUSE[0] in text
    assert NOTES[0] in text
    assert CHARGER[0] not in text


def test_status_links_question_message(bot):
    ask(bot, purchase_by(OLA, MOUSE))
    question_message = bot.last_message(bot.dm(OLA))

    status = status_of(bot, OLA)

    expected = f"/archives/{bot.dm(OLA)}/p{question_message['ts'].replace('.', '')}|"
    assert expected in blocks_text(status["blocks"])


def test_status_for_controller_groups_people(bot):
    ask(bot, purchase_by(OLA, MOUSE), purchase_by(OLA, NOTES, 2), purchase_by(EVE, CHARGER, 3))

    status = status_of(bot, SIRI)

    sections = section_texts(status["blocks"])
    assert sections[0].startswith("3 åpne spørsmål til 2 personer.")
    ola = [text for text in sections if text.startswith("*Ola Hansen*\n")]
    eve = [text for text in sections if text.startswith("*Eve Strand*\n")]
    assert len(ola) == 1
    assert len(eve) == 1
    assert MOUSE[0] in ola[0]
    assert NOTES[0] in ola[0]
    assert CHARGER[0] in eve[0]
    assert CHARGER[0] not in ola[0]


def test_status_in_channel_without_bot(bot):
    ask(bot, purchase_by(OLA, MOUSE))

    # The stand-in does not know C0GENERAL, as Slack does not show the bot a channel it is not in.
    status = status_of(bot, OLA, channel="C0GENERAL")

    assert status["channel"] == "C0GENERAL"
    assert MOUSE[0] in blocks_text(status["blocks"])


def test_status_without_questions(bot):
    ask(bot, purchase_by(OLA, MOUSE))

    status = status_of(bot, EVE)

    assert section_texts(status["blocks"]) == ["Du har ingen åpne spørsmål 🎉"]


def test_home_lists_open_questions(bot):
    ask(bot, purchase_by(OLA, MOUSE), purchase_by(EVE, CHARGER, 2))

    response = bot.requests.app_home_opened(SLACK_IDS[OLA])

    assert response.status == 200
    publish, = bot.standin.wait_for("views.publish")
    assert publish.params["user_id"] == SLACK_IDS[OLA]
    home = bot.standin.home_view(SLACK_IDS[OLA])
    assert home["type"] == "home"
    text = blocks_text(home["blocks"])
    assert "Åpne spørsmål om kortkjøp" in text
    assert MOUSE[0] in text
    assert CHARGER[0] not in text


def test_home_retry_publishes_once(bot):
    ask(bot, purchase_by(OLA, MOUSE))
    event = bot.requests.payloads.app_home_opened(SLACK_IDS[OLA])
    bot.requests.event(event, event_id="Ev0HOME0001")
    bot.standin.wait_for("views.publish")

    retry = bot.requests.event(event, event_id="Ev0HOME0001", retry_num=1)
    # Another person's event, handled after the retry, shows when the retry would have been handled too.
    bot.requests.app_home_opened(SLACK_IDS[SIRI])
    bot.standin.wait_for("views.publish", lambda call: call.params["user_id"] == SLACK_IDS[SIRI])

    assert retry.status == 200
    publishes = [call for call in bot.standin.calls_to("views.publish") if call.params["user_id"] == SLACK_IDS[OLA]]
    assert len(publishes) == 1


def test_other_search_finds_account(searched_bot):
    ask(searched_bot, purchase_by(OLA, MOUSE))
    channel = searched_bot.dm(OLA)
    question_message = searched_bot.last_message(channel)

    response = searched_bot.requests.options(SLACK_IDS[OLA], "other", "data", container_type="message",
                                             channel=channel, message_ts=question_message["ts"])

    accounts = [group for group in response["option_groups"] if group["label"]["text"] == "Kontoer"]
    assert len(accounts) == 1
    first = accounts[0]["options"][0]
    assert first["value"] == "a:6551"
    assert first["text"]["text"] == "6551 Datautstyr"
    assert not any(value.startswith("a:71") for value in option_values(response))


def test_same_search_answered_twice(searched_bot):
    ask(searched_bot, purchase_by(OLA, MOUSE))
    channel = searched_bot.dm(OLA)
    ts = searched_bot.last_message(channel)["ts"]

    first = searched_bot.requests.options(SLACK_IDS[OLA], "other", "data", container_type="message",
                                          channel=channel, message_ts=ts)
    second = searched_bot.requests.options(SLACK_IDS[OLA], "other", "data", container_type="message",
                                           channel=channel, message_ts=ts)

    assert option_values(second) == option_values(first)
    assert "a:6551" in option_values(second)


def test_question_in_english(tmp_path, standin):
    running = start_bot(tmp_path, standin, language="en")
    try:
        ask(running, purchase_by(OLA, MOUSE))

        message = running.last_message(running.dm(OLA))
    finally:
        stop_bot(running)

    header = next(block for block in message["blocks"] if block["type"] == "header")
    assert header["text"]["text"] == "Hi Ola Hansen! Where should this purchase be booked?"
    assert message["text"] == "A purchase needs your answer"
