"""What a Slack message or view shows about items, gathered from the store before any block is built.

The builders in ``messages``, ``modals``, ``overview`` and ``options``
turn these values into Block Kit JSON and read nothing else, so a message
can be rebuilt at any time from the store (after an answer, a reminder or
a restart) and tested without Slack. Texts here are already translated, except where a field
says it holds a catalog message id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

QuestionKind = Literal["question", "approval"]
OutcomeStatus = Literal["decided", "approved", "pending_approval", "rejected", "private"]


@dataclass(frozen=True)
class Target:
    """One booking target shown to a person, with the names that make its codes readable.

    ``amount_nok`` and ``share`` (percent) are set for the lines of a split.
    """

    cost_center: str
    cost_center_name: str
    project: str | None
    project_name: str | None
    account: str
    account_name: str
    tax_code: str
    amount_nok: Decimal | None = None
    share: Decimal | None = None


@dataclass(frozen=True)
class Choice:
    """A suggestion offered as a button; ``rank`` 1 is the model's best."""

    rank: int
    target: Target
    confidence: float
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What was decided about an item, shown in place of its buttons.

    ``approver_name`` is set while the decision waits for approval;
    ``reason`` is the text an approver gave for a rejection.
    """

    status: OutcomeStatus
    by_name: str
    at: datetime
    lines: tuple[Target, ...] = ()
    approver_name: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class ItemCard:
    """One item as a question or an approval request shows it.

    ``question_id`` is what every button carries: the handlers load the rest
    from the store. ``proposal`` is what an approver approves: the pending
    decision, or the model's top suggestion when nobody answered before.
    ``why`` says why this person is asked (translated). ``outcome`` is None
    while the question is open. ``personal_data`` marks a private purchase
    or a title that names a person.
    """

    question_id: int
    kind: QuestionKind
    item_id: int
    title: str
    quantity: int
    amount_nok: Decimal
    amount_original: Decimal
    currency: str
    order_date: date
    order_id: str
    requester_name: str
    delivery_place: str
    why: str
    choices: tuple[Choice, ...] = ()
    proposal: tuple[Target, ...] = ()
    outcome: Outcome | None = None
    personal_data: bool = False


@dataclass(frozen=True)
class Option:
    """One entry of a select: ``value`` is ``cc:<code>``, ``p:<code>`` or ``a:<number>``.

    ``label`` is all the person sees, so it starts with the code ("400 IT").
    """

    value: str
    label: str


@dataclass(frozen=True)
class OptionCatalog:
    """Everything a person may pick instead of a suggestion, grouped by kind."""

    cost_centers: tuple[Option, ...] = ()
    projects: tuple[Option, ...] = ()
    accounts: tuple[Option, ...] = ()

    def size(self) -> int:
        return len(self.cost_centers) + len(self.projects) + len(self.accounts)


@dataclass(frozen=True)
class OpenEntry:
    """One open question in a status overview: whose it is and how long it has waited."""

    asked_name: str
    card: ItemCard
    age_hours: float
    permalink: str | None = None


@dataclass(frozen=True)
class Overview:
    """A person's open questions, or everyone's for a controller (``everyone`` True)."""

    viewer_name: str
    everyone: bool
    entries: tuple[OpenEntry, ...] = field(default_factory=tuple)
