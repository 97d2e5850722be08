"""Put the Slack side together: client, directory, asker, listeners, reminders and the bolt app."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_bolt import App
from slack_sdk import WebClient

from bot.config import Settings
from bot.decisions import Decisions
from bot.handlers.app import build_app
from bot.handlers.assemble import CardAssembler
from bot.handlers.client import build_client
from bot.handlers.delivery import SlackAsker
from bot.handlers.listeners import Listeners
from bot.handlers.overview_listeners import OverviewListeners
from bot.handlers.people import Directory
from bot.handlers.reminders import Reminders
from bot.i18n import Translator
from bot.pipeline import Pipeline

log = logging.getLogger(__name__)


@dataclass
class SlackParts:
    app: App
    client: WebClient
    asker: SlackAsker
    decisions: Decisions
    reminders: Reminders


def build_slack(settings: Settings, pipeline: Pipeline, *, bot_token: str, signing_secret: str | None,
                translator: Translator | None = None) -> SlackParts:
    """Build the Slack app around ``pipeline`` and make it the pipeline's asker."""
    translator = translator or Translator(settings.language)
    slack = settings.slack
    client = build_client(bot_token, slack.api_url)
    directory = Directory(pipeline.store, client, slack.lookup_cache_hours)
    assembler = CardAssembler(pipeline.master, translator)
    asker = SlackAsker(pipeline.store, client, directory, assembler, slack, translator,
                       post_client=build_client(bot_token, slack.api_url, retry_failures=False))
    decisions = Decisions(pipeline, controllers=slack.controllers)

    listeners = Listeners(settings, pipeline.store, decisions, asker, directory, assembler, translator)
    overview = OverviewListeners(pipeline.store, directory, assembler, translator, decisions.controllers)
    app = build_app(client=client, signing_secret=signing_secret, store=pipeline.store, listeners=listeners,
                    overview=overview, command=slack.command, socket_mode=slack.mode == "socket")
    pipeline.asker = asker
    _warn_about_gaps(slack.controller_channel, decisions.controllers)
    return SlackParts(app, client, asker, decisions, Reminders(asker, pipeline.master, slack))


def _warn_about_gaps(controller_channel: str, controllers: set[str]) -> None:
    """Log the settings without which some questions can be sent or answered by nobody."""
    if not controller_channel:
        log.warning("slack.controller_channel is not set: questions to the controllers and to people "
                    "who are not in Slack stay unsent")
    if not controllers:
        log.warning("no controllers: set slack.controllers or give an employee role \"controller\" in "
                    "master data, or questions to the controllers can be answered by nobody")
