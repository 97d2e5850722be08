"""Approvals in Slack: expensive and tax-sensitive items go to the manager, who approves, rejects or changes.

Nobody approves their own purchase, a rejection goes to the controllers
with its reason, and two approvers clicking at once decide the item once.
"""

from __future__ import annotations

import json
import threading
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlmodel import select

from bot.store.models import AllocationRow, AmazonItem, Question, StoreModel, TrainingLabel

from .conftest import start_bot, stop_bot
from .requests import option_value, text_value
from .world import CONTROLLER_CHANNEL, EVE, KARI, OLA, SIRI, SLACK_IDS, add_purchases, purchase

SCREEN = ("Dell UltraSharp U3224KB 32 tommer 6K skjerm", "6499.00")
GIFT_BOX = ("Gaveeske med sjokolade til kunde", "899.00")


def ask(bot, *purchases) -> list[int]:
    """Process purchases, send their questions, and return the item ids."""
    add_purchases(bot.pipeline.store, list(purchases))
    return [outcome.item_id for outcome in bot.pipeline.process().outcomes]


def actions_of(message: dict) -> list[str]:
    return [element["action_id"] for block in message["blocks"] if block["type"] == "actions"
            for element in block["elements"]]


def item_state(bot, item_id: int) -> tuple[str, AllocationRow | None]:
    with bot.pipeline.store.session() as session:
        item = session.get(AmazonItem, item_id)
        allocation = session.exec(select(AllocationRow).where(AllocationRow.item_id == item_id)).first()
        if allocation is not None:
            allocation.lines  # noqa: B018 - loads the lines before the session closes
        return item.state, allocation


def test_expensive_item_goes_to_manager(bot):
    ask(bot, purchase(1, *SCREEN[:1], OLA, SCREEN[1]))

    message = bot.last_message(bot.dm(KARI))

    assert actions_of(message) == ["approve", "reject", "change"]
    assert bot.standin.messages(bot.dm(OLA)) == []
    assert item_state(bot, 1)[0] == "awaiting_approval"


def test_approve_books_proposal_and_updates_message(bot):
    ask(bot, purchase(1, SCREEN[0], OLA, SCREEN[1]))
    channel = bot.dm(KARI)
    sent = bot.last_message(channel)

    bot.requests.block_action(SLACK_IDS[KARI], "approve", channel=channel, message_ts=sent["ts"])

    bot.standin.wait_for("chat.update")
    state, allocation = item_state(bot, 1)
    assert state == "decided"
    assert allocation.status == "approved"
    assert allocation.decided_by == KARI
    assert actions_of(bot.standin.message(channel, sent["ts"])) == []
    with bot.pipeline.store.session() as session:
        assert session.exec(select(TrainingLabel)).one().source == "human"


def test_gift_answer_waits_for_approval(bot):
    ask(bot, purchase(1, "Tekopp med logo", OLA, "149.00"))
    channel = bot.dm(OLA)
    sent = bot.last_message(channel)

    bot.requests.block_action(SLACK_IDS[OLA], "other", selected_option="a:7420", channel=channel,
                              message_ts=sent["ts"])

    approval = bot.standin.wait_for("chat.postMessage", lambda call: call.params["channel"] == bot.dm(KARI))
    assert approval
    state, allocation = item_state(bot, 1)
    assert state == "awaiting_approval"
    assert allocation.status == "pending_approval"
    updated = bot.standin.message(channel, sent["ts"])
    assert actions_of(updated) == []
    assert "Kari Nordmann" in json.dumps(updated["blocks"], ensure_ascii=False)


def test_own_purchase_cannot_be_approved(bot):
    ask(bot, purchase(1, SCREEN[0], SIRI, SCREEN[1]))
    sent = bot.last_message(CONTROLLER_CHANNEL)

    bot.requests.block_action(SLACK_IDS[SIRI], "approve", channel=CONTROLLER_CHANNEL, message_ts=sent["ts"])

    ephemeral = bot.standin.wait_for("response_url")
    assert "eget kjøp" in json.dumps(ephemeral[0].params, ensure_ascii=False)
    assert item_state(bot, 1)[0] == "awaiting_approval"


def test_unrelated_person_cannot_approve(bot):
    ask(bot, purchase(1, SCREEN[0], OLA, SCREEN[1]))
    channel = bot.dm(KARI)

    bot.requests.block_action(SLACK_IDS[EVE], "approve", channel=channel, message_ts=bot.last_message(channel)["ts"])

    bot.standin.wait_for("response_url")
    assert item_state(bot, 1)[0] == "awaiting_approval"


def reject(bot, reason: str):
    channel = bot.dm(KARI)
    bot.requests.block_action(SLACK_IDS[KARI], "reject", channel=channel, message_ts=bot.last_message(channel)["ts"])
    bot.standin.wait_for("views.open")
    modal = bot.standin.modal_stack(SLACK_IDS[KARI])[-1]
    return bot.requests.view_submission(SLACK_IDS[KARI], "reject", values={"reason": {"value": text_value(reason)}},
                                        view_id=modal["id"])


