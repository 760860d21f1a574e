"""Drug lines as billed: the dose given, the amount discarded, the container and the NDC of a
session's code line.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("session_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dose_mg", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("wasted_mg", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("container", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("ndc", sa.String(length=11), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("session_codes", schema=None) as batch_op:
        for column in ("ndc", "container", "wasted_mg", "dose_mg"):
            batch_op.drop_column(column)
