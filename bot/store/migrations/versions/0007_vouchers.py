"""Store vouchers before they are sent, the ERP's code lists, document paths and periods, and an installation tag.

A posting run now inserts a ``voucher`` row (status "sending", with the
voucher as sent) and the ``posting`` rows of its allocations, commits, and
only then sends the voucher. A crash leaves the voucher "sending", and the
next run looks it up in the ERP before sending it again. Postings point to
their voucher and lose the columns that moved there (connector, voucher
number, external id, posting time). A rejected voucher keeps its postings,
with status "rejected", until a controller releases them.

New voucher numbers are "AB", the store's installation tag and the id in
seven digits. The tag is four random characters, made here once, so that
another store posting to the same ERP company (a demo, a reinstall) does
not reuse numbers. A store restored from a backup keeps the tag of the
store it was taken from.

Each posting of the old scheme becomes a posted voucher of one item that
keeps its number ("AB" and the allocation id), with the allocation's id
as its own id. New ids start above the highest allocation id, not only
above the highest posted one, because an old export that crashed before
it stored its postings may have sent AB and the id of an allocation that
has no posting. Old vouchers' ``payload`` stays empty, because the old
scheme did not keep what it sent.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

import secrets
from collections.abc import Sequence
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

from bot.store.types import ExactDecimal, UtcDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The old posting's voucher date was the card line's date, else the shipment date, else the order date.
_VOUCHERS_OF_OLD_POSTINGS = """
INSERT INTO voucher (id, number, connector, "grouping", document_id, date, status, external_id, error,
                     payload, attempts, created_at, posted_at)
SELECT posting.allocation_id, posting.voucher_number, posting.connector, 'item', NULL,
       COALESCE(card_transaction.date, amazon_item.shipment_date, amazon_order.order_date),
       'posted', posting.external_id, NULL, NULL, 1, posting.posted_at, posting.posted_at