def test_rejection_goes_to_controllers_with_reason(bot):
    ask(bot, purchase(1, SCREEN[0], OLA, SCREEN[1]))

    response = reject(bot, "Vi har nok skjermer på lager")

    assert response.status == 200
    handover = bot.standin.wait_for("chat.postMessage", lambda call: call.params["channel"] == CONTROLLER_CHANNEL)
    handover_text = json.dumps(handover[0].params, ensure_ascii=False)
    assert "Vi har nok skjermer på lager" in handover_text
    assert "Avvist av Kari Nordmann" in handover_text
    assert item_state(bot, 1)[0] == "asked"
    approval = bot.standin.wait_for("chat.update", lambda call: call.params["channel"] == bot.dm(KARI))
    approval_text = json.dumps(approval[-1].params["blocks"], ensure_ascii=False)
    assert "Avvist av Kari Nordmann" in approval_text
    assert "Ført på" not in approval_text


def test_rejection_needs_a_reason(bot):
    ask(bot, purchase(1, SCREEN[0], OLA, SCREEN[1]))

    response = reject(bot, "   ")

    assert response.json()["response_action"] == "errors"
    assert item_state(bot, 1)[0] == "awaiting_approval"


def test_controller_decides_rejected_item_finally(bot):
    ask(bot, purchase(1, SCREEN[0], OLA, SCREEN[1]))
    reject(bot, "Feil avdeling")
    bot.standin.wait_for("chat.postMessage", lambda call: call.params["channel"] == CONTROLLER_CHANNEL)
    sent = bot.last_message(CONTROLLER_CHANNEL)

    bot.requests.block_action(SLACK_IDS[SIRI], "other", selected_option="cc:100", channel=CONTROLLER_CHANNEL,
                              message_ts=sent["ts"])

    bot.standin.wait_for("chat.update", lambda call: call.params["ts"] == sent["ts"])
    state, allocation = item_state(bot, 1)
    assert state == "decided"
    assert allocation.decided_by == SIRI
    assert allocation.lines[0].cost_center == "100"


def test_change_approves_other_allocation(bot):
    ask(bot, purchase(1, SCREEN[0], OLA, SCREEN[1]))
    channel = bot.dm(KARI)
    bot.requests.block_action(SLACK_IDS[KARI], "change", channel=channel, message_ts=bot.last_message(channel)["ts"])
    bot.standin.wait_for("views.open")
    modal = bot.standin.modal_stack(SLACK_IDS[KARI])[-1]

    values = {"cc:1": {"value": option_value("cc:100", "100")}, "account:1": {"value": option_value("a:6800", "6800")}}
    response = bot.requests.view_submission(SLACK_IDS[KARI], "change", values=values, view_id=modal["id"])

    assert response.status == 200
    bot.standin.wait_for("chat.update")
    state, allocation = item_state(bot, 1)
    assert state == "decided"
    assert (allocation.lines[0].cost_center, allocation.lines[0].account) == ("100", "6800")
    assert allocation.lines[0].amount == Decimal("6499.00")


def approve_at_once(bot) -> None:
    """Let Kari (the manager) and Siri (a controller) click Approve at the same moment."""
    channel = bot.dm(KARI)
    ts = bot.last_message(channel)["ts"]
    payloads = [bot.requests.payloads.block_action(SLACK_IDS[person], "approve", channel=channel, message_ts=ts)
                for person in (KARI, SIRI)]
    barrier = threading.Barrier(2)

    def click(payload: dict) -> None:
        barrier.wait()
        bot.requests.send_interactive(payload)

    threads = [threading.Thread(target=click, args=(payload,)) for payload in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def check_decided_once(bot, item_id: int) -> None:
    told = bot.standin.wait_for("response_url")
    state, allocation = item_state(bot, item_id)
    assert state == "decided"
    assert allocation.decided_by in (KARI, SIRI)
    with bot.pipeline.store.session() as session:
        assert len(session.exec(select(TrainingLabel)).all()) == 1
        assert session.exec(select(Question).where(Question.kind == "approval")).one().answered_by == allocation.decided_by
    assert "allerede" in json.dumps(told[0].params, ensure_ascii=False)


def test_two_approvers_at_once(bot):
    item_id, = ask(bot, purchase(1, SCREEN[0], OLA, SCREEN[1]))

    approve_at_once(bot)

    check_decided_once(bot, item_id)


@pytest.mark.postgres
def test_two_approvers_at_once_postgres(tmp_path, standin, postgres_url):
    running = start_bot(tmp_path, standin, store_url=postgres_url)
    try:
        _empty(running)
        item_id, = ask(running, purchase(1, SCREEN[0], OLA, SCREEN[1]))

        approve_at_once(running)

        check_decided_once(running, item_id)
    finally:
        _empty(running)
        stop_bot(running)


def _empty(bot) -> None:
    """Remove what earlier tests wrote to the session's PostgreSQL database, the audit log included."""
    tables = ", ".join(f'"{table.name}"' for table in StoreModel.metadata.sorted_tables)
    with bot.pipeline.store.engine.begin() as connection:
        # Replica mode skips ordinary triggers, among them the audit log's guard against TRUNCATE.
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
