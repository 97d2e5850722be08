"""Sending questions as Slack messages, and updating those messages in place.

Questions are read from the store, never from memory: whatever is open and
has no message yet is sent, so a failed send, or a crash, is made good by
the next call. Before a message is sent its questions get a delivery key,
which the message carries in its metadata. If the process dies after Slack
accepted the message but before its ts was stored, the next call finds
the message in the channel's history by that key instead of sending it
again.

One message shows the open questions of one kind to one person, at most
``slack.items_per_message`` of them; more questions go into further
messages ("page 2 of 7"). People who are not in Slack, and questions for
the controllers, go to ``slack.controller_channel``.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import SlackSettings
from bot.failpoints import failpoint
from bot.handlers.assemble import CardAssembler
from bot.handlers.messages import Message, question_message
from bot.handlers.people import Directory
from bot.i18n import Translator
from bot.policy import CONTROLLERS
from bot.ports import QuestionRequest
from bot.store.database import Store
from bot.store.locks import store_lock
from bot.store.models import Question
from bot.store.questions import (
    claim_delivery,
    messages_showing_item,
    questions_in_message,
    record_delivery,
    unsent_questions,
)

log = logging.getLogger(__name__)

METADATA_EVENT = "allocbot_questions"

# Slack's errors for a failure on its side, sent with HTTP 200. Slack's list of common Web API errors
# says that part of the operation may have succeeded, so the next round looks for the message first.
OUTAGE_ERRORS = frozenset({"fatal_error", "internal_error"})

# How far back in a channel's history a message sent before a crash is looked for.
HISTORY_LIMIT = 100

# The lock that one sender of questions holds, and how long another waits for it.
DELIVERY_LOCK = "slack-delivery"
DELIVERY_LOCK_SECONDS = 30

# Posts of a question message after a dropped connection or a 5xx, with backoff 0.5, 1 and 2 s between them.
POST_ATTEMPTS = 4
POST_BACKOFF_SECONDS = 0.5


@dataclass(frozen=True)
class Recipient:
    """The channel for questions to one person: their DM, or the controller channel with ``stand_in`` True."""

    channel: str
    name: str
    stand_in: bool = False


class SlackAsker:
    """The Slack implementation of the core's Asker interface."""

    def __init__(self, store: Store, client: WebClient, directory: Directory, assembler: CardAssembler,
                 settings: SlackSettings, translator: Translator, *, post_client: WebClient | None = None) -> None:
        self.store = store
        self.client = client
        # Posts questions; it should retry rate limits only (see ``_post``).
        self.post_client = post_client or client
        self.directory = directory
        self.assembler = assembler
        self.settings = settings
        self.translator = translator

    def ask(self, questions: Sequence[QuestionRequest]) -> None:
        """Send every unsent question in the store; those given are among them, since ``process`` stored them.

        A failure is logged, not raised (see ``resend``).
        """
        self.resend()

    def resend(self) -> None:
        """Send every unsent question, logging a Slack outage instead of raising it.

        The questions stay stored as unsent, and the bot's resend job sends
        them once Slack is reachable again.
        """
        try:
            self.send_unsent()
        except (SlackApiError, OSError) as exc:
            with self.store.session() as session:
                unsent = [question.id for question in unsent_questions(session)]
            log.error("sending to Slack failed, questions %s stay unsent until the next try: %s",
                      _id_list(unsent), _describe(exc))

    def send_unsent(self) -> int:
        """Send open questions that no message shows yet; return how many were sent or recovered.

        A Slack error that concerns one recipient, such as channel_not_found,
        is logged and the other recipients still get their questions. An
        outage (a network error, or an HTTP 429 or 5xx response that outlasted
        the client's retries) raises, because the remaining sends would fail too.

        One thread of one replica at a time sends: without the delivery lock
        two could read the same unsent questions and send them twice. A
        caller that does not get the lock within ``DELIVERY_LOCK_SECONDS``
        sends nothing and leaves its questions to the resend job.
        """
        with store_lock(self.store, DELIVERY_LOCK, wait_seconds=DELIVERY_LOCK_SECONDS) as held:
            if not held:
                log.warning("questions not sent now: another replica has been sending for %d s; the resend job "
                            "sends them", DELIVERY_LOCK_SECONDS)
                return 0
            return self._send_unsent()

    def _send_unsent(self) -> int:
        with self.store.session() as session:
            questions = unsent_questions(session)
        if not questions:
            return 0

        sent = self._recover(questions)
        remaining = [question for question in questions if question.id not in sent]
        groups: dict[tuple[str, str], list[Question]] = defaultdict(list)
        for question in remaining:
            groups[question.asked_email, question.kind].append(question)

        for (email, kind), group in groups.items():
            try:
                self._send_group(email, group, sent)
            except SlackApiError as exc:
                if _is_outage(exc):
                    raise
                unsent = [question.id for question in group if question.id not in sent]
                log.error("sending questions %s of kind %s to %s failed, they stay unsent: %s%s",
                          _id_list(unsent), kind, email, _describe(exc), _hint(exc, self.settings))
        return len(sent)

    def recipient(self, email: str) -> Recipient | None:
        """Return where questions to ``email`` go, or None when there is nowhere to send them."""
        if email != CONTROLLERS:
            user_id = self.directory.user_id(email)
            if user_id is not None:
                channel = self.client.conversations_open(users=user_id)["channel"]["id"]
                return Recipient(channel, self.assembler.person_name(email))
        if not self.settings.controller_channel:
            return None
        stand_in = email != CONTROLLERS
        return Recipient(self.settings.controller_channel, self.assembler.person_name(email), stand_in)

    def refresh_item(self, item_id: int) -> None:
        """Rebuild every message that shows a question about the item, after a decision."""
        with self.store.session() as session:
            messages = messages_showing_item(session, item_id)
        for channel, ts in messages:
            self.refresh_message(channel, ts)

    def refresh_message(self, channel: str, ts: str) -> None:
        """Rebuild one message from the store and replace it in Slack."""
        with self.store.session() as session:
            questions = questions_in_message(session, channel, ts)
            if not questions:
                return
            message = self._build(session, questions, channel, ts)
        try:
            self.client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)
        except (SlackApiError, OSError) as exc:
            # The decision is stored; only the message stays stale, so the error is logged, not raised.
            log.error("cannot update Slack message %s/%s: %s", channel, ts, _describe(exc))

    # -- helpers ------------------------------------------------------------------

    def _send_group(self, email: str, group: list[Question], sent: set[int]) -> None:
        """Send one person's questions of one kind, page by page, adding the ids of each page sent to ``sent``."""
        recipient = self.recipient(email)
        if recipient is None:
            log.error("cannot send questions %s: their person has no Slack user and no slack.controller_channel "
                      "is set", _id_list([question.id for question in group]))
            return
        size = self.settings.items_per_message
        pages = [group[start:start + size] for start in range(0, len(group), size)]
        for number, page in enumerate(pages, start=1):
            self._send_page(recipient, email, page, number, len(pages))
            sent.update(question.id for question in page)

    def _send_page(self, recipient: Recipient, email: str, page: list[Question], number: int, pages: int) -> None:
        key = f"{uuid.uuid4().hex}:{number}:{pages}"
        ids = [question.id for question in page]
        with self.store.session() as session:
            claim_delivery(session, ids, key)
            for question in page:
                question.delivery_key = key
            message = self._message(session, page, recipient, email, number, pages)
        failpoint("slack.after_claim_delivery")

        channel, ts = self._post(recipient.channel, message, key)
        failpoint("slack.after_send")
        with self.store.session() as session:
            record_delivery(session, ids, channel, ts)

    def _post(self, channel: str, message: Message, key: str) -> tuple[str, str]:
        """Post a message once: after a dropped connection or a 5xx, look for it in the channel before trying again."""
        for attempt in range(1, POST_ATTEMPTS + 1):
            try:
                response = self.post_client.chat_postMessage(
                    channel=channel, text=message.text, blocks=message.blocks,
                    metadata={"event_type": METADATA_EVENT, "event_payload": {"key": key}},
                )
                return response["channel"], response["ts"]
            except (SlackApiError, OSError) as exc:
                maybe_posted = isinstance(exc, OSError) or exc.response.status_code >= 500
                if not maybe_posted or attempt == POST_ATTEMPTS:
                    raise
                log.warning("posting message %s to %s failed (attempt %d of %d), looking for it before a retry: %s",
                            key, channel, attempt, POST_ATTEMPTS, _describe(exc))
                time.sleep(POST_BACKOFF_SECONDS * 2 ** (attempt - 1))
                found = self._find_in_history(channel, key)
                if found is not None:
                    return channel, found
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _message(self, session, questions: Sequence[Question], recipient: Recipient, email: str,
                 page: int, pages: int) -> Message:
        _ = self.translator
        intro = None
        if recipient.stand_in:
            intro = _("{name} is not in Slack, so these questions come to the controllers.",
                      name=self.assembler.person_name(email))
        return question_message(self.assembler.cards(session, questions), recipient_name=recipient.name,
                                page=page, pages=pages, catalog=self.assembler.catalog(),
                                translator=self.translator, intro=intro)

    def _build(self, session, questions: Sequence[Question], channel: str, ts: str) -> Message:
        """Rebuild a sent message: the same recipient, page line and introduction as when it was sent."""
        _ = self.translator
        first = questions[0]
        page, pages = _page_of(first.delivery_key)
        escalated = first.escalation_channel == channel and first.escalation_ts == ts
        if escalated:
            recipient = Recipient(channel, self.assembler.person_name(first.escalated_to))
            intro = _("{name} has not answered these questions, so they come to you.",
                      name=self.assembler.person_name(first.asked_email))
            return question_message(self.assembler.cards(session, questions), recipient_name=recipient.name,
                                    page=1, pages=1, catalog=self.assembler.catalog(),
                                    translator=self.translator, intro=intro)
        stand_in = first.asked_email != CONTROLLERS and channel == self.settings.controller_channel
        recipient = Recipient(channel, self.assembler.person_name(first.asked_email), stand_in)
        return self._message(session, questions, recipient, first.asked_email, page, pages)

    def _recover(self, questions: Sequence[Question]) -> set[int]:
        """Find messages sent before a crash whose ts was never stored; return the question ids they show."""
        claimed: dict[str, list[Question]] = defaultdict(list)
        for question in questions:
            if question.delivery_key:
                claimed[question.delivery_key].append(question)

        recovered: set[int] = set()
        for key, group in claimed.items():
            try:
                recipient = self.recipient(group[0].asked_email)
            except SlackApiError as exc:
                if _is_outage(exc):
                    raise
                # The send that follows meets the same error and logs it with the question ids.
                log.warning("cannot look for Slack message %s: %s", key, _describe(exc))
                continue
            if recipient is None:
                continue
            found = self._find_in_history(recipient.channel, key)
            if found is None:
                continue
            ids = [question.id for question in group]
            with self.store.session() as session:
                record_delivery(session, ids, recipient.channel, found)
            log.info("found Slack message %s/%s sent before a restart for questions %s",
                     recipient.channel, found, ids)
            recovered.update(ids)
        return recovered

    def _find_in_history(self, channel: str, key: str) -> str | None:
        try:
            response = self.client.conversations_history(channel=channel, limit=HISTORY_LIMIT,
                                                         include_all_metadata=True)
        except SlackApiError as exc:
            # During an outage the message may well be there, so sending it again could double it.
            if _is_outage(exc):
                raise
            log.warning("cannot read the history of %s to find message %s, sending it again: %s", channel, key,
                        _describe(exc))
            return None
        for message in response.get("messages", []):
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == METADATA_EVENT and metadata.get("event_payload", {}).get("key") == key:
                return message["ts"]
        return None


