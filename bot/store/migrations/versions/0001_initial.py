"""Create the initial schema.

Revision ID: 0001
Revises:
Create Date: 2026-12-04

Money columns are NUMERIC on PostgreSQL and integer minor units (øre) on
SQLite, matching bot.store.types.ExactDecimal. The audit log gets triggers
that reject UPDATE and DELETE (and TRUNCATE on PostgreSQL), so the
application can only append to it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def exact_decimal(precision: int, scale: int) -> sa.types.TypeEngine:
    return sa.Numeric(precision, scale).with_variant(sa.BigInteger(), "sqlite")


def money() -> sa.types.TypeEngine:
    return exact_decimal(18, 2)


def timestamp() -> sa.types.TypeEngine:
    # SQLite ignores the time zone flag, so the application stores UTC there.
    return sa.DateTime(timezone=True)


def one_of(table: str, column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=op.f(f"ck_{table}_{column}"))


POSTGRESQL_APPEND_ONLY = [
    """
    CREATE FUNCTION audit_event_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_event is append-only: % rejected', TG_OP;
    END
    $$
    """,
    """
    CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_reject_change()
    """,
    """
    CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_reject_change()
    """,
]

SQLITE_APPEND_ONLY = [
    """
    CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE rejected'); END
    """,
    """
    CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: DELETE rejected'); END
    """,
]


def upgrade() -> None:
    create_master_data()
    create_documents()
    create_decisions()
    create_audit_log()


def create_master_data() -> None:
    op.create_table(
        "cost_center",
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_cost_center")),
    )
    op.create_table(
        "project",
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("lead", sa.String(), nullable=False),
        sa.Column("cost_center", sa.String(), nullable=True),
        sa.Column("customer", sa.String(), nullable=True),
        sa.Column("sites", sa.JSON(), nullable=False),
        sa.Column("start", sa.Date(), nullable=True),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_project")),
    )
    op.create_table(
        "account",
        sa.Column("number", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("default_tax_code", sa.String(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_account")),
    )
    op.create_table(
        "tax_code",
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("rate", exact_decimal(5, 2), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_tax_code")),
    )
    op.create_table(
        "employee",
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("cost_center", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("manager", sa.String(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_employee")),
    )
    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("location", sa.String(), nullable=False),
        sa.Column("cost_center", sa.String(), nullable=True),
        sa.Column("project", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
    )
    op.create_table(
        "location",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("project", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_location")),
    )


def create_documents() -> None:
    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("filename", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=True),
        sa.Column("sender", sa.String(), nullable=True),
        sa.Column("received_at", timestamp(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        one_of("document", "kind", ("order_report", "statement", "email")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document")),
        sa.UniqueConstraint("sha256", name=op.f("uq_document_sha256")),
    )
    op.create_index(op.f("ix_document_message_id"), "document", ["message_id"])

    op.create_table(
        "card_transaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("amount", money(), nullable=False),
        sa.Column("original_amount", money(), nullable=True),
        sa.Column("original_currency", sa.String(), nullable=True),
        sa.Column("rate", exact_decimal(18, 8), nullable=True),
        sa.Column("fingerprint", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["document.id"], name=op.f("fk_card_transaction_document_id_document")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_transaction")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_card_transaction_fingerprint")),
    )
    op.create_index(op.f("ix_card_transaction_document_id"), "card_transaction", ["document_id"])

    op.create_table(
        "amazon_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(), nullable=False),
        sa.Column("order_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("requester_email", sa.String(), nullable=True),
        sa.Column("po_number", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_amazon_order")),
        sa.UniqueConstraint("order_id", name=op.f("uq_amazon_order_order_id")),
    )

    op.create_table(
        "amazon_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("amazon_order_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", money(), nullable=False),
        sa.Column("net_total", money(), nullable=False),
        sa.Column("item_tax", money(), nullable=True),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("amount_nok", money(), nullable=True),
        sa.Column("card_transaction_id", sa.Integer(), nullable=True),
        sa.Column("asin", sa.String(), nullable=True),
        sa.Column("unspsc", sa.String(), nullable=True),
        sa.Column("category", sa.String(), nullable=True),
        sa.Column("brand", sa.String(), nullable=True),
        sa.Column("seller", sa.String(), nullable=True),
        sa.Column("shipping_address", sa.String(), nullable=True),
        sa.Column("payment_reference", sa.String(), nullable=True),
        sa.Column("shipment_date", sa.Date(), nullable=True),
        sa.Column("requester_email", sa.String(), nullable=True),
        sa.Column("custom_fields", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        one_of("amazon_item", "state", ("new", "suggested", "asked", "awaiting_approval", "decided", "posted")),
        sa.ForeignKeyConstraint(
            ["amazon_order_id"], ["amazon_order.id"], name=op.f("fk_amazon_item_amazon_order_id_amazon_order")
        ),
        sa.ForeignKeyConstraint(
            ["card_transaction_id"],
            ["card_transaction.id"],
            name=op.f("fk_amazon_item_card_transaction_id_card_transaction"),
        ),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"], name=op.f("fk_amazon_item_document_id_document")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_amazon_item")),
        sa.UniqueConstraint("item_key", name=op.f("uq_amazon_item_item_key")),
    )
    for column in ("amazon_order_id", "card_transaction_id", "document_id", "payment_reference", "requester_email", "state"):
        op.create_index(op.f(f"ix_amazon_item_{column}"), "amazon_item", [column])


def create_decisions() -> None:
    op.create_table(
        "suggestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("cost_center", sa.String(), nullable=False),
        sa.Column("project", sa.String(), nullable=True),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("tax_code", sa.String(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("model_version", sa.String(), nullable=False),
        sa.Column("created_at", timestamp(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["amazon_item.id"], name=op.f("fk_suggestion_item_id_amazon_item")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion")),
        sa.UniqueConstraint("item_id", "rank", name=op.f("uq_suggestion_item_id_rank")),
    )
    op.create_index(op.f("ix_suggestion_item_id"), "suggestion", ["item_id"])

    op.create_table(
        "allocation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("decided_by", sa.String(), nullable=False),
        sa.Column("decided_at", timestamp(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        one_of("allocation", "source", ("auto", "human", "rule", "history")),
        one_of("allocation", "status", ("approved", "pending_approval", "rejected")),
        sa.ForeignKeyConstraint(["item_id"], ["amazon_item.id"], name=op.f("fk_allocation_item_id_amazon_item")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation")),
        sa.UniqueConstraint("item_id", name=op.f("uq_allocation_item_id")),
    )

    op.create_table(
        "allocation_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("allocation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("cost_center", sa.String(), nullable=False),
        sa.Column("project", sa.String(), nullable=True),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("tax_code", sa.String(), nullable=False),
        sa.Column("amount", money(), nullable=False),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["allocation.id"],
            name=op.f("fk_allocation_line_allocation_id_allocation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation_line")),
        sa.UniqueConstraint("allocation_id", "position", name=op.f("uq_allocation_line_allocation_id_position")),
    )
    op.create_index(op.f("ix_allocation_line_allocation_id"), "allocation_line", ["allocation_id"])

    op.create_table(
        "question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("asked_email", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("created_at", timestamp(), nullable=False),
        sa.Column("answered_at", timestamp(), nullable=True),
        sa.Column("answered_by", sa.String(), nullable=True),
        one_of("question", "kind", ("question", "approval")),
        one_of("question", "status", ("open", "answered", "expired")),
        sa.ForeignKeyConstraint(["item_id"], ["amazon_item.id"], name=op.f("fk_question_item_id_amazon_item")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question")),
    )
    op.create_index(op.f("ix_question_item_id"), "question", ["item_id"])

    op.create_table(
        "posting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("allocation_id", sa.Integer(), nullable=False),
        sa.Column("connector", sa.String(), nullable=False),
        sa.Column("voucher_number", sa.String(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=True),
        sa.Column("posted_at", timestamp(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["allocation_id"], ["allocation.id"], name=op.f("fk_posting_allocation_id_allocation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posting")),
        sa.UniqueConstraint("allocation_id", name=op.f("uq_posting_allocation_id")),
    )


def create_audit_log() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", timestamp(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("subject_type", sa.String(), nullable=False),
        sa.Column("subject_id", sa.String(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("model_version", sa.String(), nullable=True),
        sa.Column("prev_hash", sa.String(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_audit_event_prev_hash")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_event_hash")),
    )

    dialect = op.get_context().dialect.name
    statements = POSTGRESQL_APPEND_ONLY if dialect == "postgresql" else SQLITE_APPEND_ONLY
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    # Dropping the table drops its triggers on both databases.
    op.drop_table("audit_event")
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_event_reject_change()")

    for table in ("posting", "question", "allocation_line", "allocation", "suggestion"):
        op.drop_table(table)
    for table in ("amazon_item", "amazon_order", "card_transaction", "document"):
        op.drop_table(table)
    for table in ("location", "event", "employee", "tax_code", "account", "project", "cost_center"):
        op.drop_table(table)

