"""Reminders and escalation of unanswered questions, sent by ``Reminders.run`` at fixed times.

A question looks old because the test stores an early ``sent_at``. Each
run gets a fixed ``now`` in Europe/Oslo, the configured time zone. Working
hours are 08:00 to 16:00 on Monday to Friday.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.handlers.reminders import Reminders
from bot.policy import CONTROLLERS
from bot.store.models import AllocationRow

from .helpers import (MOUSE, NOTES, actions_blocks, ask, blocks_text, mark_sent_at, purchase_by,
                      stored_question)
from .world import CONTROLLER_CHANNEL, EVE, KARI, OLA, PER, SLACK_IDS

OSLO = ZoneInfo("Europe/Oslo")
# Tuesday 10 November 2026, 10:00 in Oslo: inside working hours.
TUESDAY_MORNING = datetime(2026, 11, 10, 10, 0, tzinfo=OSLO)

# A requester missing from master data, so that the question goes to the controllers.
STRANGER = "ukjent.person@example.no"


def permalink_path(channel: str, ts: str) -> str:
    """Return the path of the stand-in's permalink to a message: /archives/<channel>/p<ts without the dot>."""
    return f"/archives/{channel}/p{ts.replace('.', '')}"


def decided_by(bot, item_id: int) -> str | None:
    with bot.pipeline.store.session() as session:
        row = session.exec(select(AllocationRow).where(AllocationRow.item_id == item_id)).first()
    return row.decided_by if row is not None else None


def test_reminder_after_a_day(bot):
    question_id, = ask(bot, purchase_by(OLA, MOUSE))
    channel = bot.dm(OLA)
    question_ts = bot.last_message(channel)["ts"]
    mark_sent_at(bot, [question_id], TUESDAY_MORNING - timedelta(hours=25))

    counts = bot.slack.reminders.run(now=TUESDAY_MORNING)

    assert counts == (1, 0)
    permalink_calls = bot.standin.calls_to("chat.getPermalink")
    assert [call.params["message_ts"] for call in permalink_calls] == [question_ts]
    messages = bot.standin.messages(channel)
    assert len(messages) == 2
    reminder = blocks_text(messages[-1]["blocks"])
    assert "Påminnelse" in messages[-1]["text"]
    assert permalink_path(channel, question_ts) in reminder
    assert "Ola Hansen" in reminder
    assert stored_question(bot, question_id).reminded_at is not None


def test_reminder_sent_once(bot):
    question_id, = ask(bot, purchase_by(OLA, MOUSE))
    mark_sent_at(bot, [question_id], TUESDAY_MORNING - timedelta(hours=25))
    bot.slack.reminders.run(now=TUESDAY_MORNING)

    counts = bot.slack.reminders.run(now=TUESDAY_MORNING + timedelta(hours=2))

    assert counts == (0, 0)
    assert len(bot.standin.messages(bot.dm(OLA))) == 2


def test_reminder_not_before_a_day(bot):
    question_id, = ask(bot, purchase_by(OLA, MOUSE))
    mark_sent_at(bot, [question_id], TUESDAY_MORNING - timedelta(hours=23))

    counts = bot.slack.reminders.run(now=TUESDAY_MORNING)

    assert counts == (0, 0)
    assert len(bot.standin.messages(bot.dm(OLA))) == 1
    assert stored_question(bot, question_id).reminded_at is None


def test_one_reminder_for_several_questions(bot):
    question_ids = ask(bot, purchase_by(OLA, MOUSE), purchase_by(OLA, NOTES, 2))
    mark_sent_at(bot, question_ids, TUESDAY_MORNING - timedelta(hours=30))

    counts = bot.slack.reminders.run(now=TUESDAY_MORNING)

    assert counts == (2, 0)
    messages = bot.standin.messages(bot.dm(OLA))
    assert len(messages) == 2
    assert "2" in messages[-1]["text"]
    # Both questions are in one message, so the reminder links that message once.
    assert len(bot.standin.calls_to("chat.getPermalink")) == 1


