"""The bolt app over Socket Mode: slack_sdk's builtin client connected to the Socket Mode stand-in.

Socket Mode requests are not signed, so the app runs with bolt's request
verification off. The clicks arrive as ``interactive`` envelopes, and the
bot acknowledges each one over the WebSocket.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import select

from bot.commands import build_pipeline
from bot.handlers.server import SocketServer
from bot.handlers.wiring import SlackParts, build_slack
from bot.pipeline import Pipeline
from bot.store.models import AllocationRow

from .conftest import BOT_TOKEN
from .requests import SlackPayloads
from .socket_standin import SocketStandIn
from .standin import SlackStandIn
from .world import CONTROLLER_CHANNEL, OLA, PER, SIRI, SLACK_IDS, add_purchases, purchase, write_settings

APP_TOKEN = "xapp-1-A0STANDIN-allocbot-test"

MOUSE = ("Logitech MX Master 3S trådløs mus", "899.00")
NOTES = ("Post-it lapper 76x76 mm, 12 blokker", "149.00")


@dataclass
class SocketBot:
    standin: SlackStandIn
    socket: SocketStandIn
    pipeline: Pipeline
    slack: SlackParts
    payloads: SlackPayloads


@pytest.fixture
def socket_bot(tmp_path: Path, standin: SlackStandIn) -> Iterator[SocketBot]:
    """The bot's Slack side in Socket Mode, connected to the stand-in; no HTTP server runs."""
    standin.app_token = APP_TOKEN
    with SocketStandIn(app_id=standin.app_id) as socket:
        standin.attach_socket(socket)
        settings = write_settings(tmp_path, standin.api_url)
        settings = settings.model_copy(update={"slack": settings.slack.model_copy(update={"mode": "socket"})})
        pipeline = build_pipeline(settings)
        slack = build_slack(settings, pipeline, bot_token=BOT_TOKEN, signing_secret=None)
        server = SocketServer(slack.app, APP_TOKEN)
        server.start()
        try:
            socket.wait_for_connection()
            yield SocketBot(standin, socket, pipeline, slack, SlackPayloads(standin))
        finally:
            server.stop()
            pipeline.store.close()


def ask(bot: SocketBot, *purchases) -> None:
    add_purchases(bot.pipeline.store, list(purchases))
    bot.pipeline.process()


def allocation_of(bot: SocketBot, item_id: int) -> AllocationRow | None:
    with bot.pipeline.store.session() as session:
        return session.exec(select(AllocationRow).where(AllocationRow.item_id == item_id)).first()


def click_choose(bot: SocketBot, email: str, channel: str) -> dict:
    """Click the first suggestion in the latest message of ``channel``; return the bot's acknowledgement."""
    ts = bot.standin.messages(channel)[-1]["ts"]
    payload = bot.payloads.block_action(SLACK_IDS[email], "choose:1", channel=channel, message_ts=ts)
    envelope_id = bot.socket.send("interactive", payload)
    return bot.socket.wait_for_ack(envelope_id)


def test_click_over_socket_decides(socket_bot):
    ask(socket_bot, purchase(1, MOUSE[0], OLA, MOUSE[1]))
    channel = socket_bot.standin.dm_channel(SLACK_IDS[OLA])
    ts = socket_bot.standin.messages(channel)[-1]["ts"]

    ack = click_choose(socket_bot, OLA, channel)

    socket_bot.standin.wait_for("chat.update", lambda call: call.params.get("ts") == ts)
    allocation = allocation_of(socket_bot, 1)
    assert "payload" not in ack
    assert allocation.status == "approved"
    assert allocation.decided_by == OLA


def test_second_click_over_socket_decides(socket_bot):
    ask(socket_bot, purchase(1, MOUSE[0], OLA, MOUSE[1]), purchase(2, NOTES[0], PER, NOTES[1]))
    dm = socket_bot.standin.dm_channel(SLACK_IDS[OLA])

    click_choose(socket_bot, OLA, dm)
    socket_bot.standin.wait_for("chat.update")
    click_choose(socket_bot, SIRI, CONTROLLER_CHANNEL)

    socket_bot.standin.wait_for("chat.update", count=2)
    assert allocation_of(socket_bot, 2).decided_by == SIRI


def test_click_after_reconnect_decides(socket_bot):
    ask(socket_bot, purchase(1, MOUSE[0], OLA, MOUSE[1]))
    channel = socket_bot.standin.dm_channel(SLACK_IDS[OLA])

    socket_bot.socket.disconnect()
    socket_bot.socket.wait_for_connection(count=2)
    click_choose(socket_bot, OLA, channel)

    socket_bot.standin.wait_for("chat.update")
    assert len(socket_bot.standin.calls_to("apps.connections.open")) == 2
    assert allocation_of(socket_bot, 1).decided_by == OLA
