"""Reads and writes of questions, their Slack messages, Slack user lookups and handled Slack requests.

Like the repository, every function works in the caller's session and
never commits. State changes that two clicks could race for are single
conditional UPDATEs, so the database decides which click wins.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from bot.records import BOT_ACTOR
from bot.store.audit import audit_each
from bot.store.models import Question, SlackRequest, SlackUser, utc_now
from bot.store.upsert import dialect_insert

log = logging.getLogger(__name__)


def get_question(session: Session, question_id: int) -> Question | None:
    return session.get(Question, question_id, populate_existing=True)


def unsent_questions(session: Session) -> list[Question]:
    """Return open questions that no Slack message shows yet, oldest first."""
    statement = (
        select(Question)
        .where(Question.status == "open", col(Question.slack_ts).is_(None))
        .order_by(col(Question.id))
    )
    return list(session.exec(statement))


def claim_delivery(session: Session, question_ids: Sequence[int], key: str) -> None:
    """Mark questions as being sent in the message that will carry ``key`` in its metadata."""
    session.exec(
        update(Question)
        .where(col(Question.id).in_(question_ids), col(Question.slack_ts).is_(None))
        .values(delivery_key=key)
    )


def record_delivery(session: Session, question_ids: Sequence[int], channel: str, ts: str) -> None:
    """Store the message that now shows these questions, and audit each as question_sent."""
    session.exec(
        update(Question)
        .where(col(Question.id).in_(question_ids))
        .values(slack_channel=channel, slack_ts=ts, sent_at=utc_now())
    )
    _audit_messages(session, question_ids, "question_sent", slack_channel=channel, slack_ts=ts)
    log.info("questions %s sent in Slack message %s/%s", ",".join(map(str, question_ids)), channel, ts)


def record_escalation(session: Session, question_ids: Sequence[int], escalated_to: str,
                      channel: str, ts: str) -> None:
    """Store the message that shows escalated questions to ``escalated_to``, and audit each as question_escalated."""
    session.exec(
        update(Question)
        .where(col(Question.id).in_(question_ids))
        .values(escalated_at=utc_now(), escalated_to=escalated_to, escalation_channel=channel, escalation_ts=ts)
    )
    _audit_messages(session, question_ids, "question_escalated", slack_channel=channel, slack_ts=ts,
                    escalated_to=escalated_to)
    log.info("questions %s escalated to %s in Slack message %s/%s",
             ",".join(map(str, question_ids)), escalated_to, channel, ts)


def _audit_messages(session: Session, question_ids: Sequence[int], action: str, **data: str) -> None:
    """Audit, under each question's item, the Slack message that now shows the question."""
    questions = session.exec(select(Question).where(col(Question.id).in_(question_ids)).order_by(col(Question.id)))
    audit_each(session, actor=BOT_ACTOR, action=action, subject_type="item",
               entries=[(question.item_id, {"question": question.id, "kind": question.kind,
                                            "asked": question.asked_email, "via": "slack", **data})
                        for question in questions])


def mark_reminded(session: Session, question_ids: Sequence[int]) -> None:
    session.exec(update(Question).where(col(Question.id).in_(question_ids)).values(reminded_at=utc_now()))


def questions_in_message(session: Session, channel: str, ts: str) -> list[Question]:
    """Return the questions a Slack message shows, as first sent or as an escalation, in message order."""
    statement = (
        select(Question)
        .where(or_(
            (col(Question.slack_channel) == channel) & (col(Question.slack_ts) == ts),
            (col(Question.escalation_channel) == channel) & (col(Question.escalation_ts) == ts),
        ))
        .order_by(col(Question.id))
        .execution_options(populate_existing=True)
    )
    return list(session.exec(statement))


def messages_showing_item(session: Session, item_id: int) -> list[tuple[str, str]]:
    """Return every Slack message (channel, ts) that shows a question about the item."""
    messages: list[tuple[str, str]] = []
    for question in session.exec(select(Question).where(Question.item_id == item_id)):
        for channel, ts in ((question.slack_channel, question.slack_ts),
                            (question.escalation_channel, question.escalation_ts)):
            if channel and ts and (channel, ts) not in messages:
                messages.append((channel, ts))
    return messages


def close_questions(session: Session, item_id: int, answered_by: str, *, kind: str | None = None) -> list[int]:
    """Mark the item's open questions (of one kind, or all) answered; return the ids that were still open."""
    statement = select(Question.id).where(Question.item_id == item_id, Question.status == "open")
    if kind is not None:
        statement = statement.where(Question.kind == kind)
    open_ids = list(session.exec(statement))
    if not open_ids:
        return []
    session.exec(
        update(Question)
        .where(col(Question.id).in_(open_ids), Question.status == "open")
        .values(status="answered", answered_by=answered_by, answered_at=utc_now())
    )
    return open_ids


def open_questions(session: Session, email: str | None = None) -> list[Question]:
    """Return open questions asked of one person or escalated to them, or everyone's, oldest first."""
    statement = select(Question).where(Question.status == "open").order_by(col(Question.created_at),
                                                                          col(Question.id))
    if email is not None:
        email = email.lower()
        statement = statement.where(or_(Question.asked_email == email, Question.escalated_to == email))
    return list(session.exec(statement))


def due_for_reminder(session: Session, sent_before: datetime) -> list[Question]:
    """Return open questions sent before ``sent_before`` that got no reminder yet."""
    statement = (
        select(Question)
        .where(Question.status == "open", col(Question.sent_at) < sent_before, col(Question.reminded_at).is_(None),
               col(Question.escalated_at).is_(None))
        .order_by(col(Question.id))
    )
    return list(session.exec(statement))


def due_for_escalation(session: Session, sent_before: datetime) -> list[Question]:
    """Return open questions sent before ``sent_before`` that were not escalated yet."""
    statement = (
        select(Question)
        .where(Question.status == "open", col(Question.sent_at) < sent_before, col(Question.escalated_at).is_(None))
        .order_by(col(Question.id))
    )
    return list(session.exec(statement))


def claim_request(session: Session, key: str) -> bool:
    """Record an inbound Slack request; return False when a request with this key was handled before."""
    statement = (
        dialect_insert(session, SlackRequest)
        .values(key=key, received_at=utc_now())
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(SlackRequest.key)
    )
    return session.exec(statement).first() is not None


def forget_requests(session: Session, received_before: datetime) -> int:
    """Delete handled-request keys older than any request Slack's signature check still accepts."""
    result = session.exec(delete(SlackRequest).where(col(SlackRequest.received_at) < received_before))
    return result.rowcount


def cached_user(session: Session, email: str) -> SlackUser | None:
    return session.get(SlackUser, email.lower(), populate_existing=True)


def cache_user(session: Session, email: str, user_id: str | None, name: str = "") -> None:
    """Store a lookup result; ``user_id`` None records that Slack has nobody with this email."""
    values = {"email": email.lower(), "user_id": user_id, "name": name, "looked_up_at": utc_now()}
    statement = (
        dialect_insert(session, SlackUser)
        .values(values)
        .on_conflict_do_update(index_elements=["email"],
                               set_={"user_id": user_id, "name": name, "looked_up_at": values["looked_up_at"]})
    )
    session.exec(statement)


def email_of_user(session: Session, user_id: str) -> str | None:
    """Return the email cached for a Slack user id, or None."""
    row = session.exec(select(SlackUser).where(SlackUser.user_id == user_id)
                       .order_by(col(SlackUser.looked_up_at).desc())).first()
    return row.email if row else None
