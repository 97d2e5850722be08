"""Reminders and escalation of unanswered questions, sent only in working hours.

A question still open ``slack.remind_after_hours`` after it was sent gets
one reminder, a DM listing links to the open messages. One still open
``slack.escalate_after_hours`` after it was sent goes to the asked
person's manager, or to the controllers when there is none, as a message
of its own with the same buttons. The manager may then answer it, and the
answer updates both messages. The hours count from sending, around the
clock; only the sending waits for working hours (Monday to Friday between
``slack.work_start`` and ``slack.work_end`` in ``slack.timezone``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from slack_sdk.errors import SlackApiError

from bot.config import SlackSettings
from bot.handlers.delivery import SlackAsker
from bot.handlers.messages import question_message, reminder_message
from bot.masterdata import MasterData
from bot.policy import CONTROLLERS
from bot.store.models import Question
from bot.store.questions import due_for_escalation, due_for_reminder, mark_reminded, record_escalation

log = logging.getLogger(__name__)


class Reminders:
    def __init__(self, asker: SlackAsker, master: MasterData, settings: SlackSettings) -> None:
        self.asker = asker
        self.master = master
        self.settings = settings
        self.zone = ZoneInfo(settings.timezone)

    def trigger(self) -> CronTrigger:
        """Return the job's schedule: every 15 minutes on working days, in the hours that working hours cover.

        The last hour is the one before ``work_end`` (15 for 16:00), so the
        job never fires at or after the end of work. When ``work_start`` is
        not on the hour, the fire times before it in its first hour do
        nothing, because ``run`` checks ``in_working_hours``.
        """
        start, end = _clock(self.settings.work_start), _clock(self.settings.work_end)
        if end <= start:
            raise ValueError(f"slack.work_end {self.settings.work_end} must be later than "
                             f"slack.work_start {self.settings.work_start}")
        last_hour = (end.hour * 60 + end.minute - 1) // 60
        return CronTrigger(day_of_week="mon-fri", hour=f"{start.hour}-{last_hour}", minute="*/15",
                           timezone=self.zone)

    def in_working_hours(self, now: datetime) -> bool:
        local = now.astimezone(self.zone)
        start, end = _clock(self.settings.work_start), _clock(self.settings.work_end)
        return local.weekday() < 5 and start <= local.time() < end

    def run(self, now: datetime | None = None) -> tuple[int, int]:
        """Send due reminders, then due escalations; return how many questions each covered."""
        now = now or datetime.now(timezone.utc)
        if not self.in_working_hours(now):
            log.debug("outside working hours: no reminders at %s", now.isoformat())
            return 0, 0
        escalated = self._escalate(now - timedelta(hours=self.settings.escalate_after_hours))
        reminded = self._remind(now - timedelta(hours=self.settings.remind_after_hours))
        log.info("reminders sent for %d questions, %d questions escalated", reminded, escalated)
        return reminded, escalated

    # -- helpers ------------------------------------------------------------------

    def _remind(self, sent_before: datetime) -> int:
        store = self.asker.store
        with store.session() as session:
            due = due_for_reminder(session, sent_before)
        by_channel: dict[str, list[Question]] = defaultdict(list)
        for question in due:
            by_channel[question.slack_channel].append(question)

        count = 0
        for channel, questions in by_channel.items():
            links = []
            for ts in dict.fromkeys(question.slack_ts for question in questions):
                try:
                    links.append(self.asker.client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
                except SlackApiError as exc:
                    log.warning("no permalink for Slack message %s/%s: %s", channel, ts, exc.response.get("error"))
            # The controller channel also shows questions to people who are not in Slack. Its reminder
            # addresses the controllers, because they answer there.
            addressee = CONTROLLERS if channel == self.settings.controller_channel else questions[0].asked_email
            message = reminder_message(len(questions), links,
                                       recipient_name=self.asker.assembler.person_name(addressee),
                                       hours=round(self.settings.remind_after_hours),
                                       translator=self.asker.translator)
            try:
                self.asker.client.chat_postMessage(channel=channel, text=message.text, blocks=message.blocks)
            except SlackApiError as exc:
                log.error("reminder to %s for questions %s failed: %s", channel,
                          [question.id for question in questions], exc.response.get("error"))
                continue
            with store.session() as session:
                mark_reminded(session, [question.id for question in questions])
            count += len(questions)
        return count

    def _escalate(self, sent_before: datetime) -> int:
        store = self.asker.store
        with store.session() as session:
            due = due_for_escalation(session, sent_before)
        by_target: dict[tuple[str, str, str], list[Question]] = defaultdict(list)
        for question in due:
            by_target[self._escalation_target(question), question.asked_email, question.kind].append(question)

        count = 0
        for (target, asked, _kind), group in by_target.items():
            recipient = self.asker.recipient(target)
            if recipient is None:
                log.error("cannot escalate questions %s: %s is not in Slack and no controller channel is set",
                          [question.id for question in group], target)
                continue
            # A question to the controllers, or to someone outside Slack without a manager, is already
            # in the controller channel. The controllers are the last step, so it stays where it is.
            questions = [question for question in group if question.slack_channel != recipient.channel]
            if not questions:
                log.debug("questions %s are already in %s; not escalated", [question.id for question in group],
                          recipient.channel)
                continue
            _ = self.asker.translator
            intro = _("{name} has not answered these questions, so they come to you.",
                      name=self.asker.assembler.person_name(asked))
            size = self.settings.items_per_message
            for start in range(0, len(questions), size):
                page = questions[start:start + size]
                with store.session() as session:
                    message = question_message(self.asker.assembler.cards(session, page),
                                               recipient_name=recipient.name, page=1, pages=1,
                                               catalog=self.asker.assembler.catalog(),
                                               translator=self.asker.translator, intro=intro)
                try:
                    response = self.asker.client.chat_postMessage(channel=recipient.channel, text=message.text,
                                                                  blocks=message.blocks)
                except SlackApiError as exc:
                    log.error("escalation of questions %s to %s failed: %s", [q.id for q in page], target,
                              exc.response.get("error"))
                    continue
                with store.session() as session:
                    record_escalation(session, [question.id for question in page], target,
                                      response["channel"], response["ts"])
                count += len(page)
        return count

    def _escalation_target(self, question: Question) -> str:
        """Return the asked person's manager, or CONTROLLERS when there is none or the question was theirs."""
        asked = self.master.employee(question.asked_email)
        if asked is not None and asked.manager and asked.manager.lower() != question.asked_email:
            return asked.manager.lower()
        return CONTROLLERS


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))
