"""Questions in Slack: sent as DMs, answered with one click, a select, a split or "private purchase".

Each test drives the real bolt app over HTTP with signed requests and
checks both what Slack shows (through the stand-in) and what the store holds.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal

from sqlmodel import select

from bot.store.models import AllocationRow, AmazonItem, AuditEvent, Question, TrainingLabel

from .helpers import MOUSE, NOTES, actions_blocks, ask, wait_until
from .requests import option_value, radio_value, text_value
from .world import CONTROLLER_CHANNEL, EVE, OLA, PER, SIRI, SLACK_IDS, purchase





def allocation_of(bot, item_id: int) -> AllocationRow | None:
    with bot.pipeline.store.session() as session:
        row = session.exec(select(AllocationRow).where(AllocationRow.item_id == item_id)).first()
        if row is not None:
            row.lines  # noqa: B018 - loads the lines before the session closes
        return row



def test_question_sent_to_requester_dm(bot):
    question_ids = ask(bot, purchase(1, *MOUSE[:1], OLA, MOUSE[1]))

    message = bot.last_message(bot.dm(OLA))
    blocks = actions_blocks(message)
    assert len(blocks) == 1
    assert blocks[0]["block_id"] == f"q:{question_ids[0]}"
    assert "Logitech MX Master 3S" in json.dumps(message["blocks"], ensure_ascii=False)


def test_person_not_in_slack_goes_to_controller_channel(bot):
    ask(bot, purchase(1, NOTES[0], PER, NOTES[1]))

    message = bot.last_message(CONTROLLER_CHANNEL)
    text = json.dumps(message["blocks"], ensure_ascii=False)
    assert "Per Berg" in text
    assert len(actions_blocks(message)) == 1


def test_choose_books_suggestion_and_updates_message(bot):
    question_id, = ask(bot, purchase(1, MOUSE[0], OLA, MOUSE[1]))
    channel = bot.dm(OLA)
    sent = bot.last_message(channel)

    response = bot.requests.block_action(SLACK_IDS[OLA], "choose:1", channel=channel, message_ts=sent["ts"])

    assert response.status == 200
    bot.standin.wait_for("chat.update")
    updated = bot.standin.message(channel, sent["ts"])
    assert actions_blocks(updated) == []
    assert "Ola Hansen" in json.dumps(updated["blocks"], ensure_ascii=False)
    allocation = allocation_of(bot, 1)
    assert allocation.decided_by == OLA
    assert allocation.status == "approved"
    assert allocation.lines[0].amount == Decimal("899.00")


def test_answer_is_audited_and_learned(bot):
    ask(bot, purchase(1, MOUSE[0], OLA, MOUSE[1]))
    channel = bot.dm(OLA)
    sent = bot.last_message(channel)

    bot.requests.block_action(SLACK_IDS[OLA], "choose:2", channel=channel, message_ts=sent["ts"])
    bot.standin.wait_for("chat.update")

    with bot.pipeline.store.session() as session:
        label = session.exec(select(TrainingLabel).where(TrainingLabel.item_id == 1)).one()
        actions = [event.action for event in session.exec(select(AuditEvent).where(AuditEvent.actor == OLA))]
        question = session.get(Question, 1)
    assert label.source == "human"
    assert actions == ["question_answered"]
    assert question.status == "answered"
    item = bot.pipeline.classifier  # the memory applies the answer to the next suggestion at once
    again = purchase(2, MOUSE[0], OLA, MOUSE[1])
    top = item.suggest(again, top=1)[0]
    assert top.allocation.account == label.account
    assert top.source == "memory"


def test_other_select_books_picked_cost_center(bot):
    question_id, = ask(bot, purchase(1, MOUSE[0], OLA, MOUSE[1]))
    channel = bot.dm(OLA)
    sent = bot.last_message(channel)

    bot.requests.block_action(SLACK_IDS[OLA], "other", selected_option="cc:100", channel=channel,
                              message_ts=sent["ts"])

    bot.standin.wait_for("chat.update")
    allocation = allocation_of(bot, 1)
    assert allocation.lines[0].cost_center == "100"
    assert allocation.lines[0].project is None


def open_split(bot, channel: str, ts: str) -> dict:
    bot.requests.block_action(SLACK_IDS[OLA], "split", channel=channel, message_ts=ts)
    bot.standin.wait_for("views.open")
    return bot.standin.modal_stack(SLACK_IDS[OLA])[-1]


def split_values(shares: list[str], mode: str = "percent", accounts: tuple[str, ...] = ("6551", "6800")) -> dict:
    values = {"mode": {"value": radio_value(mode, mode)}}
    for number, (share, account) in enumerate(zip(shares, accounts), start=1):
        values[f"cc:{number}"] = {"value": option_value(f"cc:{'400' if number == 1 else '100'}", "cost center")}
        values[f"account:{number}"] = {"value": option_value(f"a:{account}", "account")}
        values[f"share:{number}"] = {"value": text_value(share)}
    return values


def test_split_by_percent_books_exact_lines(bot):
    ask(bot, purchase(1, MOUSE[0], OLA, "1000.01"))
    channel = bot.dm(OLA)
    sent = bot.last_message(channel)
    modal = open_split(bot, channel, sent["ts"])

    response = bot.requests.view_submission(SLACK_IDS[OLA], "split", values=split_values(["33,33", "66,67"]),
                                            view_id=modal["id"])

    assert response.status == 200
    bot.standin.wait_for("chat.update")
    lines = allocation_of(bot, 1).lines
    assert [line.cost_center for line in lines] == ["400", "100"]
    assert [line.amount for line in lines] == [Decimal("333.30"), Decimal("666.71")]
    assert sum(line.amount for line in lines) == Decimal("1000.01")


def test_split_not_100_percent_is_refused(bot):
    ask(bot, purchase(1, MOUSE[0], OLA, MOUSE[1]))
    channel = bot.dm(OLA)
    modal = open_split(bot, channel, bot.last_message(channel)["ts"])

    response = bot.requests.view_submission(SLACK_IDS[OLA], "split", values=split_values(["50", "49,99"]),
                                            view_id=modal["id"])

    assert response.json()["response_action"] == "errors"
    assert "share:2" in response.json()["errors"]
    assert allocation_of(bot, 1) is None


def test_split_with_unknown_code_is_refused(bot):
    ask(bot, purchase(1, MOUSE[0], OLA, MOUSE[1]))
    channel = bot.dm(OLA)
    modal = open_split(bot, channel, bot.last_message(channel)["ts"])
    values = split_values(["50", "50"])
    values["account:2"] = {"value": option_value("a:9999", "9999 Ukjent")}

    response = bot.requests.view_submission(SLACK_IDS[OLA], "split", values=values, view_id=modal["id"])

    assert response.json()["response_action"] == "errors"
    assert list(response.json()["errors"]) == ["account:2"]
    assert allocation_of(bot, 1) is None


def test_split_by_amount_must_match_total(bot):
    ask(bot, purchase(1, MOUSE[0], OLA, "899.00"))
    channel = bot.dm(OLA)
    modal = open_split(bot, channel, bot.last_message(channel)["ts"])

    wrong = bot.requests.view_submission(SLACK_IDS[OLA], "split", values=split_values(["500", "398"], "amount"),
                                         view_id=modal["id"], apply_response=False)
    right = bot.requests.view_submission(SLACK_IDS[OLA], "split",
                                         values=split_values(["500,00", "399,00"], "amount"), view_id=modal["id"])

    assert wrong.json()["response_action"] == "errors"
    assert right.status == 200
    bot.standin.wait_for("chat.update")
    assert [line.amount for line in allocation_of(bot, 1).lines] == [Decimal("500.00"), Decimal("399.00")]


def test_private_purchase_books_receivable_and_flags(bot):
    ask(bot, purchase(1, "Barnesykkel 16 tommer", OLA, "1499.00"))
    channel = bot.dm(OLA)

    bot.requests.block_action(SLACK_IDS[OLA], "private", channel=channel,
                              message_ts=bot.last_message(channel)["ts"])

    bot.standin.wait_for("chat.update")
    allocation = allocation_of(bot, 1)
    assert allocation.lines[0].account == "1570"
    assert allocation.lines[0].cost_center == "400"
    with bot.pipeline.store.session() as session:
        item = session.get(AmazonItem, 1)
        labels = session.exec(select(TrainingLabel)).all()
    assert item.private_purchase
    assert item.personal_data
    assert labels == []


def test_other_person_gets_explanation_and_nothing_changes(bot):
    ask(bot, purchase(1, MOUSE[0], OLA, MOUSE[1]))
    channel = bot.dm(OLA)
    sent = bot.last_message(channel)

    response = bot.requests.block_action(SLACK_IDS[EVE], "choose:1", channel=channel, message_ts=sent["ts"])

    assert response.status == 200
    ephemeral = wait_until(lambda: bot.standin.ephemerals(SLACK_IDS[EVE]), message="an ephemeral to Eve")
    assert "controller" in ephemeral[0]["text"]
    assert allocation_of(bot, 1) is None
    assert bot.standin.calls_to("chat.update") == []


def test_controller_may_answer_anyones_question(bot):
    ask(bot, purchase(1, MOUSE[0], OLA, MOUSE[1]))
    channel = bot.dm(OLA)

    bot.requests.block_action(SLACK_IDS[SIRI], "choose:1", channel=channel, message_ts=bot.last_message(channel)["ts"])

    bot.standin.wait_for("chat.update")
    assert allocation_of(bot, 1).decided_by == SIRI


def test_forged_signature_is_rejected(bot):
    ask(bot, purchase(1, MOUSE[0], OLA, MOUSE[1]))
    channel = bot.dm(OLA)

    response = bot.requests.block_action(SLACK_IDS[OLA], "choose:1", channel=channel,
                                         message_ts=bot.last_message(channel)["ts"], secret="not-the-secret")

    assert response.status == 401
    time.sleep(0.3)
    assert allocation_of(bot, 1) is None


def test_old_timestamp_is_rejected(bot):
    ask(bot, purchase(1, MOUSE[0], OLA, MOUSE[1]))
    channel = bot.dm(OLA)

    response = bot.requests.block_action(SLACK_IDS[OLA], "choose:1", channel=channel,
                                         message_ts=bot.last_message(channel)["ts"],
                                         timestamp=int(time.time()) - 600)

    assert response.status == 401
    time.sleep(0.3)
    assert allocation_of(bot, 1) is None


def test_replayed_request_does_nothing_twice(bot):
    ask(bot, purchase(1, MOUSE[0], OLA, MOUSE[1]), purchase(2, NOTES[0], OLA, NOTES[1]))
    channel = bot.dm(OLA)
    bot.requests.block_action(SLACK_IDS[OLA], "choose:1", channel=channel, message_ts=bot.last_message(channel)["ts"])
    bot.standin.wait_for("chat.update")
    body, headers = bot.requests.last_request

    replay = bot.requests.post_raw(body, headers)

    assert replay.status == 200
    time.sleep(0.3)
    assert len(bot.standin.calls_to("chat.update")) == 1
    assert bot.standin.ephemerals(SLACK_IDS[OLA]) == []


def test_double_click_decides_once_and_tells_who(bot):
    ask(bot, purchase(1, MOUSE[0], OLA, MOUSE[1]))
    channel = bot.dm(OLA)
    ts = bot.last_message(channel)["ts"]

    bot.requests.block_action(SLACK_IDS[OLA], "choose:1", channel=channel, message_ts=ts)
    bot.requests.block_action(SLACK_IDS[OLA], "choose:2", channel=channel, message_ts=ts)

    ephemeral = wait_until(lambda: bot.standin.ephemerals(SLACK_IDS[OLA]), message="an ephemeral to Ola")
    assert "Ola Hansen" in ephemeral[0]["text"]
    allocation = allocation_of(bot, 1)
    with bot.pipeline.store.session() as session:
        decisions = session.exec(select(AuditEvent).where(AuditEvent.action == "question_answered")).all()
    assert len(decisions) == 1
    assert allocation.lines[0].account == decisions[0].data["lines"][0]["allocation"].split("/")[2]


def test_more_than_50_items_are_paginated(tmp_path, standin):
    from .conftest import start_bot, stop_bot

    running = start_bot(tmp_path, standin, items_per_message=8)
    try:
        purchases = [purchase(number, f"Kabel USB-C nr. {number}", OLA, f"{100 + number}.00")
                     for number in range(1, 61)]
        ask(running, *purchases)

        messages = running.standin.messages(running.dm(OLA))
        assert len(messages) == 8
        assert all(len(message["blocks"]) <= 50 for message in messages)
        shown = sum(len(actions_blocks(message)) for message in messages)
        assert shown == 60
        assert "8" in json.dumps(messages[-1]["blocks"], ensure_ascii=False)
    finally:
        stop_bot(running)


def test_click_acknowledged_before_slow_work(bot):
    ask(bot, purchase(1, MOUSE[0], OLA, MOUSE[1]))
    channel = bot.dm(OLA)
    sent = bot.last_message(channel)
    # Slack answers the bot's message update only after 4 s, longer than Slack waits for an acknowledgement.
    bot.standin.rate_limit("chat.update", times=1, retry_after=4)

    started = time.monotonic()
    response = bot.requests.block_action(SLACK_IDS[OLA], "choose:1", channel=channel, message_ts=sent["ts"])
    answered_after = time.monotonic() - started

    assert response.status == 200
    assert answered_after < 3
    update = bot.standin.wait_for("chat.update", lambda call: call.status == 200, timeout=10)
    assert update[0].at - started >= 4