def _is_outage(exc: SlackApiError) -> bool:
    """Tell whether an error means that Slack is unavailable, not that this one request is wrong."""
    status = exc.response.status_code
    return status == 429 or status >= 500 or exc.response.get("error") in OUTAGE_ERRORS


def _describe(exc: Exception) -> str:
    """Describe a failed Slack call in one line: Slack's error name and HTTP status, or the network error."""
    if isinstance(exc, SlackApiError):
        return f"{exc.response.get('error')} (HTTP {exc.response.status_code})"
    return str(exc) or type(exc).__name__


def _id_list(ids: Sequence[int]) -> str:
    return ",".join(map(str, ids))


def _page_of(delivery_key: str | None) -> tuple[int, int]:
    """Read the page number and count that a delivery key ends with ("<uuid>:2:7")."""
    parts = (delivery_key or "").split(":")
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        return int(parts[1]), int(parts[2])
    return 1, 1


def _hint(exc: SlackApiError, settings: SlackSettings) -> str:
    """Return what an admin can do about an error that points at the controller channel, or ""."""
    if exc.response.get("error") in ("channel_not_found", "not_in_channel", "is_archived"):
        return (f"; check that slack.controller_channel ({settings.controller_channel}) is a channel id "
                "and that the bot is invited there with /invite")
    return ""
