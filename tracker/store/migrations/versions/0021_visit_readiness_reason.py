"""The worst reason's code beside each stored readiness (visit_readiness.reason), so revenue at
risk prices the `stop`/`act` visits from the stored rows in SQL instead of computing every
visit's readiness again. The stored rows are a copy: they are forgotten here, and the board's
refresh (and the pre-visit check) writes them again, reason included.

Revision ID: 0021
Revises: 0014
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0014"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("visit_readiness", sa.Column("reason", sa.String(length=64), nullable=True))
    op.execute("DELETE FROM visit_readiness")


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("visit_readiness", "reason")
