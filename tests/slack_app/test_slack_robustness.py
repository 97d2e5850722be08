"""Questions reach Slack once despite restarts, a crash between sending and storing, rate limits and outages.

The bot runs for real against the Slack stand-in, which injects the
failures: HTTP 429 with Retry-After, dropped connections, HTTP 5xx
responses and Slack API errors such as channel_not_found.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from sqlmodel import select

from bot.handlers import delivery
from bot.handlers.delivery import POST_ATTEMPTS
from bot.store.models import AllocationRow, Question

from .conftest import BOT_TOKEN, SCOPES, start_bot, stop_bot
from .helpers import MOUSE, NOTES, actions_blocks, ask, stored_question
from .standin import SlackStandIn, SlackUser
from .world import OLA, PER, SLACK_IDS, add_purchases, purchase





def question_of_item(bot, item_id: int) -> Question:
    with bot.pipeline.store.session() as session:
        return session.exec(select(Question).where(Question.item_id == item_id)).one()


def allocation_of(bot, item_id: int) -> AllocationRow | None:
    with bot.pipeline.store.session() as session:
        return session.exec(select(AllocationRow).where(AllocationRow.item_id == item_id)).first()


def bot_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the error messages that the bot's own loggers wrote (slack_sdk logs its own as well)."""
    return [record.getMessage() for record in caplog.records
            if record.levelno >= logging.ERROR and record.name.startswith("bot.")]



@pytest.fixture
def standin_without_controller_channel() -> Iterator[SlackStandIn]:
    """A workspace in which the configured controller channel does not exist."""
    users = [SlackUser(id=user_id, email=email, name=email.split("@")[0]) for email, user_id in SLACK_IDS.items()]
    with SlackStandIn(bot_token=BOT_TOKEN, users=users, channels=(), scopes=SCOPES) as running:
        yield running


def test_restart_sends_nothing_twice(tmp_path, standin):
    first = start_bot(tmp_path, standin)
    try:
        ask(first, purchase(1, MOUSE[0], OLA, MOUSE[1]))
    finally:
        stop_bot(first)
    channel = first.dm(OLA)
    sent = first.last_message(channel)

    second = start_bot(tmp_path, standin)
    try:
        resent = second.slack.asker.send_unsent()
        response = second.requests.block_action(SLACK_IDS[OLA], "choose:1", channel=channel, message_ts=sent["ts"])
        standin.wait_for("chat.update", lambda call: call.params.get("ts") == sent["ts"])
        allocation = allocation_of(second, 1)
    finally:
        stop_bot(second)

    assert resent == 0
    assert len(standin.calls_to("chat.postMessage")) == 1
    assert response.status == 200
    assert allocation.status == "approved"
    assert allocation.decided_by == OLA
    assert actions_blocks(standin.message(channel, sent["ts"])) == []


def test_crash_before_storing_ts_recovers(bot, monkeypatch):
    original = delivery.record_delivery

    def crash(*args, **kwargs):
        monkeypatch.setattr(delivery, "record_delivery", original)
        raise RuntimeError("process killed after Slack accepted the message")

    monkeypatch.setattr(delivery, "record_delivery", crash)
    add_purchases(bot.pipeline.store, [purchase(1, MOUSE[0], OLA, MOUSE[1])])
    with pytest.raises(RuntimeError):
        bot.pipeline.process()
    channel = bot.dm(OLA)
    orphan = bot.last_message(channel)
    question = question_of_item(bot, 1)
    assert question.slack_ts is None
    assert orphan["metadata"]["event_payload"]["key"] == question.delivery_key

    recovered = bot.slack.asker.send_unsent()

    question = stored_question(bot, question.id)
    assert recovered == 1
    assert len(bot.standin.calls_to("chat.postMessage")) == 1
    assert len(bot.standin.calls_to("conversations.history")) == 1
    assert question.slack_ts == orphan["ts"]
    assert question.slack_channel == channel


