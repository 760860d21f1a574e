"""An index on the authorizations' decision time: the practice's figures (tracker/figures) count
the requests decided in a month or a week, and the Practice page reads six months of them.

Revision ID: 0020
Revises: 0015
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision: str = "0020"
down_revision: str | None = "0015"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index("ix_authorizations_decided_at_payer_status", "authorizations",
                    ["decided_at", "payer", "status"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_authorizations_decided_at_payer_status", table_name="authorizations")
