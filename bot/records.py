"""Records that cross between the stages of the flow.

Parsers produce these from attachments, reconciliation links them, the
classifier and the policy read them. They are plain frozen dataclasses, so
every stage can be tested without a database; the store keeps its own
tables and converts at its boundary.

Money is always `decimal.Decimal` and dates are `datetime.date`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

BOT_ACTOR = "allocbot"  # the actor of automatic decisions in the audit log


@dataclass(frozen=True)
class Allocation:
    """The booking target of one item, or of one split line of it."""

    cost_center: str
    project: str | None
    account: str
    tax_code: str

    def label(self) -> str:
        """Return a compact text form such as ``400/P-1042/6551/1``."""
        return f"{self.cost_center}/{self.project or '-'}/{self.account}/{self.tax_code}"


@dataclass(frozen=True)
class ReportItem:
    """One row of an Amazon Business order report: one item of one shipment.

    Order-level columns repeat on every row of an order in the real report;
    only the columns the flow uses are kept here. ``labels`` contains the
    allocation columns (``Cost Center``, ``Project Code``, ``GL Code``,
    ``Tax Code``) when the report carries them, as in labeled history.
    """

    source: str
    line: int
    order_id: str
    order_date: date
    currency: str
    title: str
    quantity: int
    unit_price: Decimal
    net_total: Decimal
    account_user: str | None = None
    account_user_email: str | None = None
    po_number: str | None = None
    payment_reference: str | None = None
    payment_date: date | None = None
    payment_amount: Decimal | None = None
    payment_instrument: str | None = None
    payment_last4: str | None = None
    shipment_date: date | None = None
    shipping_address: str | None = None
    product_category: str | None = None
    asin: str | None = None
    unspsc: str | None = None
    brand: str | None = None
    seller: str | None = None
    item_tax: Decimal | None = None
    labels: Allocation | None = None
    custom_fields: dict[str, str] = field(default_factory=dict)
    # Parts of ``net_total`` where the report gives them per item, in the
    # report's currency: price before shipping, shipping and handling,
    # discounts (negative) and the VAT rate in percent, such as 19 or 25.
    subtotal: Decimal | None = None
    shipping: Decimal | None = None
    promotion: Decimal | None = None
    vat_rate: Decimal | None = None
    # Order-level amounts, which some exports give only per order and repeat
    # on every row of it. Reconciliation spreads what the item totals lack
    # over the order's items in proportion.
    order_shipping: Decimal | None = None
    order_promotion: Decimal | None = None
    order_tax: Decimal | None = None
    order_net_total: Decimal | None = None
    order_status: str | None = None
    invoice_number: str | None = None
    # A returned or refunded row: the refund amount (positive) and its date.
    refund_amount: Decimal | None = None
    refund_date: date | None = None

    @property
    def key(self) -> str:
        """Identify the row across imports: order, charge, ASIN and row number."""
        return f"{self.order_id}:{self.payment_reference or '-'}:{self.asin or '-'}:{self.line}"


def occurrence_keys(items: Sequence[ReportItem]) -> list[str]:
    """Return a key per item of one report that overlapping reports share: order id, ASIN and occurrence number.

    The row number differs between two exports of overlapping periods, and
    the payment reference is missing from a report exported before Amazon
    charged the shipment, so neither is part of the key.
    """
    occurrences: Counter[str] = Counter()
    keys = []
    for item in items:
        identity = f"{item.order_id}:{item.asin or '-'}"
        occurrences[identity] += 1
        keys.append(f"{identity}:{occurrences[identity]}")
    return keys


@dataclass(frozen=True)
class CardCharge:
    """One line of a card statement.

    ``amount`` is in NOK and positive for a debit (a purchase) and negative
    for a credit (a refund or payment). ``original_amount`` and
    ``original_currency`` come from the statement's foreign-currency column
    when the purchase was not in NOK.
    """

    source: str
    line: int
    date: date
    description: str
    amount: Decimal
    original_amount: Decimal | None = None
    original_currency: str | None = None
    rate: Decimal | None = None
    # The posting date where the statement prints it besides the purchase date.
    booked_on: date | None = None
    # The card holder or card number (last digits) on statements that list several cards.
    card: str | None = None

    @property
    def is_purchase(self) -> bool:
        return self.amount > 0


@dataclass(frozen=True)
class Statement:
    """A parsed card statement: its purchase and credit lines, in file order.

    ``stated_total`` is the total the statement prints for the period's
    purchases, when it prints one; parsers check it against the lines.
    """

    source: str
    charges: tuple[CardCharge, ...]
    stated_total: Decimal | None = None
    # The layout the parser recognised, as users know it, such as "DNB Mastercard (XLSX)".
    layout: str = ""
    # The period the statement prints, else the first and last date of its lines.
    period_start: date | None = None
    period_end: date | None = None
    # Lines left out on purpose: reserved (pending) rows, which the bank
    # books later, and the previous balance and payments of the card account.
    pending: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class Reason:
    """A short, checkable reason behind a suggestion.

    ``template`` is an English message id from the catalogs with
    ``str.format`` placeholders; ``params`` fills them after translation.
    """

    template: str
    params: dict[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True)
class Suggestion:
    """One ranked suggestion of the classifier with its calibrated probability.

    ``raw_confidence`` is the score before calibration, which the
    calibration is fitted on; None where no calibration took place.
    """

    allocation: Allocation
    confidence: float
    reasons: tuple[Reason, ...] = ()
    source: str = "model"  # "memory", "rule", "model" or "cold_start"; "human" for an answer being routed
    raw_confidence: float | None = None
