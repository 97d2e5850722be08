"""The bot's Slack side running for real: the bolt app over HTTP on loopback, against the Slack stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.commands import build_pipeline
from bot.config import Settings
from bot.handlers.server import HttpServer
from bot.handlers.wiring import SlackParts, build_slack
from bot.pipeline import Pipeline

from .requests import SlackRequests
from .standin import SlackStandIn, SlackUser
from .world import CONTROLLER_CHANNEL, SLACK_IDS, write_settings

BOT_TOKEN = "xoxb-allocbot-test"
SIGNING_SECRET = "signing-secret-for-tests"
SCOPES = ("chat:write", "im:write", "im:history", "channels:history", "groups:history", "users:read",
          "users:read.email", "commands")


@dataclass
class RunningBot:
    """Everything a Slack test touches: the stand-in, the bot's parts and a signed-request sender."""

    standin: SlackStandIn
    settings: Settings
    pipeline: Pipeline
    slack: SlackParts
    server: HttpServer
    requests: SlackRequests

    def dm(self, email: str) -> str:
        return self.standin.dm_channel(SLACK_IDS[email])

    def last_message(self, channel: str) -> dict:
        return self.standin.messages(channel)[-1]


def start_bot(folder: Path, standin: SlackStandIn, **settings_options) -> RunningBot:
    """Build and start the bot on a fresh store in ``folder``; stop it with ``stop_bot``."""
    settings = write_settings(folder, standin.api_url, **settings_options)
    pipeline = build_pipeline(settings)
    slack = build_slack(settings, pipeline, bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET)
    # Port 0 lets the system pick a free port; the settings model would not accept it from a file.
    server = HttpServer(slack.app, settings.slack.model_copy(update={"listen_port": 0}))
    server.start()
    requests = SlackRequests(server.url, SIGNING_SECRET, standin.team_id, standin.app_id, standin)
    return RunningBot(standin, settings, pipeline, slack, server, requests)


def stop_bot(bot: RunningBot) -> None:
    bot.server.stop()
    bot.pipeline.store.close()


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    users = [SlackUser(id=user_id, email=email, name=email.split("@")[0], real_name=email.split("@")[0].title())
             for email, user_id in SLACK_IDS.items()]
    with SlackStandIn(bot_token=BOT_TOKEN, users=users, channels=[CONTROLLER_CHANNEL], scopes=SCOPES) as running:
        yield running


@pytest.fixture
def bot(tmp_path: Path, standin: SlackStandIn) -> Iterator[RunningBot]:
    running = start_bot(tmp_path, standin)
    try:
        yield running
    finally:
        stop_bot(running)
