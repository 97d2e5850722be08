"""Tables of the store, as sqlmodel classes.

The schema is created and changed only by the alembic migrations under
``bot/store/migrations``, and a test checks that they build exactly these tables.
Money columns are NOK or the report's currency as exact decimals with two
decimal places (``MONEY``), and every timestamp is an aware UTC datetime.
Cost centers, projects, accounts and VAT codes on suggestions and
allocations are plain codes, not foreign keys, so a booked allocation keeps
its codes when the master data later changes.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, MetaData, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, Relationship, SQLModel

from bot.ports import ERP_CODE_KINDS
from bot.store.types import ExactDecimal, UtcDateTime

MONEY = ExactDecimal(18, 2)

# Currency rates as banks print them, such as 10.8523 NOK per EUR.
RATE = ExactDecimal(18, 8)

DOCUMENT_KINDS = ("order_report", "statement", "email")
ITEM_STATES = ("new", "suggested", "asked", "awaiting_approval", "decided", "posted", "duplicate")
# The origins of an item: a row of an Amazon report or invoice, a card line of
# another merchant (booked as one item), or a credit that pays an earlier item back.
ITEM_ORIGINS = ("amazon", "card", "refund")
ALLOCATION_SOURCES = ("auto", "human", "rule", "history")
ALLOCATION_STATUSES = ("approved", "pending_approval", "rejected")
TRAINING_SOURCES = ("history", "human")
QUESTION_KINDS = ("question", "approval")
QUESTION_STATUSES = ("open", "answered", "expired")
VOUCHER_STATUSES = ("sending", "posted", "rejected")
VOUCHER_GROUPINGS = ("statement", "item")
POSTING_STATUSES = ("sending", "posted", "rejected")

# Fixed constraint names, so that later migrations can drop or alter them
# by name, also in SQLite's batch mode.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=column)


class StoreModel(SQLModel, registry=registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))):
    """Base of the store's tables, with a metadata of their own.

    The store's own metadata keeps the migrations and the schema test
    independent of any other sqlmodel table that gets imported.
    """


# --- master data snapshot ----------------------------------------------------
#
# Mirrors bot.masterdata. Entries that disappear from the master data stay
# with active = False, because earlier decisions still name them.


class CostCenterRow(StoreModel, table=True):
    __tablename__ = "cost_center"

    code: str = Field(primary_key=True)
    name: str
    description: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    active: bool = True


class ProjectRow(StoreModel, table=True):
    __tablename__ = "project"

    code: str = Field(primary_key=True)
    name: str
    lead: str
    cost_center: str | None = None
    customer: str | None = None
    sites: list[str] = Field(default_factory=list, sa_type=JSON)
    start: dt.date | None = None
    end: dt.date | None = None
    active: bool = True


class AccountRow(StoreModel, table=True):
    __tablename__ = "account"

    number: str = Field(primary_key=True)
    name: str
    default_tax_code: str | None = None
    description: str = ""
    active: bool = True


class TaxCodeRow(StoreModel, table=True):
    __tablename__ = "tax_code"

    code: str = Field(primary_key=True)
    name: str
    rate: Decimal = Field(sa_type=ExactDecimal(5, 2))  # percent, such as 25.00
    active: bool = True


class EmployeeRow(StoreModel, table=True):
    __tablename__ = "employee"

    email: str = Field(primary_key=True)
    name: str
    cost_center: str
    role: str
    manager: str | None = None
    active: bool = True


class EventRow(StoreModel, table=True):
    """A company event. The master data gives events no key, so a sync replaces them all."""

    __tablename__ = "event"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    start: dt.date
    end: dt.date
    location: str
    cost_center: str | None = None
    project: str | None = None


class LocationRow(StoreModel, table=True):
    """A known delivery address. Like events, locations are replaced as a whole by each sync."""

    __tablename__ = "location"

    id: int | None = Field(default=None, primary_key=True)
    label: str
    address: str
    kind: str
    project: str | None = None


# --- documents and what was read from them -----------------------------------


class Document(StoreModel, table=True):
    """A received file. Its unique SHA-256 makes sure the same file is read once."""

    __tablename__ = "document"
    __table_args__ = (_one_of("kind", DOCUMENT_KINDS),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str
    filename: str
    sha256: str = Field(unique=True)
    message_id: str | None = Field(default=None, index=True)
    sender: str | None = None
    received_at: dt.datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    status: str = "received"
    # Where the file was read from, so a voucher can attach the statement; None for files stored before.
    path: str | None = None
    # The period a card statement prints, where it prints one.
    period_start: dt.date | None = None
    period_end: dt.date | None = None


class CardTransaction(StoreModel, table=True):
    """One line of a card statement, with ``amount`` in NOK and positive for a purchase.

    ``fingerprint`` identifies the line across files: booking date, amount,
    the description without case, spaces or punctuation, and the occurrence
    number of that combination within its statement. The same statement sent
    as CSV and as PDF therefore yields the same fingerprints.
    """

    __tablename__ = "card_transaction"

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    line: int
    date: dt.date
    description: str
    amount: Decimal = Field(sa_type=MONEY)
    original_amount: Decimal | None = Field(default=None, sa_type=MONEY)
    original_currency: str | None = None
    rate: Decimal | None = Field(default=None, sa_type=RATE)
    booked_on: dt.date | None = None
    card: str | None = None
    fingerprint: str = Field(unique=True)


class AmazonOrder(StoreModel, table=True):
    """An Amazon order, or the stand-in order of a card line from another merchant.

    A stand-in order has the order id ``card-<card transaction id>``, so
    that every item has an order. The order-level amounts are in
    ``currency``, from the latest report that gives them.
    """

    __tablename__ = "amazon_order"

    id: int | None = Field(default=None, primary_key=True)
    order_id: str = Field(unique=True)
    order_date: dt.date
    currency: str
    requester_email: str | None = None
    po_number: str | None = None
    shipping: Decimal | None = Field(default=None, sa_type=MONEY)
    promotion: Decimal | None = Field(default=None, sa_type=MONEY)
    tax: Decimal | None = Field(default=None, sa_type=MONEY)
    net_total: Decimal | None = Field(default=None, sa_type=MONEY)
    status: str | None = None

    items: list["AmazonItem"] = Relationship(back_populates="order")


class AmazonItem(StoreModel, table=True):
    """One item of one shipment of an Amazon Business order, and its progress.

    ``unit_price``, ``net_total`` and ``item_tax`` are in ``currency``.
    ``amount_nok`` is the item's share of the card charge in NOK. It is set
    by reconciliation, and every decision splits exactly this amount.
    ``item_key`` is the order id, ASIN and the occurrence number of that
    pair within its report, so a report that is sent again, or overlaps an
    earlier one, adds no item twice. Items of another ``origin`` have keys
    of their own: ``card:<transaction id>`` and
    ``refund:<transaction id>:<item id>``. A refund item has a negative
    ``amount_nok`` and names the item it pays back in ``refund_of_id``.
    """

    __tablename__ = "amazon_item"
    __table_args__ = (_one_of("state", ITEM_STATES), _one_of("origin", ITEM_ORIGINS))

    id: int | None = Field(default=None, primary_key=True)
    origin: str = "amazon"
    refund_of_id: int | None = Field(default=None, foreign_key="amazon_item.id", index=True)
    amazon_order_id: int = Field(foreign_key="amazon_order.id", index=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    item_key: str = Field(unique=True)
    line: int
    title: str
    quantity: int
    unit_price: Decimal = Field(sa_type=MONEY)
    net_total: Decimal = Field(sa_type=MONEY)
    item_tax: Decimal | None = Field(default=None, sa_type=MONEY)
    currency: str
    amount_nok: Decimal | None = Field(default=None, sa_type=MONEY)
    card_transaction_id: int | None = Field(default=None, foreign_key="card_transaction.id", index=True)
    asin: str | None = None
    unspsc: str | None = None
    category: str | None = None
    brand: str | None = None
    seller: str | None = None
    shipping_address: str | None = None
    payment_reference: str | None = Field(default=None, index=True)
    payment_date: dt.date | None = None
    payment_amount: Decimal | None = Field(default=None, sa_type=MONEY)
    payment_instrument: str | None = None
    shipment_date: dt.date | None = None
    # Parts of net_total where the report gives them per item; vat_rate is in percent.
    subtotal: Decimal | None = Field(default=None, sa_type=MONEY)
    shipping: Decimal | None = Field(default=None, sa_type=MONEY)
    promotion: Decimal | None = Field(default=None, sa_type=MONEY)
    vat_rate: Decimal | None = Field(default=None, sa_type=ExactDecimal(5, 2))
    invoice_number: str | None = None
    # The refund the report gives for the row, as a positive amount, and its date.
    refund_amount: Decimal | None = Field(default=None, sa_type=MONEY)
    refund_date: dt.date | None = None
    requester_email: str | None = Field(default=None, index=True)
    custom_fields: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    state: str = Field(default="new", index=True)
    # Bought for the employee personally: booked on a receivable that the employee repays.
    private_purchase: bool = False
    # The item tells something about a person (a private purchase), so exports and
    # retention must treat it as personal data.
    personal_data: bool = False
    # The title names a person (an employee or a first name), such as a gift for a colleague.
    names_person: bool = False

    order: AmazonOrder = Relationship(back_populates="items")


# --- suggestions, decisions, questions and postings --------------------------


class SuggestionRow(StoreModel, table=True):
    """One ranked suggestion (rank 1 is the best) for an item.

    ``reasons`` is a list of ``{"template": ..., "params": {...}}`` objects,
    the ``bot.records.Reason`` values behind the suggestion.
    """

    __tablename__ = "suggestion"
    __table_args__ = (UniqueConstraint("item_id", "rank"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="amazon_item.id", index=True)
    rank: int
    cost_center: str
    project: str | None = None
    account: str
    tax_code: str
    confidence: float  # a probability between 0 and 1, not money
    source: str
    reasons: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    model_version: str
    created_at: dt.datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


class AllocationRow(StoreModel, table=True):
    """The decision for one item, whose lines split the item's ``amount_nok``."""

    __tablename__ = "allocation"
    __table_args__ = (_one_of("source", ALLOCATION_SOURCES), _one_of("status", ALLOCATION_STATUSES))

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="amazon_item.id", unique=True)
    source: str
    decided_by: str
    decided_at: dt.datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    status: str

    item: AmazonItem = Relationship()
    lines: list["AllocationLine"] = Relationship(
        back_populates="allocation",
        cascade_delete=True,
        sa_relationship_kwargs={"order_by": "AllocationLine.position"},
    )


