"""Keep what matching needs: order-level amounts, payment amounts, refunds, and items that are no Amazon rows.

Card lines keep their posting date and card. Items get the report columns
that reconciliation reads (payment amount, per-item parts, VAT rate,
invoice number, refund amount and date) and an origin: a row of an Amazon
report, a card line of another merchant, or a refund of an earlier item,
which names that item. Orders keep the order-level shipping, promotion,
tax, net total and status. Items gain the state "duplicate" for rows of a
shipment that another document reports already.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.types import ExactDecimal

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATES = ("new", "suggested", "asked", "awaiting_approval", "decided", "posted")
_ORIGINS = ("amazon", "card", "refund")

_ITEM_COLUMNS = (
    ("payment_amount", ExactDecimal(18, 2)),
    ("subtotal", ExactDecimal(18, 2)),
    ("shipping", ExactDecimal(18, 2)),
    ("promotion", ExactDecimal(18, 2)),
    ("vat_rate", ExactDecimal(5, 2)),
    ("invoice_number", sa.String()),
    ("refund_amount", ExactDecimal(18, 2)),
    ("refund_date", sa.Date()),
)
_ORDER_COLUMNS = (
    ("shipping", ExactDecimal(18, 2)),
    ("promotion", ExactDecimal(18, 2)),
    ("tax", ExactDecimal(18, 2)),
    ("net_total", ExactDecimal(18, 2)),
    ("status", sa.String()),
)


def _one_of(values: tuple[str, ...], column: str) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def upgrade() -> None:
    with op.batch_alter_table("card_transaction") as batch:
        batch.add_column(sa.Column("booked_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("card", sa.String(), nullable=True))

    with op.batch_alter_table("amazon_order") as batch:
        for name, column_type in _ORDER_COLUMNS:
            batch.add_column(sa.Column(name, column_type, nullable=True))

    with op.batch_alter_table("amazon_item") as batch:
        batch.add_column(sa.Column("origin", sa.String(), nullable=False, server_default="amazon"))
        batch.add_column(sa.Column("refund_of_id", sa.Integer(), nullable=True))
        for name, column_type in _ITEM_COLUMNS:
            batch.add_column(sa.Column(name, column_type, nullable=True))
        batch.create_foreign_key(op.f("fk_amazon_item_refund_of_id_amazon_item"), "amazon_item",
                                 ["refund_of_id"], ["id"])
        batch.create_index(op.f("ix_amazon_item_refund_of_id"), ["refund_of_id"])
        batch.create_check_constraint(op.f("ck_amazon_item_origin"), _one_of(_ORIGINS, "origin"))
        batch.drop_constraint(op.f("ck_amazon_item_state"), type_="check")
        batch.create_check_constraint(op.f("ck_amazon_item_state"), _one_of(_STATES + ("duplicate",), "state"))


def downgrade() -> None:
    with op.batch_alter_table("amazon_item") as batch:
        batch.drop_constraint(op.f("ck_amazon_item_state"), type_="check")
        batch.create_check_constraint(op.f("ck_amazon_item_state"), _one_of(_STATES, "state"))
        batch.drop_constraint(op.f("ck_amazon_item_origin"), type_="check")
        batch.drop_index(op.f("ix_amazon_item_refund_of_id"))
        batch.drop_constraint(op.f("fk_amazon_item_refund_of_id_amazon_item"), type_="foreignkey")
        for name, _ in reversed(_ITEM_COLUMNS):
            batch.drop_column(name)
        batch.drop_column("refund_of_id")
        batch.drop_column("origin")

    with op.batch_alter_table("amazon_order") as batch:
        for name, _ in reversed(_ORDER_COLUMNS):
            batch.drop_column(name)

    with op.batch_alter_table("card_transaction") as batch:
        batch.drop_column("card")
        batch.drop_column("booked_on")
