"""Add the messages read from the IMAP mailbox, each claimed once by account, folder, UIDVALIDITY and UID.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.types import UtcDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("folder", sa.String(), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("sender", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("error", sa.String(), nullable=False),
        sa.Column("reply_message_id", sa.String(), nullable=True),
        sa.Column("moved_to", sa.String(), nullable=True),
        sa.Column("claimed_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('claimed', 'processed', 'failed', 'rejected', 'empty')",
                           name="ck_mail_message_status"),
        sa.PrimaryKeyConstraint("id", name="pk_mail_message"),
        sa.UniqueConstraint("account", "folder", "uidvalidity", "uid",
                            name="uq_mail_message_account_folder_uidvalidity_uid"),
    )
    op.create_index("ix_mail_message_message_id", "mail_message", ["message_id"])


def downgrade() -> None:
    op.drop_index("ix_mail_message_message_id", table_name="mail_message")
    op.drop_table("mail_message")
