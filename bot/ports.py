"""The two interfaces through which the core reaches people and the ERP.

The command line and the demo wire them to printing and file versions. The
Slack app and the ERP connectors will plug in the same way, so the core
never imports slack_bolt or an ERP client.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol, Sequence

from bot.records import ReportItem, Suggestion


@dataclass(frozen=True)
class VoucherLine:
    """One posting of a voucher; ``amount`` is in NOK, positive for debit, negative for credit."""

    account: str
    amount: Decimal
    description: str
    cost_center: str | None = None
    project: str | None = None
    tax_code: str | None = None


@dataclass(frozen=True)
class Voucher:
    """A balanced voucher for one allocated item.

    ``number`` is the idempotency key: a connector that receives the same
    number twice must not book it twice.
    """

    number: str
    date: date
    description: str
    reference: str
    lines: tuple[VoucherLine, ...]

    def balance(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0"))


class VoucherPoster(Protocol):
    """Posts vouchers to an accounting system."""

    name: str

    def post(self, vouchers: Sequence[Voucher]) -> list[str]:
        """Post all vouchers; return one external id per voucher, in order."""
        ...


@dataclass(frozen=True)
class QuestionRequest:
    """An item someone has to allocate or approve."""

    item_id: int
    item: ReportItem
    amount_nok: Decimal
    kind: str                         # "question" or "approval"
    person: str                       # email, or the controllers' placeholder
    suggestions: tuple[Suggestion, ...]
    reason: str = ""                  # why this person is asked: a catalog message id
    question_id: int | None = None    # the stored question row


class Asker(Protocol):
    """Sends questions and approval requests to people.

    ``ask`` is called after the questions are stored and committed, so an
    asker may read them from the store, and one that fails can send them
    on a later call.
    """

    def ask(self, questions: Sequence[QuestionRequest]) -> None:
        ...
