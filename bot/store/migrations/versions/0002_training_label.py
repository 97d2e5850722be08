"""Add training labels and the payment date and instrument of Amazon items.

Training labels are the labeled history and human decisions the classifier
learns from. Reconciliation needs the payment date for its date window and
the payment instrument to leave out items not paid by card.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("amazon_item") as batch:
        batch.add_column(sa.Column("payment_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("payment_instrument", sa.String(), nullable=True))

    op.create_table(
        "training_label",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("cost_center", sa.String(), nullable=False),
        sa.Column("project", sa.String(), nullable=True),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("tax_code", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("source IN ('history', 'human')", name=op.f("ck_training_label_source")),
        sa.ForeignKeyConstraint(["item_id"], ["amazon_item.id"], name=op.f("fk_training_label_item_id_amazon_item")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_label")),
        sa.UniqueConstraint("item_id", name=op.f("uq_training_label_item_id")),
    )


def downgrade() -> None:
    op.drop_table("training_label")
    with op.batch_alter_table("amazon_item") as batch:
        batch.drop_column("payment_instrument")
        batch.drop_column("payment_date")
