"""Add the first and last day of a cost center, which a reorganisation sets, and account descriptions.

The cold-start classifier reads account descriptions as it reads those of
cost centers.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cost_center") as batch:
        batch.add_column(sa.Column("start", sa.Date(), nullable=True))
        batch.add_column(sa.Column("end", sa.Date(), nullable=True))
    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("description", sa.String(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("account") as batch:
        batch.drop_column("description")
    with op.batch_alter_table("cost_center") as batch:
        batch.drop_column("end")
        batch.drop_column("start")
