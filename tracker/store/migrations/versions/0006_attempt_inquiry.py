"""Each submission attempt keeps the `$inquire` bundle for it, so following up reads a few KB per
request instead of the whole request bundle.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("submission_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("inquiry", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("submission_attempts", schema=None) as batch_op:
        batch_op.drop_column("inquiry")