def test_failed_reminder_sent_next_run(bot):
    question_id, = ask(bot, purchase_by(OLA, MOUSE))
    mark_sent_at(bot, [question_id], TUESDAY_MORNING - timedelta(hours=25))
    bot.standin.fail("chat.postMessage", "not_in_channel")

    failed = bot.slack.reminders.run(now=TUESDAY_MORNING)
    reminded_at = stored_question(bot, question_id).reminded_at
    retried = bot.slack.reminders.run(now=TUESDAY_MORNING + timedelta(minutes=15))

    assert failed == (0, 0)
    assert reminded_at is None
    assert retried == (1, 0)
    assert len(bot.standin.messages(bot.dm(OLA))) == 2


def test_controller_channel_reminder_addresses_controllers(bot):
    question_ids = ask(bot, purchase_by(PER, MOUSE), purchase_by(STRANGER, NOTES, 2))
    mark_sent_at(bot, question_ids, TUESDAY_MORNING - timedelta(hours=30))

    counts = bot.slack.reminders.run(now=TUESDAY_MORNING)

    assert counts == (2, 0)
    reminder = blocks_text(bot.last_message(CONTROLLER_CHANNEL)["blocks"])
    assert "Hei controllerne!" in reminder
    assert "Per Berg" not in reminder
    assert reminder.count("/archives/") == 2


@pytest.mark.parametrize("now", [
    datetime(2026, 11, 14, 10, 0, tzinfo=OSLO),  # Saturday
    datetime(2026, 11, 10, 17, 0, tzinfo=OSLO),  # Tuesday after work
    datetime(2026, 11, 10, 16, 0, tzinfo=OSLO),  # Tuesday at the end of work
    datetime(2026, 11, 10, 7, 59, tzinfo=OSLO),  # Tuesday before work
], ids=["saturday", "evening", "end-of-work", "early-morning"])
def test_nothing_sent_outside_working_hours(bot, now):
    question_id, = ask(bot, purchase_by(OLA, MOUSE))
    mark_sent_at(bot, [question_id], now - timedelta(hours=100))

    counts = bot.slack.reminders.run(now=now)

    assert counts == (0, 0)
    assert len(bot.standin.messages(bot.dm(OLA))) == 1
    assert bot.standin.messages(bot.dm(KARI)) == []
    question = stored_question(bot, question_id)
    assert question.reminded_at is None
    assert question.escalated_at is None


def test_escalation_to_manager(bot):
    question_id, = ask(bot, purchase_by(OLA, MOUSE))
    mark_sent_at(bot, [question_id], TUESDAY_MORNING - timedelta(hours=73))

    counts = bot.slack.reminders.run(now=TUESDAY_MORNING)

    assert counts == (0, 1)
    kari_channel = bot.dm(KARI)
    escalation = bot.last_message(kari_channel)
    text = blocks_text(escalation["blocks"])
    assert "Ola Hansen har ikke svart" in text
    assert [block["block_id"] for block in actions_blocks(escalation)] == [f"q:{question_id}"]
    question = stored_question(bot, question_id)
    assert question.escalated_to == KARI
    assert question.escalation_channel == kari_channel
    assert question.escalation_ts == escalation["ts"]
    # An escalated question gets no reminder as well.
    assert len(bot.standin.messages(bot.dm(OLA))) == 1


def test_escalation_answer_updates_both(bot):
    question_id, = ask(bot, purchase_by(OLA, MOUSE))
    ola_channel, kari_channel = bot.dm(OLA), bot.dm(KARI)
    question_ts = bot.last_message(ola_channel)["ts"]
    mark_sent_at(bot, [question_id], TUESDAY_MORNING - timedelta(hours=73))
    bot.slack.reminders.run(now=TUESDAY_MORNING)
    escalation_ts = bot.last_message(kari_channel)["ts"]

    response = bot.requests.block_action(SLACK_IDS[KARI], "choose:1", channel=kari_channel,
                                         message_ts=escalation_ts)

    assert response.status == 200
    updates = bot.standin.wait_for("chat.update", count=2)
    assert {(call.params["channel"], call.params["ts"]) for call in updates} == {
        (ola_channel, question_ts), (kari_channel, escalation_ts)}
    assert actions_blocks(bot.standin.message(ola_channel, question_ts)) == []
    assert actions_blocks(bot.standin.message(kari_channel, escalation_ts)) == []
    assert "Kari Nordmann" in blocks_text(bot.standin.message(ola_channel, question_ts)["blocks"])
    assert decided_by(bot, 1) == KARI
    assert stored_question(bot, question_id).status == "answered"


