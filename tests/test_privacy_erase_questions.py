"""Open questions of an erased person go to the controllers, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.policy import CONTROLLERS
from bot.records import ReportItem
from bot.store.models import AuditEvent, Question
from bot.store.questions import (
    close_questions,
    due_for_escalation,
    due_for_reminder,
    questions_in_message,
    record_delivery,
    record_escalation,
    unsent_questions,
)
from bot.store.repository import add_document, add_question, add_report_items
from test_privacy_erase import EMAIL, PERSON, erase

KARI = "kari.nordmann@example.no"
OLA_DM, KARI_DM = "D0OLA", "D0KARI"


@pytest.fixture
def questions(store) -> dict[str, int]:
    """Store four questions about four items and return their ids by role."""
    rows = [ReportItem("orders.csv", line, f"302-000000{line}-0000001", date(2026, 11, 4), "NOK", "Kontorstol", 1,
                       Decimal("450.00"), Decimal("450.00"), account_user_email=KARI) for line in range(2, 6)]
    with store.session() as session:
        document = add_document(session, kind="order_report", filename="orders.csv",
                                sha256=hashlib.sha256(b"questions").hexdigest(), sender=KARI)
        items, _ = add_report_items(session, document, rows)
        asked = add_question(session, items[0].id, kind="question", asked_email=EMAIL)
        approval = add_question(session, items[1].id, kind="approval", asked_email=KARI)
        answered = add_question(session, items[2].id, kind="question", asked_email=EMAIL)
        other = add_question(session, items[3].id, kind="question", asked_email=KARI)
        ids = {"asked": asked.id, "escalated": approval.id, "answered": answered.id, "other": other.id}

        record_delivery(session, [asked.id, answered.id], OLA_DM, "1.0001")
        record_delivery(session, [approval.id, other.id], KARI_DM, "1.0002")
        # Kari's approval went unanswered and was escalated to Ola, her manager.
        record_escalation(session, [approval.id], EMAIL, OLA_DM, "1.0003")
        close_questions(session, items[2].id, EMAIL)
    return ids


def stored(store, question_id: int) -> Question:
    with store.session() as session:
        return session.get(Question, question_id)


def test_open_questions_go_to_controllers(store, tmp_path, questions):
    status, out, err = erase(store, tmp_path)

    assert status == 0, err
    handed = [questions["asked"], questions["escalated"]]
    for question_id in handed:
        question = stored(store, question_id)
        assert question.status == "open"
        assert question.asked_email == CONTROLLERS
        assert (question.slack_channel, question.slack_ts, question.sent_at) == (None, None, None)
        assert (question.escalated_to, question.escalation_channel, question.escalated_at) == (None, None, None)
    with store.session() as session:
        # The delivery job posts unsent questions, so both reach the controller channel as new ones.
        assert [question.id for question in unsent_questions(session)] == handed
        later = datetime.now(timezone.utc) + timedelta(days=7)
        assert not {question.id for question in due_for_reminder(session, later)} & set(handed)
        assert not {question.id for question in due_for_escalation(session, later)} & set(handed)
        assert questions_in_message(session, OLA_DM, "1.0001") == [stored(store, questions["answered"])]
        assert questions_in_message(session, OLA_DM, "1.0003") == []
    assert f"Åpne spørsmål overlatt til controllerne, som boten legger ut på nytt i controllerkanalen: " \
           f"{handed[0]}, {handed[1]}" in out


def test_closed_and_unrelated_questions_stay(store, tmp_path, questions):
    other_before = stored(store, questions["other"])

    erase(store, tmp_path)

    answered = stored(store, questions["answered"])
    assert answered.status == "answered"
    assert answered.asked_email.startswith("slettet-")
    assert answered.slack_channel == OLA_DM
    assert stored(store, questions["other"]) == other_before


def test_handover_is_audited_without_address(store, tmp_path, questions):
    erase(store, tmp_path)

    with store.session() as session:
        (event,) = session.exec(select(AuditEvent).where(AuditEvent.action == "person_erased")).all()
    assert event.data["questions_to_controllers"] == [questions["asked"], questions["escalated"]]
    assert not PERSON.search(json.dumps(event.data, ensure_ascii=False))
