"""The views of open work: ``/allocbot status``, the App Home tab, and searches in long selects."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.handlers.assemble import CardAssembler
from bot.handlers.cards import OpenEntry, Overview
from bot.handlers.options import search_options
from bot.handlers.overview import home_view, status_blocks
from bot.handlers.people import Directory
from bot.i18n import Translator
from bot.store.database import Store
from bot.store.questions import open_questions

log = logging.getLogger(__name__)

# Links are fetched for this many messages at most, so a controller's overview stays fast.
MAX_PERMALINKS = 20

# Which list a select searches, by the block id of the select (``cc:2`` is line 2's cost center).
_KINDS = {"cc": ("cc",), "project": ("p",), "account": ("a",)}


class OverviewListeners:
    def __init__(self, store: Store, directory: Directory, assembler: CardAssembler, translator: Translator,
                 controllers: set[str]) -> None:
        self.store = store
        self.directory = directory
        self.assembler = assembler
        self.translator = translator
        self.controllers = controllers

    def command(self, ack: Callable, body: dict, client: WebClient, respond: Callable) -> None:
        """Send the person's open questions, visible only to them, for ``/allocbot`` or ``/allocbot status``.

        The message goes to the command's response URL, which works in every
        conversation where the command can be typed. ``chat.postEphemeral``
        fails where the bot is not a member, such as a DM between two people.
        """
        ack()
        overview = self.overview(body["user_id"], client)
        if overview is None:
            answer = {"text": self.translator("Your Slack account has no email the bot can read.")}
        else:
            answer = {"text": self.translator("Open questions"),
                      "blocks": status_blocks(overview, translator=self.translator)}
        response = respond(response_type="ephemeral", **answer)
        if response.status_code != 200:
            log.error("sending the status to Slack user %s failed: HTTP %s %s", body["user_id"],
                      response.status_code, response.body)

    def home_opened(self, event: dict, client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        overview = self.overview(event["user"], client)
        if overview is None:
            return
        client.views_publish(user_id=event["user"], view=home_view(overview, translator=self.translator))

    def options(self, ack: Callable, body: dict) -> None:
        """Answer a search in an external select with the best matches of its list."""
        action_id = body.get("action_id", "")
        block_id = body.get("block_id", "")
        kinds = ("cc", "p", "a") if action_id == "other" else _KINDS.get(block_id.partition(":")[0], ("cc", "p", "a"))
        ack(**search_options(self.assembler.catalog(), body.get("value", ""), self.translator, kinds=kinds))

    def overview(self, user_id: str, client: WebClient) -> Overview | None:
        """Return a person's open questions, or everyone's for a controller; None when the email is unknown."""
        email = self.directory.email(user_id)
        if email is None:
            return None
        everyone = email in self.controllers
        now = datetime.now(timezone.utc)
        permalinks: dict[tuple[str, str], str | None] = {}
        entries = []
        with self.store.session() as session:
            questions = open_questions(session, None if everyone else email)
            for question in questions:
                card = self.assembler.card(session, question)
                age = (now - question.created_at).total_seconds() / 3600
                # A question escalated to this person links to the message they received.
                if question.escalated_to == email and question.escalation_ts:
                    channel, ts = question.escalation_channel, question.escalation_ts
                else:
                    channel, ts = question.slack_channel, question.slack_ts
                link = self._permalink(client, channel, ts, permalinks)
                entries.append(OpenEntry(self.assembler.person_name(question.asked_email), card, age, link))
        return Overview(self.assembler.person_name(email), everyone, tuple(entries))

    def _permalink(self, client: WebClient, channel: str | None, ts: str | None,
                   cache: dict[tuple[str, str], str | None]) -> str | None:
        if not channel or not ts:
            return None
        if (channel, ts) not in cache:
            if len(cache) >= MAX_PERMALINKS:
                return None
            try:
                cache[channel, ts] = client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"]
            except SlackApiError as exc:
                log.warning("no permalink for Slack message %s/%s: %s", channel, ts, exc.response.get("error"))
                cache[channel, ts] = None
        return cache[channel, ts]