def test_rate_limit_waits_retry_after(bot, caplog):
    bot.standin.rate_limit("chat.postMessage", times=1, retry_after=1)

    question_id, = ask(bot, purchase(1, MOUSE[0], OLA, MOUSE[1]))

    limited, posted = bot.standin.calls_to("chat.postMessage")
    assert limited.status == 429
    assert posted.error is None
    assert posted.at - limited.at >= 1.0
    assert stored_question(bot, question_id).slack_ts == bot.last_message(bot.dm(OLA))["ts"]
    assert bot_errors(caplog) == []


def test_dropped_connection_is_retried(bot):
    bot.standin.drop("chat.postMessage")

    question_id, = ask(bot, purchase(1, MOUSE[0], OLA, MOUSE[1]))

    dropped, posted = bot.standin.calls_to("chat.postMessage")
    messages = bot.standin.messages(bot.dm(OLA))
    assert dropped.error == "connection_dropped"
    assert posted.error is None
    assert len(messages) == 1
    assert stored_question(bot, question_id).slack_ts == messages[0]["ts"]


def test_lost_answer_does_not_post_twice(bot):
    # Slack posts the message, but the connection fails before the bot reads the answer.
    bot.standin.lose_answer("chat.postMessage")

    question_id, = ask(bot, purchase(1, MOUSE[0], OLA, MOUSE[1]))

    messages = bot.standin.messages(bot.dm(OLA))
    assert len(bot.standin.calls_to("chat.postMessage")) == 1
    assert len(messages) == 1
    assert stored_question(bot, question_id).slack_ts == messages[0]["ts"]


def test_bad_gateway_is_retried(bot):
    bot.standin.server_error("chat.postMessage", status=502)

    question_id, = ask(bot, purchase(1, MOUSE[0], OLA, MOUSE[1]))

    failed, posted = bot.standin.calls_to("chat.postMessage")
    assert failed.status == 502
    assert posted.error is None
    assert stored_question(bot, question_id).slack_ts == bot.last_message(bot.dm(OLA))["ts"]


def test_outage_keeps_question_unsent(bot, caplog):
    # A 503 response to every attempt to post.
    bot.standin.server_error("chat.postMessage", status=503, times=POST_ATTEMPTS)

    question_id, = ask(bot, purchase(1, MOUSE[0], OLA, MOUSE[1]))

    statuses = [call.status for call in bot.standin.calls_to("chat.postMessage")]
    errors = bot_errors(caplog)
    assert statuses == [503] * POST_ATTEMPTS
    assert stored_question(bot, question_id).slack_ts is None
    assert bot.standin.messages(bot.dm(OLA)) == []
    assert len(errors) == 1
    assert f"questions {question_id} " in errors[0]

    sent = bot.slack.asker.send_unsent()

    assert sent == 1
    assert stored_question(bot, question_id).slack_ts == bot.last_message(bot.dm(OLA))["ts"]
    assert len(bot.standin.messages(bot.dm(OLA))) == 1


def test_missing_channel_blocks_nobody(tmp_path, standin_without_controller_channel, caplog):
    running = start_bot(tmp_path, standin_without_controller_channel)
    try:
        ask(running, purchase(1, NOTES[0], PER, NOTES[1]), purchase(2, MOUSE[0], OLA, MOUSE[1]))
        again = running.slack.asker.send_unsent()
        per_question = question_of_item(running, 1)
        ola_question = question_of_item(running, 2)
    finally:
        stop_bot(running)

    errors = bot_errors(caplog)
    assert per_question.slack_ts is None
    assert ola_question.slack_ts is not None
    assert again == 0
    assert len(errors) == 2
    assert f"questions {per_question.id} " in errors[0]
    assert "channel_not_found" in errors[0]
    assert "/invite" in errors[0]


def test_internal_error_checks_history_first(bot, caplog):
    bot.standin.fail("chat.postMessage", "internal_error")
    question_id, = ask(bot, purchase(1, MOUSE[0], OLA, MOUSE[1]))
    assert stored_question(bot, question_id).slack_ts is None
    assert len(bot_errors(caplog)) == 1

    sent = bot.slack.asker.send_unsent()

    history = bot.standin.calls_to("conversations.history")
    assert sent == 1
    assert len(history) == 1
    assert history[0].at < bot.standin.calls_to("chat.postMessage")[-1].at
    assert stored_question(bot, question_id).slack_ts == bot.last_message(bot.dm(OLA))["ts"]
