"""Add what the Slack app stores: where each question was sent, reminders, user lookups and handled requests.

Items get the private-purchase and personal-data flags that a "Private
purchase" answer sets.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.types import UtcDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_QUESTION_COLUMNS = (
    ("delivery_key", sa.String()),
    ("slack_channel", sa.String()),
    ("slack_ts", sa.String()),
    ("sent_at", UtcDateTime()),
    ("reminded_at", UtcDateTime()),
    ("escalated_at", UtcDateTime()),
    ("escalated_to", sa.String()),
    ("escalation_channel", sa.String()),
    ("escalation_ts", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("question") as batch:
        batch.add_column(sa.Column("note", sa.String(), nullable=False, server_default=""))
        for name, column_type in _QUESTION_COLUMNS:
            batch.add_column(sa.Column(name, column_type, nullable=True))
        batch.create_index("ix_question_status", ["status"])
        batch.create_index("ix_question_delivery_key", ["delivery_key"])
    with op.batch_alter_table("amazon_item") as batch:
        batch.add_column(sa.Column("private_purchase", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("personal_data", sa.Boolean(), nullable=False, server_default=sa.false()))

    op.create_table(
        "slack_user",
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("looked_up_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("email", name="pk_slack_user"),
    )
    op.create_index("ix_slack_user_user_id", "slack_user", ["user_id"])
    op.create_table(
        "slack_request",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_slack_request"),
    )
    op.create_index("ix_slack_request_received_at", "slack_request", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_slack_request_received_at", table_name="slack_request")
    op.drop_table("slack_request")
    op.drop_index("ix_slack_user_user_id", table_name="slack_user")
    op.drop_table("slack_user")
    with op.batch_alter_table("amazon_item") as batch:
        batch.drop_column("personal_data")
        batch.drop_column("private_purchase")
    with op.batch_alter_table("question") as batch:
        batch.drop_index("ix_question_delivery_key")
        batch.drop_index("ix_question_status")
        for name, _ in reversed(_QUESTION_COLUMNS):
            batch.drop_column(name)
        batch.drop_column("note")
