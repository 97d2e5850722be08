"""Add what the long-running bot needs: job runs, leases, audit retention anchors and a person-name flag.

Replicas of ``allocbot run`` claim each fire time of a scheduled job as a
``job_run`` row, unique per job and fire time, and hold leases on work
that one replica at a time does. ``audit_anchor`` records where the audit
chain starts after old events were deleted. Items get ``names_person``,
set when the title names a person.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.types import UtcDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("amazon_item") as batch:
        batch.add_column(sa.Column("names_person", sa.Boolean(), nullable=False, server_default=sa.false()))

    op.create_table(
        "audit_anchor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("through_id", sa.Integer(), nullable=False),
        sa.Column("through_hash", sa.String(), nullable=False),
        sa.Column("events_deleted", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_anchor")),
    )
    op.create_table(
        "job_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("replica", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("lease_until", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("error", sa.String(), nullable=False),
        sa.CheckConstraint("status IN ('running', 'done', 'failed')", name=op.f("ck_job_run_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_run")),
        sa.UniqueConstraint("job", "due_at", name=op.f("uq_job_run_job_due_at")),
    )
    op.create_table(
        "lease",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("acquired_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_lease")),
    )


def downgrade() -> None:
    op.drop_table("lease")
    op.drop_table("job_run")
    op.drop_table("audit_anchor")
    with op.batch_alter_table("amazon_item") as batch:
        batch.drop_column("names_person")