FROM posting
JOIN allocation ON allocation.id = posting.allocation_id
JOIN amazon_item ON amazon_item.id = allocation.item_id
JOIN amazon_order ON amazon_order.id = amazon_item.amazon_order_id
LEFT JOIN card_transaction ON card_transaction.id = amazon_item.card_transaction_id
"""

_OLD_POSTING_COLUMNS = ("connector", "voucher_number", "external_id", "posted_at")

# The tag's characters: A-Z and 2-9 without I, L and O, which read like 1 and 0. The same
# rule as bot.store.postings.TAG_ALPHABET, copied so that this migration never changes.
_TAG_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_TAG_LENGTH = 4

# SQLite keeps an AUTOINCREMENT table's highest id in sqlite_sequence; the row exists after the first insert.
_SQLITE_NEXT_ID = (
    "INSERT INTO sqlite_sequence (name, seq) SELECT 'voucher', 0 "
    "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'voucher')",
    "UPDATE sqlite_sequence SET seq = MAX(seq, (SELECT COALESCE(MAX(id), 0) FROM allocation)) "
    "WHERE name = 'voucher'",
)
_POSTGRESQL_NEXT_ID = (
    "SELECT setval(pg_get_serial_sequence('voucher', 'id'), "
    "GREATEST((SELECT MAX(id) FROM voucher), (SELECT MAX(id) FROM allocation), 0) + 1, false)"
)


def upgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("path", sa.String(), nullable=True))
        batch.add_column(sa.Column("period_start", sa.Date(), nullable=True))
        batch.add_column(sa.Column("period_end", sa.Date(), nullable=True))

    _create_voucher_table()
    _create_erp_code_table()
    _create_installation()

    op.execute(_VOUCHERS_OF_OLD_POSTINGS)
    # The old vouchers were given their ids, so the next id is set above them and every allocation id.
    if op.get_context().dialect.name == "postgresql":
        op.execute(_POSTGRESQL_NEXT_ID)
    else:
        for statement in _SQLITE_NEXT_ID:
            op.execute(statement)

    with op.batch_alter_table("posting") as batch:
        batch.add_column(sa.Column("voucher_id", sa.Integer(), nullable=True))
    op.execute("UPDATE posting SET voucher_id = allocation_id, status = 'posted'")
    with op.batch_alter_table("posting") as batch:
        batch.alter_column("voucher_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(op.f("fk_posting_voucher_id_voucher"), "voucher", ["voucher_id"], ["id"])
        batch.create_index(op.f("ix_posting_voucher_id"), ["voucher_id"])
        batch.create_check_constraint(op.f("ck_posting_status"), "status IN ('sending', 'posted', 'rejected')")
        for name in _OLD_POSTING_COLUMNS:
            batch.drop_column(name)


def downgrade() -> None:
    """Give postings their old columns back from their vouchers; postings still being sent are dropped."""
    with op.batch_alter_table("posting") as batch:
        batch.add_column(sa.Column("connector", sa.String(), nullable=True))
        batch.add_column(sa.Column("voucher_number", sa.String(), nullable=True))
        batch.add_column(sa.Column("external_id", sa.String(), nullable=True))
        batch.add_column(sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("DELETE FROM posting WHERE status <> 'posted'")
    for column, source in (("connector", "connector"), ("voucher_number", "number"),
                           ("external_id", "external_id"), ("posted_at", "COALESCE(posted_at, created_at)")):
        op.execute(f"UPDATE posting SET {column} = "
                   f"(SELECT {source} FROM voucher WHERE voucher.id = posting.voucher_id)")
    with op.batch_alter_table("posting") as batch:
        for name in ("connector", "voucher_number", "posted_at"):
            batch.alter_column(name, existing_type=sa.String() if name != "posted_at" else sa.DateTime(timezone=True),
                               nullable=False)
        batch.drop_constraint(op.f("ck_posting_status"), type_="check")
        batch.drop_index(op.f("ix_posting_voucher_id"))
        batch.drop_constraint(op.f("fk_posting_voucher_id_voucher"), type_="foreignkey")
        batch.drop_column("voucher_id")

    op.drop_table("installation")
    op.drop_table("erp_code")
    op.drop_index(op.f("ix_voucher_status"), table_name="voucher")
    op.drop_index(op.f("ix_voucher_document_id"), table_name="voucher")
    op.drop_table("voucher")

    with op.batch_alter_table("document") as batch:
        batch.drop_column("period_end")
        batch.drop_column("period_start")
        batch.drop_column("path")


def _create_voucher_table() -> None:
    op.create_table(
        "voucher",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(), nullable=False),
        sa.Column("connector", sa.String(), nullable=False),
        sa.Column("grouping", sa.String(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("note", sa.String(), nullable=True),
        sa.Column("payload", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("posted_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('sending', 'posted', 'rejected')", name=op.f("ck_voucher_status")),
        sa.CheckConstraint("\"grouping\" IN ('statement', 'item')", name=op.f("ck_voucher_grouping")),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"], name=op.f("fk_voucher_document_id_document")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher")),
        sa.UniqueConstraint("number", name=op.f("uq_voucher_number")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_voucher_document_id"), "voucher", ["document_id"])
    op.create_index(op.f("ix_voucher_status"), "voucher", ["status"])


def _create_erp_code_table() -> None:
    op.create_table(
        "erp_code",
        sa.Column("connector", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=True),
        sa.Column("rate", ExactDecimal(9, 4), nullable=True),
        sa.Column("synced_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('account', 'cost_center', 'project', 'vat_code')", name=op.f("ck_erp_code_kind")),
        sa.PrimaryKeyConstraint("connector", "kind", "code", name=op.f("pk_erp_code")),
    )


def _create_installation() -> None:
    table = op.create_table(
        "installation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_installation_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installation")),
    )
    tag = "".join(secrets.choice(_TAG_ALPHABET) for _ in range(_TAG_LENGTH))
    op.bulk_insert(table, [{"id": 1, "tag": tag, "created_at": datetime.now(timezone.utc)}])
