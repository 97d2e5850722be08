"""What people decide about an item, as the Slack app (or any other front end) submits it.

Each method takes the id of the question the person acted on, checks that
the question is still open, writes the decision, closes the question and
audits it in one transaction, and then teaches the classifier. The item's
state is claimed by one conditional UPDATE in the store, so two clicks at
once cannot both decide: the loser gets AlreadyDecided or QuestionClosed,
each naming who decided and when.

A lock serialises the decisions of one process: the classifier's memory is
not thread-safe, and SQLite answers a second writer in the middle of a
transaction with "database is locked" instead of waiting.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Callable, Sequence

from sqlmodel import Session, col, select

from bot.policy import CONTROLLERS, approver_for, route
from bot.records import Allocation, ReportItem, Suggestion
from bot.store import queries
from bot.store.models import AllocationRow, AmazonItem, Question, SuggestionRow
from bot.store.questions import close_questions, get_question
from bot.store.repository import AlreadyDecided, add_question, audit, decide, reject

if TYPE_CHECKING:
    from bot.pipeline import Pipeline

log = logging.getLogger(__name__)

Lines = Sequence[tuple[Allocation, Decimal]]

# An answer to a question may not overtake a decision that awaits approval.
_UNDECIDED = ("new", "suggested", "asked")


class QuestionClosed(Exception):
    """The question was answered or withdrawn before this request."""

    def __init__(self, question_id: int, answered_by: str | None, answered_at: datetime | None) -> None:
        super().__init__(f"question {question_id} is closed: answered by {answered_by} at {answered_at}")
        self.question_id = question_id
        self.answered_by = answered_by
        self.answered_at = answered_at


class OwnPurchase(Exception):
    """An approver tried to approve, reject or change their own purchase."""

    def __init__(self, question_id: int, person: str) -> None:
        super().__init__(f"{person} may not approve their own purchase (question {question_id})")
        self.question_id = question_id
        self.person = person


@dataclass(frozen=True)
class Result:
    """What a decision led to.

    ``status`` is "decided" (booked as answered), "pending_approval" (waits
    for ``approver``), "approved", "rejected" (sent to the controllers) or
    "private".
    """

    item_id: int
    status: str
    person: str
    approver: str | None = None
    new_question_id: int | None = None


class Decisions:
    """Questions answered and approvals given; see the module docstring."""

    def __init__(self, pipeline: Pipeline, controllers: Sequence[str] = ()) -> None:
        self.pipeline = pipeline
        self.controllers = {email.lower() for email in controllers} | {
            employee.email.lower() for employee in pipeline.master.employees.values()
            if employee.role == "controller"
        }
        self.lock = threading.Lock()

    def is_controller(self, email: str) -> bool:
        return email.lower() in self.controllers

    # -- answers to questions ---------------------------------------------------

    def answer(self, question_id: int, lines: Lines | Allocation, person: str) -> Result:
        """Book a person's answer: one allocation for the whole amount, or split lines.

        The answer goes through the policy again, because the person may
        have chosen a gift, representation or fixed-asset account; such an
        answer waits for approval and is learned only once approved. A
        controller's answer is final unless the purchase is their own.
        """
        master = self.pipeline.master
        with self.lock:
            with self.pipeline.store.session() as session:
                question = self._open_question(session, question_id, kind="question")
                item_id = question.item_id
                item, amount_nok = self._item(session, item_id)
                if isinstance(lines, Allocation):
                    lines = [(lines, amount_nok)]
                lines = [(master.with_default_tax_code(allocation), amount) for allocation, amount in lines]
                approval = None if self._final(person, item) else self._approval_needed(item, amount_nok, lines)

                if approval is not None:
                    approver, reason = approval
                    decide(session, item_id, lines, decided_by=person, source="human", status="pending_approval",
                           from_states=_UNDECIDED)
                    close_questions(session, item_id, person, kind="question")
                    new = add_question(session, item_id, kind="approval", asked_email=approver, note=reason)
                    self._audit(session, person, "answer_needs_approval", question_id, item_id, lines,
                                approver=approver, reason=reason)
                    result = Result(item_id, "pending_approval", person, approver=approver, new_question_id=new.id)
                else:
                    decide(session, item_id, lines, decided_by=person, source="human", from_states=_UNDECIDED)
                    close_questions(session, item_id, person)
                    queries.add_example(session, item_id, _main_line(lines), source="human")
                    self._audit(session, person, "question_answered", question_id, item_id, lines)
                    result = Result(item_id, "decided", person)

            # After the commit, because a retrain writes to the store in sessions of its own.
            if result.status == "decided":
                self.pipeline.learn_answer(item_id, item, _main_line(lines))
        log.info("question %s answered: item %s %s", question_id, result.item_id, result.status)
        return result

    def mark_private(self, question_id: int, person: str) -> Result:
        """Book an item as the employee's private purchase, to be repaid, and flag it as personal data.

        A private purchase is not learned: it says something about one
        person, not about where such items belong.
        """
        policy = self.pipeline.settings.policy
        with self.lock, self.pipeline.store.session() as session:
            question = self._open_question(session, question_id, kind="question")
            item, amount_nok = self._item(session, question.item_id)
            requester = self.pipeline.master.employee(item.account_user_email)
            if requester is not None:
                cost_center = requester.cost_center
            else:
                cost_center = self._top_allocation(session, question.item_id).cost_center
            allocation = Allocation(cost_center, None, policy.private_account, policy.private_tax_code)

            decide(session, question.item_id, [(allocation, amount_nok)], decided_by=person, source="human",
                   from_states=_UNDECIDED)
            row = session.get(AmazonItem, question.item_id)
            row.private_purchase = True
            row.personal_data = True
            close_questions(session, question.item_id, person)
            self._audit(session, person, "marked_private", question_id, question.item_id,
                        [(allocation, amount_nok)], personal_data=True)
        log.info("question %s: item %s marked as private purchase", question_id, question.item_id)
        return Result(question.item_id, "private", person)

    # -- approvals ----------------------------------------------------------------

    def approve(self, question_id: int, approver: str) -> Result:
        """Approve the pending decision, or the top suggestion when nobody answered before."""
        return self._approve(question_id, approver, "approved",
                             lambda session, item_id, amount_nok: self.proposal(session, item_id, amount_nok))

    def change(self, question_id: int, lines: Lines | Allocation, approver: str) -> Result:
        """Approve with another allocation that the approver chose."""
        master = self.pipeline.master

        def chosen(session: Session, item_id: int, amount_nok: Decimal) -> list[tuple[Allocation, Decimal]]:
            given = [(lines, amount_nok)] if isinstance(lines, Allocation) else lines
            return [(master.with_default_tax_code(allocation), amount) for allocation, amount in given]

        return self._approve(question_id, approver, "approved_with_change", chosen)

    def _approve(self, question_id: int, approver: str, action: str,
                 lines_for: Callable[[Session, int, Decimal], list[tuple[Allocation, Decimal]]]) -> Result:
        """Book the lines that ``lines_for`` returns as approved by ``approver``, and learn them."""
        with self.lock:
            with self.pipeline.store.session() as session:
                question = self._open_question(session, question_id, kind="approval")
                item, amount_nok = self._item(session, question.item_id)
                self._check_not_own(question_id, approver, item)
                lines = lines_for(session, question.item_id, amount_nok)

                decide(session, question.item_id, lines, decided_by=approver, source="human",
                       from_states=("awaiting_approval",))
                close_questions(session, question.item_id, approver)
                queries.add_example(session, question.item_id, _main_line(lines), source="human")
                self._audit(session, approver, action, question_id, question.item_id, lines)
            self.pipeline.learn_answer(question.item_id, item, _main_line(lines))
        log.info("question %s: item %s %s", question_id, question.item_id, action.replace("_", " "))
        return Result(question.item_id, "approved", approver)

    def reject(self, question_id: int, approver: str, reason: str) -> Result:
        """Reject an item awaiting approval; the controllers are asked to decide it, with the reason."""
        reason = reason.strip()
        if not reason:
            raise ValueError("a rejection needs a reason")
        with self.lock, self.pipeline.store.session() as session:
            question = self._open_question(session, question_id, kind="approval")
            item, _ = self._item(session, question.item_id)
            self._check_not_own(question_id, approver, item)

            reject(session, question.item_id, rejected_by=approver)
            close_questions(session, question.item_id, approver)
            new = add_question(session, question.item_id, kind="question", asked_email=CONTROLLERS, note=reason)
            audit(session, actor=approver, action="rejected", subject_type="item", subject_id=str(question.item_id),
                  model_version=self.pipeline.classifier.version,
                  data={"question": question_id, "reason": reason, "asked_next": new.id})
        log.info("question %s: item %s rejected", question_id, question.item_id)
        return Result(question.item_id, "rejected", approver, new_question_id=new.id)

    # -- reading ------------------------------------------------------------------

    def proposal(self, session: Session, item_id: int, amount_nok: Decimal) -> list[tuple[Allocation, Decimal]]:
        """Return what an approval approves: the pending decision's lines, else the top suggestion."""
        allocation = session.exec(select(AllocationRow).where(AllocationRow.item_id == item_id)).first()
        if allocation is not None and allocation.status == "pending_approval":
            return [(Allocation(line.cost_center, line.project, line.account, line.tax_code), line.amount)
                    for line in allocation.lines]
        return [(self._top_allocation(session, item_id), amount_nok)]

    # -- helpers ------------------------------------------------------------------

    def _open_question(self, session: Session, question_id: int, kind: str | None = None) -> Question:
        question = get_question(session, question_id)
        if question is None:
            raise LookupError(f"question {question_id} not found")
        if kind is not None and question.kind != kind:
            raise ValueError(f"question {question_id} is a {question.kind}, not a {kind}")
        if question.status != "open":
            allocation = session.exec(select(AllocationRow).where(AllocationRow.item_id == question.item_id)).first()
            if allocation is not None and allocation.status != "rejected":
                raise AlreadyDecided(question.item_id, "decided", allocation.decided_by, allocation.decided_at)
            raise QuestionClosed(question_id, question.answered_by, question.answered_at)
        return question

    def _item(self, session: Session, item_id: int) -> tuple[ReportItem, Decimal]:
        found = queries.report_item(session, item_id)
        if found is None or found[1] is None:
            raise LookupError(f"amazon item {item_id} not found or not linked to a card charge")
        return found

    def _top_allocation(self, session: Session, item_id: int) -> Allocation:
        top = session.exec(select(SuggestionRow).where(SuggestionRow.item_id == item_id)
                           .order_by(col(SuggestionRow.rank))).first()
        if top is None:
            raise LookupError(f"amazon item {item_id} has no suggestion to approve")
        return self.pipeline.master.with_default_tax_code(
            Allocation(top.cost_center, top.project, top.account, top.tax_code))

    def _final(self, person: str, item: ReportItem) -> bool:
        """Return whether a person's answer needs no approval: a controller's, unless it is their own purchase."""
        own = (item.account_user_email or "").lower() == person.lower()
        return self.is_controller(person) and not own

    def _approval_needed(self, item: ReportItem, amount_nok: Decimal, lines: Lines) -> tuple[str, str] | None:
        """Return (approver, reason) when any line of an answer needs approval, else None."""
        settings = self.pipeline.settings
        for allocation, _ in lines:
            chosen = Suggestion(allocation, confidence=1.0, source="human")
            decision = route(item, amount_nok, chosen, self.pipeline.master, settings.policy, threshold=0.0)
            if decision.action == "approve":
                return approver_for(item.account_user_email, self.pipeline.master, settings.policy), decision.reason
        return None

    def _check_not_own(self, question_id: int, person: str, item: ReportItem) -> None:
        if (item.account_user_email or "").lower() == person.lower():
            raise OwnPurchase(question_id, person)

    def _audit(self, session: Session, person: str, action: str, question_id: int, item_id: int, lines: Lines,
               **data) -> None:
        """Audit a decision by ``person``, with whether it is the top suggestion the person was shown."""
        top = session.exec(select(SuggestionRow).where(SuggestionRow.item_id == item_id)
                           .order_by(col(SuggestionRow.rank))).first()
        top_label = None
        if top is not None:
            top_allocation = Allocation(top.cost_center, top.project, top.account, top.tax_code)
            top_label = self.pipeline.master.with_default_tax_code(top_allocation).label()
        labels = [allocation.label() for allocation, _ in lines]

        audit(session, actor=person, action=action, subject_type="item", subject_id=str(item_id),
              model_version=self.pipeline.classifier.version,
              data={"question": question_id, "top_suggestion": labels == [top_label],
                    "lines": [{"allocation": allocation.label(), "amount_nok": str(amount)}
                              for allocation, amount in lines], **data})


def _main_line(lines: Lines) -> Allocation:
    """Return the allocation of the largest line, which a split teaches the classifier."""
    return max(lines, key=lambda line: line[1])[0]
