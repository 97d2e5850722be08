"""Gather what a Slack message shows about questions from the store and master data, as cards.

Every message is rebuilt from here whenever it changes, so what Slack
shows never drifts from the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from bot.handlers.cards import Choice, ItemCard, Option, OptionCatalog, Outcome, Target
from bot.i18n import Translator
from bot.masterdata import MasterData
from bot.nlp.places import PlaceMatcher
from bot.policy import CONTROLLERS
from bot.records import Allocation
from bot.store.models import AllocationRow, AmazonItem, Question, SuggestionRow


class CardAssembler:
    """Build cards and option lists for one language and one set of master data."""

    def __init__(self, master: MasterData, translator: Translator) -> None:
        self.master = master
        self.translator = translator
        self.places = PlaceMatcher(master)

    def person_name(self, email: str | None) -> str:
        """Return the name master data gives an email, the email itself, or "the controllers"."""
        if not email or email == CONTROLLERS:
            return self.translator("the controllers")
        employee = self.master.employee(email)
        return employee.name if employee else email

    def target(self, allocation: Allocation, amount: Decimal | None = None, total: Decimal | None = None) -> Target:
        master = self.master
        cost_center = master.cost_centers.get(allocation.cost_center)
        project = master.projects.get(allocation.project) if allocation.project else None
        account = master.accounts.get(allocation.account)
        share = (amount * 100 / total).quantize(Decimal("0.01")) if amount is not None and total else None
        return Target(
            cost_center=allocation.cost_center, cost_center_name=cost_center.name if cost_center else "",
            project=allocation.project, project_name=project.name if project else None,
            account=allocation.account, account_name=account.name if account else "",
            tax_code=allocation.tax_code, amount_nok=amount, share=share,
        )

    def cards(self, session: Session, questions: Sequence[Question]) -> list[ItemCard]:
        return [self.card(session, question) for question in questions]

    def card(self, session: Session, question: Question) -> ItemCard:
        """Build the card of one question, with its outcome once the question is closed."""
        _ = self.translator
        item = session.exec(select(AmazonItem).where(AmazonItem.id == question.item_id)
                            .options(selectinload(AmazonItem.order))).one()
        amount_nok = item.amount_nok or Decimal(0)
        suggestions = session.exec(select(SuggestionRow).where(SuggestionRow.item_id == item.id)
                                   .order_by(col(SuggestionRow.rank))).all()
        allocation = session.exec(select(AllocationRow).where(AllocationRow.item_id == item.id)).first()

        choices = tuple(
            Choice(rank=row.rank,
                   target=self.target(self.master.with_default_tax_code(
                       Allocation(row.cost_center, row.project, row.account, row.tax_code))),
                   confidence=row.confidence,
                   reasons=tuple(_(reason["template"], **reason.get("params", {})) for reason in row.reasons[:3]))
            for row in _offered(suggestions[:3])
        )
        proposal: tuple[Target, ...] = ()
        if question.kind == "approval":
            if allocation is not None and allocation.status == "pending_approval":
                proposal = tuple(self.target(Allocation(line.cost_center, line.project, line.account, line.tax_code),
                                             line.amount, amount_nok) for line in allocation.lines)
            elif choices:
                proposal = (choices[0].target,)

        return ItemCard(
            question_id=question.id, kind=question.kind, item_id=item.id, title=item.title,
            quantity=item.quantity, amount_nok=amount_nok, amount_original=item.net_total,
            currency=item.currency, order_date=item.order.order_date, order_id=item.order.order_id,
            requester_name=self.person_name(item.requester_email),
            delivery_place=self._place(item.shipping_address), why=self._why(session, question, allocation),
            choices=choices, proposal=proposal,
            outcome=self._outcome(session, question, item, allocation, amount_nok),
            personal_data=item.personal_data or item.names_person,
        )

    def catalog(self, day: datetime | None = None) -> OptionCatalog:
        """Return the open cost centers, projects and accounts a person may pick."""
        today = (day or datetime.now(timezone.utc)).date()
        master = self.master
        return OptionCatalog(
            cost_centers=tuple(Option(f"cc:{code}", f"{code} {center.name}")
                               for code, center in sorted(master.cost_centers.items())
                               if center.active_on(today)),
            projects=tuple(Option(f"p:{code}", f"{code} {project.name}")
                           for code, project in sorted(master.projects.items())
                           if project.end is None or project.end >= today),
            accounts=tuple(Option(f"a:{number}", f"{number} {account.name}")
                           for number, account in sorted(master.accounts.items())),
        )

    # -- helpers ----------------------------------------------------------------

    def _place(self, address: str | None) -> str:
        if not address:
            return ""
        place = self.places.match(address)
        return place.label or address

    def _why(self, session: Session, question: Question, allocation: AllocationRow | None) -> str:
        """Translate why the person is asked; a rejection names the approver and their reason."""
        _ = self.translator
        if question.asked_email == CONTROLLERS:
            rejected = _rejected_approval(session, question)
            if rejected is not None:
                return _("Rejected by {name}: “{reason}”", name=self.person_name(rejected.answered_by),
                         reason=question.note)
        return _(question.note) if question.note else ""

    def _outcome(self, session: Session, question: Question, item: AmazonItem, allocation: AllocationRow | None,
                 amount_nok: Decimal) -> Outcome | None:
        if question.status == "open":
            return None
        answered_at = question.answered_at or datetime.now(timezone.utc)
        if question.kind == "approval":
            handover = _handover_after(session, question)
            if handover is not None:
                return Outcome("rejected", self.person_name(question.answered_by), answered_at, reason=handover.note)
        if allocation is None:
            return Outcome("decided", self.person_name(question.answered_by), answered_at)

        lines = tuple(self.target(Allocation(line.cost_center, line.project, line.account, line.tax_code),
                                  line.amount if len(allocation.lines) > 1 else None, amount_nok)
                      for line in allocation.lines)
        by = self.person_name(allocation.decided_by)
        if item.private_purchase:
            return Outcome("private", by, allocation.decided_at, lines)
        if allocation.status == "pending_approval":
            approval = _newest_question(session, item.id, kind="approval")
            return Outcome("pending_approval", by, allocation.decided_at, lines,
                           approver_name=self.person_name(approval.asked_email) if approval else None)
        if allocation.status == "rejected":
            handover = _newest_question(session, item.id, asked_email=CONTROLLERS)
            return Outcome("rejected", by, allocation.decided_at, lines, reason=handover.note if handover else "")
        status = "approved" if question.kind == "approval" else "decided"
        return Outcome(status, by, allocation.decided_at, lines)


def _newest_question(session: Session, item_id: int, *, kind: str | None = None,
                     asked_email: str | None = None) -> Question | None:
    statement = select(Question).where(Question.item_id == item_id).order_by(col(Question.id).desc())
    if kind is not None:
        statement = statement.where(Question.kind == kind)
    if asked_email is not None:
        statement = statement.where(Question.asked_email == asked_email)
    return session.exec(statement).first()


def _handover_after(session: Session, approval: Question) -> Question | None:
    """Return the question to the controllers that a rejection of ``approval`` opened, or None."""
    statement = (select(Question)
                 .where(Question.item_id == approval.item_id, Question.asked_email == CONTROLLERS,
                        col(Question.id) > approval.id)
                 .order_by(col(Question.id)))
    return session.exec(statement).first()


def _rejected_approval(session: Session, handover: Question) -> Question | None:
    """Return the rejected approval request that handed ``handover`` to the controllers, or None."""
    statement = (select(Question)
                 .where(Question.item_id == handover.item_id, Question.kind == "approval",
                        Question.status == "answered", col(Question.id) < handover.id)
                 .order_by(col(Question.id).desc()))
    approval = session.exec(statement).first()
    if approval is None:
        return None
    following = _handover_after(session, approval)
    return approval if following is not None and following.id == handover.id else None


# A suggestion below this confidence would show as "0 %"; only the best one is offered that low.
MIN_OFFERED_CONFIDENCE = 0.01


def _offered(suggestions: Sequence[SuggestionRow]) -> list[SuggestionRow]:
    """Return the suggestions worth a button: the best one, and others that are likely and look different.

    Buttons show cost center, project and account but no VAT code, so a
    suggestion that differs from a better one only in its VAT code would
    look like a second copy of it.
    """
    offered: list[SuggestionRow] = []
    seen: set[tuple[str, str | None, str]] = set()
    for row in suggestions:
        shown = (row.cost_center, row.project, row.account)
        if offered and (row.confidence < MIN_OFFERED_CONFIDENCE or shown in seen):
            continue
        offered.append(row)
        seen.add(shown)
    return offered