def test_escalation_without_manager(bot):
    question_id, = ask(bot, purchase_by(EVE, MOUSE))
    mark_sent_at(bot, [question_id], TUESDAY_MORNING - timedelta(hours=73))

    counts = bot.slack.reminders.run(now=TUESDAY_MORNING)

    assert counts == (0, 1)
    escalation = bot.last_message(CONTROLLER_CHANNEL)
    assert "Eve Strand har ikke svart" in blocks_text(escalation["blocks"])
    assert [block["block_id"] for block in actions_blocks(escalation)] == [f"q:{question_id}"]
    question = stored_question(bot, question_id)
    assert question.escalated_to == CONTROLLERS
    assert question.escalation_channel == CONTROLLER_CHANNEL


def test_escalation_of_person_outside_slack(bot):
    question_id, = ask(bot, purchase_by(PER, MOUSE))
    mark_sent_at(bot, [question_id], TUESDAY_MORNING - timedelta(hours=73))

    counts = bot.slack.reminders.run(now=TUESDAY_MORNING)

    assert counts == (0, 1)
    escalation = bot.last_message(bot.dm(KARI))
    assert "Per Berg har ikke svart" in blocks_text(escalation["blocks"])
    assert stored_question(bot, question_id).escalated_to == KARI


def test_controllers_question_not_escalated(bot):
    question_id, = ask(bot, purchase_by(STRANGER, MOUSE))
    assert stored_question(bot, question_id).asked_email == CONTROLLERS
    mark_sent_at(bot, [question_id], TUESDAY_MORNING - timedelta(hours=73))

    reminded, escalated = bot.slack.reminders.run(now=TUESDAY_MORNING)

    assert escalated == 0
    question = stored_question(bot, question_id)
    assert question.escalated_at is None
    messages = bot.standin.messages(CONTROLLER_CHANNEL)
    assert sum(len(actions_blocks(message)) for message in messages) == 1
    assert "har ikke svart" not in blocks_text([message["blocks"] for message in messages])


def test_trigger_skips_weekend(bot):
    trigger = bot.slack.reminders.trigger()
    friday_afternoon = datetime(2026, 11, 13, 16, 30, tzinfo=OSLO)

    next_fire = trigger.get_next_fire_time(None, friday_afternoon)

    assert next_fire == datetime(2026, 11, 16, 8, 0, tzinfo=OSLO)


def test_trigger_fires_in_working_hours(bot):
    trigger = bot.slack.reminders.trigger()
    reminders = bot.slack.reminders
    start = datetime(2026, 11, 9, 0, 0, tzinfo=OSLO)  # Monday
    fire_times = []
    previous = None
    now = start
    while now < start + timedelta(days=7):
        now = trigger.get_next_fire_time(previous, now)
        fire_times.append(now)
        previous = now
        now += timedelta(minutes=1)

    outside = [moment.isoformat() for moment in fire_times[:-1] if not reminders.in_working_hours(moment)]
    assert outside == []
    # 5 working days of 8 hours, every 15 minutes, and the first fire of the next Monday.
    assert len(fire_times) == 5 * 8 * 4 + 1


def test_trigger_rejects_reversed_hours(bot):
    settings = bot.settings.slack.model_copy(update={"work_start": "16:00", "work_end": "08:00"})
    reminders = Reminders(bot.slack.asker, bot.pipeline.master, settings)

    with pytest.raises(ValueError, match="work_end 08:00 must be later than slack.work_start 16:00"):
        reminders.trigger()


def test_status_shows_escalated_questions(bot):
    question_id, = ask(bot, purchase_by(OLA, MOUSE))
    mark_sent_at(bot, [question_id], TUESDAY_MORNING - timedelta(hours=73))
    bot.slack.reminders.run(now=TUESDAY_MORNING)
    escalation = bot.last_message(bot.dm(KARI))

    bot.requests.command(SLACK_IDS[KARI], text="status")

    ephemeral = bot.standin.wait_for("response_url")
    text = str(ephemeral[-1].params)
    assert MOUSE[0] in text
    assert permalink_path(bot.dm(KARI), escalation["ts"]) in text
