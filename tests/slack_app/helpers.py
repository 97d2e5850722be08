"""Steps and reads that several Slack test modules share."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import update
from sqlmodel import col

from bot.records import ReportItem
from bot.store.models import Question
from bot.store.questions import get_question

from .world import add_purchases, purchase

MOUSE = ("Logitech MX Master 3S trådløs mus", "899.00")
NOTES = ("Post-it lapper 76x76 mm, 12 blokker", "149.00")

T = TypeVar("T")


def purchase_by(requester: str, goods: tuple[str, str], number: int = 1) -> ReportItem:
    """Return purchase ``number`` of ``goods`` (title, amount) ordered by ``requester``."""
    title, amount = goods
    return purchase(number, title, requester, amount)


def ask(bot, *purchases) -> list[int]:
    """Store purchases with their card charges, process them, and return the question ids sent."""
    add_purchases(bot.pipeline.store, list(purchases))
    report = bot.pipeline.process()
    return [outcome.question_id for outcome in report.outcomes if outcome.question_id is not None]


def wait_until(condition: Callable[[], T], timeout: float = 5.0, message: str = "condition") -> T:
    """Poll ``condition`` until it returns something truthy; fail naming ``message`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}")


def actions_blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [block for block in message["blocks"] if block["type"] == "actions"]


def blocks_text(blocks: list[dict[str, Any]]) -> str:
    """Return blocks as JSON with non-ASCII letters kept, for checks that a text appears somewhere in them."""
    return json.dumps(blocks, ensure_ascii=False)


def mark_sent_at(bot, question_ids: Sequence[int], sent_at: datetime) -> None:
    """Store ``sent_at`` as the time the questions' messages went out, so that they look that old."""
    with bot.pipeline.store.session() as session:
        session.exec(update(Question).where(col(Question.id).in_(question_ids)).values(sent_at=sent_at))


def stored_question(bot, question_id: int) -> Question:
    with bot.pipeline.store.session() as session:
        question = get_question(session, question_id)
    assert question is not None, f"question {question_id} is not in the store"
    return question