class AllocationLine(StoreModel, table=True):
    """One split line of a decision, with ``amount`` in NOK."""

    __tablename__ = "allocation_line"
    __table_args__ = (UniqueConstraint("allocation_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    allocation_id: int = Field(foreign_key="allocation.id", index=True, ondelete="CASCADE")
    position: int
    cost_center: str
    project: str | None = None
    account: str
    tax_code: str
    amount: Decimal = Field(sa_type=MONEY)

    allocation: AllocationRow = Relationship(back_populates="lines")


class Question(StoreModel, table=True):
    """A question to a person about an item, or a request for a manager's approval.

    ``note`` says why the person is asked: a catalog message id from the
    policy, or the reason an approver gave for a rejection. The Slack
    columns name the message that shows the question (``slack_channel``
    and ``slack_ts``) and, after an escalation, the second message that
    shows it to the manager or the controllers. ``delivery_key`` is written
    before the message is sent and travels in the message's metadata, so
    that after a crash between sending and storing the ts the message is
    found again instead of sent twice.
    """

    __tablename__ = "question"
    __table_args__ = (_one_of("kind", QUESTION_KINDS), _one_of("status", QUESTION_STATUSES))

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="amazon_item.id", index=True)
    kind: str
    asked_email: str
    note: str = ""
    status: str = Field(default="open", index=True)
    created_at: dt.datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    answered_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    answered_by: str | None = None
    delivery_key: str | None = Field(default=None, index=True)
    slack_channel: str | None = None
    slack_ts: str | None = None
    sent_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    reminded_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    escalated_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    escalated_to: str | None = None
    escalation_channel: str | None = None
    escalation_ts: str | None = None


class SlackUser(StoreModel, table=True):
    """A cached ``users.lookupByEmail`` result; ``user_id`` is None when Slack has nobody with that email."""

    __tablename__ = "slack_user"

    email: str = Field(primary_key=True)
    user_id: str | None = Field(default=None, index=True)
    name: str = ""
    looked_up_at: dt.datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


class SlackRequest(StoreModel, table=True):
    """An inbound Slack request already handled, so a replay or a retried delivery does nothing twice.

    ``key`` is Slack's ``event_id`` for events, and for interactions the
    acting user, the action and its ``action_ts`` (or the view id).
    """

    __tablename__ = "slack_request"

    key: str = Field(primary_key=True)
    received_at: dt.datetime = Field(default_factory=utc_now, sa_type=UtcDateTime, index=True)


class InstallationRow(StoreModel, table=True):
    """The store's one row: the random tag that sets its voucher numbers apart from every other store's.

    Migration 0007 creates the row. A demo database, a reinstall or a
    second company database that posts to the same ERP company gets a tag
    of its own, so its voucher numbers differ. A restored backup keeps the
    tag of the store it was taken from.
    """

    __tablename__ = "installation"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: int = Field(default=1, primary_key=True)
    tag: str
    created_at: dt.datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


class VoucherRow(StoreModel, table=True):
    """A voucher of a posting run, stored before it is sent so that a retry books it once.

    ``number`` is the voucher's idempotency key: "AB", the installation
    tag and the id in seven digits, such as ABK7QM0000123. Vouchers posted
    before the table existed keep their old numbers ("AB" and seven
    digits). ``payload`` is the voucher as sent (see
    ``bot.posting.payload``), so a retry sends exactly the same content.
    It is None for those old vouchers. ``status`` is "sending" from the
    claim until the ERP's outcome is stored. A voucher still "sending" is
    looked up in the ERP before it is sent again. ``attempts`` counts the
    times it was handed to the connector. ``error`` is the ERP's message
    for a rejected voucher, or who abandoned it and when, and ``note`` what
    the ERP did not take of a posted one, such as its attachment. On SQLite the table uses
    AUTOINCREMENT, as a PostgreSQL sequence does, so that migration 0007
    can start the ids above the old numbers and a deleted row's id is not
    handed out again.
    """

    __tablename__ = "voucher"
    __table_args__ = (_one_of("status", VOUCHER_STATUSES), _one_of("grouping", VOUCHER_GROUPINGS),
                      {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    connector: str
    grouping: str
    # The card statement of a statement voucher; None for a voucher of one item.
    document_id: int | None = Field(default=None, foreign_key="document.id", index=True)
    date: dt.date
    status: str = Field(default="sending", index=True)
    external_id: str | None = None
    error: str | None = None
    note: str | None = None
    payload: dict[str, Any] | None = Field(default=None, sa_type=JSON(none_as_null=True))
    attempts: int = 0
    created_at: dt.datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    posted_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)


class Posting(StoreModel, table=True):
    """An allocation on a voucher, at most one per allocation.

    The unique ``allocation_id`` lets only one voucher claim an allocation,
    also across concurrent runs. ``status`` follows the voucher: "sending",
    then "posted" or "rejected". A rejected voucher keeps its postings, so
    later runs leave its allocations alone until a controller releases
    them (``allocbot post --retry-rejected``), which deletes the postings.
    """

    __tablename__ = "posting"
    __table_args__ = (_one_of("status", POSTING_STATUSES),)

    id: int | None = Field(default=None, primary_key=True)
    allocation_id: int = Field(foreign_key="allocation.id", unique=True)
    voucher_id: int = Field(foreign_key="voucher.id", index=True)
    status: str = "sending"


class ErpCodeRow(StoreModel, table=True):
    """An entry of an ERP's account, cost center, project or VAT code list, as last read from its API.

    Each read replaces the connector's whole list. ``rate`` is a VAT
    code's percent.
    """

    __tablename__ = "erp_code"
    __table_args__ = (_one_of("kind", ERP_CODE_KINDS),)

    connector: str = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    code: str = Field(primary_key=True)
    name: str
    active: bool = True
    external_id: str | None = None
    rate: Decimal | None = Field(default=None, sa_type=ExactDecimal(9, 4))
    synced_at: dt.datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


# --- mailbox intake -------------------------------------------------------------


MAIL_STATUSES = ("claimed", "processed", "failed", "rejected", "empty")


class MailMessage(StoreModel, table=True):
    """A message read from the IMAP mailbox, claimed before any slow work so it is handled once.

    The key is the account, the folder, its UIDVALIDITY and the message's
    UID. A folder that is deleted and created again gets a new UIDVALIDITY,
    so its messages are new keys. Their documents are still recognised by
    their SHA-256, which ``attachments`` lists as
    ``{"filename": ..., "sha256": ...}`` entries next to ``message_id``. ``status`` stays "claimed"
    while the message is being handled, so after a crash it is handled
    again; "processed", "failed", "rejected" (sender not allowed) and
    "empty" (no usable attachment) are final, and ``moved_to`` tells
    whether the message has been moved out of the folder yet.
    """

    __tablename__ = "mail_message"
    __table_args__ = (UniqueConstraint("account", "folder", "uidvalidity", "uid"), _one_of("status", MAIL_STATUSES))

    id: int | None = Field(default=None, primary_key=True)
    account: str
    folder: str
    # IMAP UIDs and UIDVALIDITY are unsigned 32-bit numbers, beyond a signed INTEGER.
    uidvalidity: int = Field(sa_type=BigInteger)
    uid: int = Field(sa_type=BigInteger)
    message_id: str = Field(default="", index=True)
    sender: str = ""
    subject: str = ""
    attachments: list[dict[str, str]] = Field(default_factory=list, sa_type=JSON)
    status: str = "claimed"
    error: str = ""
    reply_message_id: str | None = None
    moved_to: str | None = None
    claimed_at: dt.datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)


# --- audit log ---------------------------------------------------------------


class AuditEvent(StoreModel, table=True):
    """One entry of the append-only audit log.

    ``hash`` is the SHA-256 of ``prev_hash`` followed by the canonical JSON
    of the entry's content (see ``bot.store.audit``), so changing or removing
    an entry breaks the chain. ``prev_hash`` is unique: two writers that
    read the same chain end cannot both append.
    """

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(sa_type=UtcDateTime)
    actor: str
    action: str
    subject_type: str
    subject_id: str
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    model_version: str | None = None
    prev_hash: str = Field(unique=True)
    hash: str = Field(unique=True)



class AuditAnchor(StoreModel, table=True):
    """The start of the audit chain after events older than the retention period were deleted.

    ``through_id`` and ``through_hash`` are the id and hash of the newest
    deleted event, so the oldest kept event's ``prev_hash`` must equal
    ``through_hash``. The newest anchor is the one that counts.
    """

    __tablename__ = "audit_anchor"

    id: int | None = Field(default=None, primary_key=True)
    through_id: int
    through_hash: str
    events_deleted: int
    created_at: dt.datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


# --- the long-running bot --------------------------------------------------------


JOB_RUN_STATUSES = ("running", "done", "failed")


class JobRun(StoreModel, table=True):
    """One run of a scheduled job, claimed by one replica so that each schedule runs once.

    ``due_at`` is the fire time the schedule gave, so replicas that fire the
    same schedule insert the same key and only one insert succeeds. A
    "running" row whose ``lease_until`` has passed belongs to a replica that
    died, and another replica may take it over.
    """

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job", "due_at"), _one_of("status", JOB_RUN_STATUSES))

    id: int | None = Field(default=None, primary_key=True)
    job: str
    due_at: dt.datetime = Field(sa_type=UtcDateTime)
    replica: str
    status: str = "running"
    started_at: dt.datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    lease_until: dt.datetime = Field(sa_type=UtcDateTime)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    error: str = ""


class Lease(StoreModel, table=True):
    """A named piece of work that one replica at a time does, such as polling the mailbox.

    The holder renews ``expires_at`` while it works; once it has passed,
    any replica may take the lease.
    """

    __tablename__ = "lease"

    name: str = Field(primary_key=True)
    holder: str
    acquired_at: dt.datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    expires_at: dt.datetime = Field(sa_type=UtcDateTime)


# --- training data -------------------------------------------------------------


class TrainingLabel(StoreModel, table=True):
    """The true allocation of an item, kept as a training example for the classifier.

    Labeled history lives here rather than in ``allocation`` because it was
    booked elsewhere already and must never be posted again. Human decisions
    add rows with source "human".

    """

    __tablename__ = "training_label"
    __table_args__ = (_one_of("source", TRAINING_SOURCES),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="amazon_item.id", unique=True)
    cost_center: str
    project: str | None = None
    account: str
    tax_code: str
    source: str
    created_at: dt.datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
