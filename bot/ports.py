"""The interfaces through which the core reaches people and the ERP.

The command line and the demo wire them to printing and file versions, and
``service.py`` and ``connectors.build_poster`` to the Slack app and the ERP
connectors, so the core never imports slack_bolt or an ERP client.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Protocol, Sequence

from bot.records import ReportItem, Suggestion


@dataclass(frozen=True)
class VoucherLine:
    """One posting of a voucher.

    ``amount`` is the gross amount in the company currency (VAT included),
    positive for debit and negative for credit. ``vat_rate`` is the percent
    that ``tax_code`` stands for in the master data, for connectors that
    split the VAT off themselves. ``clearing`` marks the balancing line on
    the card's clearing account; DATEV, which books account against
    counter-account, folds it into the other lines.
    """

    account: str
    amount: Decimal
    description: str
    cost_center: str | None = None
    project: str | None = None
    tax_code: str | None = None
    vat_rate: Decimal | None = None
    clearing: bool = False


@dataclass(frozen=True)
class Voucher:
    """A balanced voucher: the allocations of one statement, or of one item.

    ``number`` is the idempotency key. It is stored before the voucher is
    sent and sent along where the ERP takes an external voucher number, so
    a connector that receives it twice can find the first booking.
    ``period_start`` and ``period_end`` bound the statement's period, and
    ``attachments`` are the statement files an ERP may attach.
    """

    number: str
    date: date
    description: str
    reference: str
    lines: tuple[VoucherLine, ...]
    period_start: date | None = None
    period_end: date | None = None
    attachments: tuple[Path, ...] = ()
    currency: str = "NOK"

    def balance(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0"))


@dataclass(frozen=True)
class Posted:
    """A voucher the ERP booked, with the ERP's own id or file reference for it.

    ``note`` is a message for the controllers about a part that failed
    after the booking, such as an attachment the ERP did not accept.
    """

    number: str
    external_id: str
    note: str = ""


@dataclass(frozen=True)
class Rejected:
    """A voucher the ERP refused, with the ERP's own message.

    ``status`` is the HTTP status where there is one, and ``field`` the
    field the ERP named, such as ``postings[2].account``.
    """

    number: str
    message: str
    status: int | None = None
    field: str | None = None


class ErpUnavailable(Exception):
    """The ERP could not be reached, timed out or failed (5xx) after every retry.

    Whether the voucher being sent was booked is unknown, so its number
    must be looked up with ``find`` before it is sent again. ``done``
    contains the outcomes of the vouchers sent before it.
    """

    def __init__(self, connector: str, reason: str, done: Sequence[Posted | Rejected] = ()):
        self.connector = connector
        self.reason = reason
        self.done = list(done)
        super().__init__(f"{connector}: {reason}")


class VoucherPoster(Protocol):
    """Posts vouchers to an accounting system or writes them to files."""

    name: str

    def post(self, vouchers: Sequence[Voucher]) -> list[Posted | Rejected]:
        """Post the vouchers in order and return one outcome per voucher, in order.

        A voucher the ERP refuses (a 4xx) yields Rejected and the rest go
        on. Raises ErpUnavailable when the ERP stays unreachable.
        """
        ...

    def find(self, numbers: Sequence[str]) -> dict[str, str]:
        """Return the external id of each of these voucher numbers that the ERP has booked already."""
        ...


ERP_CODE_KINDS = ("account", "cost_center", "project", "vat_code")


@dataclass(frozen=True)
class ErpCode:
    """An entry of one of the ERP's lists: an account, cost center, project or VAT code.

    ``kind`` is one of ERP_CODE_KINDS, ``code`` the number people use
    (account 6800, VAT code 1), and ``external_id`` the ERP's internal id
    where it has one. ``rate`` is a VAT code's percent.
    """

    kind: str
    code: str
    name: str
    active: bool = True
    external_id: str | None = None
    rate: Decimal | None = None


class MasterDataSource(Protocol):
    """An ERP whose API lists its accounts, cost centers, projects and VAT codes."""

    def master_lists(self) -> list[ErpCode]:
        """Return every entry of the four lists, inactive ones included."""
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
